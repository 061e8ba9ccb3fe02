"""Lint in the style of ament_python packages: flake8 (pycodestyle + pyflakes) and pep257."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCES = ["press_control", "test", "launch", "setup.py", "scripts", "examples"]


def _run(*args):
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True)


def test_flake8():
    result = _run("flake8", *[s for s in SOURCES if (ROOT / s).exists()])
    assert result.returncode == 0, f"flake8 found problems:\n{result.stdout}{result.stderr}"


def test_pep257():
    # Same relaxed convention as ament_pep257: public modules, classes and functions.
    result = _run("pydocstyle", "--convention=pep257",
                  "--add-ignore=D100,D102,D103,D104,D105,D107,D203,D212,D401,D404",
                  "press_control")
    assert result.returncode == 0, f"pydocstyle found problems:\n{result.stdout}{result.stderr}"

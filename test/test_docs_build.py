"""The documentation builds the ROS way (Sphinx with MyST) with no warning; the README is short."""
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.minutes(40)
def test_the_docs_build_with_warnings_as_errors(tmp_path):
    """Internal links, the toctree, literal includes and the API pages' docstrings."""
    build = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q",
                            "-b", "html", str(ROOT / "docs"), str(tmp_path / "html")],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-4000:]
    assert (tmp_path / "html" / "interfaces.html").exists()
    api = (tmp_path / "html" / "api.html").read_text()
    assert "fit_curve" in api and "PressSupervisor" in api          # from the docstrings


def test_the_readme_is_read_in_five_minutes_and_its_links_lead_somewhere():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    assert readme.splitlines()[4:7] == ["./scripts/demo.sh", "# run the tests (sets itself up)",
                                        "./scripts/test.sh"]
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme)
    assert targets
    for target in targets:
        if "://" not in target:
            assert (ROOT / target).exists(), target

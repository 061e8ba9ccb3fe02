"""Every source path the documentation names exists: a moved module fails here, not a reader."""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
# `control/supervisor.py`, `test_supervisor.py::test_x`, `press_control/ros/spin.py`
NAMED = re.compile(r"`([A-Za-z0-9_./-]+\.(?:py|sh))(?:::[^`]*)?`")
SEARCHED = ("", "press_control", "test")


def exists(named: str) -> bool:
    if "/" in named:
        return any((ROOT / base / named).is_file() for base in SEARCHED)
    return any(path.is_file() for path in ROOT.glob(f"**/{named}")
               if ".venv" not in path.parts and "build" not in path.parts)


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_every_path_a_document_names_exists(doc):
    named = sorted(set(NAMED.findall(doc.read_text())))
    missing = [path for path in named if not exists(path)]
    assert missing == [], f"{doc.name} names files that do not exist: {missing}"


def test_the_check_sees_a_moved_module(tmp_path):
    assert exists("control/supervisor.py") and exists("test_supervisor.py")
    assert not exists("press_control/supervisor.py") and not exists("nodes/guard.py")

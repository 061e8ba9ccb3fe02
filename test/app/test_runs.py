"""`pressctl runs`: recent records listed newest first, one run shown, unknown ones refused."""
import datetime
import json
import math
import os
import subprocess
import sys

from press_control.records.run_record import RunRecord


def _pressctl(*args):
    return subprocess.run([sys.executable, "-m", "press_control.app.cli", *args],
                          capture_output=True, text=True, timeout=60)


def _records(root):
    day = datetime.datetime(2026, 11, 26, 9, 0, tzinfo=datetime.timezone.utc)
    first = RunRecord(root, "cell-a", {"preset": "demo_cell"}, started=day)
    first.finish({"outcome": "SUCCEEDED", "peak_mpa": 392.04,
                  "final_interface_resistance_ohm": 41.26})
    second = RunRecord(root, "cell-b", {"preset": ""}, started=day + datetime.timedelta(hours=1))
    second.finish({"outcome": "ABORTED", "peak_mpa": math.nan})
    assert first.wait_for_plot() and second.wait_for_plot()
    return first.folder, second.folder


def test_runs_lists_newest_first_with_outcome_peak_and_interface(tmp_path):
    first, second = _records(str(tmp_path))
    done = _pressctl("runs", "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:4] == ["started", "cell", "preset", "outcome"]
    assert "cell-b" in lines[1] and "custom" in lines[1] and "ABORTED" in lines[1]
    assert lines[1].rstrip().endswith(second) and " - " in lines[1]
    assert "cell-a" in lines[2] and "392.0" in lines[2] and "41.3" in lines[2]
    assert lines[2].rstrip().endswith(first)


def test_runs_show_prints_the_summary_by_unique_prefix(tmp_path):
    first, _ = _records(str(tmp_path))
    done = _pressctl("runs", "show", "cell-a", "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert f"folder: {first}" in done.stdout
    body = done.stdout.split("\n", 1)[1].rsplit("\nfiles:", 1)[0]
    assert json.loads(body)["status"] == "SUCCEEDED"
    assert "summary.json" in done.stdout and "plot.png" in done.stdout


def test_unknown_or_ambiguous_runs_are_refused_in_one_line(tmp_path):
    _records(str(tmp_path))
    for name in ("cell-x", "cell-"):
        done = _pressctl("runs", "show", name, "--dir", str(tmp_path))
        assert done.returncode == 1 and done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    empty = _pressctl("runs", "--dir", str(tmp_path / "none"))
    assert empty.returncode == 1 and "no run records" in empty.stderr
    assert os.path.isdir(tmp_path)

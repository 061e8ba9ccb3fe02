"""The guide's minimal arm client (examples/minimal_arm.py) loads, presses and unloads a cell."""
import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "minimal_arm.py"


@pytest.mark.minutes(60)
def test_the_minimal_arm_runs_one_cell_through_the_handshake(started, tmp_path):
    cell = started(record_dir=str(tmp_path / "runs"))            # arm interlock on
    assert cell.wait_ready(90.0, arm_needed=False) == ""
    run = subprocess.run([sys.executable, str(EXAMPLE), "cell-m1", "handling_check"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, (run.stdout[-1500:], run.stderr[-3000:])
    assert "cell-m1: outcome" in run.stdout
    assert cell.sim.true_pressure_mpa() < 1.0
    assert [name for name in os.listdir(tmp_path / "runs") if name.startswith("cell-m1_")]

"""`pressctl calibrate-die` through the running nodes against the simulator's empty die."""
import subprocess
import sys

import pytest

from press_control.analysis.die_calibration import load_calibration
from press_control.resources import config_path

PRESSCTL = [sys.executable, "-m", "press_control.app.cli"]


def test_it_asks_for_the_empty_die_to_be_confirmed(tmp_path):
    run = subprocess.run(PRESSCTL + ["calibrate-die", "d10", "--dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "confirm with --empty-die" in run.stderr
    few = subprocess.run(PRESSCTL + ["calibrate-die", "d10", "--empty-die", "--levels", "2",
                                     "--dir", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert few.returncode == 2 and "3 or more levels" in few.stderr, few.stderr[-2000:]
    assert "Traceback" not in few.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.minutes(60)
def test_the_empty_die_is_pressed_level_by_level_and_its_curve_stored(started, tmp_path):
    cell = started(record_dir=str(tmp_path / "runs"), arm_interlock=False)
    assert cell.wait_ready(90.0) == ""
    cell.sim.inject("new_cell", "empty_die")
    run = subprocess.run(PRESSCTL + ["calibrate-die", "d10", "--empty-die", "--levels", "4",
                                     "--top-mpa", "60", "--hold-s", "2",
                                     "--dir", str(tmp_path / "dies"), "--press", "sim"],
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, (run.stdout[-800:], run.stderr[-3000:])
    assert "written to" in run.stdout
    measured = load_calibration(str(tmp_path / "dies"), "d10")
    assert len(measured.force_kn) == 4 and measured.press == "sim"
    assert measured.force_kn[-1] == pytest.approx(60.0 * 78.54 / 1000.0, rel=0.01)
    # the oracle: the same simulator measured directly (stepped, another noise seed)
    reference = load_calibration(config_path("die_calibration_sim"), "d10")
    for force, position in zip(measured.force_kn, measured.empty_position_mm):
        assert position == pytest.approx(reference.empty_position_at(force), abs=0.002)
    assert cell.sim.true_pressure_mpa() < 5.0           # the run ended released

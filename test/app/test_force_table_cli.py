"""`pressctl measure-force-table` through the running nodes, the simulator's true force typed
in as the reference load cell's reading."""
import io
import subprocess
import sys

import pytest

from press_control.app.force_table_cli import ask_reference, parse_levels
from press_control.hardware.force_calibration import ForceCalibration
from press_control.resources import config_path

PRESSCTL = [sys.executable, "-m", "press_control.app.cli", "measure-force-table"]


def test_levels_must_rise_from_zero_or_more():
    assert parse_levels("0, 5,10") == [0.0, 5.0, 10.0]
    for bad in ("5", "0,5,5", "10,5", "-1,5", "0,five"):
        with pytest.raises(ValueError):
            parse_levels(bad)


def test_the_reference_is_asked_again_until_it_is_a_number():
    answers = io.StringIO("abc\n\n4.9\n")
    assert ask_reference("? ", answers.readline) == pytest.approx(4.9)
    assert ask_reference("? ", io.StringIO("").readline) is None


def _answer_prompts(process, reference):
    """Answer every 'reference (kN)? ' prompt with reference(); return all the output."""
    output = ""
    while True:
        char = process.stdout.read(1)
        if not char:
            return output
        output += char
        if output.endswith("reference (kN)? "):
            process.stdin.write(f"{reference():.5f}\n")
            process.stdin.flush()


@pytest.mark.minutes(60)
def test_a_table_measured_against_the_true_force_matches_the_simulators(started, tmp_path):
    cell = started(record_dir=str(tmp_path / "runs"), arm_interlock=False,
                   sim_force_table=False)
    assert cell.wait_ready(90.0) == ""
    out = tmp_path / "press_1.yaml"
    process = subprocess.Popen(PRESSCTL + ["--levels-kn", "0,5,10", "--out", str(out),
                                           "--press", "sim", "--reference", "truth",
                                           "--settle-s", "2", "--sample-s", "2",
                                           "--rate-mpa-s", "20"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    output = _answer_prompts(process, lambda: cell.sim.truth()["force_kn"])
    errors = process.stderr.read()
    assert process.wait(timeout=60) == 0, (output[-1500:], errors[-3000:])
    assert "Destroyable" not in errors and "Traceback" not in errors, errors[-3000:]
    measured = ForceCalibration.load(str(out))
    assert len(measured.press_kn) == 3 and measured.press == "sim"
    assert measured.reference_kn[-1] == pytest.approx(10.0, abs=0.3)
    # the oracle: the simulator's own table, measured stepped with another noise seed
    reference = ForceCalibration.load(config_path("force_calibration_sim.yaml"))
    for press_kn, reference_kn in zip(measured.press_kn, measured.reference_kn):
        assert reference_kn == pytest.approx(reference.reference_from_press(press_kn),
                                             abs=0.03)
    assert cell.sim.true_pressure_mpa() < 5.0              # released at the end


@pytest.mark.minutes(20)
def test_it_refuses_while_the_driver_applies_a_table(started, tmp_path):
    cell = started(record_dir=str(tmp_path / "runs"), arm_interlock=False)
    assert cell.wait_ready(90.0) == ""
    run = subprocess.run(PRESSCTL + ["--levels-kn", "0,10", "--out", str(tmp_path / "t.yaml")],
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert run.returncode == 2 and "applies the force table" in run.stderr, run.stderr[-2000:]
    assert not (tmp_path / "t.yaml").exists()

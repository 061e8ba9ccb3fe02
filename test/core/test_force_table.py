"""Measuring a force table on the stepped simulator, its true force as the reference."""
import statistics

import pytest

from press_control.control.dies import Die
from press_control.control.force_table import TablePlan, measure_force_table, plan_levels
from press_control.sim.stepped import SteppedPress

DIE = Die("d10", 10.0, 500.0)
LEVEL_KN = 30.0


def true_force_held(press: SteppedPress, force_kn: float) -> float:
    """Mean true force over 2 s of a hold at force_kn, commanded through hardware.Press."""
    press.press.ramp_to(force_kn, 1.5)
    while press.press.poll().force_kn < force_kn - 0.05:
        press.advance(0.1)
    press.press.hold()
    press.advance(3.0)
    samples = []
    for _ in range(40):
        press.advance(0.05)
        samples.append(press.true_force_kn)
    return statistics.fmean(samples)


@pytest.fixture(scope="module")
def table():
    press = SteppedPress(DIE, seed=21)
    return measure_force_table(press.press, lambda: press.true_force_kn, press.advance,
                               TablePlan(plan_levels(DIE.force_kn(500.0), 6), samples=60),
                               press_id="stepped", reference_name="simulator truth")


def test_the_table_rises_from_zero_to_the_top_level(table):
    assert len(table.press_kn) == 6 and table.press_kn[0] == pytest.approx(0.0, abs=0.05)
    assert table.press_kn[-1] == pytest.approx(DIE.force_kn(500.0), rel=0.01)
    assert table.press == "stepped" and table.measured


def test_with_the_table_the_press_holds_the_true_force(table):
    without = true_force_held(SteppedPress(DIE, seed=4), LEVEL_KN) - LEVEL_KN
    held = true_force_held(SteppedPress(DIE, seed=4, force_calibration=table), LEVEL_KN)
    assert abs(without) > 0.01                    # the uncorrected load cell bow
    assert abs(held - LEVEL_KN) < abs(without) / 3, (held, without)


def test_a_press_with_a_table_is_not_measured_again(table):
    press = SteppedPress(DIE, seed=4, force_calibration=table)
    with pytest.raises(ValueError, match="no force table"):
        measure_force_table(press.press, lambda: press.true_force_kn, press.advance,
                            TablePlan((0.0, 10.0)))


def test_the_press_is_released_when_the_reference_fails():
    press = SteppedPress(DIE, seed=4)

    def failing_reference():
        if press.true_force_kn > 5.0:
            raise OSError("reference load cell unplugged")
        return press.true_force_kn
    with pytest.raises(OSError):
        measure_force_table(press.press, failing_reference, press.advance,
                            TablePlan((0.0, 10.0, 20.0), samples=5))
    press.advance(10.0)
    assert press.true_force_kn < 0.5

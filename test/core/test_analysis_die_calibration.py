"""Die calibrations: hand-worked interpolation, refusals, the stored files and their cache."""
import math

import pytest

from press_control.analysis.die_calibration import (DieCalibration, DieCalibrationError,
                                                    DieCalibrations, calibration_from_holds,
                                                    empty_die_problem, load_calibration,
                                                    plan_levels_mpa, save_calibration)

CALIBRATION = DieCalibration("d10", (0.0, 10.0, 20.0), (1.000, 0.990, 0.985))


def test_the_empty_position_is_interpolated_and_extended_at_both_ends():
    assert CALIBRATION.empty_position_at(5.0) == pytest.approx(0.995)
    assert CALIBRATION.empty_position_at(15.0) == pytest.approx(0.9875)
    assert CALIBRATION.empty_position_at(30.0) == pytest.approx(0.980)     # last slope
    assert CALIBRATION.empty_position_at(-2.0) == pytest.approx(1.002)     # first slope


def test_thickness_is_the_reading_above_the_empty_die_at_the_same_force():
    assert CALIBRATION.thickness_mm(1.5, 10.0) == pytest.approx(0.510)
    assert math.isnan(CALIBRATION.thickness_mm(math.nan, 10.0))


@pytest.mark.parametrize("forces, positions, problem", [
    ((0.0, 10.0), (1.0, 0.99), "at least 3"),
    ((0.0, 10.0, 10.0), (1.0, 0.99, 0.98), "rise"),
    ((5.0, 1.0, 10.0), (1.0, 0.99, 0.98), "rise"),
    ((0.0, 1.0, 2.0), (1.0, math.nan, 0.98), "not a number"),
    ((0.0, 1.0, 2.0), (1.0, 0.99), "at least 3"),
])
def test_a_curve_that_cannot_be_used_is_refused(forces, positions, problem):
    with pytest.raises(DieCalibrationError, match=problem):
        DieCalibration("d10", forces, positions)


def test_each_hold_gives_the_mean_of_its_later_half():
    holds = [[(0.0, 9.0)] * 3 + [(0.2, 1.0), (0.4, 1.2), (0.3, 1.1)],
             [(5.0, 0.9)] * 6,
             [(10.0, 0.5)] * 3 + [(10.0, 0.8)] * 3]
    calibration = calibration_from_holds("d13", holds, "2026-11-27", "press A")
    assert calibration.force_kn == pytest.approx((0.3, 5.0, 10.0))
    assert calibration.empty_position_mm == pytest.approx((1.1, 0.9, 0.8))
    with pytest.raises(DieCalibrationError, match="level 2 has 2 settled"):
        calibration_from_holds("d13", [holds[0], holds[1][:4], holds[2]])


def test_levels_rise_from_a_contact_load_to_the_top():
    levels = plan_levels_mpa(392.0, 8)
    assert len(levels) == 8 and levels[0] == 2.0 and levels[-1] == pytest.approx(392.0)
    assert all(b > a for a, b in zip(levels, levels[1:]))
    with pytest.raises(ValueError):
        plan_levels_mpa(392.0, 2)


def test_a_saved_calibration_loads_back_and_a_foreign_one_is_named(tmp_path):
    path = save_calibration(str(tmp_path), DieCalibration("d10", (0.1, 5.0, 39.0),
                                                          (1.2364, 1.2135, 1.0894),
                                                          measured="2026-11-27"))
    loaded = load_calibration(str(tmp_path), "d10")
    assert loaded.empty_position_mm == pytest.approx((1.2364, 1.2135, 1.0894))
    assert loaded.source == path and loaded.measured == "2026-11-27"
    assert load_calibration(str(tmp_path), "d13") is None
    (tmp_path / "d13.yaml").write_text(open(path).read())
    with pytest.raises(DieCalibrationError, match=r"d13.yaml cannot be used: .*die 'd10'"):
        load_calibration(str(tmp_path), "d13")
    (tmp_path / "d16.yaml").write_text("points: [[0, 1], [1, oops]]\n")
    with pytest.raises(DieCalibrationError, match="d16.yaml cannot be used"):
        load_calibration(str(tmp_path), "d16")


def test_the_cache_says_why_and_picks_up_a_calibration_written_later(tmp_path):
    now = [0.0]
    store = DieCalibrations(str(tmp_path), recheck_s=1.0, clock=lambda: now[0])
    calibration, problem = store.get("d10")
    assert calibration is None and "d10 is not calibrated" in problem
    assert "pressctl calibrate-die" in problem
    save_calibration(str(tmp_path), CALIBRATION)
    assert store.get("d10")[0] is None          # not looked at again within recheck_s
    now[0] = 1.5
    calibration, problem = store.get("d10")
    assert calibration.empty_position_mm == pytest.approx(CALIBRATION.empty_position_mm)
    assert problem == ""
    assert store.get("d13")[0] is None          # another die is looked up at once


def test_only_a_stiff_curve_passes_for_an_empty_die():
    steel = DieCalibration("d10", (0.16, 8.1, 39.3), (1.2364, 1.2039, 1.0894))   # 3.8 um/kN
    powder = DieCalibration("d10", (0.16, 1.0, 3.1), (3.93, 3.60, 2.97))        # 330 um/kN
    lifted = DieCalibration("d10", (0.16, 1.0, 3.1), (1.00, 1.01, 1.02))
    assert empty_die_problem(steel) == ""
    assert "softer than steel" in empty_die_problem(powder)
    assert "were not pressed together" in empty_die_problem(lifted)

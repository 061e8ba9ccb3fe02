"""The force table: hand-worked interpolation, the checks that refuse a wrong table, files."""
import math

import pytest

from press_control.hardware.force_calibration import (NO_CALIBRATION, ForceCalibration,
                                                      ForceCalibrationError)

# A press reading 1 % high up to 100 kN and 0.5 % high beyond: worked by hand below.
TABLE = ForceCalibration((0.0, 101.0, 201.5), (0.0, 100.0, 200.0))


@pytest.mark.parametrize("press_kn, reference_kn", [
    (0.0, 0.0), (50.5, 50.0), (101.0, 100.0), (151.25, 150.0), (201.5, 200.0),
    (302.0, 300.0),        # beyond the last point: the last segment, 100/100.5 per kN
    (-10.1, -10.0)])       # below the first: the first segment
def test_readings_go_to_the_reference_scale(press_kn, reference_kn):
    assert TABLE.reference_from_press(press_kn) == pytest.approx(reference_kn, abs=1e-9)
    assert TABLE.press_for_reference(reference_kn) == pytest.approx(press_kn, abs=1e-9)


def test_a_ramp_rate_scales_by_the_local_slope():
    assert TABLE.press_per_reference(50.0) == pytest.approx(1.01)
    assert TABLE.press_per_reference(150.0) == pytest.approx(1.005)
    assert NO_CALIBRATION.press_per_reference(150.0) == 1.0


def test_no_table_changes_nothing():
    assert not NO_CALIBRATION.applied
    assert NO_CALIBRATION.reference_from_press(12.345) == 12.345
    assert NO_CALIBRATION.press_for_reference(12.345) == 12.345
    assert math.isnan(TABLE.reference_from_press(math.nan))
    assert NO_CALIBRATION.describe()["applied"] is False


@pytest.mark.parametrize("press_kn, reference_kn, problem", [
    ((0.0, 100.0), (0.0, 1000.0), "more than a load cell error"),      # kN against N
    ((0.0, 100.0, 90.0), (0.0, 100.0, 90.0), "must rise"),
    ((0.0, 100.0), (0.0, 100.0, 200.0), "differ in length"),
    ((5.0,), (5.0,), "at least two points"),
    ((0.0, math.nan), (0.0, 100.0), "not finite")])
def test_a_wrong_table_is_refused_with_the_reason(press_kn, reference_kn, problem):
    with pytest.raises(ForceCalibrationError, match=problem):
        ForceCalibration(press_kn, reference_kn)


def test_a_file_round_trips_and_is_described_for_the_record(tmp_path):
    path = tmp_path / "press_1.yaml"
    written = ForceCalibration((0.0, 30.02, 60.05), (0.0, 30.0, 60.0), press="press-3-1001",
                               reference="HBM C6A, certificate 118", measured="2026-11-20")
    path.write_text(written.to_yaml())
    loaded = ForceCalibration.load(str(path))
    assert loaded.press_kn == written.press_kn and loaded.reference_kn == written.reference_kn
    described = loaded.describe()
    assert described["applied"] and described["source"] == str(path)
    assert described["press"] == "press-3-1001" and len(described["sha256_16"]) == 16
    assert described["points_kn"] == [[0.0, 0.0], [30.02, 30.0], [60.05, 60.0]]


@pytest.mark.parametrize("text, problem", [
    ("points_kn: [[0, 0], [10, 10, 3]]\n", "pairs"),
    ("press: p1\n", "no points_kn"),
    ("points_kn: [[0, 0], [10, 100]]\n", "more than a load cell error"),
    ("points_kn: [[0, 0]\n", "while parsing")])
def test_a_bad_file_names_itself_and_the_problem(tmp_path, text, problem):
    path = tmp_path / "table.yaml"
    path.write_text(text)
    with pytest.raises(ForceCalibrationError, match=problem) as caught:
        ForceCalibration.load(str(path))
    assert str(path) in str(caught.value)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ForceCalibrationError, match="nothing.yaml"):
        ForceCalibration.load(str(tmp_path / "nothing.yaml"))

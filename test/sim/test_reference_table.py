"""The simulator's shipped force table still describes the simulated load cell."""
from press_control.hardware.force_calibration import ForceCalibration
from press_control.resources import config_path
from press_control.sim.reference_table import measure_simulator_table


def test_the_shipped_table_matches_a_fresh_measurement():
    shipped = ForceCalibration.load(config_path("force_calibration_sim.yaml"))
    fresh = measure_simulator_table(seed=7)            # other noise than the shipped one
    assert len(shipped.press_kn) == len(fresh.press_kn)
    for press_kn, reference_kn in zip(fresh.press_kn, fresh.reference_kn):
        correction = reference_kn - press_kn            # what this press needs, measured now
        shipped_correction = shipped.reference_from_press(press_kn) - press_kn
        assert abs(shipped_correction - correction) < 0.01, (press_kn, correction,
                                                             shipped_correction)

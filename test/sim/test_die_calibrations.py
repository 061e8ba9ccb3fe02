"""The simulated dies' calibrations: measured again, and right on a powder's true thickness.

Oracles: the committed files (measured with another noise seed) and the stepped
simulator's true sample thickness; the analysis code only turns readings into numbers.
"""
import numpy as np
import pytest

from press_control.analysis.densification import Sample
from press_control.analysis.die_calibration import load_calibration
from press_control.control.dies import Die
from press_control.control.profile_runner import Command
from press_control.resources import config_path
from press_control.sim.die_calibrations import measure_simulated_die
from press_control.sim.stepped import SteppedPress

D10 = Die("d10", 10.0, 500.0)


@pytest.mark.minutes(25)
def test_the_committed_calibration_is_what_the_simulator_measures():
    committed = load_calibration(config_path("die_calibration_sim"), "d10")
    again = measure_simulated_die(D10, seed=7)
    for force, position in zip(again.force_kn, again.empty_position_mm):
        assert committed.empty_position_at(force) == pytest.approx(position, abs=0.0015)


def _ramp(press, top_mpa):
    """(force, position, true thickness) every 0.5 s of a 10 MPa/s ramp to top_mpa."""
    press.apply(Command("set_pressure", top_mpa, 10.0))
    rows = []
    while press.true_pressure_mpa < top_mpa - 1.0 and press.time_s < 200.0:
        press.advance(0.5)
        rows.append((press.controller.measured_force_kn,
                     press.controller.get("platen_position_mm"), press.cell.thickness_mm))
    return np.array(rows)


def test_the_calibrated_thickness_is_the_true_one_and_a_stiffness_guess_is_not():
    calibration = load_calibration(config_path("die_calibration_sim"), "d10")
    press = SteppedPress(D10, seed=8)
    rows = _ramp(press, 370.0)
    calibrated = np.array([calibration.thickness_mm(p, f) for f, p, _ in rows])
    assert np.max(np.abs(calibrated - rows[:, 2])) < 0.002              # 2 um
    # Before: the sensor zeroed on the touching punches, the frame's 800 kN/mm assumed
    # (the monitor's old default): the punches' compression and seating are missed.
    zero = calibration.empty_position_mm[0]
    guessed = rows[:, 1] - zero + rows[:, 0] / 800.0
    assert np.max(np.abs(guessed - rows[:, 2])) > 0.05                  # 50 um and more
    preset = press.cell.p
    sample = Sample(preset.electrolyte_mass_mg, preset.true_density_g_cm3, D10.area_mm2,
                    elastic_modulus_mpa=preset.elastic_modulus_mpa)
    force = rows[-1, 0]
    truth = press.cell.relative_density
    after = sample.relative_density(sample.plastic_thickness_mm(calibrated[-1], force))
    before = sample.relative_density(sample.plastic_thickness_mm(guessed[-1], force))
    assert after == pytest.approx(truth, abs=0.002)
    assert abs(before - truth) > 0.02

"""Density and Heckel fit from the platen position of the simulated press."""
import numpy as np
import pytest

from press_control.analysis.densification import Sample, heckel_fit
from press_control.analysis.die_calibration import load_calibration
from press_control.control.dies import Die
from press_control.control.profile_runner import Command
from press_control.resources import config_path
from press_control.sim.stepped import SteppedPress

DIE = Die("d10", 10.0, 500.0)


def test_heckel_k_and_density_follow_the_simulated_compact():
    """Readings (calibrated platen position, load cell) against the simulator's true density.

    During a 10 MPa/s ramp part of the consolidation has not happened yet, so the ramp's
    Heckel slope is the one of the true densities seen at the same moments (a little under
    the consolidated K), which is what the fit must find.
    """
    press = SteppedPress(DIE, seed=8)
    calibration = load_calibration(config_path("die_calibration_sim"), DIE.die_id)
    preset = press.cell.p
    sample = Sample(preset.electrolyte_mass_mg, preset.true_density_g_cm3, DIE.area_mm2,
                    elastic_modulus_mpa=preset.elastic_modulus_mpa)
    press.apply(Command("set_pressure", 370.0, 10.0))
    pressures, densities, true_pressures, true_densities = [], [], [], []
    while press.true_pressure_mpa < 369.0 and press.time_s < 200.0:
        press.advance(0.1)
        position = press.controller.get("platen_position_mm")
        force = press.controller.measured_force_kn
        pressures.append(DIE.pressure_mpa(force))
        thickness = calibration.thickness_mm(position, force)
        densities.append(sample.relative_density(sample.plastic_thickness_mm(thickness,
                                                                             force)))
        true_pressures.append(press.true_pressure_mpa)
        true_densities.append(press.cell.relative_density)
    fit = heckel_fit(pressures, densities)
    linear = np.array(true_pressures) >= 50.0
    true_k = np.polyfit(np.array(true_pressures)[linear],
                        -np.log(1.0 - np.array(true_densities)[linear]), 1)[0]
    assert fit is not None and fit.r2 > 0.99
    assert fit.k_per_mpa == pytest.approx(true_k, rel=0.02)
    assert 0.85 * preset.heckel_k_per_mpa < fit.k_per_mpa < preset.heckel_k_per_mpa
    assert densities[-1] == pytest.approx(press.cell.relative_density, abs=0.003)


def test_too_few_points_give_no_fit():
    assert heckel_fit([10.0, 20.0], [0.5, 0.6]) is None

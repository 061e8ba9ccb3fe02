"""The EIS fitter against the cell twin (sim/cell.py, noise on): the twin and the fitter agree.

Blind spectra, from models the fitter was not built from, are in test_analysis_eis_fit.py.
"""
import math

import numpy as np
import pytest

from press_control.analysis.eis_fit import area_specific_ohm_cm2, fit_spectrum
from press_control.hardware.impedance_analyzer import log_frequencies
from press_control.sim.cell import CellModel

FREQUENCIES = log_frequencies(20.0, 2.0e6, 8)


def _settled_cell(pressure_mpa, seed=0):
    cell = CellModel(seed=seed)
    cell.step(0.1, 392.0)
    for _ in range(3000):
        cell.step(0.2, pressure_mpa)
    return cell


def _fit(cell):
    return fit_spectrum(FREQUENCIES, [cell.impedance(f) for f in FREQUENCIES],
                        cell.die_area_mm2 / 100.0)


@pytest.mark.parametrize("pressure", [5.0, 10.0, 25.0, 50.0, 100.0])
def test_interface_resistance_within_10_percent_of_truth(pressure):
    cell = _settled_cell(pressure, seed=int(pressure))
    fit = _fit(cell)
    assert fit.ok
    assert fit.interface_ohm == pytest.approx(cell.interface_resistance_ohm(), rel=0.10)
    # the grain-boundary arc of a dense cell at 25 C lies above 2 MHz: R0 holds it
    assert fit.bulk_ohm == pytest.approx(cell.bulk_resistance_ohm() +
                                         cell.grain_boundary_resistance_ohm(), rel=0.10)
    assert 0 < fit.interface_std_ohm < 0.1 * fit.interface_ohm


def test_fitted_pressure_exponent_is_minus_half():
    pressures = np.array([5.0, 10.0, 20.0, 40.0, 70.0, 100.0])
    fitted = [_fit(c).interface_ohm
              for c in (_settled_cell(p) for p in pressures)]
    slope = np.polyfit(np.log(pressures), np.log(fitted), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.05)


def test_diffusion_term_is_kept_only_when_the_data_need_it():
    cell = _settled_cell(25.0)
    with_tail = _fit(cell)
    cell.p.warburg_sigma_ohm_s = 0.0
    without = _fit(cell)
    assert with_tail.with_diffusion and not without.with_diffusion


def test_area_specific_resistance_is_resistance_times_area():
    # 30 ohm on a 10 mm die (78.54 mm^2 = 0.7854 cm^2), worked by hand
    assert area_specific_ohm_cm2(30.0, 78.54) == pytest.approx(23.562)
    assert math.isnan(area_specific_ohm_cm2(math.nan, 78.54))
    assert math.isnan(area_specific_ohm_cm2(30.0, 0.0))


def test_a_cold_cell_shows_its_grain_boundary_arc_and_the_fit_names_it():
    cell = _settled_cell(25.0, seed=7)
    for temperature in (-30.0, -20.0):
        cell.temperature_c = temperature
        fit = _fit(cell)
        assert fit.grain_boundary_ohm == pytest.approx(cell.grain_boundary_resistance_ohm(),
                                                       rel=0.10)
        # the bulk is 20 times larger at -30 C: the interface arc is 2 % of |Z|
        assert fit.interface_ohm == pytest.approx(cell.interface_resistance_ohm(), rel=0.10) \
            or "not determined" in fit.reason, (temperature, fit.interface_ohm, fit.reason)


def test_the_interface_is_the_same_material_on_a_larger_die():
    small = _settled_cell(25.0, seed=8)
    large = CellModel(seed=9, die_area_mm2=math.pi * 6.5 ** 2)
    large.step(0.1, 392.0)
    for _ in range(3000):
        large.step(0.2, 25.0)
    asr = [_fit(c).interface_ohm * c.die_area_mm2 / 100.0 for c in (small, large)]
    assert asr[0] == pytest.approx(asr[1], rel=0.03)
    assert asr[0] == pytest.approx(small.p.interface_asr_ref_ohm_cm2, rel=0.05)

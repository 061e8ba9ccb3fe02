"""EIS circuit fit against the simulated cell (noise on)."""
import math

import numpy as np
import pytest

from press_control.analysis.circuit_fit import area_specific_ohm_cm2, fit_circuit
from press_control.hardware.impedance_analyzer import log_frequencies
from press_control.sim.cell import CellModel

FREQUENCIES = log_frequencies(20.0, 2.0e6, 8)


def _settled_cell(pressure_mpa, seed=0):
    cell = CellModel(seed=seed)
    cell.step(0.1, 392.0)
    for _ in range(3000):
        cell.step(0.2, pressure_mpa)
    return cell


@pytest.mark.parametrize("pressure", [5.0, 10.0, 25.0, 50.0, 100.0])
def test_interface_resistance_within_10_percent_of_truth(pressure):
    cell = _settled_cell(pressure, seed=int(pressure))
    fit = fit_circuit(FREQUENCIES, [cell.impedance(f) for f in FREQUENCIES])
    assert fit.ok
    assert fit.interface_ohm == pytest.approx(cell.interface_resistance_ohm(), rel=0.10)
    assert fit.bulk_ohm == pytest.approx(cell.bulk_resistance_ohm(), rel=0.10)
    assert 0 < fit.interface_std_ohm < 0.1 * fit.interface_ohm


def test_fitted_pressure_exponent_is_minus_half():
    pressures = np.array([5.0, 10.0, 20.0, 40.0, 70.0, 100.0])
    fitted = [fit_circuit(FREQUENCIES, [c.impedance(f) for f in FREQUENCIES]).interface_ohm
              for c in (_settled_cell(p) for p in pressures)]
    slope = np.polyfit(np.log(pressures), np.log(fitted), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.05)


def test_diffusion_term_is_kept_only_when_the_data_need_it():
    cell = _settled_cell(25.0)
    with_tail = fit_circuit(FREQUENCIES, [cell.impedance(f) for f in FREQUENCIES])
    cell.p.warburg_sigma_ohm_s = 0.0
    without = fit_circuit(FREQUENCIES, [cell.impedance(f) for f in FREQUENCIES])
    assert with_tail.with_diffusion and not without.with_diffusion


def test_area_specific_resistance_is_resistance_times_area():
    # 30 ohm on a 10 mm die (78.54 mm^2 = 0.7854 cm^2), worked by hand
    assert area_specific_ohm_cm2(30.0, 78.54) == pytest.approx(23.562)
    assert math.isnan(area_specific_ohm_cm2(math.nan, 78.54))
    assert math.isnan(area_specific_ohm_cm2(30.0, 0.0))

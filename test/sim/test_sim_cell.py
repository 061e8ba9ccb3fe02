"""Cell model against the literature numbers in docs/simulator.md (Sources)."""
import math

import numpy as np
import pytest

from press_control.sim.cell import CellModel, CellPreset


def _settle(cell, pressure, seconds, dt=0.05):
    for _ in range(int(seconds / dt)):
        cell.step(dt, pressure)


def test_heckel_density_at_370_mpa_is_about_82_percent():
    cell = CellModel()
    assert 0.80 <= cell.density_at(370.0) <= 0.85
    _settle(cell, 370.0, 300.0, dt=0.5)
    assert cell.relative_density == pytest.approx(cell.density_at(370.0), abs=1e-4)


def test_density_is_kept_and_thickness_springs_back_on_release():
    cell = CellModel()
    _settle(cell, 392.0, 300.0, dt=0.5)
    loaded = cell.thickness_mm
    _settle(cell, 0.0, 1.0)
    assert cell.relative_density == pytest.approx(cell.density_at(392.0), abs=1e-4)
    assert cell.thickness_mm > loaded * 1.01


def _heckel_y(cell):
    return -math.log(1.0 - cell.relative_density)


def test_the_heckel_plot_bends_at_low_pressure_and_is_straight_above():
    """Particle rearrangement adds density below a few tens of MPa; above, ln(1/(1-D)) is
    linear in pressure with slope K."""
    cell = CellModel()
    pressures, exponents = [], []
    for pressure in range(2, 392, 2):
        _settle(cell, float(pressure), 200.0, dt=5.0)          # consolidated at each level
        pressures.append(float(pressure))
        exponents.append(_heckel_y(cell))
    pressures, exponents = np.array(pressures), np.array(exponents)
    low = np.polyfit(pressures[pressures <= 20], exponents[pressures <= 20], 1)[0]
    high = pressures >= 60
    slope, intercept = np.polyfit(pressures[high], exponents[high], 1)
    residual = exponents[high] - (slope * pressures[high] + intercept)
    assert slope == pytest.approx(cell.p.heckel_k_per_mpa, rel=0.01)
    assert np.max(np.abs(residual)) < 1e-3
    assert low > 2.0 * slope


def test_a_hold_keeps_consolidating_and_then_stops():
    cell = CellModel()
    _settle(cell, 370.0, 0.5, dt=0.05)
    reached = cell.relative_density
    _settle(cell, 370.0, cell.p.consolidation_time_s, dt=0.05)
    one_tau = cell.relative_density
    _settle(cell, 370.0, 10 * cell.p.consolidation_time_s, dt=0.5)
    final = cell.relative_density
    assert reached < one_tau < final
    gained = _heckel_y(cell) - (-math.log(1 - reached))
    assert gained == pytest.approx(cell.p.consolidation_share * cell.p.heckel_k_per_mpa * 370,
                                   rel=0.05)
    assert (-math.log(1 - one_tau) + math.log(1 - reached)) / gained == \
        pytest.approx(1 - math.exp(-1), abs=0.03)
    _settle(cell, 25.0, 100.0, dt=0.5)
    assert cell.relative_density == pytest.approx(final)      # densification is kept


def test_interface_resistance_exponent_is_minus_half_over_5_to_100_mpa():
    pressures = np.array([5.0, 10.0, 20.0, 40.0, 70.0, 100.0])
    resistances = []
    for pressure in pressures:
        cell = CellModel()
        _settle(cell, 392.0, 60.0, dt=0.5)        # a densified separator (R ~ D^-3)
        cell.contact = 0.0
        _settle(cell, 25.0, 300.0, dt=0.5)        # the Li foil attached at 25 MPa first
        _settle(cell, pressure, 10.0, dt=0.5)
        resistances.append(cell.interface_resistance_ohm())
    slope = np.polyfit(np.log(pressures), np.log(resistances), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.05)


def test_li_creep_at_25_mpa_falls_from_over_500_to_about_32_ohm():
    cell = CellModel()
    _settle(cell, 370.0, 60.0, dt=0.5)            # densified to the anchor's 82 %
    cell.contact = 0.0                            # fresh foil
    cell.step(0.01, 25.0)
    assert cell.interface_resistance_ohm() > 500.0
    _settle(cell, 25.0, 300.0)
    assert 30.0 <= cell.interface_resistance_ohm() <= 35.0


def test_delamination_when_stack_pressure_falls_during_cycling():
    cell = CellModel()
    _settle(cell, 50.0, 300.0)
    contact = cell.interface_resistance_ohm()
    cell.cycling = True
    _settle(cell, 1.0, 10.0)
    assert cell.interface_resistance_ohm() > 3 * contact


def _contact_kept(pressure_mpa, seconds=120.0, cycling=True, temperature_c=25.0,
                  **preset):
    """Interface resistance at the end over that just after the step to pressure_mpa."""
    cell = CellModel(CellPreset(**preset))
    _settle(cell, 50.0, 300.0)
    cell.cycling, cell.temperature_c = cycling, temperature_c
    cell.step(0.05, pressure_mpa)
    start = cell.interface_resistance_ohm()
    _settle(cell, pressure_mpa, seconds)
    return cell.interface_resistance_ohm() / start


def test_low_stack_pressure_alone_opens_no_voids():
    assert _contact_kept(1.0, cycling=False) == pytest.approx(1.0, abs=1e-6)


def test_cycling_at_5_mpa_keeps_the_interface():
    # Doux et al. (Adv. Energy Mater. 2020) plated and stripped Li|Li6PS5Cl|Li at 5 MPa for
    # more than 1000 h.
    assert _contact_kept(5.0, seconds=600.0) == pytest.approx(1.0, abs=1e-6)


def test_voids_open_when_stripping_outruns_creep():
    # Kasemchainan et al. (Nat. Mater. 2019): above the critical stripping current voids
    # form; the critical current rises with stack pressure and, as Li creep does, with
    # temperature.
    assert _contact_kept(2.0, seconds=30.0, cycling_current_ma_cm2=0.1) == \
        pytest.approx(1.0, abs=1e-6)
    assert _contact_kept(2.0, seconds=30.0, cycling_current_ma_cm2=0.5) > 2.0
    assert _contact_kept(2.0, seconds=30.0) > 1.2                   # 0.2 mA/cm2, 25 C
    assert _contact_kept(2.0, seconds=30.0, temperature_c=60.0) == \
        pytest.approx(1.0, abs=1e-6)
    assert 1.0 < _contact_kept(4.0, seconds=5.0, cycling_current_ma_cm2=0.5) < \
        _contact_kept(2.0, seconds=5.0, cycling_current_ma_cm2=0.5)


def test_breathing_moves_force_at_fixed_platen_and_is_zero_when_not_cycling():
    cell = CellModel()
    assert cell.step(0.01, 50.0) == 0.0
    cell.cycling = True
    rates = [cell.step(0.1, 50.0) for _ in range(600)]
    assert max(rates) > 0 > min(rates)


def test_short_collapses_the_impedance():
    cell = CellModel()
    _settle(cell, 50.0, 100.0)
    before = abs(cell.impedance(1000.0, noise=False))
    cell.shorted = True
    assert abs(cell.impedance(1000.0, noise=False)) < 0.05 * before


# Li creep: power law in stress above yield, Arrhenius in temperature. The figures are the
# papers' (Masias et al., J. Mater. Sci. 54, 2585 (2019); LePage et al., J. Electrochem.
# Soc. 166, A89 (2019)), written here, not read from the model.
CREEP_EXPONENT, YIELD_MPA, ACTIVATION_J_MOL = 6.6, 0.8, 37000.0


def _time_to_half_contact(pressure_mpa, temperature_c=25.0, dt=0.001):
    cell = CellModel()
    cell.temperature_c = temperature_c
    while cell.contact < 0.5:
        cell.step(dt, pressure_mpa)
    return cell.time_s


def test_li_creeps_by_the_power_law_in_stack_pressure():
    measured = _time_to_half_contact(20.0) / _time_to_half_contact(40.0, dt=0.0001)
    expected = ((40.0 - YIELD_MPA) / (20.0 - YIELD_MPA)) ** CREEP_EXPONENT
    assert measured == pytest.approx(expected, rel=0.05)


def test_li_creeps_faster_when_warm_by_its_activation_energy():
    measured = _time_to_half_contact(25.0) / _time_to_half_contact(25.0, 60.0)
    expected = math.exp(ACTIVATION_J_MOL / 8.314 * (1 / 298.15 - 1 / 333.15))
    assert measured == pytest.approx(expected, rel=0.05)


def test_below_the_yield_stress_li_does_not_creep():
    cell = CellModel()
    _settle(cell, 0.7, 60.0, dt=0.5)
    assert cell.contact == 0.0


def _hours_to_short(pressure_mpa, limit_h=2000.0):
    cell = CellModel()
    cell.step(1.0, 392.0)                          # a densified separator
    cell.cycling = True
    dt = 5.0
    while not cell.shorted and cell.time_s < limit_h * 3600:
        cell.step(dt, pressure_mpa)
    return cell.time_s / 3600 if cell.shorted else math.inf


def test_shorting_risk_rises_steeply_with_stack_pressure_and_5_mpa_is_safe():
    """Doux et al. (Adv. Energy Mater. 2020): Li crept through Li6PS5Cl at high stack
    pressure; Li|Li6PS5Cl|Li cycled at 5 MPa for more than 1000 h."""
    at_5, at_25, at_60 = (_hours_to_short(p) for p in (5.0, 25.0, 60.0))
    assert at_5 == math.inf                       # not within 2000 h
    assert at_60 < 1.0 < at_25 < 2000.0

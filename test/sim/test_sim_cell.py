"""Cell model against the literature numbers in docs/simulator.md (Sources)."""
import numpy as np
import pytest

from press_control.sim.cell import CellModel


def _settle(cell, pressure, seconds, dt=0.05):
    for _ in range(int(seconds / dt)):
        cell.step(dt, pressure)


def test_heckel_density_at_370_mpa_is_about_82_percent():
    cell = CellModel()
    assert 0.80 <= cell.density_at(370.0) <= 0.85
    _settle(cell, 370.0, 1.0)
    assert cell.relative_density == pytest.approx(cell.density_at(370.0))


def test_density_is_kept_and_thickness_springs_back_on_release():
    cell = CellModel()
    _settle(cell, 392.0, 1.0)
    loaded = cell.thickness_mm
    _settle(cell, 0.0, 1.0)
    assert cell.relative_density == pytest.approx(cell.density_at(392.0))
    assert cell.thickness_mm > loaded * 1.01


def test_interface_resistance_exponent_is_minus_half_over_5_to_100_mpa():
    pressures = np.array([5.0, 10.0, 20.0, 40.0, 70.0, 100.0])
    resistances = []
    for pressure in pressures:
        cell = CellModel()
        _settle(cell, pressure, 600.0, dt=0.5)
        resistances.append(cell.interface_resistance_ohm())
    slope = np.polyfit(np.log(pressures), np.log(resistances), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.05)


def test_li_creep_at_25_mpa_falls_from_over_500_to_about_32_ohm():
    cell = CellModel()
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

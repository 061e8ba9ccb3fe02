"""The twin's compaction and conductivity against the published table (Miß et al. 2026).

Oracle: the CSV as published and the paper's porosity definition, written out here.
"""
import csv
import math

import pytest

from press_control.resources import config_path
from press_control.sim.cell import PRESETS, CellModel

AREA_MM2 = math.pi * 5.0 ** 2             # the paper's 0.5 cm radius, our d10 die
CONSTANTS = {"Li5.5PS4.5Cl1.5": ("li5.5ps4.5cl1.5", 80.2, 1.87, 67000.0),
             "NMC622": ("nmc622", 80.0, 4.48, 180000.0)}


def published():
    with open(config_path("compaction/miss2026_table_s2.csv"), newline="") as table:
        rows = list(csv.DictReader(table))
    for name, (preset, mass, rho0, modulus) in CONSTANTS.items():
        solid_mm = mass / rho0 / AREA_MM2
        steps = [(float(r["pressure_mpa"]), float(r["thickness_under_load_mm"]),
                  float(r["thickness_after_release_mm"])) for r in rows
                 if r["material"] == name]
        yield preset, solid_mm, modulus, steps


def porosity(solid_mm, thickness_mm, pressure_mpa, modulus_mpa):
    return 1.0 - solid_mm / (thickness_mm + solid_mm * pressure_mpa / modulus_mpa)


def settle(cell, pressure, seconds, dt=0.5):
    for _ in range(int(seconds / dt)):
        cell.step(dt, pressure)


@pytest.mark.parametrize("preset,solid_mm,modulus,steps", list(published()),
                         ids=lambda value: value if isinstance(value, str) else "")
def test_every_published_step_is_reproduced_within_one_point_of_porosity(
        preset, solid_mm, modulus, steps):
    cell = CellModel(PRESETS[preset], die_area_mm2=AREA_MM2)
    for pressure, loaded_mm, released_mm in steps:        # stepwise, released each time
        settle(cell, pressure, 10 * cell.p.consolidation_time_s)
        twin = porosity(solid_mm, cell.thickness_mm, pressure, modulus)
        assert twin == pytest.approx(porosity(solid_mm, loaded_mm, pressure, modulus),
                                     abs=0.01), (pressure, "under load")
        settle(cell, 0.11, 5.0)                           # the paper's 110 kPa
        twin = porosity(solid_mm, cell.thickness_mm, 0.0, modulus)
        assert twin == pytest.approx(porosity(solid_mm, released_mm, 0.0, modulus),
                                     abs=0.01), (pressure, "after release")


def test_re_pressing_below_the_peak_does_not_densify_and_past_it_does():
    cell = CellModel(PRESETS["li5.5ps4.5cl1.5"], die_area_mm2=AREA_MM2)
    settle(cell, 200.0, 200.0)
    settle(cell, 0.11, 5.0)
    released = cell.relative_density
    thickness_at_peak = None
    for pressure in (50.0, 150.0, 200.0):
        settle(cell, pressure, 200.0)
        # below the peak nothing; at it only the last of the creep (1e-4 of density)
        assert cell.relative_density == pytest.approx(released, abs=1e-9 if pressure < 200
                                                      else 1e-4), pressure
        thickness_at_peak = cell.thickness_mm
    settle(cell, 300.0, 200.0)
    assert cell.relative_density > released + 0.01
    assert cell.thickness_mm < thickness_at_peak
    fresh = CellModel(PRESETS["li5.5ps4.5cl1.5"], die_area_mm2=AREA_MM2)
    settle(fresh, 300.0, 200.0)                          # as if pressed there at once
    assert cell.thickness_mm == pytest.approx(fresh.thickness_mm, rel=1e-6)


def test_the_twins_thickness_under_load_never_exceeds_the_released_one():
    for preset in ("li5.5ps4.5cl1.5", "nmc622"):
        cell = CellModel(PRESETS[preset], die_area_mm2=AREA_MM2)
        for pressure in (1.0, 5.0, 20.0, 45.0, 120.0, 390.0):
            settle(cell, pressure, 100.0)
            loaded = cell.thickness_mm
            settle(cell, 0.0, 2.0)
            assert loaded <= cell.thickness_mm, (preset, pressure)


def test_conductivity_follows_the_effective_medium_law_when_dense_and_falls_below_it_when_not():
    cell = CellModel(PRESETS["li5.5ps4.5cl1.5"], die_area_mm2=AREA_MM2)
    seen = []
    for pressure in (10.0, 20.0, 40.0, 70.0, 150.0, 250.0, 400.0):
        settle(cell, pressure, 200.0)
        eps = porosity(cell.p.solid_volume_mm3 / AREA_MM2, cell.thickness_mm, pressure,
                       67000.0)
        law = 4.1e-3 * (1.0 - eps) ** 1.5               # sigma0 of Miß et al. 2026
        seen.append((eps, cell.ionic_conductivity_s_cm() / law))
        resistance = (cell.thickness_mm / 10.0) / (cell.ionic_conductivity_s_cm() *
                                                   AREA_MM2 / 100.0)
        assert cell.bulk_resistance_ohm() == pytest.approx(resistance, rel=1e-9)
    dense = [ratio for eps, ratio in seen if eps < 0.17]
    loose = [ratio for eps, ratio in seen if eps > 0.22]
    assert dense and all(ratio == pytest.approx(1.0, rel=1e-9) for ratio in dense)
    assert loose and all(ratio < 0.5 for ratio in loose)


def test_conductivity_keeps_its_arrhenius_temperature_dependence():
    cell = CellModel(PRESETS["li5.5ps4.5cl1.5"], die_area_mm2=AREA_MM2)
    settle(cell, 300.0, 200.0)
    cold = cell.bulk_resistance_ohm()
    cell.temperature_c = 60.0
    ratio = math.exp(cell.p.bulk_activation_ev / 8.617333262e-5 *
                     (1.0 / 333.15 - 1.0 / 298.15))
    assert cell.bulk_resistance_ohm() == pytest.approx(cold * ratio, rel=1e-9)

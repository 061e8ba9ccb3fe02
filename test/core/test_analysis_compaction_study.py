"""A compaction study's summary from sweeps made of the published table (Miß et al. 2026)."""
import csv
import math

import numpy as np
import pytest

from press_control.analysis.compaction import Powder
from press_control.analysis.compaction_study import STEP_FIELDS, steps_csv, summarize
from press_control.resources import config_path

AREA_MM2 = math.pi * 25.0
POWDER = Powder(80.2, AREA_MM2, 1.87, 67000.0)


def published_sweeps():
    with open(config_path("compaction/miss2026_table_s2.csv"), newline="") as table:
        rows = [r for r in csv.DictReader(table) if r["material"] == "Li5.5PS4.5Cl1.5"]
    solid = 80.2 / 1.87 / AREA_MM2
    sweeps, truth = [], []
    for row in rows:
        pressure = float(row["pressure_mpa"])
        loaded = float(row["thickness_under_load_mm"])
        released = float(row["thickness_after_release_mm"])
        porosity = 1.0 - solid / (loaded + solid * pressure / 67000.0)
        sigma = 4.1e-3 * (1.0 - porosity) ** 1.5
        if porosity > 0.2:
            sigma *= 0.2                                 # contact-limited: off the law
        resistance = (loaded / 10.0) / (sigma * AREA_MM2 / 100.0)
        sweeps += [{"target_mpa": pressure, "pressure_mpa": pressure, "thickness_mm": loaded,
                    "bulk_resistance_ohm": resistance, "segment": 0},
                   {"target_mpa": 2.0, "pressure_mpa": 2.0, "thickness_mm": released,
                    "bulk_resistance_ohm": resistance * 1.1, "segment": 0}]
        truth.append((pressure, porosity, 1.0 - solid / released, sigma))
    return sweeps, truth


def test_the_steps_pair_each_load_with_its_release_and_use_the_papers_porosity():
    sweeps, truth = published_sweeps()
    result = summarize(sweeps, POWDER)
    assert [s["pressure_mpa"] for s in result["steps"]] == [t[0] for t in truth]
    for step, (pressure, loaded, released, sigma) in zip(result["steps"], truth):
        assert step["porosity_under_load"] == pytest.approx(loaded, abs=1e-12)
        assert step["porosity_after_release"] == pytest.approx(released, abs=1e-12)
        assert step["ionic_conductivity_under_load_s_cm"] == pytest.approx(sigma, rel=1e-12)
        assert step["springback_percent"] == pytest.approx(
            100 * (step["thickness_after_release_mm"] / step["thickness_under_load_mm"] - 1))


def test_the_fits_of_the_summary():
    sweeps, truth = published_sweeps()
    result = summarize(sweeps, POWDER)
    pressures = np.array([t[0] for t in truth])
    porosity = np.array([t[1] for t in truth])
    dense = pressures >= 50.0
    k, a = np.polyfit(pressures[dense], np.log(1.0 / porosity[dense]), 1)
    assert result["heckel"]["k_per_mpa"] == pytest.approx(k)
    assert result["heckel"]["a"] == pytest.approx(a)
    assert result["heckel"]["yield_pressure_mpa"] == pytest.approx(1.0 / k)
    assert result["heckel"]["range_mpa"] == [50.0, 400.0]
    assert result["mwbh"]["sigma0_s_cm"] == pytest.approx(4.1e-3)  # the porous points left out
    assert result["mwbh"]["porosity_range"][1] <= 0.18
    assert 0.0 < result["kawakita"]["a"] < 1.0 and result["kawakita"]["b"] > 0.0


def test_too_few_steps_say_why_instead_of_a_fit():
    sweeps, _ = published_sweeps()
    result = summarize(sweeps[:2], POWDER)
    assert len(result["steps"]) == 1
    assert "error" in result["heckel"] and "error" in result["kawakita"]


def test_the_csv_has_a_row_per_step_and_blanks_for_what_is_missing():
    sweeps, _ = published_sweeps()
    result = summarize(sweeps[:3], POWDER)           # the second step's release is missing
    lines = steps_csv(result).splitlines()
    assert lines[0] == ",".join(STEP_FIELDS)
    assert len(lines) == 3 and lines[2].split(",")[2] == ""

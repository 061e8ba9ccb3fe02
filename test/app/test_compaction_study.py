"""A compaction study through the running nodes on the twin of Miß et al. 2026's powder.

Oracle: the paper's table (its porosity at each pressure, under load and after release)
and its effective-medium fit (sigma0 = 4.1 mS/cm); the summary is read as plain JSON.
"""
import csv
import json
import math
import os
import subprocess
import sys

import jsonschema
import pytest

from press_control.resources import config_path

PRESSCTL = [sys.executable, "-m", "press_control.app.cli"]
STEPS = (50.0, 150.0, 300.0)
SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "summary.schema.json")


def published_porosity():
    """{pressure: (porosity under load, after release)} of Li5.5PS4.5Cl1.5, Table S2."""
    solid = 80.2 / 1.87 / (math.pi * 25.0)
    with open(config_path("compaction/miss2026_table_s2.csv"), newline="") as table:
        return {float(r["pressure_mpa"]): (
            1.0 - solid / (float(r["thickness_under_load_mm"]) +
                           solid * float(r["pressure_mpa"]) / 67000.0),
            1.0 - solid / float(r["thickness_after_release_mm"]))
            for r in csv.DictReader(table) if r["material"] == "Li5.5PS4.5Cl1.5"}


@pytest.mark.minutes(220)
def test_a_compaction_study_measures_the_published_curve(started, tmp_path):
    presets = tmp_path / "profiles.yaml"
    presets.write_text("presets:\n  compaction_study:\n    study: compaction\n"
                       f"    steps_mpa: {list(STEPS)}\n    rate_mpa_s: 10.0\n"
                       "    hold_max_s: 40.0\n    released_hold_s: 3.0\n")
    cell = started(record_dir=str(tmp_path / "runs"), arm_interlock=False,
                   sim_cell="li5.5ps4.5cl1.5", server_parameters={"presets_file": str(presets)})
    assert cell.wait_ready(90.0) == ""
    run = subprocess.run(PRESSCTL + ["run-profile", "compaction_study", "--cell", "batch-7",
                                     "--electrolyte", "li5.5ps4.5cl1.5", "--mass-mg", "80.2"],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, (run.stdout[-1500:], run.stderr[-3000:])
    assert cell.sim.true_pressure_mpa() < 1.0                     # ends released
    folders = os.listdir(tmp_path / "runs")
    assert len(folders) == 1
    folder = tmp_path / "runs" / folders[0]
    summary = json.loads((folder / "summary.json").read_text())
    jsonschema.validate(summary, json.loads(open(SCHEMA).read()))
    steps = summary["compaction"]["steps"]
    assert [s["pressure_mpa"] for s in steps] == list(STEPS)
    paper = published_porosity()
    for step in steps:
        loaded, released = paper[step["pressure_mpa"]]
        # the twin's fit (0.7 points) plus the die calibration and the thickness noise
        assert step["porosity_under_load"] == pytest.approx(loaded, abs=0.015), step
        assert step["porosity_after_release"] == pytest.approx(released, abs=0.015), step
        assert step["springback_percent"] > 0.0
    mwbh = summary["compaction"]["mwbh"]
    assert mwbh["sigma0_s_cm"] == pytest.approx(4.1e-3, rel=0.1)
    assert summary["compaction"]["heckel"]["range_mpa"] == [50.0, 300.0]
    with open(folder / "compaction.csv", newline="") as table:
        assert len(list(csv.DictReader(table))) == len(STEPS)
    shown = subprocess.run(PRESSCTL + ["runs", "show", folders[0], "--dir",
                                       str(tmp_path / "runs")],
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "compaction study:" in shown.stdout
    assert "Heckel (50-300 MPa)" in shown.stdout

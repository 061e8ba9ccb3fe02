"""`pressctl runs`: recent records listed newest first, one run shown, unknown ones refused."""
import datetime
import json
import math
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy
from matplotlib import image
from press_control.records.run_record import RunRecord, Spectrum


def _pressctl(*args):
    return subprocess.run([sys.executable, "-m", "press_control.app.cli", *args],
                          capture_output=True, text=True, timeout=60)


def _records(root):
    day = datetime.datetime(2026, 11, 26, 9, 0, tzinfo=datetime.timezone.utc)
    first = RunRecord(root, "cell-a", {"preset": "demo_cell"}, started=day)
    first.finish({"outcome": "SUCCEEDED", "peak_mpa": 392.04,
                  "final_interface_resistance_ohm": 41.26})
    second = RunRecord(root, "cell-b", {"preset": ""}, started=day + datetime.timedelta(hours=1))
    second.finish({"outcome": "ABORTED", "peak_mpa": math.nan})
    assert first.wait_for_plot() and second.wait_for_plot()
    return first.folder, second.folder


def test_runs_lists_newest_first_with_outcome_peak_and_interface(tmp_path):
    first, second = _records(str(tmp_path))
    done = _pressctl("runs", "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:4] == ["started", "cell", "preset", "outcome"]
    assert "cell-b" in lines[1] and "custom" in lines[1] and "ABORTED" in lines[1]
    assert lines[1].rstrip().endswith(second) and " - " in lines[1]
    assert "cell-a" in lines[2] and "392.0" in lines[2] and "41.3" in lines[2]
    assert lines[2].rstrip().endswith(first)


def test_runs_show_prints_the_summary_by_unique_prefix(tmp_path):
    first, _ = _records(str(tmp_path))
    done = _pressctl("runs", "show", "cell-a", "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert f"folder: {first}" in done.stdout
    body = done.stdout.split("\n", 1)[1].rsplit("\nfiles:", 1)[0]
    assert json.loads(body)["status"] == "SUCCEEDED"
    assert "summary.json" in done.stdout and "plot.png" in done.stdout


def test_unknown_or_ambiguous_runs_are_refused_in_one_line(tmp_path):
    _records(str(tmp_path))
    for name in ("cell-x", "cell-"):
        done = _pressctl("runs", "show", name, "--dir", str(tmp_path))
        assert done.returncode == 1 and done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    empty = _pressctl("runs", "--dir", str(tmp_path / "none"))
    assert empty.returncode == 1 and "no run records" in empty.stderr
    assert os.path.isdir(tmp_path)


def _pressed(root, cell_id, plot):
    """A short run with samples, segments and two sweeps; plot drawn at the end or not."""
    day = datetime.datetime(2026, 11, 26, 10, 0, tzinfo=datetime.timezone.utc)
    segments = [SimpleNamespace(type="ramp", target_mpa=40.0),
                SimpleNamespace(type="release", target_mpa=0.0)]
    record = RunRecord(root, cell_id, {"preset": "", "segments": [vars(s) for s in segments]},
                       started=day)
    for step in range(200):
        record.add_sample(time_s=step * 0.05, segment=step // 120, phase="ramping",
                          setpoint_mpa=0.2 * step, measured_mpa=0.2 * step - 0.1,
                          error_mpa=0.1, relative_density=0.6 + step / 1000,
                          impedance_ohm=400.0 - step, interface_resistance_ohm=math.nan
                          if step < 50 else 90.0 - step / 10)
    for scale in (1.0, 0.5):
        frequencies = [10 ** (6 - k / 4) for k in range(24)]
        record.add_spectrum(Spectrum(frequencies, [scale * (20 + 80 / (1 + (f / 1e3) ** 2))
                                                   for f in frequencies],
                                     [-scale * 80 * (f / 1e3) / (1 + (f / 1e3) ** 2)
                                      for f in frequencies]))
    record.finish({"outcome": "SUCCEEDED", "peak_mpa": 39.9}, segments, plot=plot)
    return record


def test_runs_plot_draws_a_record_kept_without_one_as_the_run_would_have(tmp_path):
    drawn = _pressed(str(tmp_path / "drawn"), "cell-p", plot=True)
    assert drawn.wait_for_plot()
    bare = _pressed(str(tmp_path / "bare"), "cell-p", plot=False)
    assert not os.path.exists(os.path.join(bare.folder, "plot.png"))
    assert json.load(open(os.path.join(bare.folder, "summary.json")))["plot"] == "off"
    done = _pressctl("runs", "plot", "cell-p", "--dir", str(tmp_path / "bare"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [os.path.join(bare.folder, "plot.png"),
                                   os.path.join(bare.folder, "plot.svg")]
    assert json.load(open(os.path.join(bare.folder, "summary.json")))["plot"] == "drawn"
    # the oracle: the plot the run itself drew from what it had in memory, pixel for pixel
    again, original = (image.imread(os.path.join(r.folder, "plot.png")) for r in (bare, drawn))
    assert again.shape == original.shape and numpy.array_equal(again, original)


def test_runs_plot_refuses_an_unknown_run_or_a_broken_record(tmp_path):
    record = _pressed(str(tmp_path), "cell-q", plot=False)
    assert _pressctl("runs", "plot", "cell-x", "--dir", str(tmp_path)).returncode == 1
    with open(os.path.join(record.folder, "samples.csv"), "a") as stream:
        stream.write("1.0,zero,ramping,1,1,0,0.6,400,\n")
    done = _pressctl("runs", "plot", "cell-q", "--dir", str(tmp_path))
    assert done.returncode == 1 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "cannot be plotted" in done.stderr


def test_runs_and_runs_show_answer_in_json_for_scripts(tmp_path):
    first, second = _records(str(tmp_path))
    listed = _pressctl("runs", "--json", "--dir", str(tmp_path))
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)
    assert [r["folder"] for r in runs] == [second, first]
    assert runs[1]["summary"]["peak_mpa"] == 392.04
    shown = _pressctl("runs", "show", "cell-b", "--json", "--dir", str(tmp_path))
    assert shown.returncode == 0, shown.stderr
    one = json.loads(shown.stdout)
    assert one["folder"] == second and one["summary"]["status"] == "ABORTED"
    assert "summary.json" in one["files"] and one["summary"]["peak_mpa"] is None
    empty = _pressctl("runs", "--json", "--dir", str(tmp_path / "none"))
    assert empty.returncode == 1 and json.loads(empty.stdout) == []


def test_runs_show_prints_a_compaction_studys_table(tmp_path):
    record = RunRecord(str(tmp_path), "batch-1", {
        "preset": "compaction_study", "die_area_mm2": 78.54,
        "stack": {"electrolyte": "li5.5ps4.5cl1.5", "electrolyte_mass_mg": 80.2,
                  "true_density_g_cm3": 1.87, "anode": "none", "max_temperature_c": None}})
    sweeps = []
    for pressure, loaded, released, ohm in ((50, 0.680625, 0.6875, 60.0),
                                            (100, 0.6475, 0.66, 30.0),
                                            (200, 0.604375, 0.6175, 24.0),
                                            (400, 0.566875, 0.5825, 20.0)):
        sweeps += [{"segment": 0, "target_mpa": pressure, "pressure_mpa": pressure,
                    "thickness_mm": loaded, "bulk_resistance_ohm": ohm},
                   {"segment": 0, "target_mpa": 2.0, "pressure_mpa": 2.0,
                    "thickness_mm": released, "bulk_resistance_ohm": ohm}]
    record.finish({"outcome": "SUCCEEDED", "sweeps": sweeps})
    assert record.wait_for_plot()
    assert os.path.exists(os.path.join(record.folder, "compaction.png"))
    assert os.path.exists(os.path.join(record.folder, "compaction.csv"))
    done = _pressctl("runs", "show", "batch-1", "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    table = done.stdout.split("compaction study:", 1)[1].splitlines()
    assert len([line for line in table if line.strip().startswith(("50 ", "100", "200", "400"))
                ]) == 4
    assert "Heckel (50-400 MPa)" in done.stdout and "Kawakita" in done.stdout

"""The plot of a record that was written without one, drawn afterwards from its files."""
import csv
import glob
import math
import os
from types import SimpleNamespace

from press_control.records.plot import plot_run
from press_control.records.run_index import read_summary
from press_control.records.run_record import Spectrum, write_summary

TEXT_COLUMNS = ("phase",)


def _value(column: str, text: str):
    if column in TEXT_COLUMNS:
        return text
    if text == "":
        return math.nan
    number = float(text)
    return int(number) if column == "segment" else number


def read_samples(folder: str) -> list:
    """samples.csv as the rows the run recorded (dicts; an empty cell is NaN)."""
    with open(os.path.join(folder, "samples.csv"), newline="") as stream:
        return [{column: _value(column, text) for column, text in row.items()}
                for row in csv.DictReader(stream)]


def read_spectra(folder: str) -> list:
    """spectra/sweep_NNN.csv in sweep order (frequency, Z', Z'' a line, no header)."""
    spectra = []
    for path in sorted(glob.glob(os.path.join(folder, "spectra", "sweep_*.csv"))):
        with open(path, newline="") as stream:
            lines = [[float(v) for v in row] for row in csv.reader(stream) if row]
        spectra.append(Spectrum(*zip(*lines)) if lines else Spectrum([], [], []))
    return spectra


def plot_record(folder: str) -> list:
    """Draw folder's plot.png and plot.svg as the run's end would have; returns their paths.

    summary.json then says `"plot": "drawn"`.
    """
    summary = read_summary(folder)
    segments = [SimpleNamespace(**segment)
                for segment in (summary.get("goal") or {}).get("segments") or []]
    paths = plot_run(read_samples(folder), segments, read_spectra(folder),
                     os.path.join(folder, "plot"),
                     f"{summary.get('cell_id', '')}: {summary.get('status', '')}")
    summary["plot"] = "drawn"
    summary.pop("plot_error", None)
    write_summary(folder, summary)
    return paths

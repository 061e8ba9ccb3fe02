"""A Nyquist plot in text, for the terminal: -Z'' against Z', equal scales.

The run record's plot.png has the same two sweeps drawn properly; this lets the demo
show them where it prints its summary.
"""
import csv
import glob
import math
import os


def read_sweep(path: str):
    """(Z', Z'') lists of one spectra/sweep_NNN.csv (frequency, Z', Z'' per row)."""
    real, imaginary = [], []
    with open(path) as stream:
        for row in csv.reader(stream):
            if len(row) >= 3:
                real.append(float(row[1]))
                imaginary.append(float(row[2]))
    return real, imaginary


def nyquist_lines(real, imaginary, width: int = 60, height: int = 14, mark: str = "o"):
    """Rows of text: -Z'' up, Z' right, one scale for both.

    A row spans twice the ohms of a column, so a semicircle looks round where a character
    is about twice as tall as it is wide.
    """
    points = [(r, -i) for r, i in zip(real, imaginary) if math.isfinite(r) and math.isfinite(i)]
    if not points:
        return ["(no points)"]
    low_r = min(r for r, _ in points)
    high_r = max(r for r, _ in points)
    top = max(max(y for _, y in points), 0.0)
    bottom = min(min(y for _, y in points), 0.0)
    per_column = max((high_r - low_r) / (width - 1), (top - bottom) / (2 * (height - 1)),
                     1e-12)
    per_row = 2 * per_column
    rows = int(round((top - bottom) / per_row)) + 1
    grid = [[" "] * width for _ in range(rows)]
    zero_row = int(round((top - 0.0) / per_row))
    for column in range(width):
        grid[zero_row][column] = "-"
    for r, y in points:
        column = int(round((r - low_r) / per_column))
        row = int(round((top - y) / per_row))
        grid[row][min(column, width - 1)] = mark
    lines = ["".join(row).rstrip() for row in grid]
    lines.append(f"Z' {low_r:.4g} .. {high_r:.4g} ohm; -Z'' up to {top:.4g} ohm "
                 f"({per_column:.3g} ohm a column)")
    return lines


def first_and_last(record_dir: str):
    """Paths of the first and the last sweep of a run record ([] when it has none)."""
    sweeps = sorted(glob.glob(os.path.join(record_dir, "spectra", "sweep_*.csv")))
    return sweeps[:1] + sweeps[1:][-1:]

"""The published compaction data the twin is fitted to, read from the package's copy.

Source: V. Miß, F. Lange, S. Staubitz, B. Roling, ACS Appl. Mater. Interfaces 18 (2026)
32830-32836, DOI 10.1021/acsami.6c03789 (CC BY 4.0): in-die thickness under load and after
each step's release to 110 kPa, Supporting Information Table S2
(`config/compaction/miss2026_table_s2.csv`); mass, radius, crystal density and Young's
modulus from Table S1 and the main text (radius 0.5 cm: see config/compaction/README.md).
"""
import csv
import dataclasses
import functools
import math

import numpy as np

from press_control.analysis.compaction import Powder, best_fit
from press_control.resources import config_path

TABLE = "compaction/miss2026_table_s2.csv"
CITATION = ("Miß, Lange, Staubitz & Roling, ACS Appl. Mater. Interfaces 18 (2026) 32830, "
            "DOI 10.1021/acsami.6c03789, Table S2")
DIE_AREA_MM2 = math.pi * 5.0 ** 2          # r = 0.5 cm

# Table S1 and the main text of the paper (constants, not fitted)
POWDERS = {
    "li5.5ps4.5cl1.5": ("Li5.5PS4.5Cl1.5", Powder(80.2, DIE_AREA_MM2, 1.87, 67000.0)),
    "nmc622": ("NMC622", Powder(80.0, DIE_AREA_MM2, 4.48, 180000.0)),
}


@dataclasses.dataclass(frozen=True)
class Series:
    """One powder's steps: pressures and the thickness under load and after release."""

    material: str
    powder: Powder
    pressures_mpa: np.ndarray
    thickness_under_load_mm: np.ndarray
    thickness_after_release_mm: np.ndarray

    @property
    def porosity_under_load(self) -> np.ndarray:
        return self.powder.porosity_under_load(self.thickness_under_load_mm,
                                               self.pressures_mpa)

    @property
    def porosity_after_release(self) -> np.ndarray:
        return self.powder.porosity_after_release(self.thickness_after_release_mm)


def read_table(path: str = None) -> dict:
    """{material key: Series} from the CSV (the key as the simulator and goals name it)."""
    rows = {}
    with open(path or config_path(TABLE), newline="") as table:
        for row in csv.DictReader(table):
            rows.setdefault(row["material"], []).append(row)
    series = {}
    for key, (name, powder) in POWDERS.items():
        points = sorted(rows[name], key=lambda row: float(row["pressure_mpa"]))
        column = lambda field: np.array([float(row[field]) for row in points])  # noqa: E731
        series[key] = Series(name, powder, column("pressure_mpa"),
                             column("thickness_under_load_mm"),
                             column("thickness_after_release_mm"))
    return series


@dataclasses.dataclass(frozen=True)
class FittedCompaction:
    """A powder's porosity under load and after release, each the best law's fit."""

    series: Series
    under_load: object          # CurveFit
    after_release: object       # CurveFit


@functools.lru_cache(maxsize=None)
def fitted(material: str) -> FittedCompaction:
    """The fits of one published powder (computed once per process from the CSV)."""
    series = read_table()[material]
    return FittedCompaction(series, best_fit(series.pressures_mpa, series.porosity_under_load),
                            best_fit(series.pressures_mpa, series.porosity_after_release))


def residual_table() -> str:
    """Markdown: each law's fit to each curve, and the chosen law's residual per point."""
    from press_control.analysis.compaction import LAWS, fit_curve
    lines = ["| material | curve | law | max / rms residual (points of porosity) | chosen |",
             "|---|---|---|---|---|"]
    per_point = []
    for material in POWDERS:
        chosen = fitted(material)
        series = chosen.series
        for label, porosities, best in (
                ("under load", series.porosity_under_load, chosen.under_load),
                ("after release", series.porosity_after_release, chosen.after_release)):
            for law in LAWS:
                fit = fit_curve(law, series.pressures_mpa, porosities)
                lines.append(f"| {series.material} | {label} | {law.law} | "
                             f"{100 * fit.max_abs_residual:.2f} / "
                             f"{100 * fit.rms_residual:.2f} | "
                             f"{'yes' if type(best.curve) is law else ''} |")
        for index, pressure in enumerate(series.pressures_mpa):
            per_point.append(
                f"| {series.material} | {pressure:g} | "
                f"{series.porosity_under_load[index]:.4f} | "
                f"{100 * chosen.under_load.residuals[index]:+.2f} | "
                f"{series.porosity_after_release[index]:.4f} | "
                f"{100 * chosen.after_release.residuals[index]:+.2f} |")
    lines += ["", "| material | p (MPa) | porosity under load | residual (points) | "
              "porosity after release | residual (points) |", "|---|---|---|---|---|---|"]
    return "\n".join(lines + per_point) + "\n"


if __name__ == "__main__":
    print(residual_table(), end="")

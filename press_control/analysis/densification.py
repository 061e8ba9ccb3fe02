"""Densification from the sample thickness: relative density and the Heckel fit.

The thickness comes from the platen position through the die's calibration
(die_calibration.py), which holds everything between sensor and sample.
"""
import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class Sample:
    """Powder in the die: mass, true density and the die area."""

    mass_mg: float
    true_density_g_cm3: float
    die_area_mm2: float
    elastic_modulus_mpa: float = math.inf   # compact's modulus: removes in-die elastic strain

    def plastic_thickness_mm(self, thickness_mm: float, force_kn: float) -> float:
        """Thickness without the elastic strain under load (what remains on release)."""
        pressure = force_kn * 1000.0 / self.die_area_mm2
        return thickness_mm / (1.0 - pressure / self.elastic_modulus_mpa)

    def relative_density(self, thickness_mm: float) -> float:
        if thickness_mm <= 0:
            return math.nan
        solid_volume_mm3 = self.mass_mg / self.true_density_g_cm3
        return solid_volume_mm3 / (self.die_area_mm2 * thickness_mm)


@dataclasses.dataclass
class HeckelFit:
    """ln(1/(1-D)) = K P + A over the pressures of a ramp."""

    k_per_mpa: float
    a: float
    r2: float
    points: int


def heckel_fit(pressures_mpa, densities, min_pressure_mpa: float = 50.0):
    """Least-squares Heckel line, or None with fewer than 10 usable points.

    Only pressures from min_pressure_mpa count: below a few tens of MPa particles
    rearrange and every Heckel plot bends (its curvature would bias K).
    """
    p = np.asarray(pressures_mpa, dtype=float)
    d = np.asarray(densities, dtype=float)
    usable = np.isfinite(p) & np.isfinite(d) & (p >= min_pressure_mpa) & (d > 0) & (d < 1)
    if usable.sum() < 10:
        return None
    y = np.log(1.0 / (1.0 - d[usable]))
    slope, intercept = np.polyfit(p[usable], y, 1)
    predicted = slope * p[usable] + intercept
    total = np.sum((y - y.mean()) ** 2)
    r2 = 1.0 - np.sum((y - predicted) ** 2) / total if total > 0 else math.nan
    return HeckelFit(float(slope), float(intercept), float(r2), int(usable.sum()))

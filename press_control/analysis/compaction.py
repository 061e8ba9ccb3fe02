"""Powder compaction in the die: porosity from thickness, and the laws fitted to it.

Definitions follow Miß, Lange, Staubitz & Roling, "Experimental Setup for In Situ
Determination of Conductivity-Porosity-Pressure Relationships", ACS Appl. Mater.
Interfaces 18 (2026) 32830, DOI 10.1021/acsami.6c03789 (main text and Table S1):
porosity under load eps = 1 - m / (A (d + d_min p / E) rho0), the particles' own elastic
strain d_min p / E added back to the thickness d; after release eps = 1 - d_min / d, with
d_min = m / (A rho0) the thickness of the pore-free solid.

Laws (porosity eps against pressure p in MPa):

* Heckel with the low-pressure curvature of particle rearrangement:
  ln(1/eps) = K p + A + B (1 - exp(-p / P_r))  (Heckel 1961; Denny 2002);
* Kawakita: C = (V0 - V) / V0 = a b p / (1 + b p), V0 the volume at p = 0 (Kawakita &
  Lüdde 1971), here in porosity: eps = 1 - (1 - eps0) / (1 - a b p / (1 + b p));
* the linear Heckel line over a range, for a study's summary (yield pressure 1/K);
* the effective-medium law sigma = sigma0 (1 - eps)^1.5 over the dense range (the form
  Miß et al. fit, after Bruggeman).
"""
import dataclasses
import math

import numpy as np
from scipy.optimize import curve_fit

MWBH_EXPONENT = 1.5


@dataclasses.dataclass(frozen=True)
class Powder:
    """A powder in a cylindrical die: mass, die area, crystal density, Young's modulus."""

    mass_mg: float
    die_area_mm2: float
    crystal_density_g_cm3: float
    youngs_modulus_mpa: float = math.inf

    @property
    def solid_thickness_mm(self) -> float:
        """d_min: the thickness of the same mass without pores."""
        return self.mass_mg / self.crystal_density_g_cm3 / self.die_area_mm2

    def porosity_under_load(self, thickness_mm, pressure_mpa):
        solid = self.solid_thickness_mm
        return 1.0 - solid / (np.asarray(thickness_mm) +
                              solid * np.asarray(pressure_mpa) / self.youngs_modulus_mpa)

    def porosity_after_release(self, thickness_mm):
        return 1.0 - self.solid_thickness_mm / np.asarray(thickness_mm)

    def thickness_under_load_mm(self, porosity, pressure_mpa):
        solid = self.solid_thickness_mm
        return solid / (1.0 - np.asarray(porosity)) - \
            solid * np.asarray(pressure_mpa) / self.youngs_modulus_mpa

    def thickness_after_release_mm(self, porosity):
        return self.solid_thickness_mm / (1.0 - np.asarray(porosity))


@dataclasses.dataclass(frozen=True)
class HeckelCurve:
    """ln(1/eps) = K p + A + B (1 - exp(-p / P_r))."""

    k_per_mpa: float
    a: float
    b: float
    rearrangement_mpa: float
    law = "heckel"

    def porosity(self, pressure_mpa):
        p = np.maximum(np.asarray(pressure_mpa, dtype=float), 0.0)
        return np.exp(-(self.k_per_mpa * p + self.a +
                        self.b * (1.0 - np.exp(-p / self.rearrangement_mpa))))

    START = (0.004, 1.0, 0.3, 20.0)
    BOUNDS = ([1e-6, 0.0, 0.0, 1.0], [0.1, 10.0, 5.0, 500.0])


@dataclasses.dataclass(frozen=True)
class KawakitaCurve:
    """eps = 1 - (1 - eps0) / (1 - a b p / (1 + b p))."""

    porosity_at_zero: float
    a: float
    b_per_mpa: float
    law = "kawakita"

    def porosity(self, pressure_mpa):
        p = np.maximum(np.asarray(pressure_mpa, dtype=float), 0.0)
        squeeze = self.a * self.b_per_mpa * p / (1.0 + self.b_per_mpa * p)
        return 1.0 - (1.0 - self.porosity_at_zero) / (1.0 - squeeze)

    START = (0.4, 0.3, 0.02)
    BOUNDS = ([0.0, 0.0, 1e-6], [0.95, 0.95, 10.0])


LAWS = (HeckelCurve, KawakitaCurve)


@dataclasses.dataclass(frozen=True)
class CurveFit:
    """A law fitted to (pressure, porosity) points, with its residuals (model - data)."""

    curve: object
    pressures_mpa: tuple
    residuals: tuple

    @property
    def max_abs_residual(self) -> float:
        return float(np.max(np.abs(self.residuals)))

    @property
    def rms_residual(self) -> float:
        return float(np.sqrt(np.mean(np.square(self.residuals))))


def fit_curve(law, pressures_mpa, porosities) -> CurveFit:
    """Least squares in porosity, the parameters bounded to physical values."""
    pressures = np.asarray(pressures_mpa, dtype=float)
    porosities = np.asarray(porosities, dtype=float)
    if len(pressures) < len(law.START) + 1:
        raise ValueError(f"{law.law}: {len(pressures)} points cannot fit "
                         f"{len(law.START)} parameters and leave a residual")
    parameters, _ = curve_fit(lambda p, *values: law(*values).porosity(p), pressures,
                              porosities, p0=law.START,
                              bounds=law.BOUNDS, maxfev=20000)
    curve = law(*(float(value) for value in parameters))
    return CurveFit(curve, tuple(pressures.tolist()),
                    tuple((curve.porosity(pressures) - porosities).tolist()))


def best_fit(pressures_mpa, porosities, laws=LAWS) -> CurveFit:
    """The law with the smallest rms residual."""
    return min((fit_curve(law, pressures_mpa, porosities) for law in laws),
               key=lambda fit: fit.rms_residual)


@dataclasses.dataclass(frozen=True)
class LinearHeckel:
    """ln(1/eps) = K p + A over [low, high] MPa; the yield pressure is 1/K."""

    k_per_mpa: float
    a: float
    low_mpa: float
    high_mpa: float
    points: int

    @property
    def yield_pressure_mpa(self) -> float:
        return 1.0 / self.k_per_mpa if self.k_per_mpa > 0 else math.inf


def linear_heckel(pressures_mpa, porosities, low_mpa: float = 50.0,
                  high_mpa: float = math.inf) -> LinearHeckel:
    """The Heckel line over the pressures in [low_mpa, high_mpa] (at least two)."""
    pressures = np.asarray(pressures_mpa, dtype=float)
    porosities = np.asarray(porosities, dtype=float)
    used = (pressures >= low_mpa) & (pressures <= high_mpa) & (porosities > 0)
    if used.sum() < 2:
        raise ValueError(f"fewer than two points between {low_mpa:g} and {high_mpa:g} MPa")
    k, a = np.polyfit(pressures[used], np.log(1.0 / porosities[used]), 1)
    return LinearHeckel(float(k), float(a), float(pressures[used].min()),
                        float(pressures[used].max()), int(used.sum()))


@dataclasses.dataclass(frozen=True)
class EffectiveMedium:
    """sigma = sigma0 (1 - eps)^1.5 fitted to the points with eps <= max_porosity."""

    sigma0_s_cm: float
    min_porosity: float
    max_porosity: float
    points: int


def effective_medium(porosities, conductivities_s_cm, max_porosity: float = 0.18
                     ) -> EffectiveMedium:
    """sigma0 by least squares in log sigma (the exponent fixed at 1.5)."""
    porosities = np.asarray(porosities, dtype=float)
    sigma = np.asarray(conductivities_s_cm, dtype=float)
    used = (porosities <= max_porosity) & (sigma > 0) & np.isfinite(sigma)
    if not used.any():
        raise ValueError(f"no point with porosity <= {max_porosity:g}")
    log_sigma0 = np.mean(np.log(sigma[used]) - MWBH_EXPONENT * np.log(1.0 - porosities[used]))
    return EffectiveMedium(float(math.exp(log_sigma0)), float(porosities[used].min()),
                           float(porosities[used].max()), int(used.sum()))

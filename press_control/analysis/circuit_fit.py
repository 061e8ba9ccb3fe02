"""Equivalent-circuit fit of an EIS sweep: R_bulk + (R_int || CPE) [+ Warburg].

A weighted least-squares fit (scipy) on the real and imaginary parts, each residual
divided by |Z| (modulus weighting, the usual choice for impedance data), with standard
errors from the Jacobian. The field's impedance.py fits the same circuit but drags in
pandas, altair and matplotlib at import; this is one function on scipy.
"""
import dataclasses
import math

import numpy as np
from scipy.optimize import least_squares


@dataclasses.dataclass
class CircuitFit:
    """Fitted parameters (ohm, F s^(a-1), -, ohm s^-1/2) and their standard errors."""

    bulk_ohm: float
    interface_ohm: float
    cpe_q: float
    cpe_alpha: float
    warburg_sigma: float
    interface_std_ohm: float
    bulk_std_ohm: float
    rms_relative_residual: float
    with_diffusion: bool

    @property
    def ok(self) -> bool:
        return all(math.isfinite(v) and v >= 0 for v in (self.bulk_ohm, self.interface_ohm)) \
            and self.rms_relative_residual < 0.05


def area_specific_ohm_cm2(resistance_ohm: float, area_mm2: float) -> float:
    """Area-specific resistance (ohm cm^2): a cell's resistance times its area.

    The figure of the material and interface, comparable across die sizes (a 13 mm die
    shows 1.69 times less resistance than a 10 mm one for the same interface). NaN when
    either is unknown.
    """
    if not (math.isfinite(resistance_ohm) and math.isfinite(area_mm2) and area_mm2 > 0):
        return math.nan
    return resistance_ohm * area_mm2 / 100.0


def model(frequencies_hz, bulk, interface, q, alpha, sigma=0.0):
    omega = 2 * np.pi * np.asarray(frequencies_hz)
    cpe = 1.0 / (q * (1j * omega) ** alpha)
    z = bulk + interface * cpe / (interface + cpe)
    return z + sigma * (1 - 1j) / np.sqrt(omega)


def _fit(frequencies, z, with_diffusion: bool):
    frequencies = np.asarray(frequencies, dtype=float)
    bulk0 = max(float(np.min(z.real)), 1e-3)
    interface0 = max(float(np.max(z.real)) - bulk0, 1e-2)
    peak = frequencies[int(np.argmax(-z.imag))]
    q0 = 1.0 / (2 * np.pi * peak * interface0)
    start = [math.log(bulk0), math.log(interface0), math.log(q0), 0.85]
    if with_diffusion:
        start.append(math.log(max(abs(z[-1].imag) * math.sqrt(2 * np.pi * frequencies[-1]),
                                  1e-3)))
    weights = np.abs(z)

    def residuals(p):
        sigma = math.exp(p[4]) if with_diffusion else 0.0
        predicted = model(frequencies, math.exp(p[0]), math.exp(p[1]), math.exp(p[2]),
                          p[3], sigma)
        difference = (predicted - z) / weights
        return np.concatenate([difference.real, difference.imag])

    lower = [-20, -20, -40, 0.4] + ([-20] if with_diffusion else [])
    upper = [20, 20, 5, 1.0] + ([20] if with_diffusion else [])
    solution = least_squares(residuals, start, bounds=(lower, upper), x_scale="jac")
    dof = max(1, 2 * len(frequencies) - len(start))
    residual_variance = 2 * solution.cost / dof
    try:
        covariance = np.linalg.inv(solution.jac.T @ solution.jac) * residual_variance
        log_std = np.sqrt(np.clip(np.diag(covariance), 0, None))
    except np.linalg.LinAlgError:
        log_std = np.full(len(start), math.nan)
    p = solution.x
    return CircuitFit(
        bulk_ohm=math.exp(p[0]), interface_ohm=math.exp(p[1]), cpe_q=math.exp(p[2]),
        cpe_alpha=p[3], warburg_sigma=math.exp(p[4]) if with_diffusion else 0.0,
        interface_std_ohm=math.exp(p[1]) * log_std[1], bulk_std_ohm=math.exp(p[0]) * log_std[0],
        rms_relative_residual=math.sqrt(2 * solution.cost / (2 * len(frequencies))),
        with_diffusion=with_diffusion)


def fit_circuit(frequencies_hz, impedances) -> CircuitFit:
    """Fit without diffusion, and with it.

    The diffusion term is kept only if the data need it (the residual halves).
    """
    z = np.asarray(impedances, dtype=complex)
    simple = _fit(frequencies_hz, z, with_diffusion=False)
    diffusion = _fit(frequencies_hz, z, with_diffusion=True)
    return diffusion if diffusion.rms_relative_residual < 0.5 * simple.rms_relative_residual \
        else simple

"""Fit an EIS sweep with several candidate circuits and find the electrode interface in it.

Candidates are written in impedance.py's notation: one, two or three arcs after a series
resistance (``R0-p(R1,CPE1)-p(R2,CPE2)``), each with and without lead inductance ``L0``
and a diffusion tail ``W1``. Each is fitted by weighted least squares on the real and
imaginary parts, each residual divided by the modulus ``|Z|`` (modulus weighting). The
candidate with the lowest corrected Akaike information criterion (AICc) is kept; one with
more arcs only when lower by more than 10 (Burnham & Anderson: the other then has
essentially no support). Its arcs (R in parallel with a CPE) are named by their
capacitance per electrode area (Brug's effective capacitance), after Irvine, Sinclair &
West, Adv. Mater. 2, 132 (1990): bulk ~1e-12, grain boundary 1e-11..1e-8, surface layer
1e-9..1e-7, sample-electrode interface 1e-7..1e-5, electrochemical reaction or diffusion
~1e-4 F/cm^2. The interface resistance is the arc with an electrode-interface
capacitance, not the arc at some position in a list (small extra arcs, under 5 % of it,
are added to it). When the fit is poor, or the interface arc is missing, outside the
sweep, ambiguous or not determined by the data, the result is NaN with the reason. See
docs/eis_fit.md.
"""
import dataclasses
import math
import re

import numpy as np
from scipy.optimize import least_squares

from press_control.analysis.circuits import Circuit, FrequencyGrid

INTERFACE_MIN_F_CM2 = 1e-7        # Irvine, Sinclair & West 1990: sample-electrode interface
INTERFACE_MAX_F_CM2 = 1e-4        # above: electrochemical reaction, or a diffusion tail
GRAIN_BOUNDARY_MAX_F_CM2 = 1e-8   # grain boundary: 1e-11..1e-8 F/cm^2
MAX_RMS_RESIDUAL = 0.03           # a fit further off than 3 % of |Z| (rms) is not trusted
MORE_ARCS_AICC = 10.0            # an added arc must lower AICc this much (Burnham & Anderson)
MINOR_ARC_SHARE = 0.05           # more interface-like arcs than one: the rest must be minor
MAX_RELATIVE_STD = 0.04           # a standard error over 4 %: 10 % is not 2.5 sigma away
ALPHA_BOUNDS = (0.5, 1.0)
# Natural logarithms of the physical ranges searched: R 1e-4..1e9 ohm, L 1e-12..1e-3 H,
# Q 1e-14..1e-1 F s^(a-1), sigma 1e-4..1e7 ohm s^-1/2.
_LOG_RANGES = {"R": (math.log(1e-4), math.log(1e9)), "L": (math.log(1e-12), math.log(1e-3)),
               "CPE": (math.log(1e-14), math.log(1e-1)), "W": (math.log(1e-4), math.log(1e7)),
               "C": (math.log(1e-15), math.log(1e-1))}


@dataclasses.dataclass
class ArcResult:
    """One fitted arc: resistance, effective capacitance, characteristic frequency, kind."""

    resistance_ohm: float
    resistance_std_ohm: float
    capacitance_f: float
    capacitance_f_cm2: float
    frequency_hz: float
    alpha: float
    kind: str       # "grain boundary", "surface layer", "interface", "reaction or diffusion"
    above_sweep: bool = False       # its frequency is above the sweep's highest


@dataclasses.dataclass
class SpectrumFit:
    """The chosen circuit, its parameters with standard errors, and what they mean."""

    model: str
    parameters: dict                # name -> value (SI)
    standard_errors: dict           # name -> standard error (SI)
    arcs: list
    rms_relative_residual: float
    chi_squared: float              # sum of squared relative residuals
    aicc: float
    candidates: list                # (model, AICc, rms residual) for every candidate tried
    interface_ohm: float = math.nan
    interface_std_ohm: float = math.nan
    interface_capacitance_f: float = math.nan
    reason: str = ""                # why interface_ohm is NaN ("" when it is not)
    bulk_ohm: float = math.nan      # R0 and the arcs above the sweep: resistors there
    bulk_std_ohm: float = math.nan

    @property
    def ok(self) -> bool:
        return math.isfinite(self.interface_ohm)

    @property
    def grain_boundary_ohm(self) -> float:
        """Sum of the arcs with a grain-boundary capacitance; NaN when none is in the sweep."""
        values = [a.resistance_ohm for a in self.arcs
                  if a.kind == "grain boundary" and not a.above_sweep]
        return sum(values) if values else math.nan

    @property
    def with_diffusion(self) -> bool:
        return "W1" in self.parameters


def area_specific_ohm_cm2(resistance_ohm: float, area_mm2: float) -> float:
    """Area-specific resistance (ohm cm^2): a cell's resistance times its area.

    The figure of the material and interface, comparable across die sizes (a 13 mm die
    shows 1.69 times less resistance than a 10 mm one for the same interface). NaN when
    either is unknown.
    """
    if not (math.isfinite(resistance_ohm) and math.isfinite(area_mm2) and area_mm2 > 0):
        return math.nan
    return resistance_ohm * area_mm2 / 100.0


def effective_capacitance_f(resistance_ohm: float, q: float, alpha: float) -> float:
    """Brug's capacitance of a CPE in parallel with R: (Q R^(1 - alpha))^(1 / alpha)."""
    return (q * resistance_ohm ** (1.0 - alpha)) ** (1.0 / alpha)


def arc_kind(capacitance_f_cm2: float) -> str:
    if capacitance_f_cm2 > INTERFACE_MAX_F_CM2:
        return "reaction or diffusion"
    if capacitance_f_cm2 >= INTERFACE_MIN_F_CM2:
        return "interface"
    if capacitance_f_cm2 <= GRAIN_BOUNDARY_MAX_F_CM2:
        return "grain boundary"
    return "surface layer"


class _Problem:
    """One candidate circuit against one spectrum, in unbounded fitting coordinates.

    Positive parameters are fitted as their logarithm (held inside `_LOG_RANGES`), CPE
    exponents through a logistic map onto `ALPHA_BOUNDS`; so MINPACK's Levenberg-Marquardt
    (fast, no bounds) can run.
    """

    def __init__(self, circuit: Circuit, frequencies, z):
        self.circuit, self.frequencies, self.z = circuit, frequencies, z
        self.grid = FrequencyGrid(frequencies)
        self.weights = np.abs(z)
        self.exponent = np.array([name.startswith("CPE") and name.endswith("_1")
                                  for name in circuit.parameter_names])
        ranges = [(0.0, 0.0) if exponent else _LOG_RANGES[re.match(r"[A-Z]+", name).group(0)]
                  for name, exponent in zip(circuit.parameter_names, self.exponent)]
        self.lower = np.array([low for low, _ in ranges])
        self.upper = np.array([high for _, high in ranges])

    def to_values(self, x):
        logistic = 1.0 / (1.0 + np.exp(-np.clip(x, -50.0, 50.0)))
        low, high = ALPHA_BOUNDS
        return np.where(self.exponent, low + (high - low) * logistic,
                        np.exp(np.clip(x, self.lower, self.upper)))

    def derivative(self, x):
        """d(value)/dx for each parameter."""
        logistic = 1.0 / (1.0 + np.exp(-np.clip(x, -50.0, 50.0)))
        low, high = ALPHA_BOUNDS
        inside = (x >= self.lower) & (x <= self.upper)
        return np.where(self.exponent, (high - low) * logistic * (1 - logistic),
                        np.where(inside, np.exp(np.clip(x, self.lower, self.upper)), 0.0))

    def to_x(self, values):
        values = np.asarray(values, dtype=float)
        low, high = ALPHA_BOUNDS
        share = np.clip((values - low) / (high - low), 1e-3, 1 - 1e-3)
        return np.where(self.exponent, np.log(share / (1 - share)),
                        np.clip(np.log(np.maximum(values, 1e-300)), self.lower, self.upper))

    def residuals(self, x):
        difference = (self.circuit.impedance_on(self.grid, self.to_values(x)) - self.z) \
            / self.weights
        return np.concatenate([difference.real, difference.imag])

    def jacobian(self, x):
        _, gradient = self.circuit.impedance_and_gradient(self.to_values(x), None, self.grid)
        gradient = gradient * self.derivative(x)[:, None] / self.weights
        return np.concatenate([gradient.real, gradient.imag], axis=1).T


def _starts(circuit: Circuit, frequencies, z) -> list:
    """Starting values from the spectrum's shape: intercepts, arc peaks, the tail's slope."""
    order = np.argsort(frequencies)
    f, z = frequencies[order], z[order]
    omega = 2 * np.pi * f
    high_resistance = max(float(np.min(z.real)), 1e-3)
    valley = int(np.argmin(-z.imag[: max(1, len(z) // 2)]))     # between arc and tail
    low_resistance = max(float(z.real[valley if f[valley] > f[0] else 0]),
                         high_resistance * 1.01)
    span = low_resistance - high_resistance
    inductance = max(float(z.imag[-1] / omega[-1]), 1e-9)
    sigma = max(float(-z.imag[0] * math.sqrt(omega[0])) * 0.5, 1e-3)
    n_arcs = len(circuit.arcs)
    starts = []
    for layout in _arc_layouts(n_arcs, f):
        values = {"L0": inductance, "R0": high_resistance * (0.5 if n_arcs > 1 else 0.9),
                  "W1": sigma}
        shares = [0.2] * (n_arcs - 1) + [0.6] if n_arcs > 1 else [0.9]
        total = span + (high_resistance * 0.5 if n_arcs > 1 else high_resistance * 0.1)
        for arc, peak_hz, share in zip(circuit.arcs, layout, shares):
            resistance = max(total * share / sum(shares), 1e-3)
            values[arc.resistor] = resistance
            values[f"{arc.cpe}_0"] = 1.0 / (resistance * (2 * np.pi * peak_hz) ** 0.85)
            values[f"{arc.cpe}_1"] = 0.85
        starts.append([values[name] for name in circuit.parameter_names])
    return starts


def _arc_layouts(n_arcs: int, f) -> list:
    """Peak frequencies to start from: the interface arc at low frequency, others above."""
    low, high = math.log10(f.min()), math.log10(f.max())
    if n_arcs == 1:
        return [[10 ** (low + 0.5 * (high - low))], [10 ** (low + 0.25 * (high - low))]]
    layouts = []
    for top in (0.95, 0.75):
        peaks = [10 ** (low + (high - low) * (top - 0.6 * i / (n_arcs - 1)))
                 for i in range(n_arcs - 1)]
        layouts.append(peaks + [10 ** (low + 0.3 * (high - low))])
    return layouts


def _solve(problem: _Problem, start_values):
    return least_squares(problem.residuals, problem.to_x(start_values), jac=problem.jacobian,
                         method="lm", x_scale="jac", xtol=1e-5, ftol=1e-5, max_nfev=60)


def _covariance(solution, dof: int):
    variance = 2 * solution.cost / max(dof, 1)
    try:
        return np.linalg.pinv(solution.jac.T @ solution.jac) * variance
    except np.linalg.LinAlgError:
        return np.full((len(solution.x), len(solution.x)), np.inf)


def circuit_text(arcs: int, inductance: bool, diffusion: bool) -> str:
    """A candidate: optional lead inductance, series R, arcs, optional Warburg tail."""
    parts = (["L0"] if inductance else []) + ["R0"] + \
        [f"p(R{i},CPE{i})" for i in range(1, arcs + 1)] + (["W1"] if diffusion else [])
    return "-".join(parts)


class SpectrumFitter:
    """Fits sweeps one after another; each candidate starts from its result on the last sweep.

    Call `forget` when another cell is in the die.
    """

    def __init__(self, max_arcs: int = 3):
        self.max_arcs = max_arcs
        self._circuits = {}
        self._last = {}

    def forget(self) -> None:
        self._last.clear()

    def fit(self, frequencies_hz, impedances, area_cm2: float = 1.0) -> SpectrumFit:
        """Fit one sweep; area_cm2 is the electrode area the capacitances are judged on."""
        f = np.asarray(frequencies_hz, dtype=float)
        z = np.asarray(impedances, dtype=complex)
        if len(f) < 10 or not (np.all(np.isfinite(z)) and np.all(f > 0)):
            return _no_fit(f"{len(f)} points, or non-finite values: not a sweep to fit")
        tried, best = [], None
        extras = [(False, False), (False, True), (True, False), (True, True)]
        for arcs in range(1, self.max_arcs + 1):
            if arcs > 2:                    # keep the two-arc choice of L0 and W1
                extras = [("L0" in best[1].text, "W1" in best[1].text)]
            entries = []
            for inductance, diffusion in extras:
                # nested: also start from a solved simpler model, so an added element
                # never leaves the fit worse than without it
                simpler = [e for e in entries if ("L0" in e[1].text) <= inductance
                           and ("W1" in e[1].text) <= diffusion] or ([best] if best else [])
                parent = min(simpler, key=lambda e: e[3].cost) if simpler else None
                entries.append(self._try(circuit_text(arcs, inductance, diffusion), f, z,
                                         parent))
            tried += entries
            best_here = min(entries, key=lambda entry: entry[0])
            if best is not None and best_here[0] > best[0] - MORE_ARCS_AICC:
                break
            best = best_here
        aicc, circuit, problem, solution = best
        n = 2 * len(f)
        return _describe(circuit, problem, solution, aicc, area_cm2,
                         sorted((c.text, a, math.sqrt(2 * s.cost / n)) for a, c, _, s in tried))

    def _try(self, text: str, f, z, parent=None):
        circuit = self._circuits.setdefault(text, Circuit(text))
        problem = _Problem(circuit, f, z)
        fresh = _starts(circuit, f, z)
        starts = [self._last[text]] if text in self._last else fresh
        if parent is not None:
            starts = starts + [_extend(parent[1], parent[2].to_values(parent[3].x), circuit,
                                       fresh[0])]
        best = None
        for start in starts:
            solution = _solve(problem, start)
            if best is None or solution.cost < best.cost:
                best = solution
        self._last[text] = list(problem.to_values(best.x))
        n, k = 2 * len(f), len(circuit.parameter_names)
        rss = 2 * best.cost
        aicc = n * math.log(max(rss, 1e-300) / n) + 2 * k + 2 * k * (k + 1) / max(n - k - 1, 1)
        return aicc, circuit, problem, best


def _extend(parent: Circuit, parent_values, circuit: Circuit, fallback) -> list:
    """A start for `circuit` from a solved simpler one.

    Its values where they exist, the simpler model's arcs as the lowest-frequency arcs, a
    small lead inductance and diffusion tail where they are new, `fallback` for a new arc.
    """
    known = dict(zip(parent.parameter_names, parent_values))
    values = dict(zip(circuit.parameter_names, fallback))
    values.update({"L0": known.get("L0", 1e-9), "R0": known["R0"],
                   "W1": known.get("W1", 1e-3 * known["R0"])})
    shift = len(circuit.arcs) - len(parent.arcs)
    for old, new in zip(parent.arcs, circuit.arcs[shift:]):
        values[new.resistor] = known[old.resistor]
        values[f"{new.cpe}_0"] = known[f"{old.cpe}_0"]
        values[f"{new.cpe}_1"] = known[f"{old.cpe}_1"]
    return [values[name] for name in circuit.parameter_names]


def _no_fit(reason: str) -> SpectrumFit:
    return SpectrumFit(model="", parameters={}, standard_errors={}, arcs=[],
                       rms_relative_residual=math.nan, chi_squared=math.nan, aicc=math.nan,
                       candidates=[], reason=reason)


def _describe(circuit, problem, solution, aicc, area_cm2, candidates) -> SpectrumFit:
    names = circuit.parameter_names
    values = problem.to_values(solution.x)
    n = 2 * len(problem.frequencies)
    covariance = _covariance(solution, n - len(names))
    x_std = np.sqrt(np.clip(np.diag(covariance), 0, None))
    std = np.abs(problem.derivative(solution.x)) * x_std
    parameters = dict(zip(names, (float(v) for v in values)))
    errors = dict(zip(names, (float(s) for s in std)))
    fit = SpectrumFit(model=circuit.text, parameters=parameters, standard_errors=errors,
                      arcs=[], rms_relative_residual=math.sqrt(2 * solution.cost / n),
                      chi_squared=2 * solution.cost, aicc=aicc, candidates=candidates)
    interface_index, series_index = [], [names.index("R0")]
    for arc in circuit.arcs:
        resistance = parameters[arc.resistor]
        q, alpha = parameters[f"{arc.cpe}_0"], parameters[f"{arc.cpe}_1"]
        capacitance = effective_capacitance_f(resistance, q, alpha)
        kind = arc_kind(capacitance / area_cm2)
        fit.arcs.append(ArcResult(
            resistance_ohm=resistance, resistance_std_ohm=errors[arc.resistor],
            capacitance_f=capacitance, capacitance_f_cm2=capacitance / area_cm2,
            frequency_hz=1.0 / (2 * math.pi * (resistance * q) ** (1.0 / alpha)),
            alpha=alpha, kind=kind))
        fit.arcs[-1].above_sweep = fit.arcs[-1].frequency_hz > np.max(problem.frequencies)
        if kind == "interface":
            interface_index.append(names.index(arc.resistor))
        if fit.arcs[-1].above_sweep:
            series_index.append(names.index(arc.resistor))

    def summed(index):
        """Sum of resistances (fitted as logarithms) and its standard error."""
        r = values[index]
        return float(np.sum(r)), float(math.sqrt(max(
            r @ covariance[np.ix_(index, index)] @ r, 0.0)))
    if fit.rms_relative_residual <= MAX_RMS_RESIDUAL:
        fit.bulk_ohm, fit.bulk_std_ohm = summed(series_index)
    fit.reason = _judge(fit, problem.frequencies, interface_index, covariance)
    if not fit.reason:
        interface = [a for a in fit.arcs if a.kind == "interface"]
        fit.interface_ohm, fit.interface_std_ohm = summed(interface_index)
        fit.interface_capacitance_f = max(interface, key=lambda a: a.resistance_ohm) \
            .capacitance_f                  # of the main arc (minor ones are under 5 %)
        if fit.interface_std_ohm > MAX_RELATIVE_STD * fit.interface_ohm:
            fit.reason = (f"interface resistance not determined by the data: "
                          f"{fit.interface_ohm:.4g} +- {fit.interface_std_ohm:.2g} ohm")
            fit.interface_ohm = fit.interface_std_ohm = fit.interface_capacitance_f = math.nan
    return fit


def _judge(fit: SpectrumFit, frequencies, interface_index, covariance) -> str:
    if not fit.rms_relative_residual <= MAX_RMS_RESIDUAL:
        return (f"no candidate circuit fits: best {fit.model} leaves "
                f"{100 * fit.rms_relative_residual:.1f} % rms of |Z|")
    if not interface_index:
        return (f"no arc with an electrode-interface capacitance "
                f"(>= {INTERFACE_MIN_F_CM2:g} F/cm^2) in {fit.model}")
    interface = sorted((a.resistance_ohm for a in fit.arcs if a.kind == "interface"),
                       reverse=True)
    if len(interface) > 1 and sum(interface[1:]) > MINOR_ARC_SHARE * sum(interface):
        return (f"{len(interface)} arcs with an electrode-interface capacitance in "
                f"{fit.model}: which one is the Li interface is not determined")
    if not np.all(np.isfinite(covariance)):
        return f"{fit.model}: the parameters are not determined by the data"
    low, high = float(np.min(frequencies)), float(np.max(frequencies))
    for arc in fit.arcs:
        if arc.kind == "interface" and not low <= arc.frequency_hz <= high:
            return (f"the interface arc's frequency {arc.frequency_hz:.3g} Hz lies outside "
                    f"the sweep ({low:g}-{high:g} Hz)")
    return ""


def fit_spectrum(frequencies_hz, impedances, area_cm2: float = 1.0) -> SpectrumFit:
    """Fit one sweep from scratch (see `SpectrumFitter` for a series of sweeps)."""
    return SpectrumFitter().fit(frequencies_hz, impedances, area_cm2)

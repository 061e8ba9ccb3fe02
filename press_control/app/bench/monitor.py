"""Interface analytics figures (no ROS), against the simulated cell.

EIS fit time and accuracy (on the twin and on blind spectra), and event detection
latency at the monitor's default rates.
"""
import math
import time

import numpy as np

from press_control.analysis.eis_fit import fit_spectrum
from press_control.app.bench.report import Figure
from press_control.analysis.events import (CONTACT_ESTABLISHED, DELAMINATION, SHORT_CIRCUIT,
                                           EventDetector, Inputs)
from press_control.hardware.impedance_analyzer import log_frequencies
from press_control.sim.cell import CellModel
from press_control.sim.eis_truth import NOT_DETERMINED, RECOVERED
from press_control.control.stats import percentile

HEALTH_PERIOD_S = 0.5           # interface/health at 2 Hz: the detectors run at this rate
SECTION = "Interface monitor (simulated cell; 2 Hz health, 1 s debounce)"
BLIND = ("EIS fit on blind spectra (sim/eis_truth.py: grain-boundary arc, lead inductance, "
         "dies of 10-20 mm, -40..60 C, noise; 20 Hz-2 MHz, 8 points/decade)")


def fit_figures():
    """Fit time and interface-resistance recovery: on the twin, and on blind spectra."""
    frequencies = log_frequencies(20.0, 2.0e6, 8)
    times, errors = [], []
    for pressure in (5.0, 10.0, 25.0, 50.0, 100.0):
        for seed in range(5):
            cell = CellModel(seed=seed)
            cell.step(0.1, 392.0)
            for _ in range(3000):
                cell.step(0.2, pressure)
            z = [cell.impedance(f) for f in frequencies]
            started = time.perf_counter()
            fit = fit_spectrum(frequencies, z, cell.die_area_mm2 / 100.0)
            times.append(time.perf_counter() - started)
            errors.append(abs(fit.interface_ohm / cell.interface_resistance_ohm() - 1))
    times.sort()
    errors.sort()
    return [Figure(SECTION, f"EIS fit time p50 ({len(frequencies)} points, from scratch)",
                   percentile(times, 0.5) * 1e3, "ms"),
            Figure(SECTION, "EIS fit time max", times[-1] * 1e3, "ms"),
            Figure(SECTION, "interface resistance error on the twin, max over 5-100 MPa",
                   100 * errors[-1], "%", "<= 10")] + blind_figures(frequencies)


def blind_figures(frequencies) -> list:
    """One figure per blind case (sim/eis_truth.py): the error, or NaN and the reason."""
    figures = []
    for case in RECOVERED:
        fit = fit_spectrum(frequencies, case.spectrum(frequencies), case.area_cm2)
        error = 100 * abs(fit.interface_ohm / case.interface_ohm - 1)
        figures.append(Figure(BLIND, f"interface resistance error: {case.name}", error, "%",
                              "<= 10", note=fit.model if fit.ok else fit.reason))
    for case, _ in NOT_DETERMINED:
        fit = fit_spectrum(frequencies, case.spectrum(frequencies), case.area_cm2)
        figures.append(Figure(BLIND, f"says it cannot: {case.name}",
                              0.0 if fit.ok else 1.0, "", ">= 1",
                              note=fit.reason or f"gave {fit.interface_ohm:.4g} ohm"))
    return figures


def latency(name, prepare, fault, pressure=50.0, cycling=False):
    cell, detector = CellModel(seed=3), EventDetector()
    prepare(cell)
    t = 0.0
    for _ in range(int(120 / HEALTH_PERIOD_S)):
        cell.step(HEALTH_PERIOD_S, pressure)
        t += HEALTH_PERIOD_S
        detector.update(Inputs(t, abs(cell.impedance(1000.0)), cell.interface_resistance_ohm(),
                               pressure, pressure, True, cycling))
    onset = t
    fault(cell)
    while t < onset + 60.0:
        cell.step(HEALTH_PERIOD_S, 1.0 if name == DELAMINATION else pressure)
        t += HEALTH_PERIOD_S
        events = detector.update(Inputs(t, abs(cell.impedance(1000.0)),
                                        cell.interface_resistance_ohm(),
                                        1.0 if name == DELAMINATION else pressure, pressure,
                                        True, cycling))
        if any(e.name == name and e.active for e in events):
            return t - onset
    return math.nan


def run() -> list:
    """Fit and detection-latency figures."""
    figures = fit_figures()
    short = latency(SHORT_CIRCUIT, lambda c: None, lambda c: setattr(c, "shorted", True))
    delamination = latency(DELAMINATION, lambda c: setattr(c, "cycling", True),
                           lambda c: None, cycling=True)
    fresh = CellModel(seed=4)
    detector, t = EventDetector(), 0.0
    while t < 300.0:
        fresh.step(HEALTH_PERIOD_S, 25.0)
        t += HEALTH_PERIOD_S
        resistance = fresh.interface_resistance_ohm()
        if any(e.name == CONTACT_ESTABLISHED for e in detector.update(
                Inputs(t, math.nan, resistance, 25.0, 25.0, True))):
            break
    crossing = (np.log(17.0) - np.log(40.0 / 32.0 - 1.0)) * fresh.p.creep_time_s
    return figures + [
        Figure(SECTION, "short circuit detected after onset", short, "s", "<= 5"),
        Figure(SECTION, "delamination detected after onset", delamination, "s", "<= 5"),
        Figure(SECTION, "contact established: raised after the 40 ohm crossing",
               t - crossing, "s", note=f"crossing {crossing:.1f} s after the Li foil")]

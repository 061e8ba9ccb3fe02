"""The EIS fitter on spectra it was not built from (sim/eis_truth.py), and against impedance.py.

Each case either gives the interface resistance within 10 % of the truth or reports NaN
with the reason; which of the two is expected is written in the case.
"""
import ast
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from press_control.analysis.eis_fit import SpectrumFitter, fit_spectrum
from press_control.sim.eis_truth import (Case, GRAIN_BOUNDARY, LI_INTERFACE, Layer,
                                         NOT_DETERMINED, RECOVERED)

FREQUENCIES = np.logspace(math.log10(2e6), math.log10(20), 41)     # 8 points per decade


def _imports(path: Path) -> set:
    tree = ast.parse(path.read_text())
    return {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
            for alias in node.names} | \
        {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


def test_the_truth_and_the_analysis_share_no_code():
    package = Path(__file__).parents[2] / "press_control"
    assert _imports(package / "sim/eis_truth.py") <= {"dataclasses", "math", "numpy"}
    for module in (package / "analysis").glob("*.py"):
        assert not any(name.startswith("press_control.sim") for name in _imports(module))


@pytest.mark.parametrize("case", RECOVERED, ids=lambda c: c.name)
def test_the_interface_resistance_is_recovered_within_10_percent(case):
    fit = fit_spectrum(FREQUENCIES, case.spectrum(FREQUENCIES), case.area_cm2)
    assert fit.ok, fit.reason
    assert fit.interface_ohm == pytest.approx(case.interface_ohm, rel=0.10), fit.model
    assert 0 < fit.interface_std_ohm < 0.1 * fit.interface_ohm
    assert fit.rms_relative_residual < 3 * case.noise + 0.005


@pytest.mark.parametrize("case, reason", NOT_DETERMINED, ids=lambda c: getattr(c, "name", ""))
def test_an_undetermined_interface_is_nan_with_the_reason(case, reason):
    fit = fit_spectrum(FREQUENCIES, case.spectrum(FREQUENCIES), case.area_cm2)
    assert math.isnan(fit.interface_ohm) and math.isnan(fit.interface_std_ohm)
    assert not fit.ok and reason in fit.reason, fit.reason


def test_a_spectrum_no_circuit_fits_is_nan_with_the_reason():
    rng = np.random.default_rng(7)
    z = rng.uniform(10, 100, FREQUENCIES.size) - 1j * rng.uniform(0, 50, FREQUENCIES.size)
    fit = fit_spectrum(FREQUENCIES, z, 0.785)
    assert not fit.ok and "no candidate circuit fits" in fit.reason


def test_too_few_points_or_non_finite_values_are_refused():
    assert "not a sweep" in fit_spectrum(FREQUENCIES[:5], np.ones(5), 1.0).reason
    z = RECOVERED[0].spectrum(FREQUENCIES)
    z[3] = complex(math.nan, 0)
    assert "not a sweep" in fit_spectrum(FREQUENCIES, z, 1.0).reason


def test_the_grain_boundary_arc_is_named_by_its_capacitance_when_it_is_in_the_sweep():
    case = RECOVERED[1]
    fit = fit_spectrum(FREQUENCIES, case.spectrum(FREQUENCIES), case.area_cm2)
    grain_boundary = case.arc(GRAIN_BOUNDARY)[0]
    assert fit.grain_boundary_ohm == pytest.approx(grain_boundary, rel=0.10)
    assert fit.bulk_ohm == pytest.approx(
        case.bulk_asr_ohm_cm2 * case.arrhenius(case.bulk_activation_ev) / case.area_cm2,
        rel=0.10)


def test_the_area_specific_interface_resistance_is_the_same_on_every_die():
    asr = []
    for case in RECOVERED[0], RECOVERED[4], RECOVERED[5]:
        fit = fit_spectrum(FREQUENCIES, case.spectrum(FREQUENCIES), case.area_cm2)
        asr.append(fit.interface_ohm * case.area_cm2)
    assert max(asr) / min(asr) < 1.05
    assert np.mean(asr) == pytest.approx(LI_INTERFACE.asr_ohm_cm2, rel=0.05)


def test_a_series_of_sweeps_follows_the_interface_as_the_li_creeps():
    fitter = SpectrumFitter()
    for asr in (450.0, 200.0, 90.0, 40.0, 25.0):
        case = Case("creep", layers=(GRAIN_BOUNDARY, Layer(asr, 5e-7, 0.85, 0.45)),
                    interface_layers=(1,), warburg_ohm_cm2_s=30.0, seed=int(asr))
        fit = fitter.fit(FREQUENCIES, case.spectrum(FREQUENCIES), case.area_cm2)
        assert fit.interface_ohm == pytest.approx(case.interface_ohm, rel=0.10), asr


@pytest.mark.parametrize("case", RECOVERED[:7], ids=lambda c: c.name)
def test_impedance_py_fitting_the_same_model_agrees(case):
    from impedance.models.circuits import CustomCircuit
    z = case.spectrum(FREQUENCIES)
    ours = fit_spectrum(FREQUENCIES, z, case.area_cm2)
    start = [v * (1.1 if not name.endswith("_1") else 1.0) for name, v in
             ours.parameters.items()]
    theirs = CustomCircuit(ours.model, initial_guess=start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.fit(FREQUENCIES, z, weight_by_modulus=True, maxfev=20000)
    fitted = dict(zip(theirs.get_param_names()[0], theirs.parameters_))
    interface = [a for a in ours.arcs if a.kind == "interface"]
    [resistor] = [name for name in fitted if name.startswith("R") and
                  math.isclose(ours.parameters[name], interface[0].resistance_ohm)]
    assert fitted[resistor] == pytest.approx(interface[0].resistance_ohm, rel=0.02)

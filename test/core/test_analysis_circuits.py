"""Circuit strings evaluated against impedance.py, the field's own implementation."""
import numpy as np
import pytest
from impedance.models.circuits import CustomCircuit

from press_control.analysis.circuits import Circuit, CircuitError

FREQUENCIES = np.logspace(6.3, 1.3, 30)
CASES = [
    ("R0-p(R1,CPE1)", [12.0, 30.0, 2e-6, 0.85]),
    ("L0-R0-p(R1,CPE1)-p(R2,CPE2)-W1", [2e-7, 9.0, 25.0, 3e-10, 0.93, 40.0, 2e-6, 0.8, 30.0]),
    ("R0-p(R1,C1)-L1", [5.0, 100.0, 1e-8, 1e-6]),
    ("p(R0,CPE0)-p(R1,CPE1)-p(R2,CPE2)", [10.0, 1e-9, 0.9, 20.0, 1e-7, 0.85, 50.0, 1e-5, 0.7]),
    ("R0-p(R1-W1,CPE1)", [4.0, 60.0, 25.0, 5e-6, 0.9]),
]


@pytest.mark.parametrize("text, parameters", CASES)
def test_impedance_matches_impedance_py(text, parameters):
    theirs = CustomCircuit(text, initial_guess=parameters).predict(FREQUENCIES,
                                                                   use_initial=True)
    ours = Circuit(text).impedance(parameters, FREQUENCIES)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("text, parameters", CASES)
def test_parameter_names_match_impedance_py(text, parameters):
    assert Circuit(text).parameter_names == \
        CustomCircuit(text, initial_guess=parameters).get_param_names()[0]


@pytest.mark.parametrize("text, parameters", CASES)
def test_gradient_matches_finite_differences(text, parameters):
    circuit = Circuit(text)
    _, gradient = circuit.impedance_and_gradient(parameters, FREQUENCIES)
    for i, value in enumerate(parameters):
        step = value * 1e-6
        up, down = list(parameters), list(parameters)
        up[i], down[i] = value + step, value - step
        numeric = (circuit.impedance(up, FREQUENCIES) - circuit.impedance(down, FREQUENCIES)) \
            / (2 * step)
        error = np.linalg.norm(gradient[i] - numeric) / np.linalg.norm(numeric)
        assert error < 1e-6, (circuit.parameter_names[i], error)


def test_arcs_are_the_r_cpe_pairs():
    circuit = Circuit("L0-R0-p(R1,CPE1)-p(CPE2,R2)-p(R3-W1,CPE3)")
    assert [(a.resistor, a.cpe) for a in circuit.arcs] == [("R1", "CPE1"), ("R2", "CPE2")]


@pytest.mark.parametrize("text", ["R0-", "R0-p(R1)", "R0-X1", "R0-p(R1,CPE1", "R0-R0",
                                  "R0-p(R1,CPE1))", "R0-p(R1,CPE1)-"])
def test_a_malformed_circuit_is_refused_with_a_reason(text):
    with pytest.raises(CircuitError):
        Circuit(text)


def test_the_parameter_count_is_checked():
    with pytest.raises(CircuitError, match="takes 4 parameters"):
        Circuit("R0-p(R1,CPE1)").impedance([1.0, 2.0], FREQUENCIES)

"""Equivalent circuits written in impedance.py's notation, e.g. ``L0-R0-p(R1,CPE1)-W1``.

``-`` joins elements in series, ``p(a,b)`` puts them in parallel. Elements and their
parameters (SI units), as impedance.py defines them:

* ``R`` resistance (ohm); ``C`` capacitance (F); ``L`` inductance (H);
* ``CPE`` constant-phase element 1 / (Q (j w)^alpha): Q (F s^(alpha-1)), alpha (-);
* ``W`` semi-infinite Warburg sigma (1 - j) / sqrt(w): sigma (ohm s^-1/2).

Parameters are named as impedance.py names them: ``R0``, ``CPE1_0`` (Q), ``CPE1_1``
(alpha). This module only evaluates circuits; fitting is in `eis_fit`.
"""
import dataclasses
import re

import numpy as np

_TOKEN = re.compile(r"\s*(p\(|\(|\)|,|-|[A-Za-z]+[0-9]+)")
_PARAMETER_COUNT = {"R": 1, "C": 1, "L": 1, "CPE": 2, "W": 1}


class CircuitError(ValueError):
    """A circuit string that is not a circuit (the message says where)."""


@dataclasses.dataclass(frozen=True)
class Element:
    """One element: its kind (R, C, L, CPE, W) and name (e.g. ``CPE1``)."""

    kind: str
    name: str

    @property
    def parameter_names(self) -> list:
        if _PARAMETER_COUNT[self.kind] == 1:
            return [self.name]
        return [f"{self.name}_{i}" for i in range(_PARAMETER_COUNT[self.kind])]


@dataclasses.dataclass(frozen=True)
class Arc:
    """A resistor in parallel with a CPE: one semicircle of the Nyquist plot."""

    resistor: str           # parameter name of R, e.g. "R2"
    cpe: str                # element name of the CPE, e.g. "CPE2"


def _tokens(text: str) -> list:
    position, tokens = 0, []
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise CircuitError(f"cannot read {text[position:]!r} in {text!r}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


class Circuit:
    """An equivalent circuit from its string; evaluates its impedance for a parameter vector."""

    def __init__(self, text: str):
        self.text = text.replace(" ", "")
        self._tokens = _tokens(self.text)
        self._position = 0
        self.elements = []
        self.tree = self._series()
        if self._position != len(self._tokens):
            raise CircuitError(f"unexpected {self._tokens[self._position]!r} in {text!r}")
        names = [e.name for e in self.elements]
        if len(set(names)) != len(names):
            raise CircuitError(f"an element name repeats in {text!r}")
        self.parameter_names = [n for e in self.elements for n in e.parameter_names]
        self.arcs = self._arcs(self.tree)

    # ---- parsing ----------------------------------------------------------------------
    def _peek(self):
        return self._tokens[self._position] if self._position < len(self._tokens) else None

    def _take(self):
        token = self._peek()
        if token is None:
            raise CircuitError(f"{self.text!r} ends early")
        self._position += 1
        return token

    def _series(self):
        parts = [self._term()]
        while self._peek() == "-":
            self._take()
            parts.append(self._term())
        return ("series", parts) if len(parts) > 1 else parts[0]

    def _term(self):
        token = self._take()
        if token == "p(":
            branches = [self._series()]
            while self._peek() == ",":
                self._take()
                branches.append(self._series())
            if self._take() != ")" or len(branches) < 2:
                raise CircuitError(f"p(...) needs two or more branches and ')' in {self.text!r}")
            return ("parallel", branches)
        kind = re.match(r"[A-Za-z]+", token)
        if not kind or kind.group(0) not in _PARAMETER_COUNT:
            raise CircuitError(f"unknown element {token!r} in {self.text!r} "
                               f"(known: {', '.join(_PARAMETER_COUNT)})")
        element = Element(kind.group(0), token)
        self.elements.append(element)
        return ("element", element)

    @staticmethod
    def _arcs(node) -> list:
        kind, content = node
        if kind == "element":
            return []
        if kind == "parallel" and len(content) == 2 and all(b[0] == "element" for b in content):
            by_kind = {b[1].kind: b[1] for b in content}
            if set(by_kind) == {"R", "CPE"}:
                return [Arc(by_kind["R"].name, by_kind["CPE"].name)]
        return [arc for child in content for arc in Circuit._arcs(child)]

    # ---- evaluation -------------------------------------------------------------------
    def impedance(self, parameters, frequencies_hz) -> np.ndarray:
        """Complex Z in ohm at each frequency; the values in parameter_names order."""
        if len(parameters) != len(self.parameter_names):
            raise CircuitError(f"{self.text} takes {len(self.parameter_names)} parameters, "
                               f"got {len(parameters)}")
        return self.impedance_on(FrequencyGrid(frequencies_hz), parameters)

    def impedance_on(self, grid: "FrequencyGrid", parameters) -> np.ndarray:
        """As `impedance`, on a grid prepared once for many evaluations."""
        values = dict(zip(self.parameter_names, parameters))
        return grid.ones * self._evaluate(self.tree, values, grid)

    def _evaluate(self, node, values, grid):
        kind, content = node
        if kind == "series":
            return sum(self._evaluate(child, values, grid) for child in content)
        if kind == "parallel":
            return 1.0 / sum(1.0 / self._evaluate(child, values, grid) for child in content)
        return _element_impedance(content, values, grid)

    def impedance_and_gradient(self, parameters, frequencies_hz, grid=None):
        """Impedance and its derivative by each parameter (rows in parameter_names order)."""
        grid = grid or FrequencyGrid(frequencies_hz)
        values = dict(zip(self.parameter_names, parameters))
        z, partials = self._differentiate(self.tree, values, grid)
        gradient = np.empty((len(self.parameter_names), grid.omega.size), dtype=complex)
        for i, name in enumerate(self.parameter_names):
            gradient[i] = partials[name]
        return grid.ones * z, gradient

    def _differentiate(self, node, values, grid):
        """(Z, {parameter: dZ/dparameter}) of a subtree; only its own parameters appear."""
        kind, content = node
        if kind == "element":
            z = _element_impedance(content, values, grid)
            return z, _element_derivatives(content, values, grid, z)
        parts = [self._differentiate(child, values, grid) for child in content]
        if kind == "series":
            partials = {}
            for _, child in parts:
                partials.update(child)
            return sum(z for z, _ in parts), partials
        z = 1.0 / sum(1.0 / zi for zi, _ in parts)
        # d(1/Z) = sum d(1/Zi)  ->  dZ = Z^2 dZi / Zi^2 for a parameter of branch i
        partials = {}
        for zi, child in parts:
            factor = (z / zi) ** 2
            for name, derivative in child.items():
                partials[name] = factor * derivative
        return z, partials


class FrequencyGrid:
    """The frequencies of a sweep with what every evaluation needs of them, computed once."""

    def __init__(self, frequencies_hz):
        self.omega = 2.0 * np.pi * np.asarray(frequencies_hz, dtype=float)
        self.j_omega = 1j * self.omega
        self.log_j_omega = np.log(self.j_omega)
        self.warburg = (1.0 - 1j) / np.sqrt(self.omega)
        self.ones = np.ones(self.omega.shape, dtype=complex)


def _element_impedance(element: Element, values: dict, grid: FrequencyGrid):
    kind = element.kind
    if kind == "R":
        return complex(values[element.name])
    if kind == "CPE":
        q, alpha = values[element.name + "_0"], values[element.name + "_1"]
        return np.exp(-alpha * grid.log_j_omega) / q
    if kind == "C":
        return 1.0 / (grid.j_omega * values[element.name])
    if kind == "L":
        return grid.j_omega * values[element.name]
    return values[element.name] * grid.warburg


def _element_derivatives(element: Element, values: dict, grid: FrequencyGrid, z) -> dict:
    """{parameter: dZ/dparameter} of one element, given its impedance z."""
    name = element.name
    if element.kind == "R":
        return {name: grid.ones}
    if element.kind in ("L", "W"):
        return {name: z / values[name]}
    if element.kind == "C":
        return {name: -z / values[name]}
    return {name + "_0": -z / values[name + "_0"], name + "_1": -z * grid.log_j_omega}

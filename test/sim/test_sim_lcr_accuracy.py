"""The simulated analyzer's reading error has the accuracy chart's shape.

Measured through SCPI, as a client sees it: the spread of repeated readings of a fixed
impedance against the figures worked by hand from the chart's shape (docs/simulator.md).
"""
import math

import numpy as np
import pytest

from press_control.sim.scpi_analyzer import Analyzer

READINGS = 400


class Resistor:
    """A pure resistance: its true value is known exactly."""

    def __init__(self, ohm):
        self.ohm = ohm

    def impedance(self, frequency_hz, noise=True):
        return complex(self.ohm, 0.0)


def _spread(ohm, frequency_hz=1000.0, level_v=1.0, aperture="MED", seed=0):
    """(relative std of Z', of Z'', their correlation) over repeated spot readings."""
    analyzer = Analyzer(Resistor(ohm), lead_inductance_h=0.0, seed=seed)
    analyzer.handle(f":FUNC:IMP RX;:FREQ {frequency_hz};:VOLT {level_v};:APER {aperture};"
                    ":TRIG:SOUR BUS")
    real, imag = [], []
    for _ in range(READINGS):
        analyzer.handle(":TRIG")
        a, b, _ = analyzer.handle(":FETC?").split(",")
        real.append(float(a) - ohm)
        imag.append(float(b))
    return np.std(real) / ohm, np.std(imag) / ohm, np.corrcoef(real, imag)[0, 1]


def test_the_basic_accuracy_at_one_volt_with_independent_components():
    real, imag, correlation = _spread(1000.0)
    # 0.05 % + 2.5 mOhm / 1 kOhm + 10 nS x 1 kOhm = 0.0515 %
    assert real == pytest.approx(5.15e-4, rel=0.15)
    assert imag == pytest.approx(5.15e-4, rel=0.15)
    assert abs(correlation) < 0.15


@pytest.mark.parametrize("settings, factor", [
    ({"level_v": 0.01}, 10.0),             # sqrt(1 V / 10 mV)
    ({"level_v": 0.1}, math.sqrt(10.0)),
    ({"aperture": "SHOR"}, 2.0),
    ({"aperture": "LONG"}, 0.7),
    ({"frequency_hz": 1.5e6}, 2.0),
])
def test_the_error_grows_as_the_chart_says(settings, factor):
    base = _spread(1000.0, seed=1)[0] - 5.15e-4 + 5.0e-4      # the basic part only
    changed = _spread(1000.0, seed=2, **settings)[0] - 1.5e-5
    assert changed / base == pytest.approx(factor, rel=0.2)


def test_very_low_and_very_high_impedances_lose_accuracy():
    assert _spread(0.1)[0] == pytest.approx(5e-4 + 0.025 + 1e-9, rel=0.15)    # Zs / |Z|
    assert _spread(1.0e5)[0] == pytest.approx(5e-4 + 2.5e-8 + 1e-3, rel=0.15)  # Yo |Z|

"""The simulated analyzer's measurement error, in the shape of an E4980A accuracy chart.

Relative error (one standard deviation of each of Z' and Z'', drawn independently):

    sigma = basic x aperture x level x frequency + Zs / |Z| + Yo |Z|

* basic 0.05 %: the E4980A's basic accuracy, at 1 V, MED aperture, up to 1 MHz;
* aperture: SHORT doubles it, LONG takes 0.7 of it (averaging longer);
* level: grows as sqrt(1 V / level) below 1 V (0.1 V: x3.2, 10 mV: x10);
* frequency: doubled above 1 MHz;
* short residual Zs 2.5 mOhm and open residual Yo 10 nS: low and high |Z| lose accuracy.

These are the chart's shape with round numbers, not a copy of its values.
"""
import dataclasses
import math

APERTURE_FACTOR = {"SHOR": 2.0, "MED": 1.0, "LONG": 0.7}


@dataclasses.dataclass
class AccuracyModel:
    """Relative measurement error of one reading (see the module's text)."""

    basic: float = 0.0005
    short_residual_ohm: float = 0.0025
    open_admittance_s: float = 1.0e-8

    def relative_sigma(self, magnitude_ohm: float, frequency_hz: float, level_v: float,
                       aperture: str) -> float:
        level = math.sqrt(1.0 / max(level_v, 1e-3)) if level_v < 1.0 else 1.0
        frequency = 2.0 if frequency_hz > 1.0e6 else 1.0
        return self.basic * APERTURE_FACTOR[aperture] * level * frequency + \
            self.short_residual_ohm / max(magnitude_ohm, 1e-12) + \
            self.open_admittance_s * magnitude_ohm

    def measure(self, z: complex, frequency_hz: float, level_v: float, aperture: str,
                rng) -> complex:
        """The reading of z: independent normal errors on the real and imaginary parts."""
        sigma = self.relative_sigma(abs(z), frequency_hz, level_v, aperture) * abs(z)
        return z + complex(rng.normal(0.0, sigma), rng.normal(0.0, sigma))

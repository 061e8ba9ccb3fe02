"""Spectra of solid-electrolyte cells written from the physics, for blind tests of the fitter.

Imports nothing of press_control (neither its analysis nor the cell twin): each case is
built from area-specific properties (ohm cm^2, F/cm^2) of the electrolyte's bulk, grain
boundaries and the Li interface, scaled to the die and the temperature (Arrhenius), with
fixture lead inductance and measurement noise; some from models the fitter does not have
(de Levie's transmission line, three arcs). Sources of the numbers: docs/simulator.md.
`RECOVERED` and `NOT_DETERMINED` are the cases the tests and `pressctl bench` use.
"""
import dataclasses
import math

import numpy as np

BOLTZMANN_EV_K = 8.617333262e-5


@dataclasses.dataclass
class Layer:
    """An arc: area-specific resistance at 25 C, capacitance per area, CPE exponent, Ea."""

    asr_ohm_cm2: float
    capacitance_f_cm2: float
    alpha: float
    activation_ev: float


@dataclasses.dataclass
class Case:
    """One cell on one die at one temperature, measured with one fixture."""

    name: str
    die_mm: float = 10.0
    temperature_c: float = 25.0
    bulk_asr_ohm_cm2: float = 12.0          # 0.6 mm of a 5 mS/cm argyrodite
    bulk_activation_ev: float = 0.35
    layers: tuple = ()
    interface_layers: tuple = ()            # indices of the layers at the Li interface
    warburg_ohm_cm2_s: float = 0.0          # semi-infinite diffusion, sigma x area
    inductance_h: float = 0.0
    transmission_line_ohm_cm2: float = 0.0  # ionic resistance of a porous interface layer
    noise: float = 0.002                    # relative, independent on Z' and Z''
    seed: int = 0

    @property
    def area_cm2(self) -> float:
        return math.pi * (self.die_mm / 20.0) ** 2

    def arrhenius(self, activation_ev: float) -> float:
        kelvin, reference = self.temperature_c + 273.15, 298.15
        return math.exp(activation_ev / BOLTZMANN_EV_K * (1 / kelvin - 1 / reference))

    def arc(self, layer: Layer):
        """(R ohm, Q, alpha) of a layer on this die at this temperature."""
        resistance = layer.asr_ohm_cm2 * self.arrhenius(layer.activation_ev) / self.area_cm2
        capacitance = layer.capacitance_f_cm2 * self.area_cm2
        # the CPE whose Brug capacitance with this R is `capacitance`
        q = capacitance ** layer.alpha / resistance ** (1 - layer.alpha)
        return resistance, q, layer.alpha

    @property
    def interface_ohm(self) -> float:
        return sum(self.arc(self.layers[i])[0] for i in self.interface_layers)

    def spectrum(self, frequencies_hz):
        omega = 2 * np.pi * np.asarray(frequencies_hz, dtype=float)
        z = self.bulk_asr_ohm_cm2 * self.arrhenius(self.bulk_activation_ev) / self.area_cm2 \
            + 1j * omega * self.inductance_h + 0j
        for index, layer in enumerate(self.layers):
            resistance, q, alpha = self.arc(layer)
            admittance = 1 / resistance + q * (1j * omega) ** alpha
            if self.transmission_line_ohm_cm2 and index in self.interface_layers:
                # de Levie's porous electrode: sqrt(R_ion Z_s) coth(sqrt(R_ion / Z_s))
                ionic = self.transmission_line_ohm_cm2 / self.area_cm2
                surface = 1 / admittance
                root = np.sqrt(ionic / surface)
                z = z + np.sqrt(ionic * surface) / np.tanh(root)
            else:
                z = z + 1 / admittance
        if self.warburg_ohm_cm2_s:
            z = z + self.warburg_ohm_cm2_s / self.area_cm2 * (1 - 1j) / np.sqrt(omega)
        rng = np.random.default_rng(self.seed)
        return z + self.noise * np.abs(z) * (rng.normal(size=z.size)
                                             + 1j * rng.normal(size=z.size))


GRAIN_BOUNDARY = Layer(asr_ohm_cm2=20.0, capacitance_f_cm2=2e-9, alpha=0.95,
                       activation_ev=0.40)
LI_INTERFACE = Layer(asr_ohm_cm2=25.0, capacitance_f_cm2=5e-7, alpha=0.85,
                     activation_ev=0.45)
SURFACE_LAYER = Layer(asr_ohm_cm2=15.0, capacitance_f_cm2=3e-8, alpha=0.9,
                      activation_ev=0.45)

ARGYRODITE = dict(layers=(GRAIN_BOUNDARY, LI_INTERFACE), interface_layers=(1,))

RECOVERED = [
    Case("10 mm die, 25 C, diffusion tail, 0.2 uH leads", warburg_ohm_cm2_s=30.0,
         inductance_h=2e-7, **ARGYRODITE),
    Case("10 mm die, -20 C: the grain-boundary arc enters the sweep", temperature_c=-20,
         warburg_ohm_cm2_s=30.0, inductance_h=2e-7, **ARGYRODITE),
    Case("10 mm die, -40 C", temperature_c=-40, inductance_h=2e-7, **ARGYRODITE),
    Case("10 mm die, 60 C", temperature_c=60, inductance_h=5e-7, **ARGYRODITE),
    Case("13 mm die, 0.5 uH leads", die_mm=13, inductance_h=5e-7, seed=1, **ARGYRODITE),
    Case("20 mm die, 0.5 uH leads", die_mm=20, inductance_h=5e-7, seed=2, **ARGYRODITE),
    Case("three arcs: grain boundary, interphase layer, Li interface", temperature_c=-10,
         layers=(GRAIN_BOUNDARY, SURFACE_LAYER, LI_INTERFACE), interface_layers=(2,),
         inductance_h=2e-7, seed=3),
    Case("porous interface (transmission line), thin", transmission_line_ohm_cm2=5.0,
         seed=4, **ARGYRODITE),
    Case("1 % noise", noise=0.01, warburg_ohm_cm2_s=30.0, seed=5, **ARGYRODITE),
    Case("fresh Li foil: 18 times the settled interface",
         layers=(GRAIN_BOUNDARY, Layer(450.0, 5e-7, 0.85, 0.45)), interface_layers=(1,),
         warburg_ohm_cm2_s=30.0, inductance_h=2e-7, seed=6),
]

# (case, what the fitter must say instead of a number)
NOT_DETERMINED = [
    (Case("porous interface whose ionic resistance exceeds its charge transfer",
          transmission_line_ohm_cm2=40.0, warburg_ohm_cm2_s=30.0, **ARGYRODITE),
     "arcs with an electrode-interface capacitance"),
    (Case("interface arc below the sweep's lowest frequency",
          layers=(GRAIN_BOUNDARY, Layer(3000.0, 2e-5, 0.85, 0.45)), interface_layers=(1,)),
     "outside the sweep"),
    (Case("no interface arc: a blocking electrode's grain boundary only",
          layers=(GRAIN_BOUNDARY,), interface_layers=(), temperature_c=-30),
     "no arc with an electrode-interface capacitance"),
]

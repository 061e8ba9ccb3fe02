"""Density and Heckel fit from the platen position: the simulated press, then a blind one."""
import dataclasses
import math

import numpy as np
import pytest

from press_control.analysis.densification import Sample, heckel_fit
from press_control.analysis.die_calibration import (
    calibration_from_holds, empty_die_problem, load_calibration)
from press_control.control.dies import Die
from press_control.control.profile_runner import Command
from press_control.resources import config_path
from press_control.sim.stepped import SteppedPress

DIE = Die("d10", 10.0, 500.0)


def test_heckel_k_and_density_follow_the_simulated_compact():
    """Readings (calibrated platen position, load cell) against the simulator's true density.

    During a 10 MPa/s ramp part of the consolidation has not happened yet, so the ramp's
    Heckel slope is the one of the true densities seen at the same moments (a little under
    the consolidated K), which is what the fit must find.
    """
    press = SteppedPress(DIE, seed=8)
    calibration = load_calibration(config_path("die_calibration_sim"), DIE.die_id)
    preset = press.cell.p
    sample = Sample(preset.electrolyte_mass_mg, preset.true_density_g_cm3, DIE.area_mm2,
                    elastic_modulus_mpa=preset.elastic_modulus_mpa)
    press.apply(Command("set_pressure", 370.0, 10.0))
    pressures, densities, true_pressures, true_densities = [], [], [], []
    while press.true_pressure_mpa < 369.0 and press.time_s < 200.0:
        press.advance(0.1)
        position = press.controller.get("platen_position_mm")
        force = press.controller.measured_force_kn
        pressures.append(DIE.pressure_mpa(force))
        thickness = calibration.thickness_mm(position, force)
        densities.append(sample.relative_density(sample.plastic_thickness_mm(thickness,
                                                                             force)))
        true_pressures.append(press.true_pressure_mpa)
        true_densities.append(press.cell.relative_density)
    fit = heckel_fit(pressures, densities)
    linear = np.array(true_pressures) >= 50.0
    true_k = np.polyfit(np.array(true_pressures)[linear],
                        -np.log(1.0 - np.array(true_densities)[linear]), 1)[0]
    assert fit is not None and fit.r2 > 0.99
    assert fit.k_per_mpa == pytest.approx(true_k, rel=0.02)
    assert 0.85 * preset.heckel_k_per_mpa < fit.k_per_mpa < preset.heckel_k_per_mpa
    assert densities[-1] == pytest.approx(press.cell.relative_density, abs=0.003)


def test_too_few_points_give_no_fit():
    assert heckel_fit([10.0, 20.0], [0.5, 0.6]) is None


# ---- blind: a press and a powder this package was not built from ---------------------
# The readings below come from this file's own model, not the simulator: a position sensor
# with its own offset, seating and a frame that stiffens under load, steel punches, and a
# powder following Kawakita's equation, C = (V0 - V) / V0 = a b P / (1 + b P) (Kawakita and
# Luedde, Powder Technol. 4, 61 (1971)), where the twin uses Heckel's. The die is calibrated
# as `pressctl calibrate-die` does (holds at rising levels, the empty die), then the ramp's
# readings become in-die densities. Truth: the model's compact at that moment.

STEEL_MPA = 210000.0


class BenchPress:
    """A press with a die of one diameter: platen readings and load cell, with noise."""

    def __init__(self, diameter_mm: float, seed: int, offset_mm: float = 0.8312,
                 frame_kn_mm: float = 380.0, seating_um: float = 7.0,
                 punch_length_mm: float = 64.0):
        self.area_mm2 = math.pi * diameter_mm ** 2 / 4.0
        self.rng = np.random.default_rng(seed)
        self.offset_mm, self.frame_kn_mm = offset_mm, frame_kn_mm
        self.seating_mm, self.punch_length_mm = seating_um / 1000.0, punch_length_mm

    def compression_mm(self, force_kn: float) -> float:
        seating = self.seating_mm * (1.0 - math.exp(-force_kn / 1.2))
        frame = force_kn / self.frame_kn_mm - 2.0e-7 * force_kn ** 2
        punches = force_kn * 1000.0 * self.punch_length_mm / (STEEL_MPA * self.area_mm2)
        return seating + frame + punches

    def read(self, pressure_mpa: float, thickness_mm: float) -> tuple:
        """(load cell kN, platen position mm) with the sample's thickness between punches."""
        force = pressure_mpa * self.area_mm2 / 1000.0
        position = self.offset_mm + thickness_mm - self.compression_mm(force)
        return (force + self.rng.normal(0.0, 0.01),
                position + self.rng.normal(0.0, 0.0005))

    def empty_die_holds(self, levels_mpa, samples: int = 40) -> list:
        return [[self.read(level, 0.0) for _ in range(samples)] for level in levels_mpa]


@dataclasses.dataclass
class KawakitaPowder:
    """Mass, true density, loose relative density, Kawakita a and b, and compact modulus."""

    mass_mg: float
    true_density_g_cm3: float
    loose: float
    a: float
    b_per_mpa: float
    modulus_mpa: float

    def plastic_density(self, pressure_mpa: float) -> float:
        bp = self.b_per_mpa * pressure_mpa
        return self.loose / (1.0 - self.a * bp / (1.0 + bp))

    def in_die_thickness_mm(self, pressure_mpa: float, area_mm2: float) -> float:
        solid_mm3 = self.mass_mg / self.true_density_g_cm3
        plastic = solid_mm3 / (area_mm2 * self.plastic_density(pressure_mpa))
        return plastic * (1.0 - pressure_mpa / self.modulus_mpa)


# a soft sulfide: 0.34 loose, 0.82 at 370 MPa; a harder oxide-rich powder: 0.45 -> 0.68
SULFIDE = KawakitaPowder(110.0, 1.865, 0.34, 0.62, 0.0457, 18000.0)
HARD = KawakitaPowder(400.0, 5.11, 0.45, 0.40, 0.012, 90000.0)
LEVELS_MPA = tuple(2.0 * (400.0 / 2.0) ** (i / 7) for i in range(8))


def ramp_errors(press: BenchPress, powder: KawakitaPowder, thickness_of) -> tuple:
    """Largest in-die and plastic density errors from 50 to 370 MPa."""
    in_die = Sample(powder.mass_mg, powder.true_density_g_cm3, press.area_mm2)
    plastic = Sample(powder.mass_mg, powder.true_density_g_cm3, press.area_mm2,
                     elastic_modulus_mpa=powder.modulus_mpa)
    worst_in_die = worst_plastic = 0.0
    for pressure in np.arange(50.0, 370.0, 2.0):
        truth_in_die = powder.plastic_density(pressure) / (1.0 - pressure / powder.modulus_mpa)
        thickness_mm = powder.in_die_thickness_mm(pressure, press.area_mm2)
        force, position = press.read(pressure, thickness_mm)
        thickness = thickness_of(position, force)
        worst_in_die = max(worst_in_die,
                           abs(in_die.relative_density(thickness) - truth_in_die))
        worst_plastic = max(worst_plastic, abs(plastic.relative_density(
            plastic.plastic_thickness_mm(thickness, force)) - powder.plastic_density(pressure)))
    return worst_in_die, worst_plastic


@pytest.mark.parametrize("diameter_mm, powder", [
    (12.0, SULFIDE), (20.0, dataclasses.replace(SULFIDE, mass_mg=300.0)), (12.0, HARD)])
def test_a_calibrated_die_gives_the_density_of_a_powder_it_was_not_built_from(
        diameter_mm, powder):
    press = BenchPress(diameter_mm, seed=int(diameter_mm) + len(str(powder.a)))
    calibration = calibration_from_holds("blind", press.empty_die_holds(LEVELS_MPA))
    assert empty_die_problem(calibration) == ""
    in_die, plastic = ramp_errors(press, powder, calibration.thickness_mm)
    assert in_die < 0.005 and plastic < 0.005, (in_die, plastic)


@pytest.mark.parametrize("diameter_mm, powder", [(12.0, SULFIDE), (20.0, HARD)])
def test_a_zeroed_sensor_and_a_guessed_frame_stiffness_miss_the_density(diameter_mm, powder):
    """Before a calibration: zeroed on the touching punches, the frame guessed at 800 kN/mm."""
    press = BenchPress(diameter_mm, seed=3)
    zero = press.read(LEVELS_MPA[0], 0.0)[1]
    in_die, _ = ramp_errors(press, powder,
                            lambda position, force: position - zero + force / 800.0)
    assert in_die > 0.02, in_die

"""Density from the platen after a die calibration, against the simulated compact's truth.

For each die and powder, the stepped simulator ramps the powder to 370 MPa at 10 MPa/s.
Every 0.5 s the monitor's arithmetic turns the press's reading into the in-die relative
density: the shipped empty-die curve of that die (config/die_calibration_sim), the goal's
mass and true density. The error is against the simulated compact's true in-die relative
density at that moment (its thickness under load): what the die calibration alone gets
right, before the material's elastic modulus takes the elastic strain out. "Before" is the
old way: the sensor zeroed on the touching punches and the frame's stiffness guessed
(800 kN/mm).
"""
import numpy as np

from press_control.analysis.densification import Sample
from press_control.analysis.die_calibration import load_calibration
from press_control.app.bench.report import Figure
from press_control.control.dies import Die
from press_control.control.profile_runner import Command
from press_control.resources import config_path
from press_control.sim.stepped import SteppedPress

SECTION = ("Density from the platen (stepped simulator, ramp to 370 MPa at 10 MPa/s; "
           "the shipped die calibrations; error against the true in-die relative density)")
DIES = (Die("d10", 10.0, 500.0), Die("d13", 13.0, 450.0), Die("d16", 16.0, 400.0))
POWDERS = ("li6ps5cl", "cathode_composite")
GUESSED_FRAME_KN_MM = 800.0
TOP_MPA = 370.0
ABOVE_MPA = 50.0                # below, the compact is still loose powder: not judged


def density_errors(die: Die, powder: str, seed: int = 11) -> tuple:
    """(largest error after calibration, largest error of the guess) above ABOVE_MPA."""
    calibration = load_calibration(config_path("die_calibration_sim"), die.die_id)
    press = SteppedPress(die, seed=seed, cell_preset=powder)
    preset = press.cell.p
    sample = Sample(preset.electrolyte_mass_mg, preset.true_density_g_cm3, die.area_mm2)
    zero = calibration.empty_position_mm[0]
    press.apply(Command("set_pressure", TOP_MPA, 10.0))
    after, before = [], []
    while press.true_pressure_mpa < TOP_MPA - 1.0 and press.time_s < 200.0:
        press.advance(0.5)
        if press.true_pressure_mpa < ABOVE_MPA:
            continue
        force = press.controller.measured_force_kn
        position = press.controller.get("platen_position_mm")
        cell = press.cell            # in-die: the plastic density over the elastic strain
        truth = cell.relative_density / (1.0 - cell.pressure_mpa / preset.elastic_modulus_mpa)
        calibrated = calibration.thickness_mm(position, force)
        guessed = position - zero + force / GUESSED_FRAME_KN_MM
        for thickness, errors in ((calibrated, after), (guessed, before)):
            errors.append(abs(sample.relative_density(thickness) - truth))
    return float(np.max(after)), float(np.max(before))


def run() -> list:
    figures = []
    for powder in POWDERS:
        for die in DIES:
            after, before = density_errors(die, powder)
            figures.append(Figure(SECTION, f"{powder} in {die.die_id}: largest density "
                                           "error, calibrated", after, "", "<= 0.005",
                                  baseline=before, note="baseline: zeroed on the touching "
                                  f"punches, frame {GUESSED_FRAME_KN_MM:.0f} kN/mm guessed"))
    return figures

"""The simulated press stepped in-process (no ports, no threads).

It is commanded the way press_driver commands a real one: for fast, deterministic tests
and benchmarks of profile execution, with the true pressure beside the measured one.
"""
import dataclasses

import numpy as np

from press_control.control.dies import Die
from press_control.control.profile_runner import Command, Observation
from press_control.hardware.force_calibration import NO_CALIBRATION
from press_control.protocol.register_map import RegisterMap
from press_control.resources import default_register_map_path
from press_control.sim.cell import PRESETS, CellModel
from press_control.sim.direct_link import direct_press
from press_control.sim.controller import ControllerParameters, PressController
from press_control.sim.hydraulics import HydraulicPress
from press_control.sim.sensors import Sensors


HEARTBEAT_PERIOD_S = 0.1


class SteppedPress:
    """Controller, hydraulics, cell and sensors advanced by explicit time steps."""

    def __init__(self, die: Die = Die("d10", 10.0, 500.0), seed: int = 0,
                 cycling: bool = False, cell_preset: str = "li6ps5cl",
                 force_calibration=NO_CALIBRATION):
        self.die = die
        self.map = RegisterMap.load(default_register_map_path())
        self.hydraulics = HydraulicPress()
        self.cell = CellModel(dataclasses.replace(PRESETS[cell_preset]), die.area_mm2, seed)
        self.cell.cycling = cycling
        self.controller = PressController(self.map, self.hydraulics, self.cell,
                                          Sensors(seed=seed),
                                          ControllerParameters(die_area_mm2=die.area_mm2))
        self.time_s = 0.0
        self.press = direct_press(self.controller, self.map,      # commanded as the driver does
                                  force_calibration=force_calibration)
        self.press.connect()
        self.press.set_motion_permit(True)
        self.sweep_s = 2.0                  # an EIS sweep's duration, as the analyzer's
        self._sweep_due = None
        self.spectra = []                   # (time, bulk resistance, thickness) per sweep

    def apply(self, command: Command) -> None:
        if command.kind in ("set_pressure", "release"):
            self.press.ramp_to(self.die.force_kn(command.target),
                               self.die.force_kn(command.rate),
                               releasing=command.kind == "release")
        elif command.kind == "temperature":
            self.press.set_temperature(command.target)
        elif command.kind == "sweep" and self._sweep_due is None:
            self._sweep_due = self.time_s + self.sweep_s

    @property
    def true_pressure_mpa(self) -> float:
        return self.die.pressure_mpa(self.hydraulics.force_kn)

    @property
    def true_force_kn(self) -> float:
        """What a reference load cell in the press would read."""
        return self.hydraulics.force_kn

    def observe(self) -> Observation:
        measured_kn = self.press.force_calibration.reference_from_press(
            self.controller.measured_force_kn)
        return Observation(time_s=self.time_s, pressure_mpa=self.die.pressure_mpa(measured_kn),
                           fault_code=self.controller.fault_code,
                           relative_density=self.cell.relative_density,
                           interface_resistance_ohm=self.cell.interface_resistance_ohm(),
                           spectra_seen=len(self.spectra),
                           bulk_resistance_ohm=self.spectra[-1][1] if self.spectra
                           else float("nan"), thickness_mm=self.cell.thickness_mm)

    def advance(self, seconds: float, dt: float = 0.002) -> None:
        """Step the world; the host's watchdog heartbeat goes out every 0.1 s, as the driver's."""
        steps_per_heartbeat = max(1, int(round(HEARTBEAT_PERIOD_S / dt)))
        for step in range(1, int(round(seconds / dt)) + 1):
            self.controller.step(dt)
            self.time_s += dt
            if step % steps_per_heartbeat == 0:
                self.press.heartbeat()
            if self._sweep_due is not None and self.time_s >= self._sweep_due:
                self._sweep_due = None
                self.spectra.append((self.time_s, self.cell.bulk_resistance_ohm(),
                                     self.cell.thickness_mm))
        self.press.heartbeat()

    def run(self, runner, timeout_s: float = 3600.0, observe_period_s: float = 0.05,
            on_step=None):
        """Run a ProfileRunner to its end; returns rows (t, true, measured, reference, index)."""
        rows = []
        while not runner.done and self.time_s < timeout_s:
            observation = self.observe()
            for command in runner.step(observation):
                self.apply(command)
            if on_step is not None:
                on_step(self, runner)
            rows.append((self.time_s, self.true_pressure_mpa, observation.pressure_mpa,
                         runner.reference_mpa, runner.index))
            self.advance(observe_period_s)
        return np.array(rows)

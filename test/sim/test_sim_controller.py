"""The simulated press controller and hydraulics, stepped in-process (no threads, no ports)."""
import math

import numpy as np
import pytest

from press_control.control.dies import Die
from press_control.protocol.register_map import RegisterMap
from press_control.sim.cell import CellModel
from press_control.sim.controller import (FAULT_INTRUSION, FAULT_NO_PERMIT, FAULT_WATCHDOG,
                                          PressController)
from press_control.sim.hydraulics import HydraulicPress
from press_control.sim.sensors import Sensors
from press_control.resources import default_register_map_path

DIE = Die("d10", 10.0, 500.0)
DT = 0.002


class Bench:
    """A controller with a host that writes registers the way the driver does."""

    def __init__(self):
        self.map = RegisterMap.load(default_register_map_path())
        self.hydraulics = HydraulicPress()
        self.controller = PressController(self.map, self.hydraulics,
                                          CellModel(die_area_mm2=DIE.area_mm2), Sensors(seed=1))
        self.heartbeat = 0

    def write(self, name, value):
        assert self.controller.write_words(self.map[name].address, self.map.encode(name, value))

    def beat(self):
        self.heartbeat = (self.heartbeat + 1) & 0xFFFF
        self.write("heartbeat", self.heartbeat)

    def run(self, seconds, heartbeat=True, record=False):
        trace = []
        for i in range(int(round(seconds / DT))):
            if heartbeat and i % 50 == 0:
                self.beat()
            self.controller.step(DT)
            if record:
                trace.append((self.hydraulics.force_kn, self.controller.measured_force_kn))
        return np.array(trace)

    def press_to(self, pressure_mpa, rate_mpa_s=10.0):
        self.write("motion_permit", 1)
        self.write("ramp_rate_kn_s", DIE.force_kn(rate_mpa_s))
        self.write("force_setpoint_kn", DIE.force_kn(pressure_mpa))
        self.write("mode_command", self.map.modes["RAMP"])

    @property
    def pressure(self):
        return DIE.pressure_mpa(self.hydraulics.force_kn)

    @property
    def mode(self):
        return self.map.mode_names[self.controller.mode]


@pytest.fixture
def bench():
    return Bench()


def test_ramp_reaches_392_mpa_and_holds(bench):
    bench.press_to(392.0, rate_mpa_s=10.0)
    bench.run(120.0)
    assert bench.mode == "HOLD"
    assert bench.pressure == pytest.approx(392.0, abs=2.0)


def test_rise_is_pump_limited_to_a_few_mpa_s_at_the_top(bench):
    bench.press_to(392.0, rate_mpa_s=100.0)
    trace = bench.run(150.0, record=True)
    pressure = trace[:, 0] * 1000 / DIE.area_mm2
    near_top = (pressure > 300) & (pressure < 380)
    rate = np.gradient(pressure, DT)[near_top]
    assert 2.0 < rate.mean() < 10.0


def test_leak_down_is_noticed_within_a_minute_when_left_alone(bench):
    bench.press_to(392.0, rate_mpa_s=20.0)
    bench.run(100.0)
    bench.write("mode_command", bench.map.modes["IDLE"])
    start = bench.pressure
    bench.run(60.0)
    assert 2.0 < start - bench.pressure < 20.0


def test_load_cell_noise_and_quantization_are_industrial(bench):
    bench.press_to(50.0)
    bench.run(20.0)
    trace = bench.run(5.0, record=True)
    error = trace[:, 1] - trace[:, 0]
    assert 0.015 < error.std() < 0.05          # ~0.01 % of 294 kN, a few tenths of an MPa
    quantum = 294.2 / 65535
    assert np.allclose(np.round(trace[:, 1] / quantum) * quantum, trace[:, 1])


def test_watchdog_releases_within_its_period(bench):
    bench.press_to(100.0, rate_mpa_s=20.0)
    bench.run(30.0)
    period = bench.controller.get("watchdog_period_ms") / 1000.0
    bench.run(period + 0.01, heartbeat=False)
    assert bench.controller.fault_code == FAULT_WATCHDOG
    peak = bench.pressure
    bench.run(3.0, heartbeat=False)
    assert bench.pressure < 0.05 * peak


def test_motion_without_permit_is_refused(bench):
    bench.write("force_setpoint_kn", DIE.force_kn(50.0))
    bench.write("mode_command", bench.map.modes["RAMP"])
    bench.run(1.0)
    assert bench.controller.fault_code == FAULT_NO_PERMIT
    assert bench.pressure < 0.5


def test_permit_withdrawn_while_pressing_releases(bench):
    bench.press_to(50.0)
    bench.run(10.0)
    bench.write("motion_permit", 0)
    bench.run(3.0)
    assert bench.controller.fault_code == FAULT_INTRUSION
    assert bench.pressure < 2.0


def test_estop_releases_and_latches_until_reset(bench):
    bench.press_to(80.0)
    bench.run(15.0)
    bench.write("control", 1 << bench.map.control_bits["estop"])
    bench.run(3.0)
    assert bench.mode == "ESTOP" and bench.pressure < 2.0
    bench.write("mode_command", bench.map.modes["RAMP"])
    bench.run(1.0)
    assert bench.mode == "ESTOP"
    bench.write("control", 1 << bench.map.control_bits["reset_fault"])
    assert bench.mode == "IDLE" and bench.controller.fault_code == 0


def test_reboot_releases_and_reports_itself(bench):
    bench.press_to(60.0)
    bench.run(10.0)
    boots = bench.controller.get("boot_count")
    bench.controller.boot()
    bench.run(3.0, heartbeat=False)
    assert bench.controller.get("boot_count") == boots + 1
    assert bench.pressure < 2.0


def test_zero_position_and_densification_move_the_platen(bench):
    bench.write("control", 1 << bench.map.control_bits["zero_position"])
    bench.run(0.1)
    assert abs(bench.controller.get("platen_position_mm")) < 0.01
    bench.press_to(370.0, rate_mpa_s=20.0)
    bench.run(100.0)
    assert bench.controller.get("platen_position_mm") < -1.0   # the powder column shortened


def test_platen_temperature_follows_its_setpoint(bench):
    bench.write("temperature_setpoint_c", 60.0)
    bench.run(200.0)
    assert bench.controller.get("platen_temperature_c") == pytest.approx(60.0, abs=1.0)


def test_breathing_changes_force_at_fixed_setpoint_only_when_cycling(bench):
    bench.controller.cell.cycling = True
    bench.press_to(50.0)
    bench.write("mode_command", bench.map.modes["RAMP"])
    bench.run(10.0)
    bench.write("mode_command", bench.map.modes["IDLE"])
    trace = bench.run(30.0, record=True)
    assert np.ptp(trace[:, 0]) * 1000 / DIE.area_mm2 > 0.5
    assert not math.isnan(trace[-1, 0])

"""The press controller (the PLC inside the press): registers, modes, inner loop, safety.

It owns the holding-register image that the Modbus slave serves, reads the host's
commands from it and writes measurements into it. Time is passed in, so tests can drive
it without threads.
"""
import dataclasses
import math
import threading

from press_control.protocol.register_map import RegisterMap
from press_control.sim.cell import CellModel
from press_control.sim.hydraulics import HydraulicPress
from press_control.sim.sensors import Sensors

FAULT_WATCHDOG, FAULT_ESTOP, FAULT_GUARD, FAULT_CAPACITY = 1, 2, 3, 4
FAULT_OVER_TEMPERATURE, FAULT_NO_PERMIT, FAULT_INTRUSION, FAULT_REBOOT = 5, 6, 7, 8


def _nothing() -> None:
    pass


@dataclasses.dataclass
class ControllerParameters:
    """Inner-loop and safety constants of the controller."""

    loop_gain_per_s: float = 4.0           # proportional force loop, (kN/s) per kN
    in_band_kn: float = 0.05               # status bit in_band when |F - setpoint| below this
    pressurized_kn: float = 0.2            # above this the press counts as pressurized
    max_temperature_c: float = 300.0       # over-temperature trip
    heater_rate_c_s: float = 0.5
    cooling_rate_c_s: float = 0.2
    ambient_c: float = 25.0
    default_watchdog_ms: int = 1000
    die_area_mm2: float = math.pi * 25.0   # the die in the press (10 mm), for the cell model
    punch_length_mm: float = 40.0          # both punches together, tool steel...
    punch_modulus_mpa: float = 210000.0    # ...compressed by F L / (E A): 75 um at 30.8 kN, d10
    lvdt_offset_mm: float = 1.2375         # where the platen sensor reads at punch contact
    model: int = 3001
    firmware_version: int = 0x0102
    serial_number: int = 24051977


class PressController:
    """Modes IDLE/RAMP/HOLD/RELEASE/ESTOP/FAULT over a hydraulic model, a cell and sensors."""

    def __init__(self, register_map: RegisterMap, hydraulics: HydraulicPress,
                 cell: CellModel, sensors: Sensors, parameters: ControllerParameters = None):
        self.map = register_map
        self.hydraulics = hydraulics
        self.cell = cell
        self.sensors = sensors
        self.p = parameters or ControllerParameters()
        self.lock = threading.RLock()
        self.before_access = _nothing      # the simulator scans up to now before each access
        self.words = [0] * 128
        self._forget_decoded()
        self.boot_count = 0
        self.guard_closed = True
        self.estop_input = False
        self.time_s = 0.0
        self.temperature_c = self.p.ambient_c
        self.position_offset_mm = 0.0
        self.measured_force_kn = 0.0
        self.boot()

    # ---- registers -------------------------------------------------------------------
    # The scan reads and writes a dozen registers 500 times a second, most of them unchanged:
    # decoded values and the last value written are kept until the words change.
    def get(self, name):
        value = self._decoded.get(name)
        if value is None:
            value = self._decoded[name] = self.map.decode(name, self.words)
        return value

    def set(self, name, value):
        if name in self._written and self._written[name] == value:
            return
        register = self.map[name]
        self.words[register.address:register.address + register.width] = \
            self.map.encode(name, value)
        self._written[name] = value
        self._decoded.pop(name, None)

    def _forget_decoded(self) -> None:
        self._decoded, self._written = {}, {}

    def write_words(self, address: int, values) -> bool:
        """A Modbus write from the host; False if it touches a read-only register."""
        with self.lock:
            self.before_access()
            span = range(address, address + len(values))
            touched = [r for r in self.map.registers.values()
                       if r.address < span.stop and r.address + r.width > span.start]
            if not touched or any(not r.writable for r in touched):
                return False
            self.words[address:address + len(values)] = [int(v) & 0xFFFF for v in values]
            self._forget_decoded()
            if any(r.name == "heartbeat" for r in touched):
                self._heartbeat_seen_s = self.time_s
                self._watchdog_armed = True
            moving = self.mode in (self.map.modes["RAMP"], self.map.modes["HOLD"])
            if any(r.name == "motion_permit" for r in touched) and moving and \
                    not self.get("motion_permit"):
                self._latch(FAULT_INTRUSION)     # the permit input drops: dump at once
            if any(r.name == "control" for r in touched):
                self._apply_control(self.get("control"))
            if any(r.name == "mode_command" for r in touched):
                self._apply_mode_command(self.get("mode_command"))
            return True

    def read_words(self, address: int, count: int):
        with self.lock:
            self.before_access()
            if address < 0 or address + count > len(self.words):
                return None
            return list(self.words[address:address + count])

    # ---- lifecycle -------------------------------------------------------------------
    def boot(self) -> None:
        """Power-up state; a reboot releases pressure (valves de-energize) and says so."""
        with self.lock:
            rebooted = self.boot_count > 0
            self.boot_count += 1
            self.words = [0] * 128
            self._forget_decoded()
            self.set("magic", self.map.magic)
            self.set("model", self.p.model)
            self.set("firmware_version", self.p.firmware_version)
            self.set("map_version", self.map.map_version)
            self.set("serial_number", self.p.serial_number)
            self.set("capacity_kn", self.hydraulics.p.capacity_kn)
            self.set("watchdog_period_ms", self.p.default_watchdog_ms)
            self.set("boot_count", self.boot_count)
            self.mode = self.map.modes["IDLE"]
            self.fault_code = FAULT_REBOOT if rebooted else 0
            self.target_kn = 0.0
            self._watchdog_armed = False
            self._heartbeat_seen_s = self.time_s
            self._watchdog_tripped = False
            self._dumping = rebooted
            self._publish_measurements()

    # ---- host commands ---------------------------------------------------------------
    def _apply_control(self, control: int) -> None:
        bits = self.map.control_bits
        if control >> bits["estop"] & 1:
            self._latch(FAULT_ESTOP, self.map.modes["ESTOP"])
        if control >> bits["reset_fault"] & 1:
            self._reset_fault()
        if control >> bits["zero_position"] & 1:
            self.position_offset_mm = self._raw_position_mm()
        self.set("control", 0)

    def _apply_mode_command(self, command: int) -> None:
        modes = self.map.modes
        if self.mode in (modes["ESTOP"], modes["FAULT"]):
            return
        setpoint = self.get("force_setpoint_kn")
        if command == modes["IDLE"]:
            self.mode = modes["IDLE"]
            return
        if command in (modes["RAMP"], modes["HOLD"]):
            if not self.get("motion_permit"):
                self._latch(FAULT_NO_PERMIT)
                return
            if not self.guard_closed:
                self._latch(FAULT_GUARD)
                return
            if not 0.0 <= setpoint <= self.hydraulics.p.capacity_kn or math.isnan(setpoint):
                self._latch(FAULT_CAPACITY)
                return
        if self.mode == modes["IDLE"]:
            self.target_kn = self.measured_force_kn
        if command == modes["RELEASE"]:          # a release never pushes the platen up
            self.target_kn = min(self.target_kn, self.measured_force_kn)
        if command == modes["HOLD"]:
            self.set("force_setpoint_kn", self.target_kn)      # stop where the ramp is
        elif command not in (modes["RAMP"], modes["RELEASE"]):
            return
        self.mode = command

    def _latch(self, code: int, mode: int = None) -> None:
        self.fault_code = code
        self.mode = self.map.modes["FAULT"] if mode is None else mode
        self._dumping = True

    def _reset_fault(self) -> None:
        if self.estop_input:
            return
        self.fault_code = 0
        self._watchdog_tripped = False
        self._watchdog_armed = False
        self._dumping = False
        self.mode = self.map.modes["IDLE"]
        self.target_kn = 0.0
        self.set("force_setpoint_kn", 0.0)
        self.set("mode_command", self.mode)

    # ---- the scan --------------------------------------------------------------------
    def step(self, dt: float) -> None:
        with self.lock:
            self.time_s += dt
            modes = self.map.modes
            pressurized = self.hydraulics.force_kn > self.p.pressurized_kn
            if self.estop_input and self.mode != modes["ESTOP"]:
                self._latch(FAULT_ESTOP, modes["ESTOP"])
            period_s = self.get("watchdog_period_ms") / 1000.0
            if (self._watchdog_armed and period_s > 0
                    and self.time_s - self._heartbeat_seen_s > period_s
                    and not self._watchdog_tripped):
                self._watchdog_tripped = True
                self._latch(FAULT_WATCHDOG)
            moving = self.mode in (modes["RAMP"], modes["HOLD"])
            if moving and pressurized and not self.guard_closed:
                self._latch(FAULT_GUARD)
            if moving and not self.get("motion_permit"):
                self._latch(FAULT_INTRUSION)
            if self.temperature_c > self.p.max_temperature_c:
                self._latch(FAULT_OVER_TEMPERATURE)

            measured = self.sensors.force(self.hydraulics.force_kn)
            rate = self._loop_rate(dt, measured)
            pressure = self.hydraulics.force_kn * 1000.0 / self.p.die_area_mm2
            self.cell.temperature_c = self.temperature_c
            breathing = self.cell.step(dt, pressure)
            pump_off = self.mode in (modes["IDLE"], modes["FAULT"], modes["ESTOP"])
            self.hydraulics.step(dt, rate, dump=self._dumping, external_rate_kn_s=breathing,
                                 pump_off=pump_off)
            self._step_temperature(dt)
            self.measured_force_kn = measured
            self._publish_measurements()

    def _loop_rate(self, dt: float, measured_kn: float) -> float:
        """Ramp generator plus proportional force loop.

        The target always moves toward the setpoint at the commanded rate, so a setpoint
        changed in HOLD is ramped, not stepped.
        """
        modes = self.map.modes
        setpoint = self.get("force_setpoint_kn")
        if not math.isfinite(measured_kn):       # no force feedback: hold, or open the valve
            return -math.inf if self.mode in (modes["IDLE"], modes["RELEASE"]) else 0.0
        if self.mode == modes["IDLE"]:
            return -math.inf if setpoint <= self.p.pressurized_kn else 0.0
        if self.mode not in (modes["RAMP"], modes["HOLD"], modes["RELEASE"]):
            return 0.0
        ramp = abs(self.get("ramp_rate_kn_s"))
        step = ramp * dt if ramp > 0 else math.inf
        feedforward = 0.0
        if self.target_kn < setpoint:
            self.target_kn = min(setpoint, self.target_kn + step)
            feedforward = ramp if self.target_kn < setpoint else 0.0
        elif self.target_kn > setpoint:
            self.target_kn = max(setpoint, self.target_kn - step)
            feedforward = -ramp if self.target_kn > setpoint else 0.0
        if self.target_kn == setpoint:
            released = self.mode == modes["RELEASE"] and setpoint <= self.p.pressurized_kn
            self.mode = modes["IDLE"] if released else modes["HOLD"]
        elif self.mode == modes["HOLD"]:
            self.mode = modes["RAMP"] if setpoint > self.target_kn else modes["RELEASE"]
        return feedforward + self.p.loop_gain_per_s * (self.target_kn - measured_kn)

    def _step_temperature(self, dt: float) -> None:
        setpoint = self.get("temperature_setpoint_c")
        target = setpoint if setpoint > self.p.ambient_c else self.p.ambient_c
        error = target - self.temperature_c
        rate = min(max(error * 0.2, -self.p.cooling_rate_c_s), self.p.heater_rate_c_s)
        self.temperature_c += rate * dt

    def _raw_position_mm(self) -> float:
        force = self.hydraulics.force_kn
        stiffness_n_mm = self.p.punch_modulus_mpa * self.p.die_area_mm2 / self.p.punch_length_mm
        punches = force * 1000.0 / stiffness_n_mm
        return self.p.lvdt_offset_mm + self.cell.thickness_mm - punches - \
            self.hydraulics.p.frame_deflection_mm(force)

    def _publish_measurements(self) -> None:
        bits = self.map.status_bits
        force = self.measured_force_kn
        setpoint = self.get("force_setpoint_kn")
        permit = self.get("motion_permit")
        flags = {
            "ready": self.fault_code == 0 and self.guard_closed and not self.estop_input,
            "pressurized": self.hydraulics.force_kn > self.p.pressurized_kn,
            "fault": self.fault_code != 0,
            "estop": self.estop_input or self.mode == self.map.modes["ESTOP"],
            "guard_closed": self.guard_closed,
            "motion_permit": bool(permit),
            "watchdog_tripped": self._watchdog_tripped,
            "heater_on": self.get("temperature_setpoint_c") > self.p.ambient_c,
            "in_band": abs(force - setpoint) < self.p.in_band_kn,
        }
        self.set("status", sum(1 << bits[name] for name, on in flags.items() if on))
        self.set("mode", self.mode)
        self.set("fault_code", self.fault_code)
        self.set("force_kn", force)
        self.set("platen_position_mm",
                 self.sensors.position(self._raw_position_mm() - self.position_offset_mm))
        self.set("platen_temperature_c", self.sensors.temperature(self.temperature_c))
        self.set("force_setpoint_readback_kn", setpoint)
        self.set("ramp_rate_readback_kn_s", self.get("ramp_rate_kn_s"))
        self.set("motion_permit_readback", permit)
        self.set("heartbeat_echo", self.get("heartbeat"))

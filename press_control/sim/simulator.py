"""The simulator: press controller and impedance analyzer on pseudo-terminals, in threads."""
import dataclasses
import math
import os
import threading
import time

from press_control.protocol.register_map import RegisterMap
from press_control.resources import default_register_map_path
from press_control.sim.cell import PRESETS, CellModel
from press_control.sim.controller import ControllerParameters, PressController
from press_control.sim.hydraulics import HydraulicParameters, HydraulicPress
from press_control.sim.line_faults import LineFaults
from press_control.sim.modbus_slave import ModbusSlave
from press_control.sim.modbus_tcp_server import ModbusTcpServer
from press_control.sim.pty_port import PtyPort
from press_control.sim.scpi_analyzer import Analyzer, ScpiDevice
from press_control.sim.scpi_tcp_server import ScpiTcpServer
from press_control.sim.sensors import Sensors
from press_control.sim.timing_watch import TimingWatch


@dataclasses.dataclass
class SimulatorConfig:
    """Where the devices appear and how they talk; physics parameters ride along."""

    directory: str = "/tmp/press_sim"
    press_name: str = "press"
    analyzer_name: str = "lcr"
    press_baud: int = 115200
    press_parity: str = "N"
    slave_id: int = 1
    modbus_tcp_port: int = 0          # the controller on Modbus TCP too (0: any free port)
    analyzer_baud: int = 115200
    analyzer_tcp_port: int = 0        # the analyzer's SCPI on a raw TCP socket (0: any port)
    register_map: str = ""
    cell_preset: str = "li6ps5cl"
    die_diameter_mm: float = 10.0
    cycling: bool = False
    seed: int = 0
    step_s: float = 0.002
    hydraulics: HydraulicParameters = dataclasses.field(default_factory=HydraulicParameters)
    controller: ControllerParameters = dataclasses.field(default_factory=ControllerParameters)

    @property
    def press_path(self) -> str:
        return os.path.join(self.directory, self.press_name)

    @property
    def analyzer_path(self) -> str:
        return os.path.join(self.directory, self.analyzer_name)

    @property
    def press_tcp_path(self) -> str:
        """File holding the Modbus TCP address of the controller (tcp://127.0.0.1:port)."""
        return os.path.join(self.directory, self.press_name + ".tcp")

    @property
    def analyzer_visa_path(self) -> str:
        """File holding the analyzer's VISA resource (TCPIP0::127.0.0.1::port::SOCKET)."""
        return os.path.join(self.directory, self.analyzer_name + ".visa")


PHYSICS_WAKE_S = 0.01       # the physics thread's period; the scan itself is step_s
MAX_STALL_S = 0.05


def _write_whole(path: str, line: str) -> None:
    """Write path so that a reader never sees it half written."""
    temporary = path + ".tmp"
    with open(temporary, "w") as stream:
        stream.write(line + "\n")
    os.replace(temporary, path)


class Simulator:
    """Owns the models, the two serial devices and the physics thread."""

    def __init__(self, config: SimulatorConfig = None):
        self.config = config or SimulatorConfig()
        c = self.config
        os.makedirs(c.directory, exist_ok=True)
        self.register_map = RegisterMap.load(c.register_map or default_register_map_path())
        die_area = math.pi * (c.die_diameter_mm / 2.0) ** 2
        c.controller.die_area_mm2 = die_area
        self.hydraulics = HydraulicPress(c.hydraulics)
        self.cell = CellModel(dataclasses.replace(PRESETS[c.cell_preset]), die_area, c.seed)
        self.cell.cycling = c.cycling
        self.sensors = Sensors(seed=c.seed)
        self.controller = PressController(self.register_map, self.hydraulics, self.cell,
                                          self.sensors, c.controller)
        self.press_faults = LineFaults()
        self.press_faults.seed(c.seed + 2)
        self.analyzer_faults = LineFaults()
        self.analyzer_faults.seed(c.seed + 3)
        self.press_port = PtyPort(c.press_path)
        self.analyzer_port = PtyPort(c.analyzer_path)
        self.timing = TimingWatch()
        self.modbus = ModbusSlave(self.press_port, self.controller, c.slave_id, c.press_baud,
                                  c.press_parity, self.press_faults, self.timing)
        self.modbus_tcp = ModbusTcpServer(self.modbus.handle, "127.0.0.1", c.modbus_tcp_port)
        self.analyzer = Analyzer(self.cell, seed=c.seed)
        self.scpi = ScpiDevice(self.analyzer_port, self.analyzer, c.analyzer_baud,
                               self.analyzer_faults)
        self.scpi_tcp = ScpiTcpServer(self.analyzer, "127.0.0.1", c.analyzer_tcp_port)
        self._stop = threading.Event()
        self._physics_s = time.monotonic()
        self.controller.before_access = self.catch_up
        self._physics = threading.Thread(target=self._run_physics, name="physics", daemon=True)

    # ---- running ---------------------------------------------------------------------
    def start(self) -> "Simulator":
        self.modbus.start()
        self.modbus_tcp.start()
        _write_whole(self.config.press_tcp_path, self.modbus_tcp.address)
        self.scpi.start()
        self.scpi_tcp.start()
        _write_whole(self.config.analyzer_visa_path, self.scpi_tcp.visa_resource)
        self._physics.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._physics.join(timeout=2.0)
        self.modbus.stop()
        self.modbus_tcp.stop()
        self.scpi.stop()
        self.scpi_tcp.stop()
        self.press_port.close()
        self.analyzer_port.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _run_physics(self) -> None:
        while not self._stop.is_set():
            slept_s = time.monotonic()
            time.sleep(PHYSICS_WAKE_S)
            self.timing.note("physics thread woke", time.monotonic() - slept_s - PHYSICS_WAKE_S)
            self.catch_up()

    def catch_up(self) -> None:
        """Scan the controller up to now in steps of step_s.

        The physics thread does it every PHYSICS_WAKE_S, and every Modbus request and truth
        query first, so what they see and what they change happen at their own time (one
        step at most), without the thread waking at the scan rate. A process that stalled
        longer than MAX_STALL_S pauses the world instead of jumping it.
        """
        step = self.config.step_s
        with self.controller.lock:
            now = time.monotonic()
            self._physics_s = max(self._physics_s, now - MAX_STALL_S)
            while now - self._physics_s >= step:
                self.controller.step(step)
                self._physics_s += step

    # ---- truth, for tests and benchmarks ---------------------------------------------
    @property
    def die_area_mm2(self) -> float:
        return self.config.controller.die_area_mm2

    def true_pressure_mpa(self) -> float:
        self.catch_up()
        return self.hydraulics.force_kn * 1000.0 / self.die_area_mm2

    def truth(self) -> dict:
        with self.controller.lock:
            self.catch_up()
            return {
                "force_kn": self.hydraulics.force_kn,
                "pressure_mpa": self.true_pressure_mpa(),
                "mode": self.register_map.mode_names.get(self.controller.mode),
                "fault_code": self.controller.fault_code,
                "relative_density": self.cell.relative_density,
                "thickness_mm": self.cell.thickness_mm,
                "interface_resistance_ohm": self.cell.interface_resistance_ohm(),
                "bulk_resistance_ohm": self.cell.bulk_resistance_ohm(),
                "grain_boundary_resistance_ohm": self.cell.grain_boundary_resistance_ohm(),
                "temperature_c": self.controller.temperature_c,
                "temperature_setpoint_c": self.controller.get("temperature_setpoint_c"),
                "force_setpoint_kn": self.controller.get("force_setpoint_kn"),
                "heartbeat": self.controller.get("heartbeat"),
                "motion_permit": self.controller.get("motion_permit"),
                "boot_count": self.controller.boot_count,
                "late": self.timing.summary(),
            }

    # ---- scenario and fault injection ------------------------------------------------
    def inject(self, fault: str, value=None) -> str:
        """Apply one named fault or scenario change; returns what was done."""
        actions = {
            "unplug": lambda: self.press_port.unplug(),
            "replug": lambda: self.press_port.plug(),
            "unplug_analyzer": lambda: self.analyzer_port.unplug(),
            "replug_analyzer": lambda: self.analyzer_port.plug(),
            "reboot": lambda: self.controller.boot(),
            "crc_error_rate": lambda: setattr(self.press_faults, "crc_error_rate", float(value)),
            "garbage_rate": lambda: setattr(self.press_faults, "garbage_rate", float(value)),
            "drop_rate": lambda: setattr(self.press_faults, "drop_rate", float(value)),
            "delay_ms": lambda: setattr(self.press_faults, "delay_s", float(value) / 1000.0),
            "drop_next": lambda: setattr(self.press_faults, "drop_next", int(value)),
            "garbage": lambda: self.press_port.write(os.urandom(int(value or 16))),
            "stuck_sensor": lambda: self.sensors.stick(
                None if value == "off" else self.controller.measured_force_kn),
            "sensor_nan": lambda: self.sensors.stick(math.nan),     # a broken load cell
            "leak_factor": lambda: setattr(self.hydraulics, "leak_multiplier", float(value)),
            "guard_open": lambda: setattr(self.controller, "guard_closed", False),
            "guard_close": lambda: setattr(self.controller, "guard_closed", True),
            "estop_press": lambda: setattr(self.controller, "estop_input", True),
            "estop_release": lambda: setattr(self.controller, "estop_input", False),
            "cycling": lambda: setattr(self.cell, "cycling", value not in ("off", False, 0)),
            "short": lambda: setattr(self.cell, "shorted", value not in ("off", False, 0)),
            "new_cell": lambda: self._new_cell(value or self.config.cell_preset),
            "attach_anode": lambda: setattr(self.cell, "contact", 0.0),
        }
        if fault not in actions:
            raise KeyError(f"unknown fault '{fault}'; known: {', '.join(sorted(actions))}")
        with self.controller.lock:
            actions[fault]()
        return f"{fault}{'' if value is None else f'={value}'}"

    def _new_cell(self, preset: str) -> None:
        fresh = CellModel(dataclasses.replace(PRESETS[preset]), self.die_area_mm2,
                          self.config.seed)
        fresh.cycling = False
        fresh.shorted = preset == "empty_die"     # the punches touch: the analyzer sees a short
        self.cell.__dict__.update(fresh.__dict__)

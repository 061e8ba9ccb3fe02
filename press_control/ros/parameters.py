"""Every node parameter in one place: default, unit, range, description.

The safety limits are shared: press_driver enforces them and profile_server validates goals
against the same values, read from the same parameter file (`/**:` section).
"""
import dataclasses
import functools

from rcl_interfaces.msg import (FloatingPointRange, IntegerRange, ParameterDescriptor,
                                SetParametersResult)


@dataclasses.dataclass(frozen=True)
class Spec:
    """One declared parameter."""

    name: str
    default: object
    description: str
    unit: str = ""
    low: float = None
    high: float = None
    choices: tuple = ()

    def descriptor(self) -> ParameterDescriptor:
        text = f"{self.description} [{self.unit}]" if self.unit else self.description
        descriptor = ParameterDescriptor(description=text, additional_constraints=(
            "read at start-up (press_driver: at configure); refused while running"
            + (f"; one of {', '.join(self.choices)}" if self.choices else "")))
        if self.low is not None and isinstance(self.default, float):
            descriptor.floating_point_range = [FloatingPointRange(
                from_value=float(self.low), to_value=float(self.high), step=0.0)]
        elif self.low is not None and isinstance(self.default, int) and \
                not isinstance(self.default, bool):
            descriptor.integer_range = [IntegerRange(from_value=int(self.low),
                                                     to_value=int(self.high), step=1)]
        return descriptor


def safety_limits(config):
    """The SafetyLimits of a node's LIMIT_PARAMETERS (driver, server, campaign)."""
    from press_control.control.safety import SafetyLimits
    return SafetyLimits(config.press_capacity_kn, config.max_ramp_rate_mpa_s,
                        config.max_temperature_c, config.min_ramp_rate_mpa_s,
                        config.min_temperature_c)


LIMIT_PARAMETERS = [
    Spec("die_table", ["d10:10.0:500.0", "d13:13.0:450.0", "d16:16.0:400.0"],
         "dies as id:diameter_mm:rated_mpa"),
    Spec("press_capacity_kn", 294.2, "press capacity", "kN", 1.0, 10000.0),
    Spec("max_ramp_rate_mpa_s", 20.0, "largest ramp rate accepted", "MPa/s", 0.01, 1000.0),
    Spec("max_temperature_c", 150.0, "highest platen temperature accepted", "degC",
         0.0, 500.0),
    Spec("min_temperature_c", 0.0, "lowest platen temperature setpoint accepted (below "
         "ambient = heater off)", "degC", -50.0, 500.0),
    Spec("min_ramp_rate_mpa_s", 0.01, "smallest ramp rate accepted (0 would mean 'no limit' "
         "to the controller)", "MPa/s", 0.001, 1000.0),
    Spec("safe_release_rate_mpa_s", 10.0, "release rate on cancel, abort, deactivate",
         "MPa/s", 0.1, 1000.0),
    Spec("arm_heartbeat_timeout_s", 1.0, "arm heartbeat older than this is stale", "s",
         0.05, 60.0),
]

DRIVER_PARAMETERS = LIMIT_PARAMETERS + [
    Spec("port", "/tmp/press_sim/press", "press controller: a serial device (Modbus RTU), "
         "tcp://host:502 (Modbus TCP) or a pyserial URL such as socket://host:port (RTU "
         "through a terminal server)"),
    Spec("port_wait_s", 0.0, "with autostart, wait this long for a serial device path that "
         "does not exist yet (a simulator or USB adapter still starting) before configuring",
         "s", 0.0, 600.0),
    Spec("baud", 115200, "serial baud rate", "bit/s", 1200, 921600),
    Spec("parity", "N", "serial parity: N, E or O", choices=("N", "E", "O")),
    Spec("slave_id", 1, "Modbus slave id of the controller", "", 1, 247),
    Spec("register_map", "", "register map YAML; empty = the package's config file"),
    Spec("poll_rate_hz", 100.0, "state poll rate", "Hz", 1.0, 500.0),
    Spec("decimated_state_rate_hz", 20.0, "`state/decimated` (the same PressState for "
         "clients that act at a few tens of Hz, profile_server) at most this often, and at "
         "once when a flag, the mode, the fault or the owner changes", "Hz", 1.0, 100.0),
    Spec("poll_ahead", True, "send each poll's request before sleeping to the next period: "
         "the I/O thread wakes once a poll instead of twice (a quarter of the driver's CPU "
         "at 100 Hz), readings are up to one period older"),
    Spec("transaction_timeout_s", 0.25, "Modbus reply timeout (a loaded Python host jitters)",
         "s", 0.005, 2.0),
    Spec("die_id", "d10", "die in the press at start (later: the set_installed_die service)"),
    Spec("force_calibration_file", "", "this press's force table (load cell against a "
         "reference, docs/force_calibration.md); empty = the press's readings as they are"),
    Spec("owner_timeout_s", 2.0, "a goal owning the press must renew its lease this often, "
         "or the press is released", "s", 0.2, 5.0),
    Spec("watchdog_period_s", 2.0, "controller releases when the host is silent this long",
         "s", 0.1, 30.0),
    Spec("heartbeat_period_s", 0.25, "host heartbeat write period", "s", 0.01, 5.0),
    Spec("reconnect_backoff_s", 0.25, "first reconnect delay, doubled per failure", "s",
         0.01, 60.0),
    Spec("reconnect_backoff_max_s", 4.0, "longest reconnect delay", "s", 0.1, 600.0),
    Spec("failures_before_disconnect", 3, "consecutive failed polls that, with "
         "silence_before_disconnect_s, mean disconnected", "", 1, 100),
    Spec("silence_before_disconnect_s", 1.0, "and at least this long without a reply: a "
         "loaded host can stall the simulator or the line for most of a second (under the "
         "watchdog period and the sequencer's state_timeout_s)", "s", 0.0, 10.0),
    Spec("arm_interlock", True, "require a fresh arm heartbeat (handling/arm) that says "
         "the workspace is clear before pressurizing"),
    Spec("diagnostics_period_s", 1.0, "period of /diagnostics", "s", 0.1, 60.0),
    Spec("frame_id", "press_platen", "frame of the wrench and pressure messages"),
    Spec("autostart", True, "configure and activate on start"),
]

PROFILE_SERVER_PARAMETERS = LIMIT_PARAMETERS + [
    Spec("presets_file", "", "profile presets YAML; empty = the package's profiles.yaml"),
    Spec("record_timeout_s", 10.0, "wait this long for run_recorder to open or close a "
         "run's record", "s", 0.1, 120.0),
    Spec("feedback_rate_hz", 20.0, "control loop and feedback rate", "Hz", 10.0, 100.0),
    Spec("owner_renew_period_s", 0.25, "renew the goal's lease on the press this often "
         "(owner_heartbeat); keep it a fraction of press_driver's owner_timeout_s (2 s)",
         "s", 0.02, 1.0),
    Spec("state_timeout_s", 1.5, "press state older than this counts as a dead driver (the "
         "driver reports a press silent for its silence_before_disconnect_s)", "s", 0.05,
         10.0),
    Spec("command_timeout_s", 2.0, "wait this long for press_driver to answer a command", "s",
         0.1, 30.0),
    Spec("require_loaded_cell", True, "arm handshake: refuse goals unless an arm has loaded "
         "the goal's cell (handling/state LOADED); enables the handoff timeouts"),
    Spec("arm_dwell_timeout_s", 30.0, "longest an arm may stay in the workspace", "s",
         0.5, 3600.0),
    Spec("handoff_timeout_s", 120.0, "longest wait for a profile on a loaded cell, or for the "
         "arm to unload a pressed one", "s", 1.0, 86400.0),
    Spec("closing_timeout_s", 60.0, "longest wait for contact pressure after a profile "
         "starts", "s", 1.0, 3600.0),
    Spec("release_timeout_s", 120.0, "longest wait for the pressure to fall after a profile "
         "ends", "s", 1.0, 3600.0),
    Spec("contact_mpa", 1.0, "above this pressure the platen touches the cell", "MPa",
         0.05, 50.0),
    Spec("handling_period_s", 1.0, "handling/state is republished this often", "s", 0.1, 60.0),
]


RECORDER_PARAMETERS = [
    Spec("record_dir", "~/.ros/press_control/runs", "folder of the per-run records"),
    Spec("record_plot", True, "draw each record's plot.png and plot.svg when its run ends "
         "(about a CPU-second); false leaves them to `pressctl runs plot RUN`"),
]


MONITOR_PARAMETERS = [
    Spec("lcr_port", "/tmp/press_sim/lcr", "impedance analyzer: a serial device, a pyserial "
         "URL or a VISA resource (TCPIP0::192.168.1.20::5025::SOCKET, USB0::...::INSTR, "
         "ASRL/dev/ttyUSB0::INSTR; through PyVISA with pyvisa-py)"),
    Spec("lcr_baud", 115200, "analyzer baud rate", "bit/s", 1200, 921600),
    Spec("lcr_timeout_s", 2.0, "analyzer reply timeout", "s", 0.1, 30.0),
    Spec("test_level_v", 0.01, "test signal level", "V", 0.005, 2.0),
    Spec("frequency_hz", 1000.0, "single-frequency measurement", "Hz", 20.0, 2.0e6),
    Spec("single_period_s", 0.25, "period of single-frequency measurements", "s", 0.05, 60.0),
    Spec("sweep_start_hz", 20.0, "EIS sweep lowest frequency", "Hz", 20.0, 2.0e6),
    Spec("sweep_stop_hz", 2.0e6, "EIS sweep highest frequency", "Hz", 20.0, 2.0e6),
    Spec("points_per_decade", 8, "EIS sweep density", "", 2, 40),
    Spec("sweep_period_s", 10.0, "period of EIS sweeps (0 = only on request)", "s", 0.0, 3600.0),
    Spec("sweep_aperture", "MED", "analyzer aperture of EIS sweeps: SHOR, MED or LONG "
         "(longer averages more: 30, 90, 270 ms a point)"),
    Spec("health_rate_hz", 2.0, "interface/health publish rate", "Hz", 0.5, 50.0),
    Spec("reconnect_backoff_s", 1.0, "analyzer reconnect delay", "s", 0.1, 60.0),
    Spec("elastic_modulus_mpa", 0.0, "compact's Young's modulus, taking its in-die "
         "elastic strain out of the density; 0: the goal's electrolyte's published one "
         "(none known: in-die density)", "MPa", 0.0, 1e7),
    Spec("die_calibration_dir", "~/.ros/press_control/dies", "folder of the dies' "
         "punch-on-punch calibrations, <die_id>.yaml (pressctl calibrate-die)"),
    Spec("contact_below_ohm", 40.0, "contact established under this interface resistance",
         "ohm", 0.01, 1e6),
    Spec("short_below_ohm", 5.0, "short circuit under this |Z|", "ohm", 0.001, 1e6),
    Spec("event_debounce_s", 1.0, "an event must persist this long", "s", 0.0, 60.0),
    Spec("cycling", False, "the cell is being cycled (enables delamination checks)"),
    Spec("cell_id", "", "cell in the press (handling/state overrides it)"),
]


DEMO_ARM_PARAMETERS = [
    Spec("arm_id", "demo_arm", "name in the heartbeat"),
    Spec("cells", 1, "cells to load, press and unload", "", 0, 100000),
    Spec("cell_prefix", "cell", "cell ids are <prefix>-1, <prefix>-2, ..."),
    Spec("preset", "demo_cell", "profile preset run on every cell"),
    Spec("die_id", "d10", "die of the goal"),
    Spec("hold_scale", 0.0, "shorten holds by this factor (0 or 1 = as written)", "",
         0.0, 1.0),
    Spec("electrolyte", "li6ps5cl", "electrolyte of every cell (goal field)"),
    Spec("electrolyte_mass_mg", 150.0, "electrolyte powder per cell (goal field; 0 = not "
         "given)", "mg", 0.0, 5000.0),
    Spec("anode", "li_metal", "anode of every cell (goal field): none, li_metal, li_in"),
    Spec("heartbeat_rate_hz", 10.0, "handling/arm publish rate", "Hz", 1.0, 100.0),
    Spec("dwell_s", 1.0, "time in the workspace to place or take a cell", "s", 0.0, 600.0),
    Spec("jitter_s", 0.5, "random extra time added to every move", "s", 0.0, 60.0),
    Spec("seed", 0, "seed of the timing jitter", "", 0, 2 ** 31 - 1),
    Spec("start_delay_s", 0.0, "wait before the first move", "s", 0.0, 3600.0),
    Spec("wait_timeout_s", 600.0, "longest wait for the press at any step", "s", 1.0, 86400.0),
    Spec("fault_reset_wait_s", 600.0, "longest wait for an operator to reset a handling "
         "fault", "s", 1.0, 86400.0),
    Spec("goal_attempts", 20, "tries per cell while the press reports not ready", "", 1, 1000),
    Spec("exit_when_done", False, "exit once every cell is done (status 0 if all succeeded)"),
    Spec("results_file", "", "write the cells' outcomes here as JSON when done"),
]


ARM_MOTION = ("arm_id", "heartbeat_rate_hz", "dwell_s", "jitter_s", "seed",
              "wait_timeout_s", "fault_reset_wait_s", "goal_attempts")
CAMPAIGN_PARAMETERS = LIMIT_PARAMETERS + [
    dataclasses.replace(s, default="campaign_arm") if s.name == "arm_id" else s
    for s in DEMO_ARM_PARAMETERS if s.name in ARM_MOTION] + [
    Spec("campaigns_dir", "~/.ros/press_control/campaigns", "folder of campaign folders (each "
         "holds its SQLite study unless storage is set)"),
    Spec("storage", "", "database URL every campaign of this node uses (e.g. "
         "postgresql+psycopg://user@host/db to share studies between hosts; \"\" = "
         "campaign.db in the campaign's folder); a goal's storage overrides it"),
    Spec("press_id", "", "name of this press in the study (\"\" = the namespace, else the "
         "host name)"),
    Spec("record_dir", "~/.ros/press_control/runs", "run_recorder's folder: where a cell "
         "interrupted by a stopped campaign process is looked up"),
]


PANEL_PARAMETERS = [
    Spec("host", "127.0.0.1", "address the panel serves on (0.0.0.0 = every interface: the "
         "lab network can see it)"),
    Spec("port", 8080, "TCP port of the panel (0 = any free port)", "", 0, 65535),
    Spec("token_file", "~/.ros/press_control/panel_token", "file holding the control token "
         "(made with mode 0600 if missing; without it the page is read-only)"),
    Spec("record_dir", "~/.ros/press_control/runs", "run records listed on the page"),
    Spec("push_rate_hz", 10.0, "updates pushed to each browser", "Hz", 1.0, 50.0),
    Spec("trace_window_s", 300.0, "pressure trace kept for the page", "s", 10.0, 3600.0),
    Spec("runs_shown", 10, "last runs listed", "", 1, 200),
    Spec("call_timeout_s", 3.0, "wait this long for the cancel and reset services", "s",
         0.1, 60.0),
]


class ConfigError(ValueError):
    """A parameter value the node cannot start with."""


@functools.lru_cache(maxsize=None)
def _config_class(names: tuple):
    return dataclasses.make_dataclass("NodeConfig", [(name, object) for name in names],
                                      frozen=True)


def declare(node, specs, changeable=lambda: False):
    """Declare specs on node and return their frozen configuration.

    Every one of them is read once, here (or by read_config at the next lifecycle
    configure): `ros2 param set` on them is refused with the reason unless changeable()
    (press_driver: while unconfigured, so the value applies at the next configure).
    """
    for spec in specs:
        node.declare_parameter(spec.name, spec.default, spec.descriptor())
    names = {spec.name for spec in specs}

    def refuse_startup_only(parameters) -> SetParametersResult:
        fixed = sorted(p.name for p in parameters if p.name in names)
        if fixed and not changeable():
            return SetParametersResult(successful=False, reason=(
                f"{', '.join(fixed)}: read at start-up only; restart the node (press_driver: "
                "cleanup, set, configure) to change it"))
        return SetParametersResult(successful=True)
    node.add_on_set_parameters_callback(refuse_startup_only)
    return read_config(node, specs)


def read_config(node, specs):
    """The node's current values of specs, checked, as one frozen object (config.name)."""
    values = {spec.name: node.get_parameter(spec.name).value for spec in specs}
    for spec in specs:
        if spec.choices and values[spec.name] not in spec.choices:
            raise ConfigError(f"parameter {spec.name} is {values[spec.name]!r}; use one of "
                              f"{', '.join(map(str, spec.choices))}")
    return _config_class(tuple(values))(**values)

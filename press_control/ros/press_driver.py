"""press_driver: the press controller as a managed ROS 2 device (thin shell over PressSupervisor).

Topics (relative): state, pressure, wrench, temperature, installed_die (LATCHED),
/diagnostics; subscribes handling/arm and owner_heartbeat. Services: command,
set_installed_die, estop, reset_fault, zero_position. Every rule lives in
press_control/safety.py and press_control/supervisor.py; this node only translates.
"""
import collections
import json
import math
import os
import sys
import threading
import time

from builtin_interfaces.msg import Time
from geometry_msgs.msg import WrenchStamped
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.lifecycle import Node as LifecycleNode
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.publisher import Publisher
from rclpy.serialization import serialize_message
from rclpy.service import Service
from rclpy.subscription import Subscription
from rclpy.timer import Timer
from sensor_msgs.msg import FluidPressure, Temperature
from std_msgs.msg import Header, String
from std_srvs.srv import Trigger

from press_control.ros.cdr_patch import PatchingSerializer
from press_control.ros.qos import LATCHED
from press_control.control.dies import parse_die_table
from press_control.hardware.force_calibration import NO_CALIBRATION, ForceCalibration
from press_control.hardware.press import Press, PressError
from press_control.hardware.transports import SerialLine
from press_control.ros.diagnostics import LEVEL_ERROR, LEVEL_OK, LEVEL_WARN, DiagnosticsPort
from press_control.ros.hot_input import HotInputs
from press_control.pacing import StopFlag
from press_control.ros.guard import guarded, guarded_service
from press_control.ros.parameters import (DRIVER_PARAMETERS, declare, read_config,
                                          safety_limits)
from press_control.ros.spin import spin_node
from press_control.protocol.register_map import RegisterMap, RegisterMapError
from press_control.resources import default_register_map_path
from press_control.control.safety import OK, REFUSED_INTERLOCK, UNKNOWN_COMMAND, Refusal
from press_control.control.stats import percentile
from press_control.control.supervisor import PressSupervisor, SupervisorConfig
from press_control_interfaces.msg import ArmHeartbeat, PressState
from press_control_interfaces.srv import PressCommand, SetInstalledDie

# How often each topic goes out (docs/interfaces.md shows this table).
PUBLISH_RATES = {
    "state": "every poll (`poll_rate_hz`)",
    "state/decimated": "`decimated_state_rate_hz`, and at once when a flag, the mode, the "
                       "fault or the owner changes",
    "pressure": "every poll while subscribed", "wrench": "every poll while subscribed",
    "temperature": "every poll while subscribed",
    "installed_die": "on configure and on every change", "force_calibration": "on configure",
    "/diagnostics": "every `diagnostics_period_s`"}
MODE_NUMBERS = {"IDLE": PressState.MODE_IDLE, "RAMP": PressState.MODE_RAMP,
                "HOLD": PressState.MODE_HOLD, "RELEASE": PressState.MODE_RELEASE,
                "ESTOP": PressState.MODE_ESTOP, "FAULT": PressState.MODE_FAULT}
COMMAND_KINDS = {PressCommand.Request.SET_PRESSURE: "set_pressure",
                 PressCommand.Request.HOLD: "hold",
                 PressCommand.Request.RELEASE: "release",
                 PressCommand.Request.SET_TEMPERATURE: "temperature",
                 PressCommand.Request.ACQUIRE: "acquire",
                 PressCommand.Request.RELINQUISH: "relinquish",
                 PressCommand.Request.PING: "ping"}


def _fill_failed_command(response, text):
    response.accepted, response.status, response.reason = False, UNKNOWN_COMMAND, text


def _fill_failed_trigger(response, text):
    response.success, response.message = False, text


class PressDriverNode(LifecycleNode):
    """Polls the press, publishes its state, and passes commands to the supervisor."""

    def __init__(self, **kwargs):
        super().__init__("press_driver", **kwargs)
        self.config = declare(self, DRIVER_PARAMETERS, changeable=lambda: self.supervisor is None)
        self.supervisor = None
        self._stop = StopFlag()
        self._context_up = True          # rclpy's ok() per poll: 2 % of the CPU (py-spy)
        self.context.on_shutdown(self._on_context_shutdown)
        self._thread = None
        self._poll_times = collections.deque(maxlen=500)
        self._listeners, self._listeners_checked_s = (False, False, False), -math.inf
        self._state_bytes = PatchingSerializer(PressState, serialize_message)
        self._state_message = self._state_bytes.blank()
        self._sim_time = False
        self._decimated_flags, self._decimated_due_s = None, 0.0
        self._latencies = collections.deque(maxlen=500)
        self._publish_delays = collections.deque(maxlen=500)
        self._entities = []
        self.hot_inputs = None
        self.configure_error = ""
        # /diagnostics is the one interface of every lifecycle state: it says why a driver
        # is not configured. The rest comes with configure and goes with cleanup.
        self.diagnostics = DiagnosticsPort(self, "press")
        self.create_timer(self.config.diagnostics_period_s,
                          guarded(self, self.publish_diagnostics))
        if self.config.autostart:
            self._wait_for_port(self.config.port, self.config.port_wait_s)
            self.trigger_configure()
            if self.supervisor is not None:
                self.trigger_activate()

    def _wait_for_port(self, port: str, wait_s: float) -> None:
        """Give a device path that is not there yet wait_s to appear (configure says why not)."""
        if not port.startswith("/") or os.path.exists(port) or wait_s <= 0:
            return
        self.get_logger().info(f"waiting up to {wait_s:g} s for {port} to appear")
        deadline = time.monotonic() + wait_s
        while not os.path.exists(port) and time.monotonic() < deadline:
            time.sleep(0.1)

    @property
    def press(self):
        return self.supervisor.press if self.supervisor else None

    @property
    def reading(self):
        return self.supervisor.reading if self.supervisor else None

    @property
    def active(self) -> bool:
        return bool(self.supervisor and self.supervisor.active)

    # ---- lifecycle -----------------------------------------------------------------------
    def on_configure(self, state) -> TransitionCallbackReturn:
        try:
            self.config = read_config(self, DRIVER_PARAMETERS)
            self._sim_time = self.get_parameter("use_sim_time").value
            register_map = RegisterMap.load(self.config.register_map or
                                            default_register_map_path())
            config = SupervisorConfig(
                limits=safety_limits(self.config),
                dies=parse_die_table(self.config.die_table),
                installed_die=self.config.die_id,
                arm_interlock=self.config.arm_interlock,
                arm_heartbeat_timeout_s=self.config.arm_heartbeat_timeout_s,
                owner_timeout_s=self.config.owner_timeout_s,
                safe_release_rate_mpa_s=self.config.safe_release_rate_mpa_s,
                watchdog_period_s=self.config.watchdog_period_s,
                heartbeat_period_s=self.config.heartbeat_period_s,
                failures_before_disconnect=self.config.failures_before_disconnect,
                silence_before_disconnect_s=self.config.silence_before_disconnect_s,
                reconnect_backoff_s=self.config.reconnect_backoff_s,
                reconnect_backoff_max_s=self.config.reconnect_backoff_max_s)
            force_table = ForceCalibration.load(os.path.expanduser(
                self.config.force_calibration_file)) if self.config.force_calibration_file \
                else NO_CALIBRATION
            line = SerialLine(self.config.port, self.config.baud, self.config.parity)
            press = Press(line, self.config.slave_id, register_map,
                          self.config.transaction_timeout_s, force_calibration=force_table)
            supervisor = PressSupervisor(press, config, log=self._log)
            identity = supervisor.connect()
        except (PressError, RegisterMapError, ValueError, OSError) as error:
            self.configure_error = f"configure failed: {error}"
            self.get_logger().error(self.configure_error)
            return TransitionCallbackReturn.FAILURE
        self.configure_error = ""
        self.supervisor = supervisor
        self._create_interfaces()
        self.get_logger().info(f"connected to {identity.hardware_id} firmware "
                               f"{identity.firmware} on {press.port_name}; installed die "
                               f"{supervisor.die.die_id}")
        self._publish_installed_die()
        self._publish_force_calibration()
        self._stop.clear()
        self._thread = threading.Thread(target=self._io_loop, name="press-io", daemon=True)
        self._thread.start()
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state) -> TransitionCallbackReturn:
        self.supervisor.set_active(True)
        return super().on_activate(state)

    def on_deactivate(self, state) -> TransitionCallbackReturn:
        self.supervisor.release_safely("deactivate")
        self.supervisor.set_active(False)
        return super().on_deactivate(state)

    def on_cleanup(self, state) -> TransitionCallbackReturn:
        self._stop_io()
        self._destroy_interfaces()
        self.supervisor = None
        return TransitionCallbackReturn.SUCCESS

    def _create_interfaces(self) -> None:
        """Publishers, services, subscriptions and timers of a configured driver."""
        def keep(entity):
            self._entities.append(entity)
            return entity
        self.state_publisher = keep(self.create_publisher(PressState, "state", 10))
        self.decimated_publisher = keep(self.create_publisher(PressState, "state/decimated",
                                                              10))
        self.pressure_publisher = keep(self.create_publisher(FluidPressure, "pressure", 10))
        self.wrench_publisher = keep(self.create_publisher(WrenchStamped, "wrench", 10))
        self.temperature_publisher = keep(self.create_publisher(Temperature, "temperature", 10))
        self.die_publisher = keep(self.create_publisher(String, "installed_die", LATCHED))
        self.force_table_publisher = keep(self.create_publisher(String, "force_calibration",
                                                                LATCHED))
        services = MutuallyExclusiveCallbackGroup()
        keep(self.create_service(PressCommand, "command", guarded_service(
            self, self.on_command, _fill_failed_command), callback_group=services))
        keep(self.create_service(SetInstalledDie, "set_installed_die", guarded_service(
            self, self.on_set_installed_die, _fill_failed_trigger), callback_group=services))
        keep(self.create_service(Trigger, "reset_fault", guarded_service(
            self, self.on_reset_fault, _fill_failed_trigger), callback_group=services))
        keep(self.create_service(Trigger, "zero_position", guarded_service(
            self, self.on_zero_position, _fill_failed_trigger), callback_group=services))
        # The arms' heartbeats and the owner's lease renewals are taken by the I/O loop at
        # the start of every poll (ros/hot_input.py): an arm inside takes the motion permit
        # away before the next poll, within one poll period. Profiled on executors: an arm
        # heartbeat at 10 Hz cost 1 % of a core on an executor thread of its own (a fifth
        # of the driver's CPU on the main executor), the owner's 20 Hz another 0.4 % on a
        # draining thread.
        self.hot_inputs = HotInputs(self, period_s=None)
        self.hot_inputs.add(ArmHeartbeat, "handling/arm", guarded(self, self.on_arm), depth=10)
        self.hot_inputs.add(String, "owner_heartbeat", guarded(self, self.on_owner))
        # E-stop has a callback group of its own: on the multi-threaded executor it never
        # waits for a command's callback to end (the supervisor's PriorityLock then puts it
        # ahead of queued commands at the I/O lock).
        keep(self.create_service(Trigger, "estop", guarded_service(
            self, self.on_estop, _fill_failed_trigger),
            callback_group=MutuallyExclusiveCallbackGroup()))

    def _destroy_interfaces(self) -> None:
        if self.hot_inputs is not None:
            self.hot_inputs.close()
            self.hot_inputs = None
        for entity in self._entities:
            destroy = {Publisher: self.destroy_publisher, Service: self.destroy_service,
                       Subscription: self.destroy_subscription, Timer: self.destroy_timer}
            destroy[type(entity)](entity)
        self._entities = []

    def on_shutdown(self, state) -> TransitionCallbackReturn:
        self.release_and_close("shutdown")
        return TransitionCallbackReturn.SUCCESS

    def release_and_close(self, why: str) -> None:
        """Release at the safe rate and close the port; needs no ROS context (Ctrl-C)."""
        if self.supervisor is not None:
            self.supervisor.release_safely(why)
            self.supervisor.set_active(False)
        self._stop_io()

    def destroy_node(self):
        self._stop_io()
        self._destroy_interfaces()
        super().destroy_node()

    def _stop_io(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3.0)
        if self.supervisor is not None:
            self.supervisor.close()

    def _log(self, level: str, text: str) -> None:
        # rclpy fixes a call site's severity at its first call: one call per level.
        logger = self.get_logger()
        if level == "error":
            logger.error(text)
        elif level == "warning":
            logger.warning(text)
        else:
            logger.info(text)

    # ---- the I/O loop --------------------------------------------------------------------
    def _io_loop(self) -> None:
        supervisor = self.supervisor
        period = 1.0 / self.config.poll_rate_hz
        poll_ahead = self.config.poll_ahead
        next_poll = time.monotonic()
        inputs = self.hot_inputs
        while not self._stop.is_set():
            try:
                inputs.drain()
                reading = supervisor.tick()
                if not self._context_up:        # Ctrl-C: the shutdown path releases
                    break
                if reading is not None:
                    self._poll_times.append(time.monotonic())
                    self._latencies.append(reading.latency_s)
                    self._publish(reading)
                    self._publish_delays.append(time.monotonic() - reading.received_s)
                elif not supervisor.press.connected:
                    self._publish_disconnected()
                    self._stop.wait(0.05)
                if poll_ahead and reading is not None:
                    supervisor.send_next_poll()
            except Exception as error:          # noqa: B902 - the loop must outlive any bug
                if not self.context.ok():       # a publish raced the shutdown
                    break
                self.get_logger().error(f"I/O loop: {type(error).__name__}: {error}")
            next_poll += period
            delay = next_poll - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_poll = time.monotonic()

    def _on_context_shutdown(self) -> None:
        self._context_up = False

    # ---- inputs --------------------------------------------------------------------------
    def on_arm(self, message: ArmHeartbeat) -> None:
        if self.supervisor is not None:
            self.supervisor.on_arm(message.arm_id, message.in_workspace, message.cell_id,
                                   message.intent)

    def on_owner(self, message: String) -> None:
        if self.supervisor is not None:
            self.supervisor.renew(message.data)

    # ---- services ------------------------------------------------------------------------
    def on_command(self, request, response):
        kind = COMMAND_KINDS.get(request.command)
        if self.supervisor is None:
            response.accepted, response.status = False, REFUSED_INTERLOCK
            response.reason = "driver is not configured (no press)"
            return response
        if kind is None:
            response.accepted, response.status = False, UNKNOWN_COMMAND
            response.reason = f"unknown command {request.command}"
            return response
        inputs = self.hot_inputs      # the arms are judged on what has arrived, also when
        if inputs is not None:        # the I/O loop stalled before taking it
            inputs.drain()
        target = request.target_c if kind == "temperature" else request.target_mpa
        refusal = self.supervisor.execute(kind, request.owner, target, request.rate_mpa_s)
        response.accepted = refusal is None
        response.status = OK if refusal is None else refusal.code
        response.reason = refusal or ""
        if kind in ("ping",):
            return response
        if response.accepted:
            self.get_logger().info(f"command {kind} accepted")
        else:
            self.get_logger().warning(f"command {kind} refused: {response.reason}")
        return response

    def on_set_installed_die(self, request, response):
        refusal = self.supervisor.set_installed_die(request.die_id) if self.supervisor \
            else Refusal(REFUSED_INTERLOCK, "driver is not configured")
        response.success = refusal is None
        response.status = OK if refusal is None else refusal.code
        response.message = refusal or f"installed die is {request.die_id}"
        if refusal is None:
            self._publish_installed_die()
        else:
            self.get_logger().warning(f"set_installed_die {request.die_id!r} refused: {refusal}")
        return response

    def _trigger(self, response, action, what):
        refusal = action() if self.supervisor else "driver is not configured"
        response.success = refusal is None
        response.message = refusal or what
        if response.success:
            self.get_logger().warning(what)
        else:
            self.get_logger().error(f"{what} failed: {refusal}")
        return response

    def on_estop(self, request, response):
        return self._trigger(response, lambda: self.supervisor.estop(),
                             "emergency stop: pressure released, fault LATCHED")

    def on_reset_fault(self, request, response):
        return self._trigger(response, lambda: self.supervisor.reset_fault(), "fault reset")

    def on_zero_position(self, request, response):
        return self._trigger(response, lambda: self.supervisor.zero_position(),
                             "platen position zeroed")

    # ---- publishing ----------------------------------------------------------------------
    def _publish_installed_die(self) -> None:
        self.die_publisher.publish(String(data=self.supervisor.die.die_id))

    def _publish_force_calibration(self) -> None:
        table = self.supervisor.press.force_calibration
        self.force_table_publisher.publish(String(data=json.dumps(table.describe())))
        if table.applied:
            self.get_logger().info(f"force table {table.source}: {len(table.press_kn)} points, "
                                   f"press {table.press or '?'}, measured {table.measured}")

    def _publish(self, reading) -> None:
        supervisor = self.supervisor
        die = supervisor.die
        fault_code, fault_text = supervisor.fault()
        # One message, refilled at every poll and published as bytes patched in place
        # (profiled: constructing a PressState was an eighth of press-io's time, converting
        # and serializing it a third of publishing); only press-io publishes it.
        state = self._state_message
        state.mode = MODE_NUMBERS.get(reading.mode, PressState.MODE_FAULT)
        state.mode_name = reading.mode
        state.connected = True
        state.commands_enabled = supervisor.active and fault_code == 0
        state.pressure_mpa = die.pressure_mpa(reading.force_kn)
        state.force_kn = reading.force_kn
        state.setpoint_mpa = die.pressure_mpa(reading.setpoint_kn)
        state.ramp_rate_mpa_s = die.pressure_mpa(reading.ramp_rate_kn_s)
        state.platen_position_mm = reading.platen_position_mm
        state.platen_temperature_c = reading.platen_temperature_c
        state.guard_closed = reading.flags["guard_closed"]
        state.estop_pressed = reading.flags["estop"]
        state.arm_clear = not supervisor.arm_problem()
        state.die_id, state.die_area_mm2 = die.die_id, die.area_mm2
        state.fault_code, state.fault_text = fault_code, fault_text
        state.owner = supervisor.owner
        # The ROS clock is the system clock unless use_sim_time (rclpy's now() cost a third
        # of publishing the bytes, measured).
        stamp_ns = self.get_clock().now().nanoseconds if self._sim_time else time.time_ns()
        state.header.stamp.sec, state.header.stamp.nanosec = divmod(stamp_ns, 10 ** 9)
        state.header.frame_id = self.config.frame_id
        data = self._state_bytes.serialize(state)
        self.state_publisher.publish(data)
        self._decimate(data, (state.mode, state.connected, state.commands_enabled,
                              state.guard_closed, state.estop_pressed, state.arm_clear,
                              state.fault_code, state.owner, state.die_id))
        # The standard sensor topics are built only while someone listens (profiled: the
        # four publishes per poll were a quarter of the driver's CPU at 100 Hz); who listens
        # is asked once a second.
        listening = self._sensor_listeners()
        if any(listening):
            header = Header(stamp=Time(sec=state.header.stamp.sec,
                                       nanosec=state.header.stamp.nanosec),
                            frame_id=state.header.frame_id)
        if listening[0]:
            pressure = FluidPressure(fluid_pressure=state.pressure_mpa * 1e6, variance=0.0)
            pressure.header = header
            self.pressure_publisher.publish(pressure)
        if listening[1]:
            wrench = WrenchStamped()
            wrench.header = header
            wrench.wrench.force.z = reading.force_kn * 1000.0
            self.wrench_publisher.publish(wrench)
        if listening[2]:
            temperature = Temperature(temperature=reading.platen_temperature_c, variance=0.0)
            temperature.header = header
            self.temperature_publisher.publish(temperature)

    def _sensor_listeners(self) -> tuple:
        now = time.monotonic()
        if now >= self._listeners_checked_s + 1.0:
            self._listeners = tuple(publisher.get_subscription_count() > 0 for publisher in (
                self.pressure_publisher, self.wrench_publisher, self.temperature_publisher))
            self._listeners_checked_s = now
        return self._listeners

    def _publish_disconnected(self) -> None:
        supervisor = self.supervisor
        fault_code, fault_text = supervisor.host_fault
        state = PressState(mode=PressState.MODE_DISCONNECTED, mode_name="DISCONNECTED",
                           connected=False, pressure_mpa=math.nan, force_kn=math.nan,
                           die_id=supervisor.die.die_id, fault_code=fault_code,
                           fault_text=fault_text or supervisor.last_error,
                           owner=supervisor.owner)
        state.header.stamp = self.get_clock().now().to_msg()
        state.header.frame_id = self.config.frame_id
        self.state_publisher.publish(state)
        self._decimate(state, (state.mode, state.connected, state.fault_code, state.owner))

    def _decimate(self, state, flags: tuple) -> None:
        """Publish on `state/decimated` when its period has passed or a flag has changed.

        ROS has no QoS that limits a subscription's rate, and a 100 Hz subscription through
        rclpy's executor costs a Python client a tenth of a core (measured, README); the
        flags make every change of the interlocks and the mode reach those clients at once.
        """
        now = time.monotonic()
        due = now >= self._decimated_due_s
        if due or flags != self._decimated_flags:
            self.decimated_publisher.publish(state)
            self._decimated_flags = flags
        if due:
            period = 1.0 / self.config.decimated_state_rate_hz
            self._decimated_due_s += period
            if self._decimated_due_s <= now:
                self._decimated_due_s = now + period

    def achieved_poll_rate_hz(self) -> float:
        # tuple() copies in one step; iterating the deque while press-io appends raises.
        times = [t for t in tuple(self._poll_times) if t > time.monotonic() - 2.0]
        if len(times) < 2:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def publish_diagnostics(self) -> None:
        supervisor = self.supervisor
        press, reading = self.press, self.reading
        connected = press is not None and press.connected
        identity = supervisor.identity if supervisor else None
        fault_code, fault_text = supervisor.fault() if supervisor else (0, "")
        if supervisor is None:
            level, message = LEVEL_ERROR, self.configure_error or "not configured"
        elif not connected:
            level, message = LEVEL_ERROR, "disconnected"
        elif fault_code:
            level, message = LEVEL_ERROR, fault_text
        elif not self.active:
            level, message = LEVEL_WARN, "inactive"
        else:
            level, message = LEVEL_OK, "ok"
        latencies = sorted(self._latencies)
        delays = sorted(self._publish_delays)
        values = {
            "port": self.config.port, "connected": connected,
            "poll_rate_hz": f"{self.achieved_poll_rate_hz():.1f}",
            "poll_rate_target_hz": self.config.poll_rate_hz,
            "latency_p50_ms": f"{percentile(latencies, 0.5) * 1e3:.2f}" if latencies else "",
            "latency_p99_ms": f"{percentile(latencies, 0.99) * 1e3:.2f}" if latencies else "",
            "reply_to_publish_p99_ms": f"{percentile(delays, 0.99) * 1e3:.2f}"
            if delays else "",
        }
        if supervisor is not None:
            die = supervisor.die
            values.update({
                "reconnects": supervisor.reconnects, "last_error": supervisor.last_error,
                "press_capacity_kn": supervisor.limits.press_capacity_kn,
                "max_ramp_rate_mpa_s": supervisor.limits.max_ramp_rate_mpa_s,
                "max_temperature_c": supervisor.limits.max_temperature_c,
                "installed_die": f"{die.die_id} {die.diameter_mm} mm, {die.rated_mpa} MPa",
                "arm_problem": supervisor.arm_problem(), "owner": supervisor.owner,
                "force_table": supervisor.press.force_calibration.source or "none"})
            urgent = list(supervisor.urgent_timings)
            if urgent:
                waits, writes = (sorted(column) for column in zip(*urgent))
                values.update({
                    "urgent_lock_wait_p99_ms": f"{percentile(waits, 0.99) * 1e3:.2f}",
                    "urgent_write_p99_ms": f"{percentile(writes, 0.99) * 1e3:.2f}"})
        if press is not None:
            counters = press.counters
            values.update(transactions=counters.transactions, timeouts=counters.timeouts,
                          crc_errors=counters.crc_errors, frame_errors=counters.frame_errors,
                          exception_replies=counters.exception_replies)
        if reading is not None:
            values.update(guard_closed=reading.flags["guard_closed"],
                          estop=reading.flags["estop"], fault_code=fault_code,
                          mode=reading.mode)
        self.diagnostics.publish(level, message, values,
                                 identity.hardware_id if identity else "")


def main(args=None) -> int:
    # A thread waiting for the interpreter (e-stop, the heartbeat) gets it within 0.5 ms
    # rather than Python's default 5 ms: measured in `pressctl bench` (safety paths).
    sys.setswitchinterval(0.0005)
    # Threads enough that the e-stop's group always finds one while a command, a
    # lifecycle or parameter request and the diagnostics timer run.
    return spin_node(PressDriverNode, args, threads=4,
                     before_destroy=lambda node: node.release_and_close("shutdown"),
                     startup_problem=lambda node: node.configure_error if
                     node.config.autostart else "")


if __name__ == "__main__":
    sys.exit(main())

"""press_driver: the press controller as a managed ROS 2 device (thin shell over hardware.Press).

Topics (relative): state, pressure, wrench, temperature, /diagnostics; subscribes
handling/arm. Services: command, estop, reset_fault, zero_position.
"""
import collections
import math
import threading
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import WrenchStamped
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.lifecycle import Node as LifecycleNode
from rclpy.lifecycle import TransitionCallbackReturn
from sensor_msgs.msg import FluidPressure, Temperature
from std_srvs.srv import Trigger

from press_control.dies import parse_die_table
from press_control.handshake import ArmReport, arm_clear, arm_problem
from press_control.hardware.press import (COMMAND_NOT_TAKEN, Press, PressCommunicationError,
                                          PressError)
from press_control.nodes.parameters import DRIVER_PARAMETERS, declare
from press_control.nodes.spin import spin_node
from press_control.protocol.register_map import RegisterMap, RegisterMapError
from press_control.resources import default_register_map_path
from press_control.safety import (Interlocks, SafetyLimits, pressure_refusal,
                                  temperature_refusal)
from press_control.stats import percentile
from press_control_interfaces.msg import ArmHeartbeat, PressState
from press_control_interfaces.srv import PressCommand

FAULT_INTRUSION = 7
MODE_NUMBERS = {"IDLE": PressState.MODE_IDLE, "RAMP": PressState.MODE_RAMP,
                "HOLD": PressState.MODE_HOLD, "RELEASE": PressState.MODE_RELEASE,
                "ESTOP": PressState.MODE_ESTOP, "FAULT": PressState.MODE_FAULT}


class PressDriverNode(LifecycleNode):
    """Polls the press, publishes its state, and passes checked commands to it."""

    def __init__(self, **kwargs):
        super().__init__("press_driver", **kwargs)
        declare(self, DRIVER_PARAMETERS)
        self.press = None
        self.reading = None
        self.active = False
        self.die = None
        self.dies = {}
        self.limits = None
        self.io_lock = threading.RLock()
        self._stop = threading.Event()
        self._thread = None
        self._arm = None
        self._intrusion = ""
        self._poll_times = collections.deque(maxlen=500)
        self._latencies = collections.deque(maxlen=500)
        self._publish_delays = collections.deque(maxlen=500)
        self._boot_count = None
        self._last_error = ""
        self._disconnects = 0
        self.state_publisher = self.create_publisher(PressState, "state", 10)
        self.pressure_publisher = self.create_publisher(FluidPressure, "pressure", 10)
        self.wrench_publisher = self.create_publisher(WrenchStamped, "wrench", 10)
        self.temperature_publisher = self.create_publisher(Temperature, "temperature", 10)
        self.diagnostics_publisher = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        services = MutuallyExclusiveCallbackGroup()
        self.create_service(PressCommand, "command", self.on_command, callback_group=services)
        self.create_service(Trigger, "estop", self.on_estop, callback_group=services)
        self.create_service(Trigger, "reset_fault", self.on_reset_fault,
                            callback_group=services)
        self.create_service(Trigger, "zero_position", self.on_zero_position,
                            callback_group=services)
        self.create_subscription(ArmHeartbeat, "handling/arm", self.on_arm, 10)
        self.create_timer(self.param("diagnostics_period_s"), self.publish_diagnostics)
        if self.param("autostart"):
            self.trigger_configure()
            if self.press is not None:
                self.trigger_activate()

    def param(self, name):
        return self.get_parameter(name).value

    # ---- lifecycle ---------------------------------------------------------------------
    def on_configure(self, state) -> TransitionCallbackReturn:
        try:
            register_map = RegisterMap.load(self.param("register_map") or
                                            default_register_map_path())
            self.dies = parse_die_table(self.param("die_table"))
            if self.param("die_id") not in self.dies:
                raise ValueError(f"die_id '{self.param('die_id')}' is not in the die table")
            self.die = self.dies[self.param("die_id")]
            self.limits = SafetyLimits(self.param("press_capacity_kn"),
                                       self.param("max_ramp_rate_mpa_s"),
                                       self.param("max_temperature_c"))
            press = Press(self.param("port"), self.param("baud"), self.param("parity"),
                          self.param("slave_id"), register_map,
                          self.param("transaction_timeout_s"))
            identity = press.connect()
            press.set_watchdog(self.param("watchdog_period_s"))
            press.set_motion_permit(False)
        except (PressError, RegisterMapError, ValueError, OSError) as error:
            self.get_logger().error(f"configure failed: {error}")
            return TransitionCallbackReturn.FAILURE
        if identity.capacity_kn < self.limits.press_capacity_kn:
            self.get_logger().warn(f"controller reports {identity.capacity_kn} kN capacity, "
                                   f"below the configured {self.limits.press_capacity_kn} kN;"
                                   " the lower one applies")
            self.limits = SafetyLimits(identity.capacity_kn, self.limits.max_ramp_rate_mpa_s,
                                       self.limits.max_temperature_c)
        self.press = press
        self.get_logger().info(f"connected to {identity.hardware_id} firmware "
                               f"{identity.firmware} on {press.port_name}")
        self._stop.clear()
        self._thread = threading.Thread(target=self._io_loop, name="press-io", daemon=True)
        self._thread.start()
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state) -> TransitionCallbackReturn:
        self.active = True
        return super().on_activate(state)

    def on_deactivate(self, state) -> TransitionCallbackReturn:
        self._release_safely("deactivate")
        self.active = False
        return super().on_deactivate(state)

    def on_cleanup(self, state) -> TransitionCallbackReturn:
        self._stop_io()
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state) -> TransitionCallbackReturn:
        self.release_and_close("shutdown")
        return TransitionCallbackReturn.SUCCESS

    def release_and_close(self, why: str) -> None:
        """Release at the safe rate and close the port; needs no ROS context (Ctrl-C)."""
        self._release_safely(why)
        self.active = False
        self._stop_io()

    def destroy_node(self):
        self._stop_io()
        super().destroy_node()

    def _stop_io(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3.0)
        with self.io_lock:
            if self.press is not None:
                self.press.close()
        self.press = None

    def _release_safely(self, why: str) -> None:
        """Bring the pressure down at the safe rate (never leaves a cell pressurized)."""
        reading = self.reading
        if self.press is None or reading is None or not reading.flags.get("pressurized"):
            return
        rate = self.die.force_kn(self.param("safe_release_rate_mpa_s"))
        for attempt in range(3):      # releasing is the safe direction: worth a retry
            try:
                with self.io_lock:
                    self.press.ramp_to(0.0, rate, releasing=True)
                self.get_logger().warn(f"{why}: releasing pressure at "
                                       f"{self.param('safe_release_rate_mpa_s')} MPa/s")
                return
            except PressError as error:
                self.get_logger().error(f"{why}: release attempt {attempt + 1} failed "
                                        f"({error})")
        self.get_logger().error(f"{why}: the controller watchdog will release")

    # ---- the I/O loop --------------------------------------------------------------------
    def _io_loop(self) -> None:
        period = 1.0 / self.param("poll_rate_hz")
        heartbeat_period = self.param("heartbeat_period_s")
        backoff = self.param("reconnect_backoff_s")
        failures = 0
        next_poll = next_heartbeat = time.monotonic()
        while not self._stop.is_set():
            press = self.press
            if press is None or not self.context.ok():
                return
            if not press.connected:
                if self._reconnect(press):
                    backoff, failures = self.param("reconnect_backoff_s"), 0
                else:
                    self._publish_disconnected()
                    self._stop.wait(backoff)
                    backoff = min(2 * backoff, self.param("reconnect_backoff_max_s"))
                continue
            try:
                with self.io_lock:
                    reading = press.poll()
                failures = 0
                self._on_reading(reading)
                if time.monotonic() >= next_heartbeat:
                    with self.io_lock:
                        press.heartbeat()
                        wanted = self._motion_permitted()
                        if wanted != reading.flags["motion_permit"]:
                            if not wanted and self.param("arm_interlock"):
                                self._withdraw_permit(arm_problem(
                                    self._arm, time.monotonic(),
                                    self.param("arm_heartbeat_timeout_s")))
                            else:
                                press.set_motion_permit(wanted)
                    next_heartbeat = time.monotonic() + heartbeat_period
            except PressCommunicationError as error:
                failures += 1
                self._last_error = str(error)
                if failures >= self.param("failures_before_disconnect"):
                    self.get_logger().error(f"press not answering ({error}); reconnecting")
                    with self.io_lock:
                        press.close()
            except PressError as error:
                self._last_error = str(error)
                self.get_logger().error(f"press connection lost: {error}")
            next_poll += period
            delay = next_poll - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_poll = time.monotonic()

    def _reconnect(self, press) -> bool:
        try:
            with self.io_lock:
                press.connect()
                press.set_watchdog(self.param("watchdog_period_s"))
                press.set_motion_permit(False)
        except PressError as error:
            self._last_error = str(error)
            return False
        self._disconnects += 1
        self.get_logger().warn(f"reconnected to {press.port_name}; pressing does not resume "
                               "by itself")
        return True

    def _on_reading(self, reading) -> None:
        if self._boot_count is not None and reading.boot_count != self._boot_count:
            self.get_logger().error("press controller rebooted (boot count "
                                    f"{self._boot_count} -> {reading.boot_count})")
        self._boot_count = reading.boot_count
        self.reading = reading
        self._poll_times.append(time.monotonic())
        self._latencies.append(reading.latency_s)
        if not self.context.ok():           # Ctrl-C: the shutdown path releases the press
            return
        self._publish(reading)
        self._publish_delays.append(time.monotonic() - reading.received_s)

    # ---- interlocks ----------------------------------------------------------------------
    def on_arm(self, message: ArmHeartbeat) -> None:
        self._arm = ArmReport(message.arm_id, message.in_workspace, message.cell_id,
                              message.intent, time.monotonic())
        if message.in_workspace and self.param("arm_interlock"):
            self._withdraw_permit(f"arm '{message.arm_id}' entered the workspace")

    def _withdraw_permit(self, why: str) -> None:
        """Drop the motion permit now: a moving controller dumps and latches fault 7."""
        reading, press = self.reading, self.press
        if reading is None or press is None or not reading.flags["motion_permit"]:
            return
        if reading.mode in ("RAMP", "HOLD"):
            self._intrusion = why
            self.get_logger().error(f"{why} while the platen was {reading.mode}: "
                                    "motion stopped, pressure dumped, fault latched")
        try:
            with self.io_lock:
                press.set_motion_permit(False)
        except PressError as error:
            self.get_logger().error(f"{why}: could not withdraw the motion permit ({error})")

    def arm_clear(self) -> bool:
        if not self.param("arm_interlock"):
            return True
        return arm_clear(self._arm, time.monotonic(), self.param("arm_heartbeat_timeout_s"))

    def _motion_permitted(self) -> bool:
        return self.active and self.arm_clear()

    def interlocks(self) -> Interlocks:
        reading = self.reading
        connected = self.press is not None and self.press.connected and reading is not None
        return Interlocks(
            connected=connected, active=self.active,
            fault_code=reading.fault_code if connected else 0,
            guard_closed=reading.flags["guard_closed"] if connected else False,
            estop=reading.flags["estop"] if connected else False,
            arm_clear=self.arm_clear())

    # ---- services ------------------------------------------------------------------------
    def on_command(self, request, response):
        response.accepted, response.reason = self.execute(request)
        if response.accepted:
            self.get_logger().info(f"command {request.command} accepted")
        else:
            self.get_logger().warn(f"command {request.command} refused: {response.reason}")
        return response

    def execute(self, request) -> tuple:
        """Check one PressCommand against limits and interlocks, then send it."""
        interlocks = self.interlocks()
        if request.command == PressCommand.Request.SELECT_DIE:
            if request.die_id not in self.dies:
                return False, f"unknown die '{request.die_id}'"
            if self.reading is not None and self.reading.flags["pressurized"]:
                return False, "cannot change the die while pressurized"
            self.die = self.dies[request.die_id]
            return True, ""
        if request.command in (PressCommand.Request.SET_PRESSURE, PressCommand.Request.RELEASE):
            rising = request.command == PressCommand.Request.SET_PRESSURE
            reason = pressure_refusal(self.limits, self.die, request.target_mpa,
                                      request.rate_mpa_s, interlocks, rising=rising)
            if reason is None and not rising and self.reading is not None and \
                    request.target_mpa > self.die.pressure_mpa(self.reading.force_kn) + 1.0:
                reason = "release target is above the present pressure"
            if reason:
                return False, reason
            return self._send(lambda: self._ramp(request.target_mpa, request.rate_mpa_s,
                                                 rising))
        if request.command == PressCommand.Request.HOLD:
            reason = pressure_refusal(self.limits, self.die, 0.0, 1.0, interlocks)
            return (False, reason) if reason else self._send(
                lambda: (self.press.set_motion_permit(True), self.press.hold()))
        if request.command == PressCommand.Request.SET_TEMPERATURE:
            reason = temperature_refusal(self.limits, request.target_c, interlocks)
            return (False, reason) if reason else self._send(
                lambda: self.press.set_temperature(request.target_c))
        return False, f"unknown command {request.command}"

    def _ramp(self, target_mpa: float, rate_mpa_s: float, rising: bool) -> None:
        if rising:
            self.press.set_motion_permit(True)
        self.press.ramp_to(self.die.force_kn(target_mpa), self.die.force_kn(rate_mpa_s),
                           releasing=not rising)

    def _send(self, action) -> tuple:
        try:
            with self.io_lock:
                action()
        except PressError as error:
            return False, f"{COMMAND_NOT_TAKEN}: {error}"
        return True, ""

    def _trigger(self, response, action, what):
        if self.press is None or not self.press.connected:
            response.success, response.message = False, "press controller is not connected"
            return response
        response.success, response.message = self._send(action)
        response.message = response.message or what
        self.get_logger().warn(what) if response.success else None
        return response

    def on_estop(self, request, response):
        return self._trigger(response, lambda: self.press.estop(),
                             "emergency stop: pressure released, fault latched")

    def on_reset_fault(self, request, response):
        self._trigger(response, lambda: self.press.reset_fault(), "fault reset")
        if response.success:
            self._intrusion = ""
        return response

    def on_zero_position(self, request, response):
        reading = self.reading
        if reading is not None and reading.flags["pressurized"]:
            response.success = False
            response.message = "zero the platen position with an empty die and no load"
            return response
        return self._trigger(response, lambda: self.press.zero_position(),
                             "platen position zeroed")

    # ---- publishing ----------------------------------------------------------------------
    def _publish(self, reading) -> None:
        stamp = self.get_clock().now().to_msg()
        die = self.die
        state = PressState(mode=MODE_NUMBERS.get(reading.mode, PressState.MODE_FAULT),
                           mode_name=reading.mode, connected=True,
                           commands_enabled=self.active and reading.fault_code == 0,
                           pressure_mpa=die.pressure_mpa(reading.force_kn),
                           force_kn=reading.force_kn,
                           setpoint_mpa=die.pressure_mpa(reading.setpoint_kn),
                           ramp_rate_mpa_s=die.pressure_mpa(reading.ramp_rate_kn_s),
                           platen_position_mm=reading.platen_position_mm,
                           platen_temperature_c=reading.platen_temperature_c,
                           guard_closed=reading.flags["guard_closed"],
                           estop_pressed=reading.flags["estop"], arm_clear=self.arm_clear(),
                           die_id=die.die_id, die_area_mm2=die.area_mm2,
                           fault_code=reading.fault_code,
                           fault_text=self._fault_text(reading))
        state.header.stamp = stamp
        state.header.frame_id = self.param("frame_id")
        self.state_publisher.publish(state)
        pressure = FluidPressure(fluid_pressure=state.pressure_mpa * 1e6, variance=0.0)
        pressure.header = state.header
        self.pressure_publisher.publish(pressure)
        wrench = WrenchStamped()
        wrench.header = state.header
        wrench.wrench.force.z = reading.force_kn * 1000.0
        self.wrench_publisher.publish(wrench)
        temperature = Temperature(temperature=reading.platen_temperature_c, variance=0.0)
        temperature.header = state.header
        self.temperature_publisher.publish(temperature)

    def _fault_text(self, reading) -> str:
        if not reading.fault_code:
            return ""
        if reading.fault_code == FAULT_INTRUSION and self._intrusion:
            return f"{reading.fault_text}: {self._intrusion}"
        return reading.fault_text

    def _publish_disconnected(self) -> None:
        state = PressState(mode=PressState.MODE_DISCONNECTED, mode_name="DISCONNECTED",
                           connected=False, pressure_mpa=math.nan, force_kn=math.nan,
                           die_id=self.die.die_id if self.die else "",
                           fault_text=self._last_error)
        state.header.stamp = self.get_clock().now().to_msg()
        state.header.frame_id = self.param("frame_id")
        self.state_publisher.publish(state)

    def achieved_poll_rate_hz(self) -> float:
        times = [t for t in self._poll_times if t > time.monotonic() - 2.0]
        if len(times) < 2:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def publish_diagnostics(self) -> None:
        press, reading = self.press, self.reading
        connected = press is not None and press.connected
        status = DiagnosticStatus(name=f"{self.get_fully_qualified_name()}: press",
                                  hardware_id=press.identity.hardware_id
                                  if press and press.identity else "")
        if not connected:
            status.level, status.message = DiagnosticStatus.ERROR, "disconnected"
        elif reading is not None and reading.fault_code:
            status.level, status.message = DiagnosticStatus.ERROR, reading.fault_text
        elif not self.active:
            status.level, status.message = DiagnosticStatus.WARN, "inactive"
        else:
            status.level, status.message = DiagnosticStatus.OK, "ok"
        latencies = sorted(self._latencies)
        delays = sorted(self._publish_delays)
        values = {
            "port": self.param("port"), "connected": connected,
            "poll_rate_hz": f"{self.achieved_poll_rate_hz():.1f}",
            "poll_rate_target_hz": self.param("poll_rate_hz"),
            "latency_p50_ms": f"{percentile(latencies, 0.5) * 1e3:.2f}" if latencies else "",
            "latency_p99_ms": f"{percentile(latencies, 0.99) * 1e3:.2f}" if latencies else "",
            "reply_to_publish_p99_ms": f"{percentile(delays, 0.99) * 1e3:.2f}"
            if delays else "",
            "reconnects": self._disconnects, "last_error": self._last_error,
            "press_capacity_kn": self.limits.press_capacity_kn if self.limits else "",
            "max_ramp_rate_mpa_s": self.param("max_ramp_rate_mpa_s"),
            "max_temperature_c": self.param("max_temperature_c"),
            "die": f"{self.die.die_id} {self.die.diameter_mm} mm, {self.die.rated_mpa} MPa"
            if self.die else "",
            "arm_clear": self.arm_clear(),
        }
        if press is not None:
            counters = press.counters
            values.update(transactions=counters.transactions, timeouts=counters.timeouts,
                          crc_errors=counters.crc_errors, frame_errors=counters.frame_errors,
                          exception_replies=counters.exception_replies)
        if reading is not None:
            values.update(guard_closed=reading.flags["guard_closed"],
                          estop=reading.flags["estop"], fault_code=reading.fault_code,
                          mode=reading.mode)
        status.values = [KeyValue(key=k, value=str(v)) for k, v in values.items()]
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self.diagnostics_publisher.publish(array)


def main(args=None) -> None:
    spin_node(PressDriverNode, args,
              before_destroy=lambda node: node.release_and_close("shutdown"))


if __name__ == "__main__":
    main()

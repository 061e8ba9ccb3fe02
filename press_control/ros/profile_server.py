"""profile_server: the `run_profile` action (RunPressureProfile) over press_driver.

Validates goals against the presets, the installed die and the safety limits, runs them
with ProfileRunner at feedback_rate_hz, sends the runner's commands to press_driver's
`command` service on behalf of the goal (which owns the press while it runs and renews
its lease on `owner_heartbeat` every tick), and writes a record of every run. Rejections
are logged and published on `run_profile/rejection` (GoalRejection, transient local).
"""
import json
import math
import sys
import threading
import time

import rclpy
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.serialization import deserialize_message
from diagnostic_msgs.msg import DiagnosticArray
from std_msgs.msg import String

from press_control.ros.qos import LATCHED
from press_control.control.dies import parse_die_table
from press_control.control.materials import (CellStack, StackError, cell_stack,
                                             temperature_refusal)
from press_control.control.handshake import FAULT
from press_control.ros.guard import guarded
from press_control.ros.bag_codec import RosMessageCodec, Serialized
from press_control.ros.hot_input import HotInputs, ThreadTimer
from press_control.ros.handling import HandlingPort, press_interlocks
from press_control.ros.parameters import PROFILE_SERVER_PARAMETERS, declare
from press_control.ros.segment_messages import segment_from_msg, stats_to_msg
from press_control.ros.spin import spin_node
from press_control.control.profile_runner import (ABORTED, CANCELED, SUCCEEDED, Command,
                                                  Observation, ProfileRunner, RunnerTuning)
from press_control.control.profiles import (REJECT_BUSY, REJECT_HANDLING, REJECT_NOT_READY,
                                            REJECT_WRONG_DIE, SEGMENT_TYPES, ProfileError,
                                            assemble, load_presets, validate)
from press_control.records.run_record import RunRecord
from press_control.ros.record_tap import RecordTap
from press_control.resources import config_path
from press_control.control.safety import (NO_PRESS_STATE, NO_ROUND_TRIP, REFUSED_INTERLOCK,
                                          Refusal, SafetyLimits, motion_refusal)
from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import CellStack as CellStackMessage
from press_control_interfaces.msg import (GoalRejection, ImpedanceSpectrum, InterfaceEvent,
                                          InterfaceHealth, PressState)
from press_control_interfaces.srv import PressCommand

OUTCOME_CODES = {SUCCEEDED: RunPressureProfile.Result.SUCCEEDED,
                 CANCELED: RunPressureProfile.Result.CANCELED,
                 ABORTED: RunPressureProfile.Result.ABORTED}
COMMAND_CODES = {"set_pressure": PressCommand.Request.SET_PRESSURE,
                 "release": PressCommand.Request.RELEASE,
                 "temperature": PressCommand.Request.SET_TEMPERATURE}


class ProfileServerNode(Node):
    """Action server that runs pressure profiles on one press."""

    def __init__(self, **kwargs):
        super().__init__("profile_server", **kwargs)
        self.config = declare(self, PROFILE_SERVER_PARAMETERS)
        self.presets = load_presets(self.config.presets_file or config_path("profiles.yaml"))
        self.dies = parse_die_table(self.config.die_table)
        self.limits = SafetyLimits(self.config.press_capacity_kn,
                                   self.config.max_ramp_rate_mpa_s,
                                   self.config.max_temperature_c,
                                   self.config.min_ramp_rate_mpa_s,
                                   self.config.min_temperature_c)
        self._state_wire = None          # the latest `state` as it came (CDR bytes)
        self._state_decoded = (None, None)
        self.state_seen = 0.0
        self.installed_die = ""
        self.force_calibration = None    # the driver's force table, as it announced it
        self.health = None
        self.plateau = False
        self.busy = threading.Lock()
        self._accepting = threading.Lock()
        self._reserved = False           # a goal is accepted and not yet finished
        self._round_trip = False         # a command round trip to the driver has worked
        self._pinging = False
        self.kept = None                 # (owner, cell_id) of a cell kept loaded
        self._goal_cell = self._goal_preset = ""     # of the running goal, for feedback
        self._stopping = threading.Event()
        group = ReentrantCallbackGroup()
        self.tap = RecordTap(self)
        # Every input is taken by HotInputs: on the multi-threaded executor each message
        # woke it two or three times (counted: 27 wake-ups a second for 10 messages).
        # Drained every 20 ms, two states at a time: each drain wakes the thread and asks
        # every subscription (measured: 130 us a wake-up, 30 us for eight empty takes);
        # the goal loop reads the latest state at 20 Hz.
        self.hot_inputs = HotInputs(self, period_s=0.02)
        self.hot_inputs.add(PressState, "state", guarded(self, self.on_state), raw=True)
        self.hot_inputs.add(String, "installed_die", guarded(self, self.on_installed_die),
                            qos=LATCHED)
        self.hot_inputs.add(String, "force_calibration",
                            guarded(self, self.on_force_calibration), qos=LATCHED)
        self.hot_inputs.add(InterfaceHealth, "interface/health", guarded(self, self.on_health),
                            depth=10)
        self.hot_inputs.add(InterfaceEvent, "interface/events", guarded(self, self.on_event),
                            depth=50)
        self.hot_inputs.add(ImpedanceSpectrum, "interface/spectrum",
                            guarded(self, self.on_spectrum), qos=LATCHED)
        self.hot_inputs.add(DiagnosticArray, "/diagnostics", guarded(self, self.on_diagnostics),
                            depth=10)
        self.handling = HandlingPort(self, lambda: self.state, group,
                                     on_publish=guarded(self, self.on_handling_state))
        self.rejections = self.create_publisher(GoalRejection, "run_profile/rejection", LATCHED)
        self.stack_publisher = self.create_publisher(CellStackMessage, "cell/stack", LATCHED)
        self.owner_heartbeat = self.create_publisher(String, "owner_heartbeat", 10)
        self.command_client = self.create_client(PressCommand, "command", callback_group=group)
        self.supervising = ThreadTimer(0.2, guarded(self, self._supervise),
                                       "profile-supervise", alive=self.context.ok)
        self.server = ActionServer(self, RunPressureProfile, "run_profile", self.execute,
                                   goal_callback=guarded(self, self.on_goal,
                                                         lambda *_: GoalResponse.REJECT),
                                   cancel_callback=lambda _: CancelResponse.ACCEPT,
                                   callback_group=group)
        self.get_logger().info(f"run_profile ready; presets: {', '.join(sorted(self.presets))}")

    def end_goals(self) -> None:
        """Before shutdown: abort a running goal (it releases while ROS still runs), wait.

        The wait lasts as long as releasing the present pressure at the safe rate takes,
        plus 10 s. Destroying the node under a running goal would leave its thread calling
        destroyed handles; the driver's owner lease would release the press, but the run
        would end with a traceback ("exception was never retrieved") instead of a reason.
        """
        self._stopping.set()
        state = self.state
        pressure = state.pressure_mpa if state is not None else 0.0
        release_s = max(0.0, pressure) / self.config.safe_release_rate_mpa_s \
            if math.isfinite(pressure) else 60.0
        if self.busy.acquire(timeout=10.0 + release_s):
            self.busy.release()

    def destroy_node(self):
        self.supervising.close()
        self.handling.close()
        self.hot_inputs.close()
        super().destroy_node()

    # ---- inputs ------------------------------------------------------------------------
    def on_state(self, data: bytes) -> None:
        """Keep and record `state` as it came (CDR bytes); it becomes a message when read.

        It arrives at the driver's 100 Hz; profiled, building and re-serializing every one
        was most of this node's work.
        """
        self._state_wire, self.state_seen = data, time.monotonic()
        self.tap.write("state", Serialized(PressState, data))

    @property
    def state(self):
        """The latest PressState from press_driver, or None before the first."""
        wire = self._state_wire
        decoded_from, message = self._state_decoded
        if wire is not decoded_from:
            message = deserialize_message(wire, PressState) if wire is not None else None
            self._state_decoded = (wire, message)
        return message

    def on_installed_die(self, message: String) -> None:
        self.installed_die = message.data
        self.tap.write("installed_die", message, latched=True)

    def on_force_calibration(self, message: String) -> None:
        try:
            self.force_calibration = json.loads(message.data)
        except ValueError:
            self.force_calibration = {"unreadable": message.data}
        self.tap.write("force_calibration", message, latched=True)

    def on_health(self, message: InterfaceHealth) -> None:
        self.health = message
        self.tap.write("interface/health", message)

    def on_event(self, message: InterfaceEvent) -> None:
        if message.event == InterfaceEvent.DENSIFICATION_PLATEAU:
            self.plateau = message.active
        self.tap.write("interface/events", message)

    def on_spectrum(self, message: ImpedanceSpectrum) -> None:
        self.tap.write_spectrum("interface/spectrum", message)

    def on_diagnostics(self, message: DiagnosticArray) -> None:
        self.tap.write("/diagnostics", message)

    def on_handling_state(self, message) -> None:
        self.tap.write("handling/state", message, latched=True)

    def _supervise(self) -> None:
        """Readiness by a real round trip, and the lease of a cell kept loaded."""
        if self.state is None or time.monotonic() - self.state_seen > \
                self.config.state_timeout_s:
            self._round_trip = False          # a driver that comes back is found anew
        elif not self._round_trip and not self._pinging and \
                self.command_client.service_is_ready():
            self._pinging = True
            future = self.command_client.call_async(
                PressCommand.Request(command=PressCommand.Request.PING))
            future.add_done_callback(self._on_ping)
            threading.Timer(1.0, self._ping_timeout, [future]).start()
        if self.kept is not None:
            owner, cell_id = self.kept
            if self.handling.state == FAULT:
                self.get_logger().error(f"cell {cell_id} was kept loaded but "
                                        f"{self.handling.machine.reason}; releasing")
                self.kept = None
                self._end_ownership(owner, release=True)
            else:
                self.owner_heartbeat.publish(String(data=owner))

    def _on_ping(self, future) -> None:
        self._round_trip = future.done() and not future.cancelled() and \
            future.result() is not None and future.result().accepted
        self._pinging = False

    def _ping_timeout(self, future) -> None:
        if not future.done():               # the reply was lost: ask again
            future.cancel()
            self._pinging = False

    # ---- goals -------------------------------------------------------------------------
    def die_in_press(self):
        """The installed die as press_driver reports it (LATCHED topic, else state)."""
        die_id = self.installed_die or (self.state.die_id if self.state is not None else "")
        if die_id not in self.dies:
            raise ProfileError(f"the installed die '{die_id}' is unknown (is press_driver "
                               "running?)", REJECT_NOT_READY)
        return self.dies[die_id]

    def plan(self, goal):
        """(segments, die, stack) of a goal, or raise ProfileError with the reason."""
        segments = assemble(self.presets, goal.preset,
                            [segment_from_msg(m) for m in goal.segments], goal.hold_scale)
        die = self.die_in_press()
        if goal.die_id and goal.die_id != die.die_id:
            raise ProfileError(f"the goal is for die '{goal.die_id}' but die '{die.die_id}' "
                               "is installed (set_installed_die changes it)", REJECT_WRONG_DIE)
        validate(segments, self.limits, die, keep_loaded=goal.keep_loaded)
        if not goal.cell_id.strip():
            raise ProfileError("the goal names no cell_id (every pressed cell is recorded)")
        if goal.keep_loaded and self.kept is not None and self.kept[1] != goal.cell_id:
            raise ProfileError(f"cell '{self.kept[1]}' is kept loaded", REJECT_HANDLING)
        try:
            stack = cell_stack(goal.electrolyte, goal.electrolyte_mass_mg, goal.anode)
        except StackError as error:
            raise ProfileError(str(error)) from None
        for number, segment in enumerate(segments, 1):
            refusal = temperature_refusal(stack, segment.temperature_c)
            if refusal:
                raise ProfileError(f"segment {number}: {refusal}")
        return segments, die, stack

    def readiness_problem(self):
        state = self.state
        if state is None or time.monotonic() - self.state_seen > self.config.state_timeout_s:
            return Refusal(REFUSED_INTERLOCK, "no fresh press state: is press_driver running?",
                           NO_PRESS_STATE)
        refusal = motion_refusal(press_interlocks(state, state.arm_clear))
        if refusal:
            return refusal + (f" ({state.fault_text})" if state.fault_code else "")
        if not self._round_trip:
            return Refusal(REFUSED_INTERLOCK, "no command round trip to press_driver yet",
                           NO_ROUND_TRIP)
        return None

    def on_goal(self, goal) -> GoalResponse:
        with self._accepting:                # acceptance is atomic: one goal at a time
            try:
                if self._reserved:
                    raise ProfileError("another profile is running; one goal at a time",
                                       REJECT_BUSY)
                self.plan(goal)
                problem = self.readiness_problem()
                if problem:
                    raise ProfileError(f"press not ready: {problem}", REJECT_NOT_READY)
                problem = self.handling.start_refusal(goal.cell_id)
                if problem:
                    raise ProfileError(problem, REJECT_HANDLING)
            except ProfileError as error:
                reason = f"goal for cell '{goal.cell_id}' rejected: {error}"
                self.get_logger().warning(reason)
                rejection = GoalRejection(cell_id=goal.cell_id, code=error.code, reason=reason)
                rejection.header.stamp = self.get_clock().now().to_msg()
                self.rejections.publish(rejection)
                return GoalResponse.REJECT
            self._reserved = True
            return GoalResponse.ACCEPT

    # ---- running -----------------------------------------------------------------------
    def send(self, command, owner: str = "") -> tuple:
        """Send one runner Command to press_driver; (accepted, reason)."""
        request = PressCommand.Request(command=COMMAND_CODES[command.kind], owner=owner)
        if command.kind == "temperature":
            request.target_c = command.target
        else:
            request.target_mpa, request.rate_mpa_s = command.target, command.rate
        return self._call(request)

    def _call(self, request) -> tuple:
        """(accepted, reason) of one command; a lost frame is resent once (idempotent)."""
        for attempt in range(2):
            accepted, status, reason = self._call_once(request)
            if status != PressCommand.Response.NOT_TAKEN:
                break
            self.get_logger().warning(
                f"{reason}; sending it once more" if attempt == 0 else reason)
        return accepted, reason

    def _call_once(self, request) -> tuple:
        if not self.command_client.wait_for_service(timeout_sec=self.config.command_timeout_s):
            return False, PressCommand.Response.REFUSED_INTERLOCK, \
                "press_driver's command service is not available"
        done = threading.Event()
        future = self.command_client.call_async(request)
        future.add_done_callback(lambda _: done.set())
        if not done.wait(self.config.command_timeout_s):
            future.cancel()
            return False, PressCommand.Response.NOT_TAKEN, \
                "press_driver did not answer the command in time"
        reply = future.result()
        return reply.accepted, reply.status, reply.reason

    def _ownership(self, command: int, owner: str) -> tuple:
        return self._call(PressCommand.Request(command=command, owner=owner))

    def _end_ownership(self, owner: str, release: bool) -> str:
        """Release (if asked) and give the press back; returns what went wrong ("" if not)."""
        problem = ""
        if release:
            accepted, reason = self.send(Command("release", 0.0,
                                                 self.config.safe_release_rate_mpa_s), owner)
            if not accepted:
                problem = (f"the release command was refused ({reason}); the driver releases "
                           f"when the owner lease lapses")
        self._ownership(PressCommand.Request.RELINQUISH, owner)
        return problem

    def observe(self) -> Observation:
        state, health = self.state, self.health
        fresh = state is not None and \
            time.monotonic() - self.state_seen <= self.config.state_timeout_s
        observation = Observation(
            time_s=time.monotonic(),
            pressure_mpa=state.pressure_mpa if fresh else math.nan,
            connected=fresh and state.connected,
            fault_code=state.fault_code if fresh else 0,
            fault_text=state.fault_text if fresh else "",
            densification_plateau=self.plateau)
        if health is not None:
            observation.relative_density = health.relative_density
            observation.interface_resistance_ohm = health.interface_resistance_ohm
            fit_ns = health.fit_stamp.sec * 10 ** 9 + health.fit_stamp.nanosec
            age_s = (self.get_clock().now().nanoseconds - fit_ns) / 1e9
            observation.interface_fit_time_s = observation.time_s - age_s if fit_ns \
                else -math.inf
        return observation

    def execute(self, handle):
        try:
            with self.busy:
                return self._run(handle)
        finally:
            self._reserved = False

    def _run(self, handle):
        """Run one goal; whatever ends it, the press is released or the result says why not."""
        goal = handle.request
        owner = bytes(handle.goal_id.uuid).hex()
        self._goal_cell, self._goal_preset = goal.cell_id, goal.preset
        try:
            segments, die, stack = self.plan(goal)
            record = RunRecord(self.config.record_dir, goal.cell_id, {
                "preset": goal.preset, "die": die.die_id, "hold_scale": goal.hold_scale,
                "force_calibration": self.force_calibration,
                "keep_loaded": goal.keep_loaded, "stack": vars(stack), "owner": owner,
                "segments": [vars(s) for s in segments]}, codec=RosMessageCodec())
        except (ProfileError, OSError) as error:   # the world changed since acceptance
            handle.abort()
            return RunPressureProfile.Result(outcome=RunPressureProfile.Result.REJECTED,
                                             reason=str(error))
        runner = ProfileRunner(segments, RunnerTuning(
            safe_release_rate_mpa_s=self.config.safe_release_rate_mpa_s,
            max_setpoint_mpa=die.max_pressure_mpa(self.limits.press_capacity_kn)))
        kept, self.kept = self.kept, None
        if kept is not None:                       # continue a cell kept loaded for us
            self._ownership(PressCommand.Request.RELINQUISH, kept[0])
        accepted, reason = self._ownership(PressCommand.Request.ACQUIRE, owner)
        if not accepted:
            runner.outcome, runner.reason = ABORTED, f"press_driver refused ownership: {reason}"
        else:
            self.handling.goal_started(goal.cell_id)
        self.tap.start(record)
        self._publish_stack(goal.cell_id, stack)
        self.get_logger().info(f"cell {goal.cell_id}: running {goal.preset or 'custom'} "
                               f"({len(segments)} segments) on die {die.die_id} as goal "
                               f"{owner}; record {record.folder}")
        try:
            self._loop(handle, runner, record, owner)
        except Exception as error:     # noqa: B902 - a bug must still end in a release
            self.get_logger().error(f"run of cell {goal.cell_id} failed: "
                                    f"{type(error).__name__}: {error}")
            runner.outcome = ABORTED
            runner.reason = f"internal error: {type(error).__name__}: {error}"
        return self._finish(handle, runner, record, segments, owner, acquired=accepted)

    def _publish_stack(self, cell_id: str, stack: CellStack) -> None:
        """What this goal says is in the die, latched: the monitor's density uses it."""
        message = CellStackMessage(cell_id=cell_id, electrolyte=stack.electrolyte,
                                   electrolyte_mass_mg=stack.electrolyte_mass_mg,
                                   true_density_g_cm3=stack.true_density_g_cm3,
                                   anode=stack.anode,
                                   max_temperature_c=stack.max_temperature_c)
        message.header.stamp = self.get_clock().now().to_msg()
        self.stack_publisher.publish(message)
        self.tap.write("cell/stack", message, latched=True)

    def _loop(self, handle, runner, record, owner) -> None:
        period = 1.0 / self.config.feedback_rate_hz
        started = time.monotonic()
        next_tick = next_renewal = started
        while not runner.done and rclpy.ok(context=self.context):
            if time.monotonic() >= next_renewal:    # every message wakes the driver
                self.owner_heartbeat.publish(String(data=owner))
                next_renewal = time.monotonic() + self.config.owner_renew_period_s
            if handle.is_cancel_requested:
                runner.cancel()
            if self.handling.state == FAULT and not runner.done:
                runner.abort(f"handling fault: {self.handling.machine.reason}")
            if self._stopping.is_set() and not runner.done:
                runner.abort("profile_server is shutting down")
            observation = self.observe()
            for command in runner.step(observation):
                accepted, reason = self.send(command, owner)
                if not accepted and not runner.done:
                    self.get_logger().error(f"press_driver refused {command}: {reason}")
                    runner.outcome, runner.reason = ABORTED, f"press refused a command: {reason}"
            feedback = self._feedback(runner, observation, started)
            handle.publish_feedback(feedback)
            try:
                self._record(record, runner, observation, feedback, started)
            except OSError as error:
                runner.abort(f"the run record cannot be written ({error})")
            next_tick += period
            time.sleep(max(0.0, next_tick - time.monotonic()))

    def _feedback(self, runner, observation, started):
        health = self.health
        index = min(max(runner.index, 0), len(runner.segments) - 1)
        segment = runner.segments[index]
        return RunPressureProfile.Feedback(
            cell_id=self._goal_cell, preset=self._goal_preset,
            segment_count=len(runner.segments), segment_index=index,
            segment_type=SEGMENT_TYPES.index(segment.type),
            setpoint_mpa=runner.reference_mpa, measured_mpa=observation.pressure_mpa,
            error_mpa=observation.pressure_mpa - runner.reference_mpa,
            elapsed_s=time.monotonic() - started, remaining_s=runner.remaining_s(),
            relative_density=health.relative_density if health else math.nan,
            impedance_ohm=health.impedance_ohm if health else math.nan, phase=runner.phase)

    def _record(self, record, runner, observation, feedback, started):
        stamp_ns = self.get_clock().now().nanoseconds
        record.add_sample(time_s=round(feedback.elapsed_s, 3), segment=runner.index,
                          phase=runner.phase, setpoint_mpa=feedback.setpoint_mpa,
                          measured_mpa=observation.pressure_mpa, error_mpa=feedback.error_mpa,
                          relative_density=feedback.relative_density,
                          impedance_ohm=feedback.impedance_ohm,
                          interface_resistance_ohm=observation.interface_resistance_ohm)
        record.add_message(self.tap.full_name("run_profile/feedback"), feedback,
                           stamp_ns)

    def _finish(self, handle, runner, record, segments, owner, acquired):
        goal = handle.request
        outcome = runner.outcome or ABORTED
        reason = runner.reason or ("profile_server is shutting down; the driver releases the "
                                   "press when the owner lease lapses (owner_timeout_s)")
        keep = outcome == SUCCEEDED and goal.keep_loaded
        if keep:
            self.kept = (owner, goal.cell_id)
            reason += "; the cell stays loaded for the next goal for it"
        elif acquired and rclpy.ok(context=self.context):
            pressurized = self.state is None or not self.state.pressure_mpa < 0.5
            problem = self._end_ownership(owner, release=outcome != SUCCEEDED or pressurized)
            if problem:
                reason += f"; {problem}"
        result = RunPressureProfile.Result(outcome=OUTCOME_CODES[outcome], reason=reason,
                                           peak_mpa=runner.peak_mpa)
        result.segments = [stats_to_msg(s) for s in runner.stats]
        health = self.health
        result.final_relative_density = health.relative_density if health else math.nan
        result.final_impedance_ohm = health.impedance_ohm if health else math.nan
        result.record_dir = record.folder
        self.tap.stop()
        try:
            result.record_files = record.finish({
                "outcome": outcome, "reason": reason, "peak_mpa": runner.peak_mpa,
                "segments": [vars(s) for s in runner.stats],
                "final_relative_density": result.final_relative_density,
                "final_interface_resistance_ohm": health.interface_resistance_ohm
                if health else math.nan,
                "final_interface_asr_ohm_cm2": health.interface_asr_ohm_cm2
                if health else math.nan,
                "final_impedance_ohm": result.final_impedance_ohm}, segments,
                plot=self.config.record_plot)
        except OSError as error:
            result.reason += f"; the run record could not be completed ({error})"
        if acquired:
            self.handling.goal_finished(f"profile {outcome}: {reason}", kept_loaded=keep,
                                        pressure_mpa=runner.filtered_pressure_mpa)
        if outcome == SUCCEEDED:
            handle.succeed()
        elif outcome == CANCELED:
            handle.canceled()
        else:
            handle.abort()
        summary = f"cell {goal.cell_id}: {outcome}: {result.reason}"
        if outcome == SUCCEEDED:
            self.get_logger().info(summary)
        else:
            self.get_logger().warning(summary)
        return result


def main(args=None) -> int:
    return spin_node(ProfileServerNode, args, before_destroy=lambda node: node.end_goals())


if __name__ == "__main__":
    sys.exit(main())

"""profile_server: the `run_profile` action (RunPressureProfile) over press_driver.

Validates goals against the presets, the die table and the safety limits, runs them with
ProfileRunner at feedback_rate_hz, sends the runner's commands to press_driver's `command`
service, and writes a record of every run. Rejection reasons are logged and published on
`run_profile/rejection` (std_msgs/String, transient local) for clients to read.
"""
import math
import threading
import time

import rclpy
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile
from std_msgs.msg import String

from press_control.dies import parse_die_table
from press_control.handshake import FAULT
from press_control.hardware.press import COMMAND_NOT_TAKEN
from press_control.nodes.handling import HandlingPort, press_interlocks
from press_control.nodes.parameters import PROFILE_SERVER_PARAMETERS, declare
from press_control.nodes.segment_messages import segment_from_msg, stats_to_msg
from press_control.nodes.spin import spin_node
from press_control.profile_runner import (ABORTED, CANCELED, SUCCEEDED, Command,
                                          Observation, ProfileRunner, RunnerTuning)
from press_control.profiles import (SEGMENT_TYPES, ProfileError, assemble, load_presets,
                                    validate)
from press_control.records import RunRecord
from press_control.resources import config_path
from press_control.safety import SafetyLimits, motion_refusal
from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import InterfaceEvent, InterfaceHealth, PressState
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
        declare(self, PROFILE_SERVER_PARAMETERS)
        self.presets = load_presets(self.param("presets_file") or config_path("profiles.yaml"))
        self.dies = parse_die_table(self.param("die_table"))
        self.limits = SafetyLimits(self.param("press_capacity_kn"),
                                   self.param("max_ramp_rate_mpa_s"),
                                   self.param("max_temperature_c"))
        self.state = None
        self.state_seen = 0.0
        self.health = None
        self.plateau = False
        self.busy = threading.Lock()
        self._service_seen = None
        group = ReentrantCallbackGroup()
        self.create_subscription(PressState, "state", self.on_state, 10, callback_group=group)
        self.create_subscription(InterfaceHealth, "interface/health", self.on_health, 10,
                                 callback_group=group)
        self.create_subscription(InterfaceEvent, "interface/events", self.on_event, 10,
                                 callback_group=group)
        self.handling = HandlingPort(self, lambda: self.state, group)
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.rejections = self.create_publisher(String, "run_profile/rejection", latched)
        self.command_client = self.create_client(PressCommand, "command", callback_group=group)
        self.server = ActionServer(self, RunPressureProfile, "run_profile", self.execute,
                                   goal_callback=self.on_goal,
                                   cancel_callback=lambda _: CancelResponse.ACCEPT,
                                   callback_group=group)
        self.get_logger().info(f"run_profile ready; presets: {', '.join(sorted(self.presets))}")

    def param(self, name):
        return self.get_parameter(name).value

    # ---- inputs ------------------------------------------------------------------------
    def on_state(self, message: PressState) -> None:
        self.state, self.state_seen = message, time.monotonic()
        if not self.command_client.service_is_ready():
            self._service_seen = None
        elif self._service_seen is None:
            self._service_seen = self.state_seen

    def on_health(self, message: InterfaceHealth) -> None:
        self.health = message

    def on_event(self, message: InterfaceEvent) -> None:
        if message.event == InterfaceEvent.DENSIFICATION_PLATEAU:
            self.plateau = message.active

    # ---- goals -------------------------------------------------------------------------
    def plan(self, goal):
        """(segments, die) of a goal, or raise ProfileError with the reason."""
        segments = assemble(self.presets, goal.preset,
                            [segment_from_msg(m) for m in goal.segments], goal.hold_scale)
        state = self.state
        die_id = goal.die_id or (state.die_id if state is not None else "")
        if die_id not in self.dies:
            raise ProfileError(f"unknown die '{die_id}'; known: {', '.join(sorted(self.dies))}")
        validate(segments, self.limits, self.dies[die_id])
        if not goal.cell_id.strip():
            raise ProfileError("the goal names no cell_id (every pressed cell is recorded)")
        return segments, self.dies[die_id]

    def readiness_problem(self):
        state = self.state
        if state is None or time.monotonic() - self.state_seen > self.param("state_timeout_s"):
            return "no fresh press state: is press_driver running?"
        refusal = motion_refusal(press_interlocks(state, state.arm_clear))
        if refusal:
            return refusal + (f" ({state.fault_text})" if state.fault_code else "")
        if self._service_seen is None:
            return "press_driver's command service is not discovered yet"
        # The driver must also have discovered our reply reader, or the first reply is lost.
        if time.monotonic() - self._service_seen < 1.0:
            return "press_driver's command service was discovered only just now"
        return None

    def on_goal(self, goal) -> GoalResponse:
        try:
            if self.busy.locked():
                raise ProfileError("another profile is running; one goal at a time")
            self.plan(goal)
            problem = self.readiness_problem()
            if problem:
                raise ProfileError(f"press not ready: {problem}")
            problem = self.handling.start_refusal(goal.cell_id)
            if problem:
                raise ProfileError(problem)
        except ProfileError as error:
            reason = f"goal for cell '{goal.cell_id}' rejected: {error}"
            self.get_logger().warn(reason)
            self.rejections.publish(String(data=reason))
            return GoalResponse.REJECT
        return GoalResponse.ACCEPT

    # ---- running -----------------------------------------------------------------------
    def send(self, command) -> tuple:
        """Send one runner Command to press_driver; (accepted, reason)."""
        request = PressCommand.Request(command=COMMAND_CODES[command.kind])
        if command.kind == "temperature":
            request.target_c = command.target
        else:
            request.target_mpa, request.rate_mpa_s = command.target, command.rate
        accepted, reason = self._call(request)
        if not accepted and reason.startswith(COMMAND_NOT_TAKEN):    # a lost frame: the
            self.get_logger().warn(f"{reason}; sending it once more")  # write is idempotent
            accepted, reason = self._call(request)
        return accepted, reason

    def _call(self, request) -> tuple:
        if not self.command_client.wait_for_service(timeout_sec=self.param("command_timeout_s")):
            return False, "press_driver's command service is not available"
        done = threading.Event()
        future = self.command_client.call_async(request)
        future.add_done_callback(lambda _: done.set())
        if not done.wait(self.param("command_timeout_s")):
            future.cancel()
            return False, "press_driver did not answer the command in time"
        reply = future.result()
        return reply.accepted, reply.reason

    def observe(self) -> Observation:
        state, health = self.state, self.health
        fresh = state is not None and \
            time.monotonic() - self.state_seen <= self.param("state_timeout_s")
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
        with self.busy:
            return self._run(handle)

    def _run(self, handle):
        goal = handle.request
        result = RunPressureProfile.Result()
        try:
            segments, die = self.plan(goal)
            self.handling.goal_started(goal.cell_id)
        except (ProfileError, ValueError) as error:    # the world changed since acceptance
            handle.abort()
            result.outcome, result.reason = RunPressureProfile.Result.REJECTED, str(error)
            return result
        self.plateau = False
        record = RunRecord(self.param("record_dir"), goal.cell_id, {
            "preset": goal.preset, "die": die.die_id, "hold_scale": goal.hold_scale,
            "segments": [vars(s) for s in segments]})
        self.get_logger().info(f"cell {goal.cell_id}: running {goal.preset or 'custom'} "
                               f"({len(segments)} segments) on die {die.die_id}; record "
                               f"{record.folder}")
        runner = ProfileRunner(segments, RunnerTuning(
            safe_release_rate_mpa_s=self.param("safe_release_rate_mpa_s"),
            max_setpoint_mpa=die.max_pressure_mpa(self.limits.press_capacity_kn)))
        if self.state is not None and self.state.die_id != die.die_id:
            accepted, reason = self._call(PressCommand.Request(
                command=PressCommand.Request.SELECT_DIE, die_id=die.die_id))
            if not accepted:
                runner.outcome, runner.reason = ABORTED, f"die change refused: {reason}"
        period = 1.0 / self.param("feedback_rate_hz")
        started = time.monotonic()
        next_tick = started
        while not runner.done and rclpy.ok(context=self.context):
            if handle.is_cancel_requested:
                runner.cancel()
            if self.handling.state == FAULT and not runner.done:
                runner.abort(f"handling fault: {self.handling.machine.reason}")
            observation = self.observe()
            for command in runner.step(observation):
                accepted, reason = self.send(command)
                if not accepted and not runner.done:
                    self.get_logger().error(f"press_driver refused {command}: {reason}")
                    runner.outcome, runner.reason = ABORTED, f"press refused a command: {reason}"
                    self.send(Command("release", 0.0, self.param("safe_release_rate_mpa_s")))
            feedback = self._feedback(runner, observation, started)
            handle.publish_feedback(feedback)
            self._record(record, runner, observation, feedback, started)
            next_tick += period
            time.sleep(max(0.0, next_tick - time.monotonic()))
        return self._finish(handle, runner, record, segments)

    def _feedback(self, runner, observation, started):
        health = self.health
        index = min(max(runner.index, 0), len(runner.segments) - 1)
        segment = runner.segments[index]
        return RunPressureProfile.Feedback(
            segment_index=index,
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
        record.add_message("feedback", feedback, stamp_ns)
        if self.state is not None:
            record.add_message("state", self.state, stamp_ns)
        if self.health is not None:
            record.add_message("interface/health", self.health, stamp_ns)

    def _finish(self, handle, runner, record, segments):
        result = RunPressureProfile.Result(outcome=OUTCOME_CODES[runner.outcome or ABORTED],
                                           reason=runner.reason or "node shutting down",
                                           peak_mpa=runner.peak_mpa)
        result.segments = [stats_to_msg(s) for s in runner.stats]
        health = self.health
        result.final_relative_density = health.relative_density if health else math.nan
        result.final_impedance_ohm = health.impedance_ohm if health else math.nan
        result.record_dir = record.folder
        result.record_files = record.finish({
            "outcome": runner.outcome, "reason": result.reason, "peak_mpa": runner.peak_mpa,
            "segments": [vars(s) for s in runner.stats],
            "final_relative_density": result.final_relative_density,
            "final_impedance_ohm": result.final_impedance_ohm}, segments)
        self.handling.goal_finished(f"profile {runner.outcome}: {result.reason}")
        if runner.outcome == SUCCEEDED:
            handle.succeed()
        elif runner.outcome == CANCELED:
            handle.canceled()
        else:
            handle.abort()
        summary = f"cell {handle.request.cell_id}: {runner.outcome}: {result.reason}"
        if runner.outcome == SUCCEEDED:
            self.get_logger().info(summary)
        else:
            self.get_logger().warn(summary)
        return result


def main(args=None) -> None:
    spin_node(ProfileServerNode, args)


if __name__ == "__main__":
    main()

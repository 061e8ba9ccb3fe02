"""profile_server: the `run_profile` action (RunPressureProfile) over press_driver.

Validates goals against the presets, the installed die and the safety limits, runs them
with ProfileRunner at feedback_rate_hz, sends the runner's commands to press_driver's
`command` service on behalf of the goal (which owns the press while it runs and renews
its lease on `owner_heartbeat`), and has run_recorder record every run (its `record`
service: start and finish; the recorder takes the topics itself). Rejections are logged
and published on `run_profile/rejection` (GoalRejection, transient local). It hosts the
arm handshake (ros/handling.py).

An ordinary node on a multi-threaded executor, with five callback groups:

* `goals` (reentrant): the action server (each goal runs in its execute callback) and the
  clients of press_driver's `command`, run_recorder's `record` and interface_monitor's
  `interface/sweep`;
* `inputs` (mutually exclusive): `installed_die`, `interface/health`, `interface/events`,
  `interface/spectrum` (counted: a hold with `sweep` asks interface_monitor's
  `interface/sweep` and moves on once a newer spectrum came),
  `record/failure` (a record that cannot be written aborts its goal), the arms'
  heartbeats and `handling/reset`;
* `state` (mutually exclusive): `state/decimated`, the driver's PressState at 20 Hz and
  at once on every change of its flags (the 100 Hz `state` through rclpy's executor
  would cost a tenth of a core, measured). A refusal that rests on the press state (a
  goal's readiness or handling refusal, a handling reset) is judged again on each state
  that comes after the request, for up to 0.25 s, before it is given: a goal sent the
  moment the arm left, or a reset sent right after a fault cleared, is not refused on the
  state of before;
* `housekeeping` (mutually exclusive): the timers (handshake update at 20 Hz, handling
  state again every `handling_period_s`, readiness and the lease of a kept cell at 5 Hz).

Shared state: `latest_state` (a Latest, locked inside), `spectra`, `installed_die`,
`health`, `plateau` and `record_failures` are written by their one subscription callback
and read whole by anyone (one reference each);
`_round_trip` and `_pinging` belong to the housekeeping group (the ping's reply callback
runs in the goals group and only clears them); `kept` and `_reserved` are guarded by
`_goal_lock`; the handshake by its own lock (HandlingPort.lock).
"""
import json
import math
import sys
import threading
import time

import rclpy
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile
from std_msgs.msg import String
from std_srvs.srv import Trigger

from press_control.latest import Latest
from press_control.ros.qos import LATCHED
from press_control.control.dies import parse_die_table
from press_control.control.materials import (CellStack, StackError, cell_stack,
                                             temperature_refusal)
from press_control.control.handshake import FAULT
from press_control.ros.guard import guarded
from press_control.ros.handling import HandlingPort, press_interlocks
from press_control.ros.parameters import PROFILE_SERVER_PARAMETERS, declare, safety_limits
from press_control.ros.segment_messages import segment_from_msg, stats_to_msg
from press_control.ros.spin import spin_node
from press_control.control.profile_runner import (ABORTED, CANCELED, SUCCEEDED, Command,
                                                  Observation, ProfileRunner, RunnerTuning)
from press_control.control.profiles import (REJECT_BUSY, REJECT_HANDLING, REJECT_NOT_READY,
                                            REJECT_WRONG_DIE, SEGMENT_TYPES, ProfileError,
                                            assemble, load_presets, validate)
from press_control.resources import config_path
from press_control.control.safety import (ARM_IN_WORKSPACE, NO_PRESS_STATE, NO_ROUND_TRIP,
                                          REFUSED_INTERLOCK, Refusal, motion_refusal)
from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import CellStack as CellStackMessage
from press_control_interfaces.msg import (GoalRejection, ImpedanceSpectrum, InterfaceEvent,
                                          InterfaceHealth, PressState, RecordFailure)
from press_control_interfaces.srv import PressCommand, RecordRun

# How often each topic goes out (docs/interfaces.md shows this table).
PUBLISH_RATES = {"run_profile/rejection": "on every rejected goal",
                 "cell/stack": "when a goal starts",
                 "owner_heartbeat": "every `owner_renew_period_s` while a goal runs or a "
                                    "cell is kept loaded (5 Hz then)",
                 "handling/state": "on every transition and every `handling_period_s`"}
OUTCOME_CODES = {SUCCEEDED: RunPressureProfile.Result.SUCCEEDED,
                 CANCELED: RunPressureProfile.Result.CANCELED,
                 ABORTED: RunPressureProfile.Result.ABORTED}
STATE_CONFIRM_S = 0.25      # a refusal is judged again on newer states for this long
# ...and for this long when the driver still sees an arm that this node's handshake has seen
# leave: each takes handling/arm on its own subscription, and on a loaded host the driver's
# view lagged by more than STATE_CONFIRM_S (an arm's goal sent on LOADED was refused).
ARM_VIEWS_AGREE_S = 2.0
RECORD_TRIES = 2            # run_recorder's open and close, asked again when no answer comes
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
        self.limits = safety_limits(self.config)
        self.latest_state = Latest()     # the latest PressState, when it came
        self.installed_die = ""
        self.health = None
        self.plateau = False
        self.spectra = (0, math.nan)     # (spectra seen, bulk resistance of the latest)
        self.record_failures = {}        # goal id -> why its record cannot be written
        self.busy = threading.Lock()
        self._accepting = threading.Lock()
        self._goal_lock = threading.Lock()
        self._reserved = False           # a goal is accepted and not yet finished
        self._round_trip = False         # a command round trip to the driver has worked
        self._pinging = False
        self.kept = None                 # (owner, cell_id) of a cell kept loaded
        self._goal_cell = self._goal_preset = ""     # of the running goal, for feedback
        self._stopping = threading.Event()
        goals, inputs = ReentrantCallbackGroup(), MutuallyExclusiveCallbackGroup()
        housekeeping = MutuallyExclusiveCallbackGroup()
        self.create_subscription(PressState, "state/decimated", guarded(self, self.on_state),
                                 QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1),
                                 callback_group=MutuallyExclusiveCallbackGroup())
        self.create_subscription(String, "installed_die", guarded(self, self.on_installed_die),
                                 LATCHED, callback_group=inputs)
        self.create_subscription(InterfaceHealth, "interface/health",
                                 guarded(self, self.on_health), 10, callback_group=inputs)
        self.create_subscription(InterfaceEvent, "interface/events",
                                 guarded(self, self.on_event), 50, callback_group=inputs)
        self.create_subscription(ImpedanceSpectrum, "interface/spectrum",
                                 guarded(self, self.on_spectrum), LATCHED,
                                 callback_group=inputs)
        self.create_subscription(RecordFailure, "record/failure",
                                 guarded(self, self.on_record_failure), 10,
                                 callback_group=inputs)
        self.handling = HandlingPort(self, self.latest_state, inputs, housekeeping)
        self.rejections = self.create_publisher(GoalRejection, "run_profile/rejection", LATCHED)
        self.stack_publisher = self.create_publisher(CellStackMessage, "cell/stack", LATCHED)
        self.owner_heartbeat = self.create_publisher(String, "owner_heartbeat", 10)
        self.command_client = self.create_client(PressCommand, "command", callback_group=goals)
        self.record_client = self.create_client(RecordRun, "record", callback_group=goals)
        self.sweep_client = self.create_client(Trigger, "interface/sweep", callback_group=goals)
        self.create_timer(0.2, guarded(self, self._supervise), callback_group=housekeeping)
        self.server = ActionServer(self, RunPressureProfile, "run_profile", self.execute,
                                   goal_callback=guarded(self, self.on_goal,
                                                         lambda *_: GoalResponse.REJECT),
                                   cancel_callback=lambda _: CancelResponse.ACCEPT,
                                   callback_group=goals)
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
        self.handling.close()
        super().destroy_node()

    # ---- inputs ------------------------------------------------------------------------
    @property
    def state(self):
        """The latest PressState (None before the first)."""
        return self.latest_state.value

    @property
    def state_seen(self) -> float:
        return self.latest_state.seen_s

    def on_state(self, message: PressState) -> None:
        self.latest_state.put(message)

    def on_installed_die(self, message: String) -> None:
        self.installed_die = message.data

    def on_health(self, message: InterfaceHealth) -> None:
        self.health = message

    def on_event(self, message: InterfaceEvent) -> None:
        if message.event == InterfaceEvent.DENSIFICATION_PLATEAU:
            self.plateau = message.active

    def on_spectrum(self, message: ImpedanceSpectrum) -> None:
        self.spectra = (self.spectra[0] + 1, message.bulk_resistance_ohm)

    def on_record_failure(self, message: RecordFailure) -> None:
        self.record_failures = {message.goal_id: message.reason}

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
        with self._goal_lock:
            kept, faulted = self.kept, self.handling.state == FAULT
            if faulted:
                self.kept = None
        if kept is None:
            return
        owner, cell_id = kept
        if faulted:
            self.get_logger().error(f"cell {cell_id} was kept loaded but "
                                    f"{self.handling.machine.reason}; releasing")
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
        die = self.die_in_press()
        segments = assemble(self.presets, goal.preset,
                            [segment_from_msg(m) for m in goal.segments], goal.hold_scale,
                            min(die.rated_mpa, die.pressure_mpa(self.limits.press_capacity_kn)))
        if goal.die_id and goal.die_id != die.die_id:
            raise ProfileError(f"the goal is for die '{goal.die_id}' but die '{die.die_id}' "
                               "is installed (set_installed_die changes it)", REJECT_WRONG_DIE)
        validate(segments, self.limits, die, keep_loaded=goal.keep_loaded)
        if not goal.cell_id.strip():
            raise ProfileError("the goal names no cell_id (every pressed cell is recorded)")
        kept = self.kept
        if goal.keep_loaded and kept is not None and kept[1] != goal.cell_id:
            raise ProfileError(f"cell '{kept[1]}' is kept loaded", REJECT_HANDLING)
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
        if not self.record_client.service_is_ready():
            return Refusal(REFUSED_INTERLOCK, "run_recorder is not running: no run could be "
                                              "recorded")
        return None

    def on_goal(self, goal) -> GoalResponse:
        arrived = time.monotonic()
        with self._accepting:                # acceptance is atomic: one goal at a time
            try:
                if self._reserved:              # written under _accepting, or cleared
                    raise ProfileError("another profile is running; one goal at a time",
                                       REJECT_BUSY)
                self.plan(goal)
                refusal = self.latest_state.judged_until(
                    lambda: self._press_refusal(goal), arrived, STATE_CONFIRM_S)
                if refusal and self._driver_lags_the_arms():
                    refusal = self.latest_state.judged_until(
                        lambda: self._press_refusal(goal), arrived,
                        ARM_VIEWS_AGREE_S - STATE_CONFIRM_S)
                if refusal:
                    raise refusal
            except ProfileError as error:
                reason = f"goal for cell '{goal.cell_id}' rejected: {error}"
                self.get_logger().warning(reason)
                rejection = GoalRejection(cell_id=goal.cell_id, code=error.code, reason=reason)
                rejection.header.stamp = self.get_clock().now().to_msg()
                self.rejections.publish(rejection)
                return GoalResponse.REJECT
            self._reserved = True
            return GoalResponse.ACCEPT

    def _driver_lags_the_arms(self) -> bool:
        """The driver refuses for an arm inside while the handshake's own heartbeats say clear."""
        problem = self.readiness_problem()
        return bool(problem) and problem.cause == ARM_IN_WORKSPACE and self.handling.arms_clear()

    def _press_refusal(self, goal):
        """The ProfileError for the press or the handshake refusing the goal now, or None."""
        problem = self.readiness_problem()
        if problem:
            return ProfileError(f"press not ready: {problem}", REJECT_NOT_READY)
        problem = self.handling.start_refusal(goal.cell_id)
        if problem:
            return ProfileError(problem, REJECT_HANDLING)
        return None

    # ---- running -----------------------------------------------------------------------
    def send(self, command, owner: str = "") -> tuple:
        """Send one runner Command to press_driver (a sweep: to interface_monitor)."""
        if command.kind == "sweep":
            reply, problem = self._request(self.sweep_client, Trigger.Request(),
                                           self.config.command_timeout_s, "interface_monitor")
            if reply is None or not reply.success:
                return False, f"no EIS sweep: {problem or reply.message}"
            return True, ""
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
        reply, problem = self._request(self.command_client, request,
                                       self.config.command_timeout_s, "press_driver")
        if reply is None:
            return False, PressCommand.Response.NOT_TAKEN, \
                "press_driver did not answer the command in time"
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
        observation.spectra_seen, observation.bulk_resistance_ohm = self.spectra
        if health is not None:
            observation.thickness_mm = health.thickness_mm
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
            with self._accepting:
                self._reserved = False

    def _run(self, handle):
        """Run one goal; whatever ends it, the press is released or the result says why not."""
        goal = handle.request
        owner = bytes(handle.goal_id.uuid).hex()
        self._goal_cell, self._goal_preset = goal.cell_id, goal.preset
        try:
            segments, die, stack = self.plan(goal)
            record_dir = self._start_record(goal, owner, {
                "preset": goal.preset, "die": die.die_id, "die_area_mm2": die.area_mm2,
                "hold_scale": goal.hold_scale,
                "keep_loaded": goal.keep_loaded, "stack": vars(stack), "owner": owner,
                "segments": [vars(s) for s in segments]})
        except ProfileError as error:     # the world changed since acceptance, or no record
            handle.abort()
            return RunPressureProfile.Result(outcome=RunPressureProfile.Result.REJECTED,
                                             reason=str(error))
        runner = ProfileRunner(segments, RunnerTuning(
            safe_release_rate_mpa_s=self.config.safe_release_rate_mpa_s,
            max_setpoint_mpa=die.max_pressure_mpa(self.limits.press_capacity_kn)))
        with self._goal_lock:
            kept, self.kept = self.kept, None
        if kept is not None:                       # continue a cell kept loaded for us
            self._ownership(PressCommand.Request.RELINQUISH, kept[0])
        accepted, reason = self._ownership(PressCommand.Request.ACQUIRE, owner)
        if not accepted:
            runner.outcome, runner.reason = ABORTED, f"press_driver refused ownership: {reason}"
        else:
            self.handling.goal_started(goal.cell_id)
        self._publish_stack(goal.cell_id, stack)
        self.get_logger().info(f"cell {goal.cell_id}: running {goal.preset or 'custom'} "
                               f"({len(segments)} segments) on die {die.die_id} as goal "
                               f"{owner}; record {record_dir}")
        try:
            self._loop(handle, runner, owner)
        except Exception as error:     # noqa: B902 - a bug must still end in a release
            self.get_logger().error(f"run of cell {goal.cell_id} failed: "
                                    f"{type(error).__name__}: {error}")
            runner.outcome = ABORTED
            runner.reason = f"internal error: {type(error).__name__}: {error}"
        return self._finish(handle, runner, record_dir, owner, acquired=accepted)

    def _start_record(self, goal, owner: str, details: dict) -> str:
        """Have run_recorder open the goal's record; its folder, or ProfileError (no record)."""
        reply, problem = self._record(RecordRun.Request(
            action=RecordRun.Request.START, goal_id=owner, cell_id=goal.cell_id,
            details_json=json.dumps(details)))
        if problem or not reply.ok:
            raise ProfileError(f"no run record: {problem or reply.reason}", REJECT_NOT_READY)
        return reply.record_dir

    def _record(self, request) -> tuple:
        """(reply, "") of a call to run_recorder's `record`, or (None, why there is none).

        Asked twice when no answer comes: a recorder started with the press lost its first
        reply (rmw: "failed to send response (timeout): client will not receive response",
        its discovery of this node not yet complete), and the 50-cell soak's first cell was
        refused. run_recorder answers a repeated request of a goal as it did the first.
        """
        return self._request(self.record_client, request, self.config.record_timeout_s,
                             "run_recorder", tries=RECORD_TRIES)

    def _request(self, client, request, timeout_s: float, server: str,
                 tries: int = 1) -> tuple:
        """(reply, "") of a service call from a goal's thread, or (None, why not)."""
        try:
            if not client.wait_for_service(timeout_sec=timeout_s):
                return None, f"{server}'s {client.srv_name} service is not available"
            for _ in range(tries):
                done = threading.Event()
                future = client.call_async(request)
                future.add_done_callback(lambda _: done.set())
                if done.wait(timeout_s):
                    return future.result(), ""
                future.cancel()
        except Exception:           # noqa: B902 - re-raised unless the context is shut down
            # rclpy's own signal handler (an in-process bench) shut the context down under
            # a running goal: RCLError "rcl node's context is invalid".
            if rclpy.ok(context=self.context):
                raise
            return None, f"ROS is shut down in this process: {server} cannot be asked"
        return None, f"{server} did not answer in time" + (
            f" ({tries} tries of {timeout_s:g} s)" if tries > 1 else "")

    def _publish_stack(self, cell_id: str, stack: CellStack) -> None:
        """What this goal says is in the die, latched: the monitor's density uses it."""
        message = CellStackMessage(cell_id=cell_id, electrolyte=stack.electrolyte,
                                   electrolyte_mass_mg=stack.electrolyte_mass_mg,
                                   true_density_g_cm3=stack.true_density_g_cm3,
                                   anode=stack.anode,
                                   max_temperature_c=stack.max_temperature_c)
        message.header.stamp = self.get_clock().now().to_msg()
        self.stack_publisher.publish(message)

    def _loop(self, handle, runner, owner) -> None:
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
            if owner in self.record_failures and not runner.done:
                runner.abort(self.record_failures[owner])
            observation = self.observe()
            for command in runner.step(observation):
                accepted, reason = self.send(command, owner)
                if not accepted and not runner.done:
                    self.get_logger().error(f"{command} refused: {reason}")
                    runner.outcome, runner.reason = ABORTED, reason \
                        if command.kind == "sweep" else f"press refused a command: {reason}"
            handle.publish_feedback(self._feedback(runner, observation, started))
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

    def _finish(self, handle, runner, record_dir, owner, acquired):
        goal = handle.request
        outcome = runner.outcome or ABORTED
        reason = runner.reason or ("profile_server is shutting down; the driver releases the "
                                   "press when the owner lease lapses (owner_timeout_s)")
        keep = outcome == SUCCEEDED and goal.keep_loaded
        if keep:
            with self._goal_lock:
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
        result.record_dir = record_dir
        reply, problem = self._record(RecordRun.Request(
            action=RecordRun.Request.FINISH, goal_id=owner, cell_id=goal.cell_id,
            details_json=json.dumps({
                "outcome": outcome, "reason": reason, "peak_mpa": runner.peak_mpa,
                "segments": [vars(s) for s in runner.stats],
                "final_relative_density": result.final_relative_density,
                "final_interface_resistance_ohm": health.interface_resistance_ohm
                if health else math.nan,
                "final_interface_asr_ohm_cm2": health.interface_asr_ohm_cm2
                if health else math.nan,
                "final_impedance_ohm": result.final_impedance_ohm,
                "sweeps": [vars(point) for point in runner.sweeps]})))
        if reply is not None:
            result.record_files = list(reply.record_files)
        if problem or not reply.ok:
            result.reason += f"; the run record is incomplete: {problem or reply.reason}"
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

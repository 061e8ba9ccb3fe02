"""The handshake on ROS: handling/state out, handling/arm in, handling/reset service.

HandlingPort attaches the pure Handshake to a node (profile_server, which knows when
profiles start and end) and publishes every transition at once, transient-local, and the
current state every handling_period_s.
"""
import dataclasses
import math
import threading
import time

from std_srvs.srv import Trigger

from press_control.ros.qos import LATCHED
from press_control.control.handshake import (FAULT, STATE_NAMES, ArmReport, Handshake,
                                             HandshakeTimeouts, PressReport)
from press_control.ros.guard import guarded, guarded_service
from press_control.pacing import ThreadTimer
from press_control.control.safety import Interlocks, motion_refusal
from press_control_interfaces.msg import ArmHeartbeat, HandlingState, PressState


def press_interlocks(state: PressState, arm_clear: bool = True) -> Interlocks:
    """The Interlocks a PressState reports."""
    return Interlocks(connected=state.connected, active=state.commands_enabled or
                      bool(state.fault_code), fault_code=state.fault_code,
                      guard_closed=state.guard_closed, estop=state.estop_pressed,
                      arm_clear=arm_clear, fault_text=state.fault_text)


def press_report(state: PressState) -> PressReport:
    """What the handshake needs of a PressState (the arm is the handshake's own input)."""
    if state is None:
        return PressReport(float("nan"), "no press state yet")
    problem = motion_refusal(press_interlocks(state)) or ""
    if state.fault_code and state.fault_text:
        problem = f"press fault {state.fault_code}: {state.fault_text}"
    return PressReport(state.pressure_mpa, problem,
                       faulted=bool(state.fault_code) or state.estop_pressed or
                       not state.connected)


def _fill_failed_reset(response, text):
    response.success, response.message = False, text


class HandlingPort:
    """Runs a Handshake inside a node and speaks its topics and service.

    The node provides `config`; `press_state` is a Latest of its PressState. The arms'
    heartbeats and `handling/reset` are served in `inputs` (a callback group), the periodic
    republishing in `timers`. The 20 Hz update runs on a thread of its own (ThreadTimer):
    as an executor timer it woke the node's executor 20 times a second, and each wake
    rebuilds the wait set in Python (measured: see docs/benchmarks.md). `close()` stops it.
    """

    CONFIRM_S = 0.25        # a refused reset is judged again on newer press states this long

    def __init__(self, node, press_state, inputs, timers):
        config = node.config
        self.node = node
        self.press_state = press_state
        self.lock = threading.Lock()
        self.machine = Handshake(HandshakeTimeouts(
            arm_heartbeat_s=config.arm_heartbeat_timeout_s,
            arm_dwell_s=config.arm_dwell_timeout_s,
            handoff_s=config.handoff_timeout_s,
            closing_s=config.closing_timeout_s,
            release_s=config.release_timeout_s,
            contact_mpa=config.contact_mpa),
            arm_required=config.require_loaded_cell, now_s=time.monotonic())
        self.publisher = node.create_publisher(HandlingState, "handling/state", LATCHED)
        node.create_subscription(ArmHeartbeat, "handling/arm", guarded(node, self.on_arm), 100,
                                 callback_group=inputs)
        node.create_service(Trigger, "handling/reset", guarded_service(
            node, self.on_reset, _fill_failed_reset), callback_group=inputs)
        self._updates = ThreadTimer(0.05, guarded(node, self.update),
                                    f"{node.get_name()}-handshake", alive=node.context.ok)
        node.create_timer(config.handling_period_s, guarded(node, self.republish),
                          callback_group=timers)
        self._since = node.get_clock().now()
        self.publish()

    def close(self) -> None:
        self._updates.close()

    @property
    def state(self) -> int:
        return self.machine.state

    def on_arm(self, message: ArmHeartbeat) -> None:
        with self.lock:
            self._apply(self.machine.on_arm(ArmReport(
                message.arm_id, message.in_workspace, message.cell_id, message.intent,
                time.monotonic())))

    def update(self) -> None:
        with self.lock:
            self._apply(self.machine.update(press_report(self.press_state.value),
                                            time.monotonic()))

    def arms_clear(self) -> bool:
        """Whether the arms' heartbeats, as this node took them, say the workspace is clear."""
        with self.lock:
            return self.machine.arms.clear(time.monotonic())

    def start_refusal(self, cell_id: str):
        with self.lock:
            return self.machine.start_refusal(cell_id)

    def goal_started(self, cell_id: str) -> None:
        with self.lock:
            self._apply(self.machine.goal_started(cell_id, time.monotonic()))

    def goal_finished(self, summary: str, kept_loaded: bool = False,
                      pressure_mpa: float = math.nan) -> None:
        """The goal has ended; the handshake moves on now, before the result goes out.

        Left to the next 20 Hz update, a client acting on the result could still find the
        press PRESSING its cell (seen: the bench's next goal was refused for that).
        pressure_mpa: the run's filtered pressure, judged instead of the latest reading,
        whose noise at rest (0.4 MPa rms on a 10 mm die) crossed the 1 MPa contact level
        now and then and left the press PRESSING for one more update (seen in the bench).
        """
        with self.lock:
            now = time.monotonic()
            self.machine.goal_finished(summary, now, kept_loaded)
            report = press_report(self.press_state.value)
            if math.isfinite(pressure_mpa) and math.isfinite(report.pressure_mpa):
                report = dataclasses.replace(report, pressure_mpa=pressure_mpa)
            self._apply(self.machine.update(report, now))

    def on_reset(self, request, response):
        """Reset a FAULT; a refusal is confirmed on a press state newer than the request."""
        problem = self.press_state.judged_until(self._reset, time.monotonic(), self.CONFIRM_S)
        response.success = not problem
        response.message = problem or self.machine.reason
        return response

    def _reset(self) -> str:
        with self.lock:
            try:
                self._apply(self.machine.reset(press_report(self.press_state.value),
                                               time.monotonic()))
            except ValueError as error:
                return str(error)
        return ""

    def _apply(self, transitions) -> None:
        for transition in transitions:
            self._since = self.node.get_clock().now()
            if transition.state == FAULT:
                self.node.get_logger().error(f"handling {transition}")
            else:
                self.node.get_logger().info(f"handling {transition}")
        if transitions:
            self.publish()

    def republish(self) -> None:
        """The periodic copy; under the lock, so it never overtakes a transition's message."""
        with self.lock:
            self.publish()

    def publish(self) -> None:
        machine = self.machine
        message = HandlingState(state=machine.state, state_name=STATE_NAMES[machine.state],
                                cell_id=machine.cell_id, since=self._since.to_msg(),
                                reason=machine.reason)
        message.header.stamp = self.node.get_clock().now().to_msg()
        self.publisher.publish(message)

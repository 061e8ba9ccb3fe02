"""What the operator command line asks of a press over ROS: profiles, calibrations, the die."""
import json
import threading
import time

import rclpy
from std_msgs.msg import String

from press_control.analysis.die_calibration import plan_levels_mpa
from press_control.ros.profile_client import GoalRejected, ProfileClient
from press_control.ros.qos import LATCHED
from press_control.ros.spin import SpinningNode
from press_control_interfaces.action import RunCampaign, RunPressureProfile
from press_control_interfaces.msg import PressState, ProfileSegment
from press_control_interfaces.srv import SetInstalledDie

__all__ = ["GoalRejected", "NoAnswer", "PressOperator"]


SERVER_GONE_S = 10.0


class NoAnswer(Exception):
    """The node that would serve the request is not there, or did not answer."""


class PressOperator:
    """A short-lived `pressctl` node in the press's namespace; close() when done."""

    def __init__(self, namespace: str = ""):
        self.namespace = namespace
        self.spinning = SpinningNode(lambda: rclpy.create_node("pressctl",
                                                               namespace=namespace))
        # One action client and one state subscription for the operator's whole session:
        # each new one is discovered anew, and under load that took longer than a goal's
        # reply timeout (a force table's last level, goal accepted but never answered).
        self._client = None
        self._states = None
        self._states_lock = threading.Lock()
        self._collecting = None          # the list states() is filling

    def close(self) -> None:
        self.spinning.close()

    def _profile_client(self, wait_s: float) -> ProfileClient:
        """The session's run_profile client, once the server is there (else NoAnswer)."""
        if self._client is None:
            self._client = ProfileClient(self.spinning.node)
        if not self._client.wait_for_server(wait_s):
            raise NoAnswer(f"no run_profile server in namespace '{self.namespace}'")
        return self._client

    def run_profile(self, preset: str, cell_id: str, die_id: str = "", hold_scale: float = 0.0,
                    wait_s: float = 20.0, on_feedback=None, cancel_event=None, stack=None):
        """Run a preset to its end and return the action Result.

        `stack` is (electrolyte, electrolyte_mass_mg, anode), what is in the die. Raises
        NoAnswer when no server appears within wait_s, GoalRejected (with its code) when
        it refuses.
        """
        client = self._profile_client(wait_s)
        goal = RunPressureProfile.Goal(preset=preset, cell_id=cell_id, die_id=die_id,
                                       hold_scale=hold_scale)
        if stack is not None:
            goal.electrolyte, goal.electrolyte_mass_mg, goal.anode = stack
        return client.run(goal, on_feedback=on_feedback, cancel_event=cancel_event)

    def run_campaign(self, campaign_file: str, cells: int = 0, seed: int = -1,
                     storage: str = "", hold_scale: float = 0.0, wait_s: float = 20.0,
                     on_feedback=None, cancel_event=None):
        """Run a campaign on the campaign node of this namespace; returns the Result.

        With cancel_event set, the campaign is cancelled (its running cell too) and its
        result still awaited. Raises NoAnswer without a campaign node, GoalRejected when
        the node runs a campaign already.
        """
        from rclpy.action import ActionClient

        client = ActionClient(self.spinning.node, RunCampaign, "run_campaign")
        if not client.wait_for_server(timeout_sec=wait_s):
            raise NoAnswer(f"no run_campaign server (campaign node) in namespace "
                           f"'{self.namespace}'")
        goal = RunCampaign.Goal(campaign_file=campaign_file, cells=cells, seed=seed,
                                storage=storage, hold_scale=hold_scale)
        sent = client.send_goal_async(
            goal, feedback_callback=lambda m: on_feedback and on_feedback(m.feedback))
        handle = _wait_future(sent, wait_s, "the campaign node did not answer the goal")
        if not handle.accepted:
            raise GoalRejected("the campaign node is running a campaign already")
        result = handle.get_result_async()
        canceled, seen = False, time.monotonic()
        while not result.done():
            if cancel_event is not None and cancel_event.is_set() and not canceled:
                handle.cancel_goal_async()
                canceled = True
            if client.server_is_ready():
                seen = time.monotonic()
            elif time.monotonic() - seen > SERVER_GONE_S:
                raise NoAnswer(f"the campaign node went away ({SERVER_GONE_S:g} s unseen); "
                               "the press releases under its owner lease; run the campaign "
                               "again to resume it")
            time.sleep(0.1)
        return result.result().result

    def calibrate_die(self, die_id: str, top_mpa: float, levels: int = 8, hold_s: float = 4.0,
                      rate_mpa_s: float = 10.0, wait_s: float = 20.0, on_feedback=None,
                      cancel_event=None):
        """Press the empty die level by level; return (Result, holds).

        holds: per level, the (force_kn, platen_position_mm) of every `state` received
        while its hold ran (analysis/die_calibration.calibration_from_holds takes them).
        The run is an ordinary goal (custom segments), so every rule of a goal applies.
        """
        client = self._profile_client(wait_s)
        segments = []
        for level in plan_levels_mpa(top_mpa, levels):
            segments.append(ProfileSegment(type=ProfileSegment.RAMP, target_mpa=level,
                                           rate_mpa_s=rate_mpa_s))
            segments.append(ProfileSegment(type=ProfileSegment.HOLD, target_mpa=level,
                                           duration_s=hold_s, settling_s=1.0,
                                           tolerance_mpa=max(0.5, 0.01 * level)))
        segments.append(ProfileSegment(type=ProfileSegment.RELEASE, target_mpa=0.0,
                                       rate_mpa_s=2 * rate_mpa_s))
        holds = {index: [] for index, segment in enumerate(segments)
                 if segment.type == ProfileSegment.HOLD}
        running = [-1]
        lock = threading.Lock()

        def on_state(state) -> None:
            with lock:
                if running[0] in holds and state.connected:
                    holds[running[0]].append((state.force_kn, state.platen_position_mm))

        def forward(feedback) -> None:
            with lock:
                running[0] = feedback.segment_index
            if on_feedback is not None:
                on_feedback(feedback)
        subscription = self.spinning.node.create_subscription(PressState, "state", on_state,
                                                              100)
        try:
            goal = RunPressureProfile.Goal(segments=segments, die_id=die_id,
                                           cell_id=f"die-calibration-{die_id}")
            result = client.run(goal, on_feedback=forward, cancel_event=cancel_event)
        finally:
            self.spinning.node.destroy_subscription(subscription)
        with lock:
            return result, [holds[index] for index in sorted(holds)]

    def latest_state(self, wait_s: float = 20.0):
        """The press's next `state` message (raises NoAnswer when none comes)."""
        return self.states(0.0, wait_s)[-1]

    def states(self, seconds: float, wait_s: float = 20.0) -> list:
        """Every `state` received over `seconds` (at least one; NoAnswer after wait_s)."""
        received = []
        with self._states_lock:
            if self._states is None:
                self._states = self.spinning.node.create_subscription(
                    PressState, "state", self._on_state, 200)
            self._collecting = received
        try:
            deadline = time.monotonic() + wait_s
            while not received:
                if time.monotonic() > deadline:
                    raise NoAnswer(f"no press state in namespace '{self.namespace}'")
                time.sleep(0.02)
            time.sleep(seconds)
        finally:
            with self._states_lock:
                self._collecting = None
        return list(received)

    def _on_state(self, state) -> None:
        with self._states_lock:
            if self._collecting is not None:
                self._collecting.append(state)

    def force_table(self, wait_s: float = 20.0) -> dict:
        """press_driver's latched force table description (force_calibration, JSON)."""
        received = []
        subscription = self.spinning.node.create_subscription(
            String, "force_calibration", lambda m: received.append(m.data), LATCHED)
        try:
            deadline = time.monotonic() + wait_s
            while not received:
                if time.monotonic() > deadline:
                    raise NoAnswer("press_driver announced no force table "
                                   f"(force_calibration) in namespace '{self.namespace}'")
                time.sleep(0.02)
            return json.loads(received[-1])
        finally:
            self.spinning.node.destroy_subscription(subscription)

    def press_and_keep(self, cell_id: str, target_mpa: float, rate_mpa_s: float = 10.0,
                       settle_s: float = 3.0, keep: bool = True, wait_s: float = 20.0,
                       cancel_event=None):
        """Go to target_mpa and settle there; the press stays for the next goal of cell_id.

        target_mpa 0 releases; keep=False ends the goal released as usual.
        """
        client = self._profile_client(wait_s)
        if target_mpa > 0:
            segments = [ProfileSegment(type=ProfileSegment.RAMP, target_mpa=target_mpa,
                                       rate_mpa_s=rate_mpa_s),
                        ProfileSegment(type=ProfileSegment.HOLD, target_mpa=target_mpa,
                                       duration_s=settle_s, settling_s=1.0,
                                       tolerance_mpa=max(0.5, 0.01 * target_mpa))]
        else:
            segments = [ProfileSegment(type=ProfileSegment.RELEASE, target_mpa=0.0,
                                       rate_mpa_s=rate_mpa_s)]
        goal = RunPressureProfile.Goal(segments=segments, cell_id=cell_id, keep_loaded=keep)
        return client.run(goal, cancel_event=cancel_event)

    def set_die(self, die_id: str, wait_s: float = 20.0):
        """Ask press_driver to record the installed die; returns its reply."""
        client = self.spinning.node.create_client(SetInstalledDie, "set_installed_die")
        if not client.wait_for_service(timeout_sec=wait_s):
            raise NoAnswer(f"no press_driver in namespace '{self.namespace}'")
        reply = call_idempotent(client, SetInstalledDie.Request(die_id=die_id), wait_s)
        if reply is None:
            raise NoAnswer("press_driver did not answer")
        return reply


def _wait_future(future, wait_s: float, what: str):
    deadline = time.monotonic() + wait_s
    while not future.done():
        if time.monotonic() > deadline:
            raise NoAnswer(what)
        time.sleep(0.05)
    return future.result()


def call_idempotent(client, request, wait_s: float, resend_s: float = 2.0):
    """The reply to an idempotent request, resent while unanswered; None after wait_s.

    A service that has only just been discovered may not yet have discovered our reply
    reader, and DDS drops a reply sent before that; asking again is harmless here.
    """
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        answered = threading.Event()
        future = client.call_async(request)
        future.add_done_callback(lambda _: answered.set())
        if answered.wait(min(resend_s, max(0.0, deadline - time.monotonic()))):
            return future.result()
        client.remove_pending_request(future)
    return None

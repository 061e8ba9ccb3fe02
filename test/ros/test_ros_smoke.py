"""Toolchain smoke tests: real rclpy nodes exchange our types over real DDS."""
import threading

import pytest
import rclpy
from rclpy.action import ActionClient, ActionServer, CancelResponse, GoalResponse
from rclpy.callback_groups import ReentrantCallbackGroup

from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import PressState
from waiting import wait_for


def test_press_state_round_trip(ros_context, spin):
    talker = rclpy.create_node("smoke_talker", context=ros_context)
    listener = rclpy.create_node("smoke_listener", context=ros_context)
    received = []
    listener.create_subscription(PressState, "state", received.append, 10)
    publisher = talker.create_publisher(PressState, "state", 10)
    spin(talker, listener)

    def publish_and_check():
        publisher.publish(PressState(pressure_mpa=392.0, mode_name="HOLD"))
        return received

    wait_for(publish_and_check, message="a PressState message over DDS", interval=0.1)
    assert received[0].pressure_mpa == 392.0
    assert received[0].mode_name == "HOLD"


class _EchoProfileServer:
    """Minimal RunPressureProfile server: reports feedback until cancelled or done."""

    def __init__(self, node, steps):
        self.steps = steps
        self.release = threading.Event()
        self.server = ActionServer(
            node, RunPressureProfile, "run_profile", self.execute,
            goal_callback=self.on_goal, cancel_callback=lambda _: CancelResponse.ACCEPT,
            callback_group=ReentrantCallbackGroup())

    def on_goal(self, goal):
        return GoalResponse.ACCEPT if goal.cell_id else GoalResponse.REJECT

    def execute(self, handle):
        for step in range(self.steps):
            if handle.is_cancel_requested:
                handle.canceled()
                return RunPressureProfile.Result(outcome=RunPressureProfile.Result.CANCELED,
                                                 reason="cancel requested")
            handle.publish_feedback(RunPressureProfile.Feedback(segment_index=step,
                                                                measured_mpa=10.0 * step))
            self.release.wait(0.05)
        handle.succeed()
        return RunPressureProfile.Result(outcome=RunPressureProfile.Result.SUCCEEDED,
                                         peak_mpa=10.0 * (self.steps - 1))


@pytest.fixture
def action_pair(ros_context, spin):
    server_node = rclpy.create_node("smoke_action_server", context=ros_context)
    client_node = rclpy.create_node("smoke_action_client", context=ros_context)

    def make(steps):
        server = _EchoProfileServer(server_node, steps)
        client = ActionClient(client_node, RunPressureProfile, "run_profile")
        spin(server_node, client_node)
        assert client.wait_for_server(timeout_sec=20.0)
        return server, client
    return make


def _resolve(future, timeout=20.0):
    wait_for(future.done, timeout=timeout, message="an action future")
    return future.result()


def test_action_goal_feedback_result(action_pair):
    _, client = action_pair(steps=5)
    feedback = []
    handle = _resolve(client.send_goal_async(
        RunPressureProfile.Goal(cell_id="cell-1"),
        feedback_callback=lambda msg: feedback.append(msg.feedback)))
    assert handle.accepted
    result = _resolve(handle.get_result_async()).result
    assert result.outcome == RunPressureProfile.Result.SUCCEEDED
    assert result.peak_mpa == 40.0
    assert [f.segment_index for f in feedback] == list(range(5))


def test_action_rejects_and_cancels(action_pair):
    _, client = action_pair(steps=10_000)
    rejected = _resolve(client.send_goal_async(RunPressureProfile.Goal(cell_id="")))
    assert not rejected.accepted

    handle = _resolve(client.send_goal_async(RunPressureProfile.Goal(cell_id="cell-2")))
    assert handle.accepted
    _resolve(handle.cancel_goal_async())
    wrapped = _resolve(handle.get_result_async())
    assert wrapped.result.outcome == RunPressureProfile.Result.CANCELED

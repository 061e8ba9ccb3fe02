"""The action client loses no reply when the executor takes it before the request is booked."""
import threading
import time

import pytest
from rclpy.action import ActionClient, ActionServer

from press_control.ros.action_client import LockedActionClient
from press_control_interfaces.action import RunPressureProfile

from waiting import wait_for


class SlowBooking:
    """The client's handle, pausing after each goal request is sent and before rclpy books
    it: what a loaded host does when the sending thread loses the interpreter there."""

    def __init__(self, handle, pause_s: float):
        self._handle, self._pause_s = handle, pause_s
        self.sent = threading.Event()

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def send_goal_request(self, request):
        sequence = self._handle.send_goal_request(request)
        self.sent.set()
        time.sleep(self._pause_s)
        return sequence


def answered(client_type, ros_context, spin) -> bool:
    import rclpy
    server_node = rclpy.create_node("race_server", context=ros_context)
    client_node = rclpy.create_node("race_client", context=ros_context)
    ActionServer(server_node, RunPressureProfile, "run_profile",
                 execute_callback=lambda handle: (handle.succeed(),
                                                  RunPressureProfile.Result())[1])
    client = client_type(client_node, RunPressureProfile, "run_profile")
    spin(server_node, client_node)
    assert client.wait_for_server(timeout_sec=30.0)
    first = client.send_goal_async(RunPressureProfile.Goal(cell_id="warm-up"))
    wait_for(first.done, timeout=30.0, message="a goal answered without the pause")
    client._client_handle = SlowBooking(client._client_handle, pause_s=1.0)
    future = client.send_goal_async(RunPressureProfile.Goal(cell_id="paused"))
    deadline = time.monotonic() + 5.0
    while not future.done() and time.monotonic() < deadline:
        time.sleep(0.05)
    return future.done()


def test_rclpy_alone_drops_a_reply_that_beats_the_booking(ros_context, spin):
    # The cause of the demo arm's stall, shown on the stock client.
    assert not answered(ActionClient, ros_context, spin)


def test_the_locked_client_gets_every_reply(ros_context, spin):
    assert answered(LockedActionClient, ros_context, spin)


class DroppedResultRequests:
    """The client's handle, losing the first `drop` result requests on the way."""

    def __init__(self, handle, drop: int):
        self._handle, self.drop, self.dropped = handle, drop, 0

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def send_result_request(self, request):
        if self.dropped < self.drop:
            self.dropped += 1
            return 10 ** 9 + self.dropped          # booked, never answered
        return self._handle.send_result_request(request)


def profile_client_with(wrap_handle, ros_context, spin, executed=None):
    """A ProfileClient whose rclpy handle is wrapped by wrap_handle, and a server whose
    goals take 0.5 s and succeed (their ids appended to `executed`)."""
    import rclpy
    from press_control.ros.profile_client import ProfileClient
    server_node = rclpy.create_node("lossy_server", context=ros_context)
    client_node = rclpy.create_node("lossy_client", context=ros_context)

    def execute(handle):
        if executed is not None:
            executed.append(bytes(handle.goal_id.uuid))
        time.sleep(0.5)
        handle.succeed()
        return RunPressureProfile.Result(outcome=RunPressureProfile.Result.SUCCEEDED,
                                         reason="pressed")
    ActionServer(server_node, RunPressureProfile, "run_profile", execute_callback=execute)
    client = ProfileClient(client_node)
    spin(server_node, client_node)
    assert client.wait_for_server(30.0)
    client.client._client_handle = wrap_handle(client.client._client_handle)
    return client


def test_a_lost_result_reply_is_asked_for_again(ros_context, spin):
    client = profile_client_with(lambda h: DroppedResultRequests(h, 1), ros_context, spin)
    result = client.run(RunPressureProfile.Goal(cell_id="c1"), result_retry_s=0.5)
    assert result.reason == "pressed" and client.result_requests_resent >= 1


def test_a_result_that_never_comes_ends_once_the_press_says_done(ros_context, spin):
    from press_control.ros.profile_client import ResultLost
    client = profile_client_with(lambda h: DroppedResultRequests(h, 10 ** 6), ros_context,
                                 spin)
    started = time.monotonic()
    with pytest.raises(ResultLost, match="press reported the goal over"):
        client.run(RunPressureProfile.Goal(cell_id="c1"), ended=lambda: True,
                   result_retry_s=0.2, result_grace_s=1.0)
    assert time.monotonic() - started < 30.0


class DroppedGoalResponses:
    """The client's handle, losing the first `drop` goal responses on the way back."""

    def __init__(self, handle, drop: int):
        self._handle, self.drop, self.dropped = handle, drop, 0

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def take_goal_response(self, response_type):
        sequence, response = self._handle.take_goal_response(response_type)
        if sequence is not None and self.dropped < self.drop:
            self.dropped += 1
            return 10 ** 9 + self.dropped, response    # a reply rclpy never asked for
        return sequence, response


def test_a_goal_whose_reply_is_lost_is_taken_over_not_sent_twice(ros_context, spin):
    executed = []
    client = profile_client_with(lambda h: DroppedGoalResponses(h, 1), ros_context, spin,
                                 executed)
    result = client.run(RunPressureProfile.Goal(cell_id="c1"))
    assert result.reason == "pressed"
    assert client.client._client_handle.dropped == 1 and len(executed) == 1


def test_a_refused_goal_is_reported_as_refused(ros_context, spin):
    import rclpy
    from rclpy.action import GoalResponse
    from press_control.ros.profile_client import GoalRejected, ProfileClient
    server_node = rclpy.create_node("refusing_server", context=ros_context)
    client_node = rclpy.create_node("refused_client", context=ros_context)
    ActionServer(server_node, RunPressureProfile, "run_profile",
                 execute_callback=lambda handle: RunPressureProfile.Result(),
                 goal_callback=lambda goal: GoalResponse.REJECT)
    client = ProfileClient(client_node)
    spin(server_node, client_node)
    assert client.wait_for_server(30.0)
    with pytest.raises(GoalRejected):
        client.run(RunPressureProfile.Goal(cell_id="c1"))
    assert client.goal_requests_resent == 0


class StaleGraph:
    """The client's handle answering as rcl does when the graph still lists servers of
    participants this process has ended: never ready, whatever is matched."""

    def __init__(self, handle):
        self._handle = handle

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def is_action_server_available(self):
        return False


def stale_graph_client(client_type, ros_context, spin, with_server: bool):
    import rclpy
    client_node = rclpy.create_node("stale_client", context=ros_context)
    nodes = [client_node]
    if with_server:
        server_node = rclpy.create_node("stale_server", context=ros_context)
        ActionServer(server_node, RunPressureProfile, "run_profile",
                     execute_callback=lambda handle: RunPressureProfile.Result())
        nodes.append(server_node)
    client = client_type(client_node, RunPressureProfile, "run_profile")
    client._client_handle = StaleGraph(client._client_handle)
    spin(*nodes)
    return client


def test_rclpy_alone_never_finds_a_server_behind_a_stale_graph(ros_context, spin):
    client = stale_graph_client(ActionClient, ros_context, spin, with_server=True)
    assert not client.wait_for_server(timeout_sec=3.0)


def test_the_locked_client_finds_the_server_that_answers(ros_context, spin):
    client = stale_graph_client(LockedActionClient, ros_context, spin, with_server=True)
    assert client.wait_for_server(timeout_sec=30.0)
    future = client.send_goal_async(RunPressureProfile.Goal(cell_id="after the probe"))
    wait_for(future.done, timeout=30.0, message="the goal's reply")
    assert future.result().accepted


def test_without_a_server_the_locked_client_waits_out_its_timeout(ros_context, spin):
    client = stale_graph_client(LockedActionClient, ros_context, spin, with_server=False)
    started = time.monotonic()
    assert not client.wait_for_server(timeout_sec=1.0)
    assert time.monotonic() - started >= 1.0

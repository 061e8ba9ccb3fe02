"""Every use of a private rclpy name (rclpy 7.1, Jazzy), with the upstream issue behind it.

Nothing else in the package touches an underscored rclpy name or a handle's methods; each
workaround below has a canary in test/ros/test_rclpy_internals.py that fails when the
private name disappears (a renamed attribute must not quietly bring a fixed race back)
or when upstream fixes the bug (so the workaround can go). None has a silent fallback.

* `take(subscription)`: rclpy has no public way to take a message without an executor
  (rclcpp has `Subscription::take`; the wish for waiting on subscriptions without an
  executor is ros2/rclcpp#520). HotInputs (ros/hot_input.py) drains high-rate topics
  with it, because each message through rclpy's Python executor costs a wait-set rebuild.
* `spin_once_until(executor, stop)`: `Executor.spin_once()` returns only once a callback is
  ready; the one wait that a condition ends is `_spin_once_impl`. Upstream's
  `spin_until_complete(condition)` (ros2/rclpy#1268) is not in Jazzy.
* `handed_out_tasks(executor)`: `Executor.shutdown()` destroys the executor's guard
  condition without waiting for the callbacks the thread pool still runs (the shutdown
  races of ros2/rclpy#968), so spin.finish_callbacks waits on MultiThreadedExecutor's
  `_futures` first.
* `LockedActionClient`: rclpy 7.1 sends a goal, cancel or result request and only then
  records it as pending (ros2/rclpy#1123; fixed in rolling by ros2/rclpy#1308, backported
  by ros2/rclpy#1519, not in the Jazzy wheels here). It overrides the private
  `_cancel_goal_async`, `_get_result_async` and reads `_node`, `_action_name`,
  `_action_type`.

The action client's two problems in full:

rclpy 7.1 (Jazzy) sends a goal, cancel or result request and only then records it as
pending. A program that sends from its own thread (the demo arm, pressctl) loses a reply
that the executor thread takes in between: rclpy logs "Ignoring unexpected goal response"
and the future never completes. On a loaded host that happens now and then; it stalled
the demo arm. Sending and handling replies under one lock closes the gap.

rclpy's wait_for_server trusts rcl's check, which is true only when every server endpoint
in the graph is matched. A process that has made and ended several rclpy contexts (the
tests, the bench) now and then keeps graph entries of its earlier participants that never
match: reproduced about once in a hundred contexts, with 8 to 19 stale servers listed, and
rcl never said ready although the live server accepted a goal within 50 ms. So a server
also counts as there when it answers a result request for a goal it has never seen.
"""
import threading
import time
import uuid

from rclpy.action import ActionClient
from rclpy.action.client import ClientGoalHandle
from rclpy.executors import MultiThreadedExecutor
from unique_identifier_msgs.msg import UUID


def take(subscription):
    """The next message waiting on `subscription` (CDR bytes if it is raw), or None."""
    with subscription.handle:
        taken = subscription.handle.take_message(subscription.msg_type, subscription.raw)
    return None if taken is None else taken[0]


def spin_once_until(executor, stop) -> None:
    """One round of `executor`'s work, or return as soon as stop() is true after a wake()."""
    executor._spin_once_impl(None, stop)


def handed_out_tasks(executor) -> list:
    """The tasks a MultiThreadedExecutor has handed to its thread pool (none for others)."""
    return list(executor._futures) if isinstance(executor, MultiThreadedExecutor) else []


class LockedActionClient(ActionClient):
    """ActionClient whose request bookkeeping and reply handling share one lock."""

    def __init__(self, *args, **kwargs):
        self._bookkeeping = threading.RLock()
        super().__init__(*args, **kwargs)

    def wait_for_server(self, timeout_sec=None):
        """True once a server is ready (rcl says so, or one answers a probe); False at timeout.

        The probe's reply comes through the executor that spins this client's node.
        """
        deadline = time.monotonic() + (float("inf") if timeout_sec is None else timeout_sec)
        probe, probe_sent = None, -float("inf")
        while self._node.context.ok():
            if self.server_is_ready() or (probe is not None and probe.done()):
                return True
            now = time.monotonic()
            if now >= deadline:
                return False
            if now - probe_sent >= 2.0 and self._graph_lists_a_server():
                probe, probe_sent = self._probe(), now
            time.sleep(0.05)
        return False

    def _graph_lists_a_server(self) -> bool:
        send_goal = self._node.resolve_service_name(f"{self._action_name}/_action/send_goal")
        return self._node.count_services(send_goal) > 0

    def _probe(self):
        """A result request for a goal no server knows: a live server answers STATUS_UNKNOWN."""
        response = self._action_type.Impl.SendGoalService.Response(accepted=True)
        handle = ClientGoalHandle(self, UUID(uuid=list(uuid.uuid4().bytes)), response)
        return self._get_result_async(handle)

    def send_goal_async(self, goal, feedback_callback=None, goal_uuid=None):
        with self._bookkeeping:
            return super().send_goal_async(goal, feedback_callback, goal_uuid)

    def _cancel_goal_async(self, goal_handle):
        with self._bookkeeping:
            return super()._cancel_goal_async(goal_handle)

    def _get_result_async(self, goal_handle):
        with self._bookkeeping:
            return super()._get_result_async(goal_handle)

    async def execute(self, taken_data):
        with self._bookkeeping:
            await super().execute(taken_data)

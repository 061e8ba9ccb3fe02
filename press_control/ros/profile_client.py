"""Client side of run_profile: send a goal, follow it, cancel on Ctrl-C (used by pressctl)."""
import threading
import time

from rclpy.action import ActionClient
from press_control.control.profile_runner import ABORTED, CANCELED, REJECTED, SUCCEEDED
from press_control.ros.qos import LATCHED
from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import GoalRejection

OUTCOME_NAMES = {RunPressureProfile.Result.SUCCEEDED: SUCCEEDED,
                 RunPressureProfile.Result.CANCELED: CANCELED,
                 RunPressureProfile.Result.ABORTED: ABORTED,
                 RunPressureProfile.Result.REJECTED: REJECTED}


class GoalRejected(Exception):
    """The server refused the goal; the message is its published reason, code its kind."""

    def __init__(self, reason: str, code: int = -1):
        super().__init__(reason)
        self.code = code


class ProfileClient:
    """Sends RunPressureProfile goals from a node that is being spun elsewhere."""

    def __init__(self, node, action_name: str = "run_profile"):
        self.node = node
        self.client = ActionClient(node, RunPressureProfile, action_name)
        self.rejections = []
        node.create_subscription(GoalRejection, f"{action_name}/rejection",
                                 self.rejections.append, LATCHED)

    def wait_for_server(self, timeout_s: float) -> bool:
        ready = self.client.wait_for_server(timeout_sec=timeout_s)
        if ready:
            time.sleep(0.5)      # let the server discover our reply readers (DDS race)
        return ready

    def run(self, goal, on_feedback=None, cancel_event: threading.Event = None,
            timeout_s: float = 86400.0):
        """Run goal to its end and return the Result; raise GoalRejected with the reason."""
        before = len(self.rejections)
        handle = self._wait(self.client.send_goal_async(
            goal, feedback_callback=lambda m: on_feedback and on_feedback(m.feedback)), 30.0)
        if not handle.accepted:
            deadline = time.monotonic() + 2.0
            while len(self.rejections) == before and time.monotonic() < deadline:
                time.sleep(0.05)
            if len(self.rejections) > before:
                raise GoalRejected(self.rejections[-1].reason, self.rejections[-1].code)
            raise GoalRejected("no reason given")
        result_future = handle.get_result_async()
        deadline = time.monotonic() + timeout_s
        canceled = False
        while not result_future.done():
            if not canceled and ((cancel_event and cancel_event.is_set())
                                 or time.monotonic() > deadline):
                handle.cancel_goal_async()
                canceled = True
            time.sleep(0.05)
        return result_future.result().result

    @staticmethod
    def _wait(future, timeout_s):
        deadline = time.monotonic() + timeout_s
        while not future.done():
            if time.monotonic() > deadline:
                raise TimeoutError("run_profile server did not answer the goal")
            time.sleep(0.02)
        return future.result()

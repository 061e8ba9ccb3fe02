"""Client side of run_profile: send a goal, follow it, cancel on Ctrl-C (used by pressctl)."""
import threading
import time

from action_msgs.msg import GoalStatus

from press_control.control.profile_runner import ABORTED, CANCELED, REJECTED, SUCCEEDED
from press_control.ros.action_client import LockedActionClient
from press_control.ros.qos import LATCHED
from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import GoalRejection

OUTCOME_NAMES = {RunPressureProfile.Result.SUCCEEDED: SUCCEEDED,
                 RunPressureProfile.Result.CANCELED: CANCELED,
                 RunPressureProfile.Result.ABORTED: ABORTED,
                 RunPressureProfile.Result.REJECTED: REJECTED}

TERMINAL = (GoalStatus.STATUS_SUCCEEDED, GoalStatus.STATUS_CANCELED, GoalStatus.STATUS_ABORTED)


class GoalRejected(Exception):
    """The server refused the goal; the message is its published reason, code its kind."""

    def __init__(self, reason: str, code: int = -1):
        super().__init__(reason)
        self.code = code


class ResultLost(Exception):
    """The goal ended (or its server went away) but its result never reached us."""


class ProfileClient:
    """Sends RunPressureProfile goals from a node that is being spun elsewhere."""

    def __init__(self, node, action_name: str = "run_profile"):
        self.node = node
        self.client = LockedActionClient(node, RunPressureProfile, action_name)
        self.rejections = []
        self.result_requests_resent = 0
        node.create_subscription(GoalRejection, f"{action_name}/rejection",
                                 self.rejections.append, LATCHED)

    def wait_for_server(self, timeout_s: float) -> bool:
        ready = self.client.wait_for_server(timeout_sec=timeout_s)
        if ready:
            time.sleep(0.5)      # let the server discover our reply readers (DDS race)
        return ready

    def run(self, goal, on_feedback=None, cancel_event: threading.Event = None,
            timeout_s: float = 86400.0, ended=None, result_retry_s: float = 2.0,
            result_grace_s: float = 15.0, server_gone_s: float = 10.0):
        """Run goal to its end and return the Result; raise GoalRejected with the reason.

        The result is asked for again every result_retry_s while it has not come (a reply
        can be lost while DDS still matches a new reader; asking again is harmless). With
        `ended()` (e.g. the latched handling state says the press has finished this cell)
        or a final goal status, a result still missing result_grace_s later raises
        ResultLost instead of waiting on: the caller acts on what the press says. So does a
        server that has been gone for server_gone_s.
        """
        before = len(self.rejections)

        def forward(message) -> None:
            if on_feedback is not None:
                on_feedback(message.feedback)
        handle = self._wait(self.client.send_goal_async(goal, feedback_callback=forward), 30.0)
        if not handle.accepted:
            deadline = time.monotonic() + 2.0
            while len(self.rejections) == before and time.monotonic() < deadline:
                time.sleep(0.05)
            if len(self.rejections) > before:
                raise GoalRejected(self.rejections[-1].reason, self.rejections[-1].code)
            raise GoalRejected("no reason given")
        requests = [handle.get_result_async()]
        asked_s = time.monotonic()
        deadline = asked_s + timeout_s
        canceled, ended_since, server_seen = False, None, asked_s
        while not any(request.done() for request in requests):
            now = time.monotonic()
            if not canceled and ((cancel_event and cancel_event.is_set()) or now > deadline):
                handle.cancel_goal_async()
                canceled = True
            if ended_since is None and (handle.status in TERMINAL or
                                        (ended is not None and ended())):
                ended_since = now
            if not self.node.context.ok():
                raise ResultLost("ROS was shut down before the result came")
            if self.client.server_is_ready():
                server_seen = now
            elif now - server_seen > server_gone_s:
                raise ResultLost(f"the run_profile server went away {server_gone_s:g} s ago "
                                 "before sending the result")
            if ended_since is not None and now - ended_since > result_grace_s:
                raise ResultLost(f"no result from run_profile {result_grace_s:g} s after the "
                                 f"press reported the goal over (asked {len(requests)} times)")
            if now - asked_s > result_retry_s:
                requests.append(handle.get_result_async())
                self.result_requests_resent += 1
                asked_s = now
            time.sleep(0.05)
        return next(request for request in requests if request.done()).result().result

    @staticmethod
    def _wait(future, timeout_s):
        deadline = time.monotonic() + timeout_s
        while not future.done():
            if time.monotonic() > deadline:
                raise TimeoutError("run_profile server did not answer the goal")
            time.sleep(0.02)
        return future.result()

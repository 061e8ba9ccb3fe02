"""Client side of run_profile: send a goal, follow it, cancel on Ctrl-C (used by pressctl)."""
import threading
import time
import uuid

from action_msgs.msg import GoalStatus, GoalStatusArray
from rclpy.action.client import ClientGoalHandle
from rclpy.qos import qos_profile_action_status_default
from unique_identifier_msgs.msg import UUID

from press_control.control.profile_runner import ABORTED, CANCELED, REJECTED, SUCCEEDED
from press_control.ros.rclpy_internals import LockedActionClient
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
        self.goal_requests_resent = 0
        self.statuses = {}               # goal id (bytes) -> latest status the server published
        node.create_subscription(GoalRejection, f"{action_name}/rejection",
                                 self.rejections.append, LATCHED)
        node.create_subscription(GoalStatusArray, f"{action_name}/_action/status",
                                 self._on_status, qos_profile_action_status_default)

    def _on_status(self, message: GoalStatusArray) -> None:
        self.statuses = {bytes(s.goal_info.goal_id.uuid): s.status for s in message.status_list}

    def wait_for_server(self, timeout_s: float) -> bool:
        return self.client.wait_for_server(timeout_sec=timeout_s)

    def send(self, goal, feedback_callback=None, reply_timeout_s: float = 2.0,
             give_up_s: float = 30.0):
        """Send goal and return its ClientGoalHandle, even if a reply is lost.

        A server that has only just been discovered may not yet have discovered our reply
        reader, and DDS drops a goal response sent before that. So the request is sent
        again, with the same goal id, until a reply comes; and the server's status topic
        is watched for that id: a goal that was accepted although its reply was lost (the
        resent request is then refused as a duplicate) is taken over, never left running
        unseen. Raises ResultLost after give_up_s without an answer.
        """
        goal_id = UUID(uuid=list(uuid.uuid4().bytes))
        key = bytes(goal_id.uuid)
        deadline = time.monotonic() + give_up_s
        resent = False
        while time.monotonic() < deadline:
            future = self.client.send_goal_async(goal, feedback_callback, goal_uuid=goal_id)
            answer_by = min(deadline, time.monotonic() + reply_timeout_s)
            while not future.done() and key not in self.statuses and \
                    time.monotonic() < answer_by:
                time.sleep(0.02)
            if key in self.statuses:
                return future.result() if future.done() and future.result().accepted \
                    else self._adopt(goal_id)
            if future.done():
                handle = future.result()
                if handle.accepted or not resent:
                    return handle
                settle = time.monotonic() + 1.0   # refused as a duplicate of an accepted one?
                while key not in self.statuses and time.monotonic() < settle:
                    time.sleep(0.02)
                return self._adopt(goal_id) if key in self.statuses else handle
            resent = True
            self.goal_requests_resent += 1
        raise ResultLost(f"run_profile did not answer the goal within {give_up_s:g} s")

    def _adopt(self, goal_id) -> ClientGoalHandle:
        """A handle for our goal that the server accepted while its reply was lost.

        rclpy does not know it (a late reply must not meet a second handle of the same id),
        so its status is read from `statuses`; results, cancels and feedback go by goal id.
        """
        response = RunPressureProfile.Impl.SendGoalService.Response(accepted=True)
        return ClientGoalHandle(self.client, goal_id, response)

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
        handle = self.send(goal, forward)
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
            status = self.statuses.get(bytes(handle.goal_id.uuid), handle.status)
            if ended_since is None and (status in TERMINAL or
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

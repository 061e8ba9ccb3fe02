"""rclpy's ActionClient, safe to call from a thread other than the executor's.

rclpy 7.1 (Jazzy) sends a goal, cancel or result request and only then records it as
pending. A program that sends from its own thread (the demo arm, pressctl) loses a reply
that the executor thread takes in between: rclpy logs "Ignoring unexpected goal response"
and the future never completes. On a loaded host that happens now and then; it stalled
the demo arm. Sending and handling replies under one lock closes the gap.
"""
import threading

from rclpy.action import ActionClient


class LockedActionClient(ActionClient):
    """ActionClient whose request bookkeeping and reply handling share one lock."""

    def __init__(self, *args, **kwargs):
        self._bookkeeping = threading.RLock()
        super().__init__(*args, **kwargs)

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

"""What the operator command line asks of a press over ROS: run a profile, set the die."""
import threading
import time

import rclpy

from press_control.ros.profile_client import GoalRejected, ProfileClient
from press_control.ros.spin import SpinningNode
from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.srv import SetInstalledDie

__all__ = ["GoalRejected", "NoAnswer", "PressOperator"]


class NoAnswer(Exception):
    """The node that would serve the request is not there, or did not answer."""


class PressOperator:
    """A short-lived `pressctl` node in the press's namespace; close() when done."""

    def __init__(self, namespace: str = ""):
        self.namespace = namespace
        self.spinning = SpinningNode(lambda: rclpy.create_node("pressctl",
                                                               namespace=namespace))

    def close(self) -> None:
        self.spinning.close()

    def run_profile(self, preset: str, cell_id: str, die_id: str = "", hold_scale: float = 0.0,
                    wait_s: float = 20.0, on_feedback=None, cancel_event=None, stack=None):
        """Run a preset to its end and return the action Result.

        `stack` is (electrolyte, electrolyte_mass_mg, anode), what is in the die. Raises
        NoAnswer when no server appears within wait_s, GoalRejected (with its code) when
        it refuses.
        """
        client = ProfileClient(self.spinning.node)
        if not client.wait_for_server(wait_s):
            raise NoAnswer(f"no run_profile server in namespace '{self.namespace}'")
        goal = RunPressureProfile.Goal(preset=preset, cell_id=cell_id, die_id=die_id,
                                       hold_scale=hold_scale)
        if stack is not None:
            goal.electrolyte, goal.electrolyte_mass_mg, goal.anode = stack
        return client.run(goal, on_feedback=on_feedback, cancel_event=cancel_event)

    def set_die(self, die_id: str, wait_s: float = 20.0):
        """Ask press_driver to record the installed die; returns its reply."""
        client = self.spinning.node.create_client(SetInstalledDie, "set_installed_die")
        if not client.wait_for_service(timeout_sec=wait_s):
            raise NoAnswer(f"no press_driver in namespace '{self.namespace}'")
        reply = call_idempotent(client, SetInstalledDie.Request(die_id=die_id), wait_s)
        if reply is None:
            raise NoAnswer("press_driver did not answer")
        return reply


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

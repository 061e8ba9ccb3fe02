"""A minimal robot-arm client of the press handshake (docs/arm_integration.md).

Loads one cell, has the press run a preset on it, unloads it. Plain rclpy in one thread,
as the ROS tutorials do it: the node spins while the arm waits, so its 10 Hz heartbeat
timer keeps beating, and the goal is sent from the thread that spins.
Usage: python3 examples/minimal_arm.py CELL_ID [PRESET] [NAMESPACE]
"""
import sys
import time

import rclpy
from rclpy.action import ActionClient
from rclpy.qos import DurabilityPolicy, QoSProfile

from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import ArmHeartbeat, GoalRejection, HandlingState


class MinimalArm:
    """Publishes where the arm is; follows the press's handling state."""

    def __init__(self, node, cell_id: str):
        self.node, self.cell_id = node, cell_id
        self.inside, self.intent, self.state = False, ArmHeartbeat.INTENT_NONE, None
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.heartbeat = node.create_publisher(ArmHeartbeat, "handling/arm", 10)
        node.create_subscription(HandlingState, "handling/state", self.on_state, latched)
        self.rejections = []
        node.create_subscription(GoalRejection, "run_profile/rejection",
                                 lambda m: self.rejections.append(m.reason), latched)
        node.create_timer(0.1, self.beat)
        self.action = ActionClient(node, RunPressureProfile, "run_profile")

    def on_state(self, message):
        self.state = message.state

    def beat(self):
        self.heartbeat.publish(ArmHeartbeat(arm_id="minimal_arm", in_workspace=self.inside,
                                            cell_id=self.cell_id, intent=self.intent))

    def spin_until(self, done, timeout_s: float = 120.0, what: str = ""):
        deadline = time.monotonic() + timeout_s
        while not done():
            if self.state == HandlingState.FAULT or time.monotonic() > deadline:
                raise RuntimeError(f"waiting for {what}: handling state {self.state}")
            rclpy.spin_once(self.node, timeout_sec=0.05)

    def wait_for(self, state: int):
        self.spin_until(lambda: self.state == state, what=f"handling state {state}")

    def visit(self, intent: int):
        """Enter the workspace, place or take the cell (1 s here), leave."""
        self.intent, self.inside = intent, True
        entered = time.monotonic()
        self.spin_until(lambda: time.monotonic() - entered > 1.0, what="the gripper")
        self.inside = False

    def run(self, preset: str):
        self.wait_for(HandlingState.READY_TO_LOAD)
        self.visit(ArmHeartbeat.INTENT_LOAD)
        self.wait_for(HandlingState.LOADED)
        self.spin_until(self.action.server_is_ready, what="the run_profile server")
        sent = self.action.send_goal_async(RunPressureProfile.Goal(
            preset=preset, cell_id=self.cell_id))
        self.spin_until(sent.done, what="the goal's acceptance")
        if not sent.result().accepted:
            self.spin_until(lambda: self.rejections, timeout_s=5.0, what="the reason")
            raise RuntimeError(f"the press refused the goal: {self.rejections[-1]}")
        result = sent.result().get_result_async()
        self.spin_until(result.done, timeout_s=3600.0, what="the result")
        self.wait_for(HandlingState.READY_TO_UNLOAD)
        self.visit(ArmHeartbeat.INTENT_UNLOAD)
        self.wait_for(HandlingState.OPEN_IDLE)
        return result.result().result


def main() -> int:
    cell_id = sys.argv[1]
    preset = sys.argv[2] if len(sys.argv) > 2 else "handling_check"
    rclpy.init()
    node = rclpy.create_node("minimal_arm",
                             namespace=sys.argv[3] if len(sys.argv) > 3 else "")
    try:
        result = MinimalArm(node, cell_id).run(preset)
        print(f"{cell_id}: outcome {result.outcome}: {result.reason}; "
              f"record {result.record_dir}")
        return 0 if result.outcome == RunPressureProfile.Result.SUCCEEDED else 1
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    sys.exit(main())

"""The simulated world on ROS: follows handling/state and the action feedback."""
from std_msgs.msg import Bool

from press_control.ros.hot_input import HotInputs
from press_control.ros.qos import LATCHED
from press_control.sim.world import SimWorld
from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import HandlingState


class SimWorldPort:
    """Attaches a SimWorld to a node.

    Publishes interface/cycling when the cell starts or stops cycling.
    """

    def __init__(self, node, inject):
        self.world = SimWorld(inject)
        self.cycling_publisher = node.create_publisher(Bool, "interface/cycling", 10)
        node.create_subscription(HandlingState, "handling/state", self.on_handling, LATCHED)
        self.inputs = HotInputs(node, period_s=0.05)          # the feedback's 20 Hz
        self.inputs.add(RunPressureProfile.Impl.FeedbackMessage, "run_profile/_action/feedback",
                        self.on_feedback)

    def close(self) -> None:
        self.inputs.close()

    def on_handling(self, message) -> None:
        self.world.on_handling(message.state, message.cell_id)

    def on_feedback(self, message) -> None:
        feedback = message.feedback
        if self.world.on_feedback(feedback.segment_type, feedback.setpoint_mpa):
            self.cycling_publisher.publish(Bool(data=self.world.cycling))

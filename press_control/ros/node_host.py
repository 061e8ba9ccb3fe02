"""The nodes `bringup` runs in its own process: one context, one executor thread."""
import threading

import rclpy
from rclpy.executors import MultiThreadedExecutor
from rclpy.parameter import Parameter

from press_control.ros.interface_monitor import InterfaceMonitorNode
from press_control.ros.press_driver import PressDriverNode
from press_control.ros.profile_server import ProfileServerNode
from press_control.ros.qos import LATCHED
from press_control.ros.sim_world import SimWorldPort
from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import HandlingState, InterfaceEvent


def _overrides(values: dict) -> list:
    return [Parameter(name, value=value) for name, value in values.items()]


class NodeHost:
    """profile_server, interface_monitor, the world's node and maybe press_driver, spun together.

    `ros_args` carries the parameter file.
    """

    def __init__(self, ros_args: list, namespace: str = ""):
        self.context = rclpy.Context()
        rclpy.init(args=ros_args, context=self.context)
        self.common = {"namespace": namespace, "context": self.context}
        self.nodes = []
        self.server = self.monitor = self.world_node = self.driver = None
        self.executor = self.spinner = None

    def add_server(self, overrides: dict) -> ProfileServerNode:
        self.server = self._add(ProfileServerNode(parameter_overrides=_overrides(overrides),
                                                  **self.common))
        return self.server

    def add_monitor(self, overrides: dict) -> InterfaceMonitorNode:
        self.monitor = self._add(InterfaceMonitorNode(
            parameter_overrides=_overrides(overrides), **self.common))
        return self.monitor

    def add_world(self, inject) -> None:
        """The simulated world; inject(fault, value=None) reaches the simulator."""
        self.world_node = self._add(rclpy.create_node("sim_world", **self.common))
        SimWorldPort(self.world_node, inject)

    def add_driver(self, overrides: dict) -> PressDriverNode:
        """press_driver in this process (created last: node creation stalls the GIL)."""
        self.driver = self._add(PressDriverNode(parameter_overrides=_overrides(overrides),
                                                **self.common))
        return self.driver

    def watch(self, on_feedback=None, on_handling=None, on_event=None) -> None:
        """Callbacks on the action feedback, handling/state and interface/events."""
        node = self.world_node or self._add(rclpy.create_node("cell_watch", **self.common))
        if on_feedback is not None:
            node.create_subscription(RunPressureProfile.Impl.FeedbackMessage,
                                     "run_profile/_action/feedback",
                                     lambda message: on_feedback(message.feedback), 50)
        if on_handling is not None:
            node.create_subscription(HandlingState, "handling/state", on_handling, LATCHED)
        if on_event is not None:
            node.create_subscription(InterfaceEvent, "interface/events", on_event, 50)

    def spin(self) -> "NodeHost":
        self.executor = MultiThreadedExecutor(num_threads=8, context=self.context)
        for node in self.nodes:
            self.executor.add_node(node)
        self.spinner = threading.Thread(target=self.executor.spin, name="bringup-executor",
                                        daemon=True)
        self.spinner.start()
        return self

    def readiness_problem(self):
        """profile_server's readiness problem (a Refusal with a cause) or None."""
        return self.server.readiness_problem()

    def stop(self) -> None:
        if self.driver is not None:
            self.driver.release_and_close("bringup stopping")
        if self.executor is not None:
            self.executor.shutdown(timeout_sec=2.0)
            if self.spinner is not None:
                self.spinner.join(timeout=5.0)
        for node in self.nodes:
            node.destroy_node()
        self.nodes = []
        rclpy.try_shutdown(context=self.context)

    def _add(self, node):
        if self.executor is not None:
            self.executor.add_node(node)
        self.nodes.append(node)
        return node

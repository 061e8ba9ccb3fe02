"""The nodes `bringup` runs in its own process: one context, one executor thread."""

import rclpy
from rclpy.executors import MultiThreadedExecutor, SingleThreadedExecutor
from rclpy.parameter import Parameter

from press_control.ros.hot_input import HotInputs
from press_control.ros.interface_monitor import InterfaceMonitorNode
from press_control.ros.press_driver import PressDriverNode
from press_control.ros.profile_server import ProfileServerNode
from press_control.ros.qos import LATCHED
from press_control.ros.sim_world import SimWorldPort
from press_control.ros.spin import ExecutorThread
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
        self.spun, self.executors, self.closers = [], [], []

    def add_server(self, overrides: dict) -> ProfileServerNode:
        self.server = self._add(ProfileServerNode(parameter_overrides=_overrides(overrides),
                                                  **self.common), threads=4)
        return self.server

    def add_monitor(self, overrides: dict) -> InterfaceMonitorNode:
        self.monitor = self._add(InterfaceMonitorNode(
            parameter_overrides=_overrides(overrides), **self.common))
        return self.monitor

    def add_world(self, inject) -> None:
        """The simulated world; inject(fault, value=None) reaches the simulator."""
        self.world_node = self._add(rclpy.create_node("sim_world", **self.common))
        self.closers.append(SimWorldPort(self.world_node, inject).close)

    def add_driver(self, overrides: dict) -> PressDriverNode:
        """press_driver in this process (created last: node creation stalls the GIL)."""
        self.driver = self._add(PressDriverNode(parameter_overrides=_overrides(overrides),
                                                **self.common), threads=4)
        return self.driver

    def watch(self, on_feedback=None, on_handling=None, on_event=None):
        """Callbacks on the action feedback, handling/state and interface/events.

        Returns a function that ends this watch (stop() ends it too).
        """
        node = rclpy.create_node("cell_watch", **self.common)   # spun by no executor:
        self.nodes.append(node)                                 # see ros/hot_input.py
        inputs = HotInputs(node, period_s=0.02)
        self.closers.append(inputs.close)
        if on_feedback is not None:
            inputs.add(RunPressureProfile.Impl.FeedbackMessage, "run_profile/_action/feedback",
                       lambda message: on_feedback(message.feedback))
        if on_handling is not None:
            inputs.add(HandlingState, "handling/state", on_handling, qos=LATCHED)
        if on_event is not None:
            inputs.add(InterfaceEvent, "interface/events", on_event)
        return inputs.close

    def spin(self) -> "NodeHost":
        """Each node on an executor and thread of its own.

        A wake-up of rclpy's Python executors costs in proportion to the entities of all
        the nodes it serves (see ros/hot_input.py): one executor per node keeps the timers
        of one node from rebuilding the wait sets of the others. Nodes that block in
        callbacks (profile_server's goals, the driver) get a multi-threaded one.
        """
        for node, threads in self.spun:
            self._start_executor(node, threads)
        return self

    def _start_executor(self, node, threads: int) -> None:
        executor = MultiThreadedExecutor(num_threads=threads, context=self.context) \
            if threads > 1 else SingleThreadedExecutor(context=self.context)
        executor.add_node(node)
        self.executors.append(ExecutorThread(executor, f"{node.get_name()}-executor").start())

    def readiness_problem(self):
        """profile_server's readiness problem (a Refusal with a cause) or None."""
        return self.server.readiness_problem()

    def stop(self) -> None:
        for close in self.closers:
            close()
        self.closers = []
        for node in self.nodes:           # running goals end (and release) while ROS runs
            end_goals = getattr(node, "end_goals", None)
            if end_goals is not None:
                end_goals()
        if self.driver is not None:
            self.driver.release_and_close("bringup stopping")
        for spinner in self.executors:
            spinner.stop()
        self.executors = []
        for node in self.nodes:
            node.destroy_node()
        self.nodes = []
        rclpy.try_shutdown(context=self.context)

    def _add(self, node, threads: int = 1):
        self.nodes.append(node)
        self.spun.append((node, threads))
        if self.executors:                       # already spinning
            self._start_executor(node, threads)
        return node

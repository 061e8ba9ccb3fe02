"""Spinning our nodes, in the foreground or in the background.

Foreground for a node's own process; background for a program that does its work beside
the node (pressctl, the demo arm).
"""
import threading

import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor


def spin_node(node_factory, args=None, before_destroy=None, startup_problem=None) -> int:
    """Create the node, spin it on a multi-threaded executor, shut down cleanly; exit code.

    startup_problem(node) -> "" or why the node cannot do its job: then the node is not
    spun and the exit code is 1. before_destroy(node) runs even when Ctrl-C has already
    shut the ROS context down, so it must not need ROS (the driver releases the press
    there over its serial line).
    """
    rclpy.init(args=args)
    node = node_factory()
    problem = startup_problem(node) if startup_problem is not None else ""
    executor = MultiThreadedExecutor()
    executor.add_node(node)
    try:
        if problem:
            node.get_logger().fatal(f"cannot start: {problem}")
        else:
            executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if before_destroy is not None:
            before_destroy(node)
        executor.shutdown(timeout_sec=2.0)
        node.destroy_node()
        rclpy.try_shutdown()
    return 1 if problem else 0


class SpinningNode:
    """A node spun in a background thread.

    close() stops the executor, joins the thread (no rclpy thread may outlive the
    interpreter), destroys the node and shuts ROS down.
    """

    def __init__(self, node_factory, args=None):
        rclpy.init(args=args)
        self.node = node_factory()
        self.executor = MultiThreadedExecutor()
        self.executor.add_node(self.node)
        self.spinner = threading.Thread(target=self.executor.spin, daemon=True)
        self.spinner.start()

    def alive(self) -> bool:
        return self.spinner.is_alive()

    def close(self) -> None:
        self.executor.shutdown(timeout_sec=2.0)
        self.spinner.join(timeout=5.0)
        self.node.destroy_node()
        rclpy.try_shutdown()

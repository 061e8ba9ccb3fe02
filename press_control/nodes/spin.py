"""The console-script entry shared by the nodes: init, spin until Ctrl-C, clean up."""
import rclpy
from rclpy.executors import ExternalShutdownException, MultiThreadedExecutor


def spin_node(node_factory, args=None, before_destroy=None) -> None:
    """Create the node, spin it on a multi-threaded executor, and shut down cleanly.

    before_destroy(node) runs even when Ctrl-C has already shut the ROS context down, so
    it must not need ROS (the driver releases the press there over its serial line).
    """
    rclpy.init(args=args)
    node = node_factory()
    executor = MultiThreadedExecutor()
    executor.add_node(node)
    try:
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if before_destroy is not None:
            before_destroy(node)
        node.destroy_node()
        rclpy.try_shutdown()

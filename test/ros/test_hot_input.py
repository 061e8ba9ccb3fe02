"""HotInputs and ThrottledGroup: high-rate topics off rclpy's executor, or through it rarely."""
import threading
import time

import rclpy
from std_msgs.msg import Int64
from rclpy.qos import HistoryPolicy, QoSProfile

from press_control.ros.hot_input import ThrottledGroup

from waiting import wait_for


def test_a_throttled_subscription_runs_at_most_once_a_period_and_takes_the_newest(
        ros_context, spin):
    node = rclpy.create_node("throttled", context=ros_context)
    talker = rclpy.create_node("fast_talker", context=ros_context)
    taken = []
    node.create_subscription(Int64, "counts", lambda m: taken.append((time.monotonic(), m.data)),
                             QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1),
                             callback_group=ThrottledGroup(0.05))
    node.create_timer(0.05, lambda: None)       # the node's own timer wakes the executor
    publisher = talker.create_publisher(Int64, "counts", 10)
    spin(node, talker)
    wait_for(lambda: publisher.get_subscription_count() == 1, message="the subscription")
    sent, stop = [0], threading.Event()

    def publish_at_200_hz():
        while not stop.wait(0.005):
            sent[0] += 1
            publisher.publish(Int64(data=sent[0]))
    thread = threading.Thread(target=publish_at_200_hz)
    thread.start()
    try:
        wait_for(lambda: len(taken) >= 30, timeout=30, message="30 throttled takes")
    finally:
        stop.set()
        thread.join()
    gaps = [b[0] - a[0] for a, b in zip(taken, taken[1:])]
    assert min(gaps) >= 0.05 * 0.95, min(gaps)            # never more often than the period
    counts = [count for _, count in taken]
    assert counts == sorted(counts)
    skipped = [b - a for a, b in zip(counts, counts[1:])]
    assert sum(skipped) / len(skipped) >= 5               # it took ~1 in 10 at 200 Hz

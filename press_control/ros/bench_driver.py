"""press_driver's node-level figures measured over ROS.

The bench's figures are made from them in press_control.app.bench.driver.
"""
import subprocess
import sys
import time

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import SingleThreadedExecutor

from press_control.procfs import process_cpu_s, process_rss_mib
from press_control.ros.spin import ExecutorThread
from press_control_interfaces.msg import PressState


def measure_driver_node(press_path: str, seconds: float, poll_rate_hz: float):
    """Watch press_driver (own process, polling at poll_rate_hz) for `seconds`.

    Returns (messages received, elapsed s, stamp-to-receive delays, driver CPU s, RSS MiB,
    the driver's /diagnostics values).
    """
    driver = subprocess.Popen(
        [sys.executable, "-m", "press_control.ros.press_driver", "--ros-args",
         "-p", f"port:={press_path}", "-p", f"poll_rate_hz:={poll_rate_hz}",
         "-p", "arm_interlock:=false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rclpy.init()
    node = rclpy.create_node("bench_driver_listener")
    arrivals, delays, diagnostics = [], [], {}

    def on_state(message):
        now = node.get_clock().now().nanoseconds
        stamp = message.header.stamp.sec * 10 ** 9 + message.header.stamp.nanosec
        arrivals.append(time.monotonic())
        delays.append((now - stamp) / 1e9)

    def on_diagnostics(message):
        for status in message.status:
            if status.name.endswith(": press"):
                diagnostics.update({kv.key: kv.value for kv in status.values})

    node.create_subscription(PressState, "state", on_state, 100)
    node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spinner = ExecutorThread(executor).start()
    try:
        deadline = time.monotonic() + 30.0
        while len(arrivals) < 50 and time.monotonic() < deadline:
            time.sleep(0.1)
        arrivals.clear()
        delays.clear()
        cpu_start, start = process_cpu_s(driver.pid), time.monotonic()
        time.sleep(seconds)
        cpu = process_cpu_s(driver.pid) - cpu_start
        elapsed = time.monotonic() - start
        received = len(arrivals)
        rss = process_rss_mib(driver.pid)
        time.sleep(1.2)
    finally:
        driver.terminate()
        driver.wait(timeout=10)
        spinner.stop()
        node.destroy_node()
        rclpy.try_shutdown()
    return received, elapsed, sorted(delays), cpu, rss, diagnostics

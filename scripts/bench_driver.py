"""Benchmark of the press driver against the simulator; prints a report.

1. Device level (no ROS): poll rate against the line-rate bound, transaction latency.
2. Node level: press_driver in its own process at --poll-rate-hz; state rate, reply-to-
   publish latency (from /diagnostics), publish-to-receive latency, driver CPU and RSS.

Run: . scripts/env.sh && python scripts/bench_driver.py [--seconds 10]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time

from press_control.hardware.press import Press, PressError
from press_control.protocol.modbus_rtu import char_time_s
from press_control.protocol.register_map import RegisterMap
from press_control.resources import default_register_map_path
from press_control.sim.simulator import Simulator, SimulatorConfig
from press_control.stats import percentile


def device_level(sim, register_map, seconds, baud):
    press = Press(sim.config.press_path, baud, "N", 1, register_map, timeout_s=0.1)
    press.connect()
    latencies, errors = [], 0
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            latencies.append(press.poll().latency_s)
        except PressError:
            errors += 1
    elapsed = time.monotonic() - start
    press.close()
    characters = 8 + 5 + 2 * register_map.poll_count + 7
    bound_hz = 1.0 / (characters * char_time_s(baud))
    rate = len(latencies) / elapsed
    latencies.sort()
    print("## Device level (hardware.Press, no ROS)")
    print(f"line-rate bound: (8 request + {5 + 2 * register_map.poll_count} reply + 7 gap) chars"
          f" x {char_time_s(baud) * 1e6:.1f} us = {1e3 / bound_hz:.2f} ms -> "
          f"{bound_hz:.0f} polls/s")
    met = rate >= max(0.8 * bound_hz, 100.0)
    print(f"achieved poll rate: {rate:.1f} Hz = {rate / bound_hz:.0%} of the bound "
          f"(target >= 80 % and >= 100 Hz) -> {'met' if met else 'NOT met'}")
    print(f"transaction latency p50 {percentile(latencies, 0.5) * 1e3:.2f} ms, "
          f"p99 {percentile(latencies, 0.99) * 1e3:.2f} ms; errors {errors}")
    return bound_hz


def _proc_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as stream:
        fields = stream.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_rss_mib(pid):
    with open(f"/proc/{pid}/status") as stream:
        for line in stream:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def node_level(sim, seconds, poll_rate_hz, bound_hz):
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import SingleThreadedExecutor

    from press_control_interfaces.msg import PressState

    driver = subprocess.Popen(
        [sys.executable, "-m", "press_control.nodes.press_driver", "--ros-args",
         "-p", f"port:={sim.config.press_path}", "-p", f"poll_rate_hz:={poll_rate_hz}"],
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
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()
    try:
        deadline = time.monotonic() + 30.0
        while len(arrivals) < 50 and time.monotonic() < deadline:
            time.sleep(0.1)
        arrivals.clear()
        delays.clear()
        cpu_start, start = _proc_cpu_s(driver.pid), time.monotonic()
        time.sleep(seconds)
        cpu = _proc_cpu_s(driver.pid) - cpu_start
        elapsed = time.monotonic() - start
        received = len(arrivals)
        rss = _proc_rss_mib(driver.pid)
        time.sleep(1.2)
    finally:
        driver.terminate()
        driver.wait(timeout=10)
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown()
    delays.sort()
    rate = received / elapsed
    print(f"\n## Node level (press_driver process, poll_rate_hz={poll_rate_hz})")
    print(f"state messages received: {rate:.1f} Hz = {rate / bound_hz:.0%} of the line-rate "
          f"bound {bound_hz:.0f} Hz")
    print(f"reply-to-publish p99 (driver's /diagnostics): "
          f"{diagnostics.get('reply_to_publish_p99_ms', '?')} ms (target <= 5 ms)")
    if delays:
        print(f"stamp-to-receive latency p50 {percentile(delays, 0.5) * 1e3:.2f} ms, "
              f"p99 {percentile(delays, 0.99) * 1e3:.2f} ms")
    print(f"driver CPU {100 * cpu / elapsed:.1f} % of one core (target <= 15 % at 100 Hz); "
          f"RSS {rss:.0f} MiB")
    print(f"driver's own figures: poll {diagnostics.get('poll_rate_hz', '?')} Hz, "
          f"transaction p99 {diagnostics.get('latency_p99_ms', '?')} ms, errors "
          f"{diagnostics.get('timeouts', '?')} timeouts, {diagnostics.get('crc_errors', '?')} CRC")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("--poll-rate-hz", type=float, default=100.0)
    args = parser.parse_args()
    register_map = RegisterMap.load(default_register_map_path())
    config = SimulatorConfig(directory=tempfile.mkdtemp(prefix="bench_"), press_baud=args.baud)
    with Simulator(config) as sim:
        bound_hz = device_level(sim, register_map, args.seconds, args.baud)
        node_level(sim, args.seconds, args.poll_rate_hz, bound_hz)
        node_level(sim, args.seconds, 500.0, bound_hz)


if __name__ == "__main__":
    main()

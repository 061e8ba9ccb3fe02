"""Driver figures against the simulator.

1. Device level (no ROS): poll rate against the line-rate bound, transaction latency.
2. Node level: press_driver in its own process; state rate, reply-to-publish latency (from
   /diagnostics), stamp-to-receive latency, driver CPU and RSS.
"""
import os
import subprocess
import sys
import tempfile
import threading
import time

from press_control.bench.report import Figure
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
    section = "Press driver, device level (hardware.Press, no ROS)"
    figures = [
        Figure(section, "line-rate bound", bound_hz, "polls/s",
               note=f"(8 request + {5 + 2 * register_map.poll_count} reply + 7 gap) chars at "
                    f"{baud} baud"),
        Figure(section, "poll rate", rate, "polls/s", ">= 100", baseline=bound_hz,
               note="ratio = share of the line-rate bound, target >= 0.8"),
        Figure(section, "poll rate / line-rate bound", rate / bound_hz, "", ">= 0.8"),
        Figure(section, "transaction latency p50", percentile(latencies, 0.5) * 1e3, "ms"),
        Figure(section, "transaction latency p99", percentile(latencies, 0.99) * 1e3, "ms"),
        Figure(section, "transaction errors", errors, "")]
    return bound_hz, figures


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
    """Figures of press_driver in its own process, polling at poll_rate_hz."""
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import SingleThreadedExecutor

    from press_control_interfaces.msg import PressState

    driver = subprocess.Popen(
        [sys.executable, "-m", "press_control.nodes.press_driver", "--ros-args",
         "-p", f"port:={sim.config.press_path}", "-p", f"poll_rate_hz:={poll_rate_hz}",
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
    section = f"Press driver node (own process, poll_rate_hz {poll_rate_hz:g})"
    figures = [
        Figure(section, "state messages received", rate, "Hz", baseline=bound_hz,
               note="ratio = share of the line-rate bound"),
        Figure(section, "reply-to-publish p99",
               float(diagnostics.get("reply_to_publish_p99_ms", "nan") or "nan"), "ms",
               "<= 5", note="driver's /diagnostics"),
        Figure(section, "driver CPU", 100 * cpu / elapsed, "% of a core",
               "<= 15" if poll_rate_hz <= 100 else ""),
        Figure(section, "driver RSS", rss, "MiB")]
    if delays:
        figures[1:1] = [
            Figure(section, "state latency p50 (stamp to receive)",
                   percentile(delays, 0.5) * 1e3, "ms"),
            Figure(section, "state latency p99 (stamp to receive)",
                   percentile(delays, 0.99) * 1e3, "ms")]
    return figures


def run(seconds: float = 10.0, baud: int = 115200) -> list:
    """Device and node figures at 100 Hz and at the fastest poll rate."""
    register_map = RegisterMap.load(default_register_map_path())
    config = SimulatorConfig(directory=tempfile.mkdtemp(prefix="bench_"), press_baud=baud)
    with Simulator(config) as sim:
        bound_hz, figures = device_level(sim, register_map, seconds, baud)
        figures += node_level(sim, seconds, 100.0, bound_hz)
        figures += node_level(sim, seconds, 500.0, bound_hz)
    return figures

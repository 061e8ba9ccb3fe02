"""Driver figures against the simulator.

1. Device level (no ROS): poll rate against the line-rate bound, transaction latency.
2. Node level: press_driver in its own process; state rate, reply-to-publish latency (from
   /diagnostics), stamp-to-receive latency, driver CPU and RSS.
"""
import tempfile
import time

from press_control.app.bench.report import Figure
from press_control.hardware.press import Press, PressError
from press_control.hardware.transports import SerialLine
from press_control.protocol.modbus_rtu import char_time_s
from press_control.protocol.register_map import RegisterMap
from press_control.resources import default_register_map_path
from press_control.sim.simulator import Simulator, SimulatorConfig
from press_control.control.stats import percentile


def device_level(sim, register_map, seconds, baud):
    press = Press(SerialLine(sim.config.press_path, baud), 1, register_map, timeout_s=0.1)
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


def node_level(sim, seconds, poll_rate_hz, bound_hz):
    """Figures of press_driver in its own process, polling at poll_rate_hz."""
    from press_control.ros.bench_driver import measure_driver_node
    received, elapsed, delays, cpu, rss, diagnostics = measure_driver_node(
        sim.config.press_path, seconds, poll_rate_hz)
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
    with tempfile.TemporaryDirectory(prefix="bench_") as directory, \
            Simulator(SimulatorConfig(directory=directory, press_baud=baud)) as sim:
        bound_hz, figures = device_level(sim, register_map, seconds, baud)
        figures += node_level(sim, seconds, 100.0, bound_hz)
        figures += node_level(sim, seconds, 500.0, bound_hz)
    return figures

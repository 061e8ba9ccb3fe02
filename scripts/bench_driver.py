"""Benchmark: press poll rate against the line-rate bound, and poll latency (no ROS).

Run: . scripts/env.sh && python scripts/bench_driver.py [--seconds 10]
"""
import argparse
import resource
import statistics
import tempfile
import time

from press_control.hardware.press import Press, PressError
from press_control.protocol.modbus_rtu import char_time_s
from press_control.protocol.register_map import RegisterMap
from press_control.sim.simulator import Simulator, SimulatorConfig, default_register_map_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--baud", type=int, default=115200)
    args = parser.parse_args()
    register_map = RegisterMap.load(default_register_map_path())
    config = SimulatorConfig(directory=tempfile.mkdtemp(prefix="bench_"), press_baud=args.baud)
    with Simulator(config) as sim:
        press = Press(sim.config.press_path, args.baud, "N", 1, register_map, timeout_s=0.1)
        press.connect()
        latencies, errors = [], 0
        cpu_start, start = time.process_time(), time.monotonic()
        while time.monotonic() - start < args.seconds:
            try:
                latencies.append(press.poll().latency_s)
            except PressError:
                errors += 1
        elapsed = time.monotonic() - start
        cpu = time.process_time() - cpu_start
        press.close()
    characters = 8 + 5 + 2 * register_map.poll_count + 2 * 3.5
    bound_hz = 1.0 / (characters * char_time_s(args.baud))
    rate = len(latencies) / elapsed
    latencies.sort()
    print(f"line-rate bound: ({8} request + {5 + 2 * register_map.poll_count} reply + 7 gap) "
          f"chars x {char_time_s(args.baud) * 1e6:.1f} us = {1e3 / bound_hz:.2f} ms "
          f"-> {bound_hz:.0f} polls/s")
    print(f"achieved poll rate: {rate:.1f} Hz = {rate / bound_hz:.0%} of the bound "
          f"(target >= 80 % and >= 100 Hz)")
    print(f"poll latency p50 {statistics.median(latencies) * 1e3:.2f} ms, "
          f"p99 {latencies[int(0.99 * (len(latencies) - 1))] * 1e3:.2f} ms; errors {errors}")
    print(f"process CPU (simulator + client in one process): {100 * cpu / elapsed:.0f} % "
          f"of one core; max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
          " MiB")


if __name__ == "__main__":
    main()

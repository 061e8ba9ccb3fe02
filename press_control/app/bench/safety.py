"""Safety timing figures against the simulator, press_driver in its own process.

1. E-stop: `estop` service call to the reply, which the driver sends once the controller
   acknowledged the write of its control register; measured while another client streams
   commands, since the e-stop must not wait behind them.
2. Arm to permit: an arm's "inside" heartbeat published to the controller's motion-permit
   register read as 0 through the simulator's control socket (its true state).
"""
import os
import sys

from press_control.app.bench.report import Figure
from press_control.control.stats import percentile


def run(samples: int = 30) -> list:
    from press_control.ros.bench_safety import measure_safety_paths
    estop_s, permit_s, diagnostics = measure_safety_paths(samples)
    section = "Safety paths (press_driver in its own process, polling at 100 Hz)"
    return [
        Figure(section, "e-stop call to controller write acknowledged p50",
               percentile(estop_s, 0.5) * 1e3, "ms",
               note=f"{samples} calls while another client sends 50 commands/s"),
        Figure(section, "e-stop call to controller write acknowledged p99",
               percentile(estop_s, 0.99) * 1e3, "ms", "<= 20"),
        Figure(section, "e-stop and reset: wait for the I/O lock p99 (driver side)",
               float(diagnostics.get("urgent_lock_wait_p99_ms", "nan")), "ms",
               note="driver's /diagnostics: the part the driver's priority decides"),
        Figure(section, "e-stop and reset: Modbus write to acknowledgement p99",
               float(diagnostics.get("urgent_write_p99_ms", "nan")), "ms",
               note="the simulated controller's reply time on this loaded host"),
        Figure(section, "arm 'inside' heartbeat to permit register cleared p50",
               percentile(permit_s, 0.5) * 1e3, "ms",
               note="read through the simulator's control socket (adds its own ~1 ms)"),
        Figure(section, "arm 'inside' heartbeat to permit register cleared, worst of "
               f"{samples}", permit_s[-1] * 1e3, "ms")]


if __name__ == "__main__":
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    for figure in run(int(sys.argv[1]) if len(sys.argv) > 1 else 30):
        print(figure)

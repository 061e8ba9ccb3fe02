"""Profile execution figures: ProfileRunner against a naive setpoint-only baseline.

Figures are on the TRUE pressure the cell sees (the simulated press stepped in-process,
with noise, non-linearity and leak on), with the measured-signal figure beside it; and the
goal-accept latency through real nodes over DDS.
"""
import os
import tempfile
import threading
import time

import numpy as np

from press_control.bench.report import Figure
from press_control.dies import Die
from press_control.profile_runner import Command, ProfileRunner
from press_control.profiles import Segment
from press_control.sim.stepped import SteppedPress
from press_control.stats import percentile

DIE = Die("d10", 10.0, 500.0)
SECTION = "Profile tracking (ProfileRunner; comparison = naive setpoint-only baseline)"
MAX_RATE = 20.0


def naive(press, target, seconds):
    """Baseline: one setpoint at the largest allowed rate, then leave it to the controller."""
    press.apply(Command("set_pressure", target, MAX_RATE))
    rows = []
    while press.time_s < seconds:
        observation = press.observe()
        rows.append((press.time_s, press.true_pressure_mpa, observation.pressure_mpa))
        press.advance(0.05)
    return np.array(rows)


def p99(values):
    return percentile(np.sort(np.abs(values)), 0.99)


def ramp_and_hold(seed, hold_s):
    ours = SteppedPress(DIE, seed=seed)
    runner = ProfileRunner([Segment("ramp", 392.0, rate_mpa_s=6.0),
                            Segment("hold", 392.0, duration_s=hold_s, tolerance_mpa=1.0,
                                    settling_s=2.0)])
    rows = ours.run(runner)
    hold = rows[rows[:, 4] == 1]
    settled = hold[hold[:, 0] > hold[0, 0] + 5.0]
    base = naive(SteppedPress(DIE, seed=seed), 392.0, rows[-1, 0])
    base_hold = base[base[:, 0] > rows[rows[:, 4] == 1][0, 0] + 5.0]
    section = SECTION
    return [
        Figure(section, "ramp overshoot at 392 MPa (true)", max(0.0, rows[:, 1].max() - 392.0),
               "MPa", "<= 1", baseline=max(0.0, base[:, 1].max() - 392.0)),
        Figure(section, "hold 392 MPa p99 abs error (true)", p99(settled[:, 1] - 392.0), "MPa",
               "<= 0.5", baseline=p99(base_hold[:, 1] - 392.0)),
        Figure(section, "hold 392 MPa p99 abs error (measured)", p99(settled[:, 2] - 392.0),
               "MPa", baseline=p99(base_hold[:, 2] - 392.0)),
        Figure(section, "hold 392 MPa mean error (true)", np.mean(settled[:, 1] - 392.0),
               "MPa", baseline=np.mean(base_hold[:, 1] - 392.0))]


def regulate(seed, seconds):
    ours = SteppedPress(DIE, seed=seed, cycling=True)
    runner = ProfileRunner([Segment("regulate", 50.0, rate_mpa_s=5.0, duration_s=seconds,
                                    band_low_mpa=25.0, band_high_mpa=60.0, tolerance_mpa=0.5)])
    rows = ours.run(runner)
    start = rows[0, 0] + 20.0
    steady = rows[rows[:, 0] > start]
    base = naive(SteppedPress(DIE, seed=seed, cycling=True), 50.0, rows[-1, 0])
    base = base[base[:, 0] > start]
    return [Figure(SECTION, "regulate 50 MPa while breathing, p99 abs error (true)",
                   p99(steady[:, 1] - 50.0), "MPa", "<= 0.5", baseline=p99(base[:, 1] - 50.0)),
            Figure(SECTION, "regulate 50 MPa while breathing, p99 abs error (measured)",
                   p99(steady[:, 2] - 50.0), "MPa", baseline=p99(base[:, 2] - 50.0))]


def goal_accept_latency(goals):
    import rclpy
    from rclpy.action import ActionClient
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.parameter import Parameter

    from press_control.nodes.press_driver import PressDriverNode
    from press_control.nodes.profile_server import ProfileServerNode
    from press_control.sim.process import SimulatorProcess
    from press_control_interfaces.action import RunPressureProfile
    from press_control_interfaces.msg import ProfileSegment

    os.environ.setdefault("ROS_DOMAIN_ID", str(150 + os.getpid() % 50))
    latencies = []
    with SimulatorProcess(tempfile.mkdtemp(prefix="bench_sim_")) as sim:
        rclpy.init()
        driver = PressDriverNode(parameter_overrides=[
            Parameter("port", value=sim.config.press_path),
            Parameter("arm_interlock", value=False)])
        server = ProfileServerNode(parameter_overrides=[
            Parameter("record_dir", value=tempfile.mkdtemp(prefix="bench_runs_")),
            Parameter("require_loaded_cell", value=False)])
        node = rclpy.create_node("bench_client")
        client = ActionClient(node, RunPressureProfile, "run_profile")
        executor = MultiThreadedExecutor(num_threads=6)
        for each in (driver, server, node):
            executor.add_node(each)
        threading.Thread(target=executor.spin, daemon=True).start()
        try:
            client.wait_for_server(timeout_sec=30.0)
            time.sleep(1.0)
            while server.readiness_problem():
                time.sleep(0.1)
            goal = RunPressureProfile.Goal(cell_id="bench", die_id="d10", segments=[
                ProfileSegment(type=ProfileSegment.RAMP, target_mpa=5.0, rate_mpa_s=5.0),
                ProfileSegment(type=ProfileSegment.RELEASE, target_mpa=0.0, rate_mpa_s=20.0)])
            for _ in range(goals):
                sent = time.monotonic()
                future = client.send_goal_async(goal)
                while not future.done():
                    time.sleep(0.0005)
                latencies.append(time.monotonic() - sent)
                handle = future.result()
                result = handle.get_result_async()
                while not result.done():
                    time.sleep(0.01)
        finally:
            executor.shutdown()
            rclpy.try_shutdown()
    return np.sort(latencies)


def run(hold_s: float = 120.0, regulate_s: float = 240.0, goals: int = 20,
        seed: int = 1) -> list:
    """Tracking figures against the baseline and the goal-accept latency."""
    figures = ramp_and_hold(seed, hold_s) + regulate(seed, regulate_s)
    latencies = goal_accept_latency(goals)
    section = "Action server"
    figures += [Figure(section, f"goal accepted after, p50 of {len(latencies)}",
                       percentile(latencies, 0.5) * 1e3, "ms"),
                Figure(section, f"goal accepted after, p99 of {len(latencies)}",
                       percentile(latencies, 0.99) * 1e3, "ms", "<= 50")]
    return figures

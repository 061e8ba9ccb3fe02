"""The action server's goal-acceptance time, measured over ROS against a simulated press.

The bench's figures are made from it in press_control.app.bench.profiles. The nodes are
placed as bringup places them: driver, server and client each on an executor and thread of
its own (ros/node_host.py), run_recorder in a process of its own.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

import rclpy
from rclpy.executors import MultiThreadedExecutor
from rclpy.parameter import Parameter

from press_control.ros.rclpy_internals import LockedActionClient
from press_control.ros.press_driver import PressDriverNode
from press_control.ros.profile_server import ProfileServerNode
from press_control.children import ends_with_parent
from press_control.ros.spin import ExecutorThread
from press_control.sim.process import SimulatorProcess
from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import ProfileSegment


def goal_accept_latency(goals):
    """Seconds from sending each of `goals` small goals to its acceptance, in sending order.

    The first goal goes out the moment the server says it is ready (it has seen the
    driver's state and a command round trip): no pause for discovery.
    """
    os.environ.setdefault("ROS_DOMAIN_ID", str(150 + os.getpid() % 50))
    latencies = []
    with SimulatorProcess() as sim, \
            tempfile.TemporaryDirectory(prefix="bench_runs_") as records:
        rclpy.init()
        driver = PressDriverNode(parameter_overrides=[
            Parameter("port", value=sim.config.press_path),
            Parameter("arm_interlock", value=False)])
        server = ProfileServerNode(parameter_overrides=[
            Parameter("require_loaded_cell", value=False)])
        recorder = subprocess.Popen(                            # no plots: not measured here
            [sys.executable, "-m", "press_control.ros.run_recorder", "--ros-args",
             "-p", f"record_dir:={records}", "-p", "record_plot:=false"],
            preexec_fn=ends_with_parent(signal.SIGINT))
        node = rclpy.create_node("bench_client")
        client = LockedActionClient(node, RunPressureProfile, "run_profile")
        spinners = []
        for each, threads in ((driver, 4), (server, 4), (node, 2)):
            executor = MultiThreadedExecutor(num_threads=threads)
            executor.add_node(each)
            spinners.append(ExecutorThread(executor, each.get_name()).start())
        try:
            if not client.wait_for_server(timeout_sec=60.0):
                raise RuntimeError("no run_profile server after 60 s")
            deadline = time.monotonic() + 60.0
            while server.readiness_problem():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not ready: {server.readiness_problem()}")
                time.sleep(0.005)
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
                if not handle.accepted:
                    raise RuntimeError("bench goal refused (the server logged why)")
                result = handle.get_result_async()
                while not result.done():
                    time.sleep(0.01)
        finally:
            server.end_goals()
            driver.release_and_close("bench done")
            for spinner in spinners:
                spinner.stop()
            for each in (node, server, driver):
                each.destroy_node()
            rclpy.try_shutdown()
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=30)
    return latencies

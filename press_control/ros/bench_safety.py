"""Safety-path measurements over ROS against press_driver in its own process.

The bench's figures are made from them in press_control.app.bench.safety.
"""
import subprocess
import sys
import threading
import time

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import MultiThreadedExecutor
from std_srvs.srv import Trigger

from press_control.ros.spin import ExecutorThread
from press_control.sim.process import SimulatorProcess
from press_control_interfaces.msg import ArmHeartbeat
from press_control_interfaces.srv import PressCommand


def _wait(condition, timeout_s=10.0, period_s=0.0005):
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        time.sleep(period_s)


def measure_safety_paths(samples: int):
    """(e-stop call times, arm-inside-to-permit-cleared times, driver diagnostics)."""
    with SimulatorProcess() as sim:
        driver = subprocess.Popen(
            [sys.executable, "-m", "press_control.ros.press_driver", "--ros-args",
             "-p", f"port:={sim.config.press_path}", "-p", "arm_interlock:=true",
             "-r", "__ns:=/bench_safety"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rclpy.init()
        node = rclpy.create_node("bench_safety", namespace="/bench_safety")
        estop = node.create_client(Trigger, "estop")
        reset = node.create_client(Trigger, "reset_fault")
        command = node.create_client(PressCommand, "command")
        arm = node.create_publisher(ArmHeartbeat, "handling/arm", 10)
        diagnostics = {}

        def on_diagnostics(message):
            for status in message.status:
                if status.name.startswith("/bench_safety/press_driver"):
                    diagnostics.update({kv.key: kv.value for kv in status.values})
        node.create_subscription(DiagnosticArray, "/diagnostics", on_diagnostics, 10)
        executor = MultiThreadedExecutor(num_threads=4)
        executor.add_node(node)
        spinner = ExecutorThread(executor).start()
        pose = {"inside": False}
        stop = threading.Event()

        def heartbeat():
            while not stop.wait(0.1):
                arm.publish(ArmHeartbeat(arm_id="bench_arm", in_workspace=pose["inside"]))

        def command_stream():
            while not stop.wait(0.02):
                command.call_async(PressCommand.Request(
                    command=PressCommand.Request.SET_TEMPERATURE, target_c=30.0))

        def call(client, request):
            answered = threading.Event()
            future = client.call_async(request)
            future.add_done_callback(lambda _: answered.set())
            if not answered.wait(10.0):
                raise TimeoutError("no reply from press_driver")
            return future.result()

        threading.Thread(target=heartbeat, daemon=True).start()
        estop_s, permit_s = [], []
        try:
            for client in (estop, reset, command):
                client.wait_for_service(timeout_sec=60.0)
            _wait(lambda: sim.truth()["motion_permit"] == 1, timeout_s=60.0, period_s=0.05)
            for _ in range(samples):                          # arm enters -> permit cleared
                _wait(lambda: sim.truth()["motion_permit"] == 1, period_s=0.01)
                pose["inside"] = True
                sent = time.monotonic()
                arm.publish(ArmHeartbeat(arm_id="bench_arm", in_workspace=True))
                _wait(lambda: sim.truth()["motion_permit"] == 0)
                permit_s.append(time.monotonic() - sent)
                pose["inside"] = False
            threading.Thread(target=command_stream, daemon=True).start()
            for sample in range(samples + 1):                 # e-stop behind a stream
                sent = time.monotonic()
                reply = call(estop, Trigger.Request())
                if sample:                                    # the first call finds the path
                    estop_s.append(time.monotonic() - sent)
                if not reply.success:
                    raise RuntimeError(f"e-stop refused: {reply.message}")
                _wait(lambda: sim.truth()["fault_code"] == 2, period_s=0.005)
                call(reset, Trigger.Request())
                _wait(lambda: sim.truth()["fault_code"] == 0, period_s=0.005)
            time.sleep(1.5)                                   # one more /diagnostics
        finally:
            stop.set()
            spinner.stop()
            node.destroy_node()
            rclpy.try_shutdown()
            driver.terminate()
            driver.wait(timeout=10)
    return sorted(estop_s), sorted(permit_s), diagnostics

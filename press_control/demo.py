"""The README's run command: the whole system on the simulator, one cell from start to end.

The simulator runs in its own process (it is the press) and press_driver in another: the
safety-critical heartbeat must not share an interpreter lock with analysis work, as with
`ros2 launch`. profile_server and interface_monitor run here. The demo sends the
`demo_cell` profile through the run_profile action: densify at 392 MPa, attach the anode
at 25 MPa while the interface resistance falls, hold 50 MPa stack pressure while the cell
breathes, release. It prints progress, then a summary of what the cell really saw (the
simulator's true pressure) beside the measured figures.
"""
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

FULL_SEQUENCE = ["sulfide_densify_392", "li_anode_creep_25", "stack_cycling_50"]


class TruthLog:
    """Samples the simulator's true state whenever feedback arrives."""

    def __init__(self, sim, on_cycling):
        self.sim = sim
        self.on_cycling = on_cycling
        self.rows = []
        self.cycling = False
        self.anode = False

    def on_feedback(self, feedback, preset):
        truth = self.sim.truth()
        self.rows.append((preset, feedback.segment_index, feedback.segment_type,
                          feedback.phase, feedback.setpoint_mpa, truth["pressure_mpa"],
                          truth["interface_resistance_ohm"], truth["relative_density"]))
        if preset == "demo_cell" and feedback.segment_index == 3 and not self.anode:
            self.sim.inject("attach_anode")            # fresh Li foil on the pellet
            self.anode = True
        regulating = feedback.segment_type == 3
        if regulating != self.cycling:                # the cell cycles (breathes) only
            self.sim.inject("cycling", "on" if regulating else "off")   # under stack pressure
            self.on_cycling(regulating)
            self.cycling = regulating

    def figures(self, target_mpa: float):
        rows = [r for r in self.rows if r[3] == "holding" and abs(r[4] - target_mpa) < 2.0]
        true = np.array([r[5] for r in rows])
        if not len(true):
            return math.nan, math.nan
        return float(np.percentile(np.abs(true - target_mpa), 99)), float(true.mean())


def run_demo(args) -> int:
    import rclpy
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.parameter import Parameter

    from std_msgs.msg import Bool

    from press_control.nodes.interface_monitor import InterfaceMonitorNode
    from press_control.resources import config_path
    from press_control.nodes.profile_server import ProfileServerNode
    from press_control.profile_client import OUTCOME_NAMES, GoalRejected, ProfileClient
    from press_control.progress import progress_line, summary_lines
    from press_control.sim.process import SimulatorProcess
    from press_control_interfaces.action import RunPressureProfile
    from press_control_interfaces.msg import InterfaceEvent

    os.environ.setdefault("ROS_DOMAIN_ID", str(100 + os.getpid() % 100))
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    sim = SimulatorProcess(tempfile.mkdtemp(prefix="press_demo_"), seed=args.seed).start()
    print(f"simulator: press {sim.config.press_path}, analyzer {sim.config.analyzer_path}")
    driver = subprocess.Popen(
        [sys.executable, "-m", "press_control.nodes.press_driver", "--ros-args",
         "--params-file", config_path("press_driver.yaml"),
         "-p", f"port:={sim.config.press_path}"])
    rclpy.init()
    server = ProfileServerNode(parameter_overrides=[
        Parameter("record_dir", value=os.path.abspath(args.record_dir))])
    monitor = InterfaceMonitorNode(parameter_overrides=[
        Parameter("lcr_port", value=sim.config.analyzer_path),
        Parameter("cell_id", value=args.cell), Parameter("sweep_period_s", value=5.0)])
    node = rclpy.create_node("press_demo")
    events = []
    node.create_subscription(InterfaceEvent, "interface/events", events.append, 50)
    cycling = node.create_publisher(Bool, "interface/cycling", 10)
    executor = MultiThreadedExecutor(num_threads=8)
    for each in (server, monitor, node):
        executor.add_node(each)
    threading.Thread(target=executor.spin, daemon=True).start()
    truth = TruthLog(sim, lambda on: cycling.publish(Bool(data=on)))
    start_truth = sim.truth()
    results = []
    try:
        client = ProfileClient(node)
        if not client.wait_for_server(30.0):
            print("demo: run_profile did not come up", file=sys.stderr)
            return 1
        deadline = time.monotonic() + 60.0
        while server.readiness_problem() and time.monotonic() < deadline:
            time.sleep(0.1)
        if server.readiness_problem():
            print(f"demo: press not ready: {server.readiness_problem()}", file=sys.stderr)
            return 1
        plan = FULL_SEQUENCE if args.full else ["demo_cell"]
        for preset in plan:
            cancel = threading.Event()
            if preset == "li_anode_creep_25":
                sim.inject("attach_anode")             # fresh Li foil on the pellet
            if preset == "stack_cycling_50":          # open-ended: cycle for 5 min, then stop
                threading.Timer(300.0, cancel.set).start()
            print(f"\n== {preset} on cell {args.cell}")

            def show(feedback, preset=preset):
                truth.on_feedback(feedback, preset)
                print("\r" + progress_line(feedback, 6), end="", flush=True)
            goal = RunPressureProfile.Goal(preset=preset, cell_id=args.cell, die_id="d10")
            try:
                result = client.run(goal, on_feedback=show, cancel_event=cancel)
            except GoalRejected as rejection:
                print(f"\ndemo: {rejection}", file=sys.stderr)
                return 1
            print("\n" + "\n".join(summary_lines(result, OUTCOME_NAMES)))
            results.append((preset, result))
            expected = RunPressureProfile.Result.CANCELED if preset == "stack_cycling_50" \
                else RunPressureProfile.Result.SUCCEEDED
            if result.outcome != expected:
                return 1
        end_truth = sim.truth()
        p99, mean = truth.figures(392.0)
        peak_true = max((r[5] for r in truth.rows), default=math.nan)
        r_attach = [r[6] for r in truth.rows if abs(r[4] - 25.0) < 1.0 and r[3] == "holding"]
        print("\n== summary (true = what the cell saw in the simulator)")
        print(f"peak pressure: true {peak_true:.2f} MPa, measured "
              f"{max(r.peak_mpa for _, r in results):.2f} MPa; overshoot at 392 MPa "
              f"{max(0.0, peak_true - 392.0):.2f} MPa (true)")
        print(f"hold at 392 MPa: true mean {mean:.2f} MPa, p99 |error| {p99:.2f} MPa")
        if r_attach:
            print(f"interface resistance during Li attach: {r_attach[0]:.0f} -> "
                  f"{r_attach[-1]:.1f} ohm (true)")
        print(f"interface resistance start {start_truth['interface_resistance_ohm']:.0f} ohm, "
              f"end {end_truth['interface_resistance_ohm']:.1f} ohm; relative density "
              f"{start_truth['relative_density']:.3f} -> {end_truth['relative_density']:.3f}")
        print("events: " + (", ".join(
            f"{e.event} {'raised' if e.active else 'cleared'} ({e.detail})" for e in events)
            or "none"))
        for preset, result in results:
            print(f"record ({preset}): {result.record_dir}")
        print(f"press released: true {end_truth['pressure_mpa']:.2f} MPa")
        return 0
    finally:
        executor.shutdown(timeout_sec=2.0)
        for each in (server, monitor, node):
            each.destroy_node()
        rclpy.try_shutdown()
        driver.send_signal(signal.SIGINT)            # the driver releases on shutdown
        try:
            driver.wait(timeout=10)
        except subprocess.TimeoutExpired:
            driver.kill()
        sim.stop()

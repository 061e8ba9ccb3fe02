"""The README's run command: simulator + press driver, one pressing cycle through ROS.

Until the profile server and the arm handshake land, the demo commands the driver's
`command` service directly: ramp, hold, release, and reports what the cell really saw.
"""
import tempfile
import threading
import time


def run_demo(args) -> int:
    import rclpy
    from rclpy.executors import MultiThreadedExecutor
    from rclpy.parameter import Parameter

    from press_control.nodes.press_driver import PressDriverNode
    from press_control.sim.simulator import Simulator, SimulatorConfig
    from press_control_interfaces.msg import PressState
    from press_control_interfaces.srv import PressCommand

    directory = tempfile.mkdtemp(prefix="press_demo_")
    simulator = Simulator(SimulatorConfig(directory=directory, seed=args.seed)).start()
    print(f"simulator: press on {simulator.config.press_path}, "
          f"analyzer on {simulator.config.analyzer_path}")
    rclpy.init()
    driver = PressDriverNode(parameter_overrides=[
        Parameter("port", value=simulator.config.press_path)])
    client = rclpy.create_node("press_demo")
    states = []
    client.create_subscription(PressState, "state", states.append, 10)
    commands = client.create_client(PressCommand, "command")
    executor = MultiThreadedExecutor()
    for node in (driver, client):
        executor.add_node(node)
    threading.Thread(target=executor.spin, daemon=True).start()

    def command(kind, target, rate):
        future = commands.call_async(PressCommand.Request(command=kind, target_mpa=target,
                                                          rate_mpa_s=rate))
        while not future.done():
            time.sleep(0.01)
        return future.result()

    peak_true = peak_measured = 0.0
    ok = commands.wait_for_service(timeout_sec=20.0) and driver.active
    deadline = time.monotonic() + 20.0
    while ok and not states and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        if not ok:
            print("demo: the press driver did not come up")
            return 1
        reply = command(PressCommand.Request.SET_PRESSURE, args.target_mpa, args.rate_mpa_s)
        if not reply.accepted:
            print(f"demo: ramp refused: {reply.reason}")
            return 1
        started = time.monotonic()
        hold_until = None
        while True:
            now = time.monotonic()
            truth = simulator.truth()
            measured = states[-1].pressure_mpa if states else float("nan")
            peak_true = max(peak_true, truth["pressure_mpa"])
            peak_measured = max(peak_measured, measured)
            if hold_until is None and truth["pressure_mpa"] > args.target_mpa - 1.0:
                hold_until = now + args.hold_s
            print(f"\r t={now - started:6.1f} s  measured {measured:7.2f} MPa  "
                  f"true {truth['pressure_mpa']:7.2f} MPa  mode {truth['mode']:<8} "
                  f"density {truth['relative_density']:.3f}", end="", flush=True)
            if hold_until is not None and now > hold_until:
                break
            if now - started > args.timeout_s:
                print("\ndemo: target not reached in time")
                return 1
            time.sleep(0.2)
        reply = command(PressCommand.Request.RELEASE, 0.0, args.rate_mpa_s)
        while reply.accepted and simulator.true_pressure_mpa() > 0.5:
            time.sleep(0.1)
        truth = simulator.truth()
        print(f"\nsummary: target {args.target_mpa:g} MPa; peak true {peak_true:.2f} MPa "
              f"(overshoot {max(peak_true - args.target_mpa, 0):.2f}), peak measured "
              f"{peak_measured:.2f} MPa; relative density {truth['relative_density']:.3f}; "
              f"interface resistance {truth['interface_resistance_ohm']:.1f} ohm; "
              f"released to {truth['pressure_mpa']:.2f} MPa")
        return 0 if reply.accepted else 1
    finally:
        executor.shutdown(timeout_sec=2.0)
        driver.destroy_node()
        client.destroy_node()
        rclpy.try_shutdown()
        simulator.stop()

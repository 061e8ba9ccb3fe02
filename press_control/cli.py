"""Operator command line `pressctl`: run profiles, watch the press, run the demo."""
import argparse
import signal
import sys
import threading
import time


def _spin_node(name: str, namespace: str):
    """A node spun in a background thread, and the function that ends it all cleanly."""
    import rclpy
    from rclpy.executors import MultiThreadedExecutor
    rclpy.init()
    node = rclpy.create_node(name, namespace=namespace)
    executor = MultiThreadedExecutor()
    executor.add_node(node)
    spinner = threading.Thread(target=executor.spin, daemon=True)
    spinner.start()

    def close():
        executor.shutdown(timeout_sec=2.0)
        spinner.join(timeout=5.0)        # no rclpy thread may outlive the interpreter
        node.destroy_node()
        rclpy.try_shutdown()
    return node, close


def run_profile(args: argparse.Namespace) -> int:
    from press_control.profile_client import OUTCOME_NAMES, GoalRejected, ProfileClient
    from press_control.progress import progress_line, summary_lines
    from press_control_interfaces.action import RunPressureProfile

    node, close = _spin_node("pressctl", args.namespace)
    cancel = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: (cancel.set(), print(
        "\ncanceling: the press releases at its safe rate...", file=sys.stderr)))
    try:
        client = ProfileClient(node)
        if not client.wait_for_server(args.wait_s):
            print(f"pressctl: no run_profile server in namespace '{args.namespace}'",
                  file=sys.stderr)
            return 2
        goal = RunPressureProfile.Goal(preset=args.preset, cell_id=args.cell,
                                       die_id=args.die, hold_scale=args.hold_scale)
        segments = [0]

        def show(feedback):
            segments[0] = max(segments[0], feedback.segment_index + 1)
            print("\r" + progress_line(feedback, segments[0]), end="", flush=True)
        try:
            result = client.run(goal, on_feedback=show, cancel_event=cancel)
        except GoalRejected as rejection:
            print(f"pressctl: {rejection}", file=sys.stderr)
            return 3
        print()
        print("\n".join(summary_lines(result, OUTCOME_NAMES)))
        return 0 if result.outcome == RunPressureProfile.Result.SUCCEEDED else 1
    finally:
        close()


def set_die(args: argparse.Namespace) -> int:
    """Tell press_driver which die was fitted (refused unless released, unowned, arm clear)."""
    from press_control_interfaces.srv import SetInstalledDie

    node, close = _spin_node("pressctl", args.namespace)
    try:
        client = node.create_client(SetInstalledDie, "set_installed_die")
        if not client.wait_for_service(timeout_sec=args.wait_s):
            print(f"pressctl: no press_driver in namespace '{args.namespace}'", file=sys.stderr)
            return 2
        reply = _call_idempotent(client, SetInstalledDie.Request(die_id=args.die), args.wait_s)
        if reply is None:
            print("pressctl: press_driver did not answer", file=sys.stderr)
            return 2
        print(f"pressctl: {reply.message}", file=sys.stdout if reply.success else sys.stderr)
        return 0 if reply.success else 3
    finally:
        close()


def _call_idempotent(client, request, wait_s: float, resend_s: float = 2.0):
    """The reply to an idempotent request, resent while unanswered; None after wait_s.

    A service that has only just been discovered may not yet have discovered our reply
    reader, and DDS drops a reply sent before that; asking again is harmless here.
    """
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        answered = threading.Event()
        future = client.call_async(request)
        future.add_done_callback(lambda _: answered.set())
        if answered.wait(min(resend_s, max(0.0, deadline - time.monotonic()))):
            return future.result()
        client.remove_pending_request(future)
    return None


def _demo(args: argparse.Namespace) -> int:
    from press_control.demo import run_demo
    return run_demo(args)


def _bench(args: argparse.Namespace) -> int:
    from press_control.bench.run import run_benchmarks
    return run_benchmarks(args.out, quick=args.quick)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pressctl", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run-profile", help="run a preset on the press (action client)")
    run.add_argument("preset", help="preset name from profiles.yaml, e.g. sulfide_densify_392")
    run.add_argument("--cell", required=True, help="cell id (names the run record)")
    run.add_argument("--die", default="", help="die id (default: the die in the press)")
    run.add_argument("--hold-scale", type=float, default=0.0,
                     help="shorten holds by this factor (0 or 1 = as written)")
    run.add_argument("--namespace", default="", help="namespace of the press, e.g. press_1")
    run.add_argument("--wait-s", type=float, default=20.0, help="wait this long for the server")
    run.set_defaults(handler=run_profile)
    die = commands.add_parser("set-die", help="record the die fitted in the press "
                              "(only while released, unowned and the arm clear)")
    die.add_argument("die", help="die id from the die table, e.g. d13")
    die.add_argument("--namespace", default="", help="namespace of the press, e.g. press_1")
    die.add_argument("--wait-s", type=float, default=20.0, help="wait this long for the driver")
    die.set_defaults(handler=set_die)
    demo = commands.add_parser("demo", help="run the whole system against the built-in simulator")
    demo.add_argument("--full", action="store_true",
                      help="the full-length profile (full_cell, about 25 min a cell) instead "
                           "of demo_cell")
    demo.add_argument("--cells", type=int, default=1, help="cells the demo arm presses")
    demo.add_argument("--seed", type=int, default=0, help="simulator noise seed")
    demo.add_argument("--cell", default="demo-cell",
                      help="cell id prefix (cells are <prefix>-1, <prefix>-2, ...)")
    demo.add_argument("--record-dir", default="runs", help="where run records go")
    demo.set_defaults(handler=_demo)
    bench = commands.add_parser("bench", help="measure speed, accuracy and safety figures "
                                "against the simulator; write report.json and report.md")
    bench.add_argument("--out", default="bench_report", help="folder of the report")
    bench.add_argument("--quick", action="store_true", help="shorter runs (about 3 min)")
    bench.set_defaults(handler=_bench)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())

"""Operator command line `pressctl`: run profiles, calibrate dies, list records, run the demo."""
import argparse
import sys
import threading


def _with_operator(namespace: str, work, cancel: threading.Event = None):
    """(work(operator), None), or (None, exit code) with the reason printed.

    2 when no node answers or the result is lost, 3 when the goal is rejected. With
    `cancel`, SIGINT and SIGTERM set it (a goal then ends with a controlled release).
    """
    from press_control.ros.operator import GoalRejected, NoAnswer, PressOperator
    from press_control.ros.profile_client import ResultLost
    from press_control.stop_signals import call_on_signals

    operator = PressOperator(namespace)
    if cancel is not None:          # after rclpy's own handlers, so that ours win
        def on_signal(_):
            cancel.set()
            print("\ncanceling: the press releases at its safe rate...", file=sys.stderr)
        call_on_signals(on_signal)
    try:
        return work(operator), None
    except (NoAnswer, ResultLost) as missing:
        print(f"\npressctl: {missing}", file=sys.stderr)
        return None, 2
    except GoalRejected as rejection:
        print(f"pressctl: {rejection}", file=sys.stderr)
        return None, 3
    finally:
        operator.close()


def run_profile(args: argparse.Namespace) -> int:
    from press_control.app.progress import ProgressView, summary_lines
    from press_control.control.profile_runner import SUCCEEDED
    from press_control.ros.profile_client import OUTCOME_NAMES

    cancel = threading.Event()
    view = ProgressView(quiet=args.quiet)
    try:
        result, failed = _with_operator(args.namespace, lambda operator: operator.run_profile(
            args.preset, args.cell, args.die, args.hold_scale, args.wait_s,
            on_feedback=view.update, cancel_event=cancel,
            stack=(args.electrolyte, args.mass_mg, args.anode)), cancel)
    finally:
        view.close()
    if failed:
        return failed
    print("\n".join(summary_lines(result, OUTCOME_NAMES)))
    return 0 if OUTCOME_NAMES.get(result.outcome) == SUCCEEDED else 1


def set_die(args: argparse.Namespace) -> int:
    """Tell press_driver which die was fitted (refused unless released, unowned, arm clear)."""
    reply, failed = _with_operator(args.namespace,
                                   lambda operator: operator.set_die(args.die, args.wait_s))
    if failed:
        return failed
    print(f"pressctl: {reply.message}", file=sys.stdout if reply.success else sys.stderr)
    return 0 if reply.success else 3


def calibrate_die(args: argparse.Namespace) -> int:
    """Punch-on-punch calibration of the installed die, stored for interface_monitor."""
    import datetime
    from press_control.analysis.die_calibration import (DieCalibrationError,
                                                        calibration_from_holds,
                                                        empty_die_problem, plan_levels_mpa,
                                                        save_calibration)
    from press_control.app.progress import ProgressView
    from press_control.control.profile_runner import SUCCEEDED
    from press_control.ros.profile_client import OUTCOME_NAMES

    if not args.empty_die:
        print("pressctl: calibrate-die presses the die EMPTY, punches touching, up to "
              f"{args.top_mpa:g} MPa; confirm with --empty-die", file=sys.stderr)
        return 2
    try:
        plan_levels_mpa(args.top_mpa, args.levels)
    except ValueError as error:
        print(f"pressctl: {error}", file=sys.stderr)
        return 2
    cancel = threading.Event()
    view = ProgressView()
    try:
        ran, failed = _with_operator(args.namespace, lambda operator: operator.calibrate_die(
            args.die, args.top_mpa, args.levels, args.hold_s, wait_s=args.wait_s,
            cancel_event=cancel, on_feedback=view.update), cancel)
    finally:
        view.close()
    if failed:
        return failed
    result, holds = ran
    if OUTCOME_NAMES.get(result.outcome) != SUCCEEDED:
        print(f"pressctl: calibration run ended {OUTCOME_NAMES.get(result.outcome)}: "
              f"{result.reason}; nothing written", file=sys.stderr)
        return 1
    try:
        calibration = calibration_from_holds(args.die, holds,
                                             datetime.date.today().isoformat(), args.press)
    except DieCalibrationError as error:
        print(f"pressctl: {error}; nothing written", file=sys.stderr)
        return 1
    problem = empty_die_problem(calibration)
    if problem:
        print(f"pressctl: {problem}; nothing written", file=sys.stderr)
        return 1
    compliance_mm = calibration.empty_position_mm[0] - calibration.empty_position_mm[-1]
    path = save_calibration(args.dir, calibration)
    print(f"pressctl: die {args.die}: {len(calibration.force_kn)} levels up to "
          f"{calibration.force_kn[-1]:.2f} kN, {compliance_mm * 1000:.1f} um of compliance; "
          f"written to {path}")
    return 0


def measure_force_table(args: argparse.Namespace) -> int:
    from press_control.app.force_table_cli import measure, parse_levels

    try:
        parse_levels(args.levels_kn)
    except ValueError as error:
        print(f"pressctl: {error}", file=sys.stderr)
        return 2
    cancel = threading.Event()
    code, failed = _with_operator(
        args.namespace, lambda operator: measure(args, operator, cancel=cancel), cancel)
    return failed or code


def _demo(args: argparse.Namespace) -> int:
    from press_control.app.demo import run_demo
    return run_demo(args)


def _bench(args: argparse.Namespace) -> int:
    from press_control.app.bench.run import run_benchmarks
    return run_benchmarks(args.out, quick=args.quick, quiet=args.quiet)


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
    run.add_argument("--electrolyte", default="",
                     help="electrolyte in the die, e.g. li6ps5cl (its density)")
    run.add_argument("--mass-mg", type=float, default=0.0,
                     help="electrolyte powder mass in mg (the monitor's relative density)")
    run.add_argument("--quiet", action="store_true",
                     help="no progress: only the result (for scripts)")
    run.add_argument("--anode", default="",
                     help="anode in the die: none, li_metal, li_in (caps the platen temperature)")
    run.set_defaults(handler=run_profile)
    die = commands.add_parser("set-die", help="record the die fitted in the press "
                              "(only while released, unowned and the arm clear)")
    die.add_argument("die", help="die id from the die table, e.g. d13")
    die.add_argument("--namespace", default="", help="namespace of the press, e.g. press_1")
    die.add_argument("--wait-s", type=float, default=20.0, help="wait this long for the driver")
    die.set_defaults(handler=set_die)
    calibrate = commands.add_parser(
        "calibrate-die", help="punch-on-punch calibration of the installed die (empty, "
        "punches touching): interface_monitor's thickness and density use it")
    calibrate.add_argument("die", help="die id of the installed die, e.g. d10")
    calibrate.add_argument("--empty-die", action="store_true",
                           help="confirm the die is empty with its punches touching")
    calibrate.add_argument("--top-mpa", type=float, default=392.0,
                           help="highest level (at least the highest pressure you will use)")
    calibrate.add_argument("--levels", type=int, default=8, help="hold levels (3 or more)")
    calibrate.add_argument("--hold-s", type=float, default=4.0, help="each level's hold")
    calibrate.add_argument("--dir", default="~/.ros/press_control/dies",
                           help="calibration folder (interface_monitor's die_calibration_dir)")
    calibrate.add_argument("--press", default="", help="press name recorded in the file")
    calibrate.add_argument("--namespace", default="", help="namespace of the press, e.g. press_1")
    calibrate.add_argument("--wait-s", type=float, default=20.0,
                           help="wait this long for the server")
    calibrate.set_defaults(handler=calibrate_die)
    from press_control.app.force_table_cli import add_parser as add_force_table_parser
    add_force_table_parser(commands, measure_force_table)
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
    bench.add_argument("--quiet", action="store_true",
                       help="print only the report's paths (the exit status tells if every "
                            "target was met; report.json has the figures)")
    bench.set_defaults(handler=_bench)
    from press_control.app.runs import add_parsers
    add_parsers(commands, "~/.ros/press_control/runs")
    from press_control.app.campaign_cli import add_parser as add_campaign_parser
    add_campaign_parser(commands)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())

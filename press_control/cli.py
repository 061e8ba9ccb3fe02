"""Operator command line `pressctl`: run the demo, and later profiles and status views."""
import argparse
import sys


def _demo(args: argparse.Namespace) -> int:
    from press_control.demo import run_demo
    return run_demo(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pressctl", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the whole system against the built-in simulator")
    demo.add_argument("--target-mpa", type=float, default=150.0,
                      help="pressure on the sample (392 for full densification)")
    demo.add_argument("--rate-mpa-s", type=float, default=20.0, help="ramp rate")
    demo.add_argument("--hold-s", type=float, default=3.0, help="hold time")
    demo.add_argument("--timeout-s", type=float, default=150.0, help="give up after this")
    demo.add_argument("--seed", type=int, default=0, help="simulator noise seed")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())

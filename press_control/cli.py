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
    demo.add_argument("--seconds", type=float, default=20.0, help="how long the demo runs")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())

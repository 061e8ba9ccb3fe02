"""`bringup`: a whole press cell from one command, with the parameter file the launch uses.

Starts the simulator (optional, its own process: it is the press), press_driver (its own
process by default, so its heartbeat never waits on another node's interpreter lock),
profile_server and interface_monitor (in this process) and optionally demo_arm (its own
process, as a robot is its own machine), all from config/press_cell.yaml or --params-file.
Ctrl-C stops everything; the driver releases the press on its way out.
launch/press_cell.launch.py starts the same nodes for `ros2 launch`.
"""
import argparse
import signal
import sys
import threading

from press_control.app.press_cell import PressCell
from press_control.resources import config_path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bringup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--params-file", default=config_path("press_cell.yaml"),
                        help="parameter file of every node (default: config/press_cell.yaml)")
    parser.add_argument("--namespace", default="", help="namespace of this press, e.g. press_1")
    parser.add_argument("--no-sim", dest="use_sim", action="store_false",
                        help="real hardware: do not start the simulator")
    parser.add_argument("--sim-dir", default=None, help="folder of the simulator's devices")
    parser.add_argument("--seed", type=int, default=0, help="simulator noise seed")
    parser.add_argument("--press-port", default="", help="press serial device (overrides)")
    parser.add_argument("--lcr-port", default="", help="analyzer serial device (overrides)")
    parser.add_argument("--demo-arm", action="store_true", help="start the demo arm too")
    parser.add_argument("--cells", type=int, default=1, help="cells the demo arm presses")
    parser.add_argument("--preset", default="demo_cell", help="preset the demo arm runs")
    parser.add_argument("--record-dir", default="", help="run records (overrides)")
    parser.add_argument("--no-arm-interlock", dest="arm_interlock", action="store_false",
                        help="a press without a robot arm: no arm heartbeat, no handshake")
    parser.add_argument("--driver-in-process", action="store_true",
                        help="run press_driver in this process too (default: its own)")
    parser.add_argument("--exit-when-done", action="store_true",
                        help="with --demo-arm: stop once the arm has done its cells")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    cell = PressCell(params_file=args.params_file, namespace=args.namespace,
                     use_sim=args.use_sim, sim_dir=args.sim_dir, seed=args.seed,
                     press_port=args.press_port, lcr_port=args.lcr_port,
                     demo_arm=args.demo_arm, arm_parameters={
                         "cells": args.cells, "preset": args.preset, "seed": args.seed},
                     record_dir=args.record_dir, arm_interlock=args.arm_interlock,
                     driver_in_process=args.driver_in_process)
    stop = threading.Event()
    cell.start()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        problem = cell.wait_ready(arm_needed=False)
        if cell.exited_node():
            print(f"bringup: cannot start: {cell.exited_node()} (its log is above); "
                  "stopping", file=sys.stderr, flush=True)
            return 1
        waiting = " (an arm's heartbeat on handling/arm clears the workspace)" \
            if args.arm_interlock and not args.demo_arm else ""
        print(f"bringup: {'ready' + waiting if not problem else 'not ready: ' + problem}",
              flush=True)
        while not stop.wait(0.2):
            if args.exit_when_done and cell.arm is not None and cell.arm.poll() is not None:
                break
            if cell.exited_node():
                print(f"bringup: {cell.exited_node()}; stopping", file=sys.stderr, flush=True)
                return 1
        if cell.arm is not None and args.exit_when_done:
            for outcome in cell.arm_results():
                print(f"{outcome['cell_id']}: {outcome['outcome']} - {outcome['reason']}")
            return cell.arm.returncode
        return 0
    finally:
        cell.stop()


if __name__ == "__main__":
    sys.exit(main())

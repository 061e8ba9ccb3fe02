"""`bringup`: a whole press cell from one command, with the parameter file the launch uses.

Starts the simulator (optional, its own process: it is the press), press_driver (its own
process by default, so its heartbeat never waits on another node's interpreter lock),
profile_server and interface_monitor (in this process), press_panel (the operators' web
page, its own process) and optionally demo_arm (its own process, as a robot is its own
machine), all from config/press_cell.yaml or --params-file. It prints the panel's address
and its control token.
Ctrl-C stops everything; the driver releases the press on its way out.
launch/press_cell.launch.py starts the same nodes for `ros2 launch`.
"""
import argparse
import sys
import threading

from press_control.app.press_cell import PressCell
from press_control.panel.token import TokenProblem, load_or_create_token
from press_control.resources import config_path
from press_control.sim.cell import PRESETS
from press_control.stop_signals import call_on_signals


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
    parser.add_argument("--sim-cell", default="li6ps5cl", choices=sorted(PRESETS),
                        help="what the simulator's die holds (li5.5ps4.5cl1.5 and nmc622 "
                             "follow Miß et al. 2026: docs/simulator.md)")
    parser.add_argument("--press-port", default="", help="press serial device (overrides)")
    parser.add_argument("--lcr-port", default="", help="analyzer serial device (overrides)")
    parser.add_argument("--demo-arm", action="store_true", help="start the demo arm too")
    parser.add_argument("--campaign", action="store_true",
                        help="start the campaign node (pressctl campaign run FILE); it loads "
                             "and unloads as the arm, so not with --demo-arm")
    parser.add_argument("--cells", type=int, default=1, help="cells the demo arm presses")
    parser.add_argument("--preset", default="demo_cell", help="preset the demo arm runs")
    parser.add_argument("--record-dir", default="", help="run records (overrides)")
    parser.add_argument("--no-arm-interlock", dest="arm_interlock", action="store_false",
                        help="a press without a robot arm: no arm heartbeat, no handshake")
    parser.add_argument("--driver-in-process", action="store_true",
                        help="run press_driver in this process too (default: its own)")
    parser.add_argument("--no-panel", dest="panel", action="store_false",
                        help="do not start press_panel (the web page)")
    parser.add_argument("--panel-host", default="127.0.0.1",
                        help="address of the web page (0.0.0.0: the lab network sees it)")
    parser.add_argument("--panel-port", type=int, default=8080, help="port of the web page")
    parser.add_argument("--panel-token-file", default="~/.ros/press_control/panel_token",
                        help="control token file (made, mode 0600, if missing)")
    parser.add_argument("--exit-when-done", action="store_true",
                        help="with --demo-arm: stop once the arm has done its cells")
    return parser


def panel_banner(args) -> str:
    """Where the web page is and the token its controls need."""
    host = "<this computer's address>" if args.panel_host in ("0.0.0.0", "::") \
        else args.panel_host
    address = f"http://{host}:{args.panel_port}/"
    try:
        token = load_or_create_token(args.panel_token_file)
    except (TokenProblem, OSError) as error:
        return f"bringup: press panel on {address} (read-only: {error})"
    return (f"bringup: press panel on {address} ; control token (in "
            f"{args.panel_token_file}): {token}")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.campaign and args.demo_arm:
        print("bringup: --campaign and --demo-arm are two arms in one workspace; choose one",
              file=sys.stderr)
        return 2
    cell = PressCell(params_file=args.params_file, namespace=args.namespace,
                     use_sim=args.use_sim, sim_dir=args.sim_dir, seed=args.seed,
                     sim_cell=args.sim_cell,
                     press_port=args.press_port, lcr_port=args.lcr_port,
                     demo_arm=args.demo_arm, arm_parameters={
                         "cells": args.cells, "preset": args.preset, "seed": args.seed},
                     record_dir=args.record_dir, arm_interlock=args.arm_interlock,
                     driver_in_process=args.driver_in_process,
                     panel_parameters={"host": args.panel_host, "port": args.panel_port,
                                       "token_file": args.panel_token_file}
                     if args.panel else None,
                     campaign_parameters={} if args.campaign else None)
    stop = threading.Event()
    banner = panel_banner(args) if args.panel else ""     # makes the token file first
    cell.start()
    call_on_signals(lambda _: stop.set())
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
        if args.panel:
            print(banner, flush=True)
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

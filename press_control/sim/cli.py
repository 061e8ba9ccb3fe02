"""`press_sim`: run the simulated press and analyzer, or inject a fault into a running one.

Usage:
  press_sim [--dir /tmp/press_sim] [--seed 0] [--cycling] [--crc-error-rate 0.01] ...
  press_sim inject unplug|replug|reboot|garbage|crc_error_rate 0.05|... [--dir DIR]
"""
import argparse
import os
import sys
import threading

from press_control.sim.cell import PRESETS
from press_control.sim.control_socket import CONTROL_SOCKET, inject, serve_control
from press_control.sim.simulator import Simulator, SimulatorConfig
from press_control.stop_signals import call_on_signals


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="press_sim", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default="/tmp/press_sim", help="folder for the device paths")
    parser.add_argument("--press-baud", type=int, default=115200)
    parser.add_argument("--press-parity", choices="NEO", default="N")
    parser.add_argument("--slave-id", type=int, default=1)
    parser.add_argument("--modbus-tcp-port", type=int, default=0,
                        help="Modbus TCP port of the controller on 127.0.0.1 (0: any free)")
    parser.add_argument("--lcr-baud", type=int, default=115200)
    parser.add_argument("--register-map", default="", help="register map YAML (default: ours)")
    parser.add_argument("--cell", choices=sorted(PRESETS), default="li6ps5cl")
    parser.add_argument("--die-mm", type=float, default=10.0, help="die diameter in mm")
    parser.add_argument("--cycling", action="store_true", help="cell breathes (cycling)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every noise source")
    for name in ("crc_error_rate", "garbage_rate", "drop_rate", "delay_ms", "leak_factor"):
        parser.add_argument("--" + name.replace("_", "-"), type=float, default=None)
    sub = parser.add_subparsers(dest="command")
    injected = sub.add_parser("inject", help="inject a fault into a running simulator")
    injected.add_argument("fault")
    injected.add_argument("value", nargs="?")
    injected.add_argument("--dir", default=argparse.SUPPRESS,
                          help="the running simulator's folder")
    return parser


def without_ros_arguments(argv):
    """The arguments without the `--ros-args ... [--]` block that ROS launch appends."""
    kept, in_ros = [], False
    for arg in argv:
        if arg == "--ros-args":
            in_ros = True
        elif in_ros and arg == "--":
            in_ros = False
        elif not in_ros:
            kept.append(arg)
    return kept


def main(argv=None) -> int:
    args = build_parser().parse_args(without_ros_arguments(
        sys.argv[1:] if argv is None else argv))
    if args.command == "inject":
        reply = inject(args.dir, args.fault, args.value)
        print(reply.get("done") or reply.get("error"))
        return 0 if reply["ok"] else 1
    config = SimulatorConfig(directory=args.dir, press_baud=args.press_baud,
                             press_parity=args.press_parity, slave_id=args.slave_id,
                             modbus_tcp_port=args.modbus_tcp_port,
                             analyzer_baud=args.lcr_baud, register_map=args.register_map,
                             cell_preset=args.cell, die_diameter_mm=args.die_mm,
                             cycling=args.cycling, seed=args.seed)
    simulator = Simulator(config).start()
    for name in ("crc_error_rate", "garbage_rate", "drop_rate", "delay_ms", "leak_factor"):
        if getattr(args, name) is not None:
            simulator.inject(name, getattr(args, name))
    stop = threading.Event()
    call_on_signals(lambda _: stop.set())
    control = threading.Thread(target=serve_control, daemon=True, args=(
        simulator, os.path.join(args.dir, CONTROL_SOCKET), stop))
    control.start()
    print(f"press controller (Modbus RTU, {args.press_baud} 8{args.press_parity}1, "
          f"slave {args.slave_id}): {config.press_path}")
    print(f"press controller (Modbus TCP, unit {args.slave_id}): "
          f"{simulator.modbus_tcp.address}")
    print(f"impedance analyzer (SCPI, {args.lcr_baud} 8N1): {config.analyzer_path}", flush=True)
    stop.wait()
    control.join(timeout=1.0)
    simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

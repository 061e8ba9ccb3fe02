"""The README's run command: a whole simulated press cell, one cell from load to unload.

`bringup`'s PressCell starts the simulator (its own process: it is the press), press_driver
(its own process: its heartbeat must not wait on another node's interpreter lock, as with
`ros2 launch`), profile_server, interface_monitor and the demo arm. The arm waits for the
press, loads the cell, sends the `demo_cell` profile through the run_profile action
(densify at 392 MPa, attach the Li anode at 25 MPa while the interface resistance falls,
hold 50 MPa stack pressure while the cell cycles, release) and unloads it. The demo prints
progress, then a summary of what the cell really saw (the simulator's true pressure)
beside the measured figures, and exits non-zero if anything failed.
"""
import os
import sys
import time

from press_control.control.profile_runner import SUCCEEDED
from press_control.app.demo_summary import TruthLog, preset_levels, print_summary
from press_control.control.profiles import load_presets
from press_control.resources import config_path


def run_demo(args) -> int:
    from press_control.app.press_cell import PressCell
    from press_control.app.progress import ProgressView

    os.environ.setdefault("ROS_DOMAIN_ID", str(100 + os.getpid() % 100))
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    preset = "full_cell" if args.full else "demo_cell"
    cell = PressCell(seed=args.seed, demo_arm=True, record_dir=args.record_dir,
                     arm_parameters={"cells": args.cells, "preset": preset,
                                     "cell_prefix": args.cell, "seed": args.seed,
                                     # no operator here to reset a handling fault
                                     "fault_reset_wait_s": 10.0})
    started = time.monotonic()
    view = ProgressView()
    cell.start()
    try:
        sim = cell.sim
        print(f"simulator: press {sim.config.press_path}, analyzer {sim.config.analyzer_path}")
        events, truth = [], TruthLog(sim)
        start_truth = sim.truth()

        def show(feedback):
            truth.on_feedback(feedback)
            view.update(feedback)

        shown = [None]

        def handling(message):
            if (message.state_name, message.cell_id) != shown[0]:
                shown[0] = (message.state_name, message.cell_id)
                view.note(f"handling: {message.state_name} {message.cell_id} "
                          f"({message.reason})")
        cell.watch(on_feedback=show, on_handling=handling, on_event=events.append)
        problem = cell.wait_ready(90.0)
        if problem:
            print(f"demo: press not ready: {problem}", file=sys.stderr)
            return 1
        print(f"press ready after {time.monotonic() - started:.1f} s", flush=True)
        while cell.arm.poll() is None:
            time.sleep(0.2)
        view.close()
        end_truth = sim.truth()
        results = cell.arm_results()
        print_summary(results, truth, start_truth, end_truth, events,
                      time.monotonic() - started,
                      preset_levels(load_presets(config_path("profiles.yaml"))[preset]))
        released = end_truth["pressure_mpa"] < 1.0
        if not released:
            print("demo: the press is still pressurized", file=sys.stderr)
        if cell.arm.returncode:
            print(f"demo: demo_arm exited with status {cell.arm.returncode}", file=sys.stderr)
        succeeded = len(results) == args.cells and all(
            r["outcome"] == SUCCEEDED for r in results)
        return 0 if succeeded and released and cell.arm.returncode == 0 else 1
    finally:
        view.close()
        cell.stop()

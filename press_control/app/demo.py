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
import math
import os
import sys
import time

import numpy as np

from press_control.app.progress import SEGMENT_NAMES


class TruthLog:
    """Samples the simulator's true state whenever feedback arrives.

    Feedback reaches us late when the host is busy; a row is only used when its feedback
    came within LATE_S of the quickest delivery seen (clocks matched on elapsed_s).
    """

    LATE_S = 0.25

    def __init__(self, sim):
        self.sim = sim
        self.rows = []

    def on_feedback(self, feedback):
        truth = self.sim.truth()
        self.rows.append((feedback.segment_index, feedback.segment_type, feedback.phase,
                          feedback.setpoint_mpa, truth["pressure_mpa"],
                          truth["interface_resistance_ohm"], truth["relative_density"],
                          time.monotonic() - feedback.elapsed_s))

    def timely_rows(self):
        if not self.rows:
            return []
        quickest = min(r[7] for r in self.rows)
        return [r for r in self.rows if r[7] - quickest <= self.LATE_S]

    def figures(self, target_mpa: float):
        """(p99 |error|, mean, rows used) of the true pressure while holding at target_mpa."""
        rows = [r for r in self.timely_rows()
                if r[2] == "holding" and abs(r[3] - target_mpa) < 2.0]
        true = np.array([r[4] for r in rows])
        if not len(true):
            return math.nan, math.nan, 0
        return float(np.percentile(np.abs(true - target_mpa), 99)), float(true.mean()), len(rows)


def run_demo(args) -> int:
    from press_control.app.bringup import PressCell
    from press_control.app.progress import progress_line

    os.environ.setdefault("ROS_DOMAIN_ID", str(100 + os.getpid() % 100))
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    preset = "full_cell" if args.full else "demo_cell"
    cell = PressCell(seed=args.seed, demo_arm=True, record_dir=args.record_dir,
                     arm_parameters={"cells": args.cells, "preset": preset,
                                     "cell_prefix": args.cell, "seed": args.seed})
    started = time.monotonic()
    cell.start()
    try:
        sim = cell.sim
        print(f"simulator: press {sim.config.press_path}, analyzer {sim.config.analyzer_path}")
        events, truth, segments = [], TruthLog(sim), [0]
        start_truth = sim.truth()

        def show(feedback):
            truth.on_feedback(feedback)
            segments[0] = max(segments[0], feedback.segment_index + 1)
            print("\r" + progress_line(feedback, segments[0]), end="", flush=True)

        shown = [None]

        def handling(message):
            if (message.state_name, message.cell_id) != shown[0]:
                shown[0] = (message.state_name, message.cell_id)
                print(f"\nhandling: {message.state_name} {message.cell_id} "
                      f"({message.reason})", flush=True)
        cell.watch(on_feedback=show, on_handling=handling, on_event=events.append)
        problem = cell.wait_ready(90.0)
        if problem:
            print(f"demo: press not ready: {problem}", file=sys.stderr)
            return 1
        print(f"press ready after {time.monotonic() - started:.1f} s", flush=True)
        while cell.arm.poll() is None:
            time.sleep(0.2)
        end_truth = sim.truth()
        results = cell.arm_results()
        print_summary(results, truth, start_truth, end_truth, events,
                      time.monotonic() - started)
        released = end_truth["pressure_mpa"] < 1.0
        if not released:
            print("demo: the press is still pressurized", file=sys.stderr)
        if cell.arm.returncode:
            print(f"demo: demo_arm exited with status {cell.arm.returncode}", file=sys.stderr)
        succeeded = len(results) == args.cells and all(
            r["outcome"] == "SUCCEEDED" for r in results)
        return 0 if succeeded and released and cell.arm.returncode == 0 else 1
    finally:
        cell.stop()


def print_summary(results, truth, start_truth, end_truth, events, elapsed_s) -> None:
    p99, mean, used = truth.figures(392.0)
    peak_true = max((r[4] for r in truth.rows), default=math.nan)
    r_attach = [r[5] for r in truth.rows if abs(r[3] - 25.0) < 1.0 and r[2] == "holding"]
    print("\n== summary (true = what the cell saw in the simulator)")
    for result in results:
        print(f"{result['cell_id']}: {result['outcome']} - {result['reason']}; measured peak "
              f"{result['peak_mpa']:.2f} MPa; record {result['record_dir']}")
    print(f"peak pressure: true {peak_true:.2f} MPa; overshoot at 392 MPa "
          f"{max(0.0, peak_true - 392.0):.2f} MPa (true)")
    print(f"hold at 392 MPa: true mean {mean:.2f} MPa, p99 |error| {p99:.2f} MPa "
          f"({used} samples)")
    for result in results:
        for segment in result["segments"]:
            print(f"  {result['cell_id']} segment {segment['index'] + 1} "
                  f"{SEGMENT_NAMES[segment['type']]}: p99 |error| "
                  f"{segment['p99_abs_error_mpa']:.2f} MPa, overshoot "
                  f"{segment['overshoot_mpa']:.2f} MPa (measured)")
    if r_attach:
        print(f"interface resistance during Li attach: {r_attach[0]:.0f} -> "
              f"{r_attach[-1]:.1f} ohm (true)")
    print(f"interface resistance start {start_truth['interface_resistance_ohm']:.0f} ohm, "
          f"end {end_truth['interface_resistance_ohm']:.1f} ohm; relative density "
          f"{start_truth['relative_density']:.3f} -> {end_truth['relative_density']:.3f}")
    print("events: " + (", ".join(
        f"{e.event} {'raised' if e.active else 'cleared'} ({e.detail})" for e in events)
        or "none"))
    print(f"press released: true {end_truth['pressure_mpa']:.2f} MPa; demo took "
          f"{elapsed_s:.0f} s")

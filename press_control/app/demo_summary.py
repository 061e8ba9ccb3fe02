"""What the demo prints at the end: the cell's true history beside the measured figures."""
import math
import os
import time

import numpy as np

from press_control.app.nyquist_text import first_and_last, nyquist_lines, read_sweep
from press_control.control.profiles import HOLD, SEGMENT_TYPES


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


def preset_levels(segments) -> tuple:
    """(densification hold, Li-attach hold) pressures of a preset, in MPa (NaN if none).

    The densification hold is the highest hold; the attach hold is the lowest hold after
    it.
    """
    holds = [(i, s.target_mpa) for i, s in enumerate(segments) if s.type == HOLD]
    if not holds:
        return math.nan, math.nan
    top_index, top = max(holds, key=lambda hold: hold[1])
    later = [target for i, target in holds if i > top_index and 0 < target < top]
    return top, min(later) if later else math.nan


def print_summary(results, truth, start_truth, end_truth, events, elapsed_s,
                  levels) -> None:
    densify_mpa, attach_mpa = levels
    p99, mean, used = truth.figures(densify_mpa)
    peak_true = max((r[4] for r in truth.rows), default=math.nan)
    r_attach = [r[5] for r in truth.rows if abs(r[3] - attach_mpa) < 1.0 and r[2] == "holding"]
    print("\n== summary (true = what the cell saw in the simulator)")
    for result in results:
        print(f"{result['cell_id']}: {result['outcome']} - {result['reason']}; measured peak "
              f"{result['peak_mpa']:.2f} MPa; record {result['record_dir']}")
    print(f"peak pressure: true {peak_true:.2f} MPa; overshoot at {densify_mpa:g} MPa "
          f"{max(0.0, peak_true - densify_mpa):.2f} MPa (true)")
    print(f"hold at {densify_mpa:g} MPa: true mean {mean:.2f} MPa, p99 |error| {p99:.2f} MPa "
          f"({used} samples)")
    for result in results:
        for segment in result["segments"]:
            print(f"  {result['cell_id']} segment {segment['index'] + 1} "
                  f"{SEGMENT_TYPES[segment['type']]}: p99 |error| "
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
    if results and results[-1].get("record_dir"):
        print_nyquist(results[-1]["record_dir"])


def print_nyquist(record_dir: str) -> None:
    """The first and the last EIS sweep of a record, as text (plot.png draws them too)."""
    for which, path in zip(("first", "last"), first_and_last(record_dir)):
        print(f"\nNyquist, {which} sweep ({os.path.relpath(path, record_dir)}):")
        print("\n".join("  " + line for line in nyquist_lines(*read_sweep(path))))

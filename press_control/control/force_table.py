"""Measuring a press's force table: its own load cell against a reference, level by level.

The press must be driven with no table (its raw readings), a reference load cell (or the
simulator's true force) read beside it. At each level the press ramps, settles in HOLD and
both are averaged; the controller regulates on its own cell, so the pair shows exactly the
disagreement the table corrects.
"""
import dataclasses
import datetime
import statistics

from press_control.hardware.force_calibration import ForceCalibration


@dataclasses.dataclass
class TablePlan:
    """Levels (kN, rising) and how long to settle and sample at each."""

    levels_kn: tuple
    rate_kn_s: float = 1.5          # 19 MPa/s on a 10 mm die
    settle_s: float = 3.0
    samples: int = 100
    sample_period_s: float = 0.05
    reach_fraction: float = 0.002   # a level counts as reached within 0.2 % (+ 0.02 kN)
    reach_timeout_s: float = 120.0


def plan_levels(top_kn: float, count: int = 9) -> tuple:
    """Levels from 0 to top_kn, `count` of them, evenly spaced."""
    if count < 2 or not top_kn > 0:
        raise ValueError("a force table needs at least two levels up to a positive force")
    return tuple(top_kn * index / (count - 1) for index in range(count))


def measure_force_table(press, read_reference, wait, plan: TablePlan, press_id: str = "",
                        reference_name: str = "", log=lambda text: None) -> ForceCalibration:
    """Drive `press` (a hardware.Press without a table) through the levels; return the table.

    read_reference() -> the reference force now (kN); wait(seconds) lets time pass (a sleep
    for a real press, a simulation step for a stepped one). The press is released at the
    end whatever happens.
    """
    if press.force_calibration.applied:
        raise ValueError("measure with no force table applied: the raw load cell is wanted")
    points = []
    try:
        press.set_motion_permit(True)
        for level in plan.levels_kn:
            if level > 0:
                press.ramp_to(level, plan.rate_kn_s)
                wait_to_reach(lambda: press.poll().raw_force_kn, level, wait,
                              plan.reach_fraction, plan.reach_timeout_s)
                press.hold()
                wait(plan.settle_s)
            raw, reference = [], []
            for _ in range(plan.samples):
                raw.append(press.poll().raw_force_kn)
                reference.append(read_reference())
                wait(plan.sample_period_s)
            points.append((statistics.fmean(raw), statistics.fmean(reference)))
            log(f"level {level:8.3f} kN: press {points[-1][0]:9.4f} kN, reference "
                f"{points[-1][1]:9.4f} kN")
    finally:
        press.ramp_to(0.0, plan.rate_kn_s * 2, releasing=True)
    return ForceCalibration(tuple(p for p, _ in points), tuple(r for _, r in points),
                            press=press_id, reference=reference_name,
                            measured=datetime.date.today().isoformat())


def wait_to_reach(read_kn, level_kn: float, wait, fraction: float = 0.002,
                  timeout_s: float = 120.0) -> None:
    """Wait until read_kn() is within fraction (+ 0.02 kN) of the level.

    A densifying sample slows a ramp; raises after timeout_s.
    """
    tolerance = fraction * level_kn + 0.02
    waited = 0.0
    while abs(read_kn() - level_kn) > tolerance:
        if waited > timeout_s:
            raise RuntimeError(f"the press did not reach {level_kn:g} kN within "
                               f"{timeout_s:g} s")
        wait(0.1)
        waited += 0.1

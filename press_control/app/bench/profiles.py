"""Profile execution figures: ProfileRunner against a naive setpoint-only baseline.

Figures are on the TRUE pressure the cell sees (the simulated press stepped in-process,
with noise, non-linearity and leak on), with the measured-signal figure beside it; and the
goal-accept latency through real nodes over DDS.
"""

import numpy as np

from press_control.app.bench.report import Figure
from press_control.control.dies import Die
from press_control.control.profile_runner import Command, ProfileRunner
from press_control.control.profiles import Segment
from press_control.hardware.force_calibration import NO_CALIBRATION
from press_control.sim.reference_table import measure_simulator_table
from press_control.sim.stepped import SteppedPress
from press_control.control.stats import percentile

DIE = Die("d10", 10.0, 500.0)
SECTION = "Profile tracking (ProfileRunner; comparison = naive setpoint-only baseline)"
MAX_RATE = 20.0


def naive(press, target, seconds):
    """Baseline: one setpoint at the largest allowed rate, then leave it to the controller."""
    press.apply(Command("set_pressure", target, MAX_RATE))
    rows = []
    while press.time_s < seconds:
        observation = press.observe()
        rows.append((press.time_s, press.true_pressure_mpa, observation.pressure_mpa))
        press.advance(0.05)
    return np.array(rows)


def p99(values):
    return percentile(np.sort(np.abs(values)), 0.99)


def settled_hold(seed, hold_s, force_calibration=NO_CALIBRATION):
    """(rows of the run, rows of the hold from 5 s after it began)."""
    ours = SteppedPress(DIE, seed=seed, force_calibration=force_calibration)
    runner = ProfileRunner([Segment("ramp", 392.0, rate_mpa_s=6.0),
                            Segment("hold", 392.0, duration_s=hold_s, tolerance_mpa=1.0,
                                    settling_s=2.0)])
    rows = ours.run(runner)
    hold = rows[rows[:, 4] == 1]
    return rows, hold[hold[:, 0] > hold[0, 0] + 5.0]


def ramp_and_hold(seed, hold_s):
    rows, settled = settled_hold(seed, hold_s)
    base = naive(SteppedPress(DIE, seed=seed), 392.0, rows[-1, 0])
    base_hold = base[base[:, 0] > rows[rows[:, 4] == 1][0, 0] + 5.0]
    table = measure_simulator_table(seed + 100)    # a press of its own: other noise
    _, corrected = settled_hold(seed, hold_s, table)
    corrections = [r - p for p, r in zip(table.press_kn, table.reference_kn)]
    section = SECTION
    return [
        Figure(section, "ramp overshoot at 392 MPa (true)", max(0.0, rows[:, 1].max() - 392.0),
               "MPa", "<= 1", baseline=max(0.0, base[:, 1].max() - 392.0)),
        Figure(section, "hold 392 MPa p99 abs error (true)", p99(settled[:, 1] - 392.0), "MPa",
               "<= 0.5", baseline=p99(base_hold[:, 1] - 392.0)),
        Figure(section, "hold 392 MPa p99 abs error (measured)", p99(settled[:, 2] - 392.0),
               "MPa", baseline=p99(base_hold[:, 2] - 392.0)),
        Figure(section, "hold 392 MPa mean error (true)", np.mean(settled[:, 1] - 392.0),
               "MPa", baseline=np.mean(base_hold[:, 1] - 392.0)),
        Figure(section, "force table: largest correction (9 levels to 500 MPa on d10)",
               DIE.pressure_mpa(max(corrections, key=abs)), "MPa",
               note="press load cell against the simulator's true force"),
        Figure(section, "hold 392 MPa p99 abs error (true), with the force table",
               p99(corrected[:, 1] - 392.0), "MPa", "<= 0.25",
               baseline=p99(settled[:, 1] - 392.0),
               note="comparison: the same hold without the table"),
        Figure(section, "hold 392 MPa mean error (true), with the force table",
               np.mean(corrected[:, 1] - 392.0), "MPa",
               baseline=np.mean(settled[:, 1] - 392.0))]


def regulate(seed, seconds):
    ours = SteppedPress(DIE, seed=seed, cycling=True)
    runner = ProfileRunner([Segment("regulate", 50.0, rate_mpa_s=5.0, duration_s=seconds,
                                    band_low_mpa=25.0, band_high_mpa=60.0, tolerance_mpa=0.5)])
    rows = ours.run(runner)
    start = rows[0, 0] + 20.0
    steady = rows[rows[:, 0] > start]
    base = naive(SteppedPress(DIE, seed=seed, cycling=True), 50.0, rows[-1, 0])
    base = base[base[:, 0] > start]
    return [Figure(SECTION, "regulate 50 MPa while breathing, p99 abs error (true)",
                   p99(steady[:, 1] - 50.0), "MPa", "<= 0.5", baseline=p99(base[:, 1] - 50.0)),
            Figure(SECTION, "regulate 50 MPa while breathing, p99 abs error (measured)",
                   p99(steady[:, 2] - 50.0), "MPa", baseline=p99(base[:, 2] - 50.0))]


def run(hold_s: float = 120.0, regulate_s: float = 240.0, goals: int = 50,
        seed: int = 1) -> list:
    """Tracking figures against the baseline and the goal-accept latency."""
    figures = ramp_and_hold(seed, hold_s) + regulate(seed, regulate_s)
    from press_control.ros.bench_goal_accept import goal_accept_latency
    latencies = goal_accept_latency(goals)
    section = "Action server"
    ordered = sorted(latencies)
    note = "sent the moment the server reported ready, no pause for discovery"
    figures += [Figure(section, "goal accepted after, first goal after start",
                       latencies[0] * 1e3, "ms", "<= 50", note=note),
                Figure(section, f"goal accepted after, p50 of {len(latencies)}",
                       percentile(ordered, 0.5) * 1e3, "ms"),
                Figure(section, f"goal accepted after, p99 of {len(latencies)} (first included)",
                       percentile(ordered, 0.99) * 1e3, "ms", "<= 50")]
    return figures

"""Whole-cell figures through `bringup`, with the demo arm pressing a few cells.

Bring-up to ready, feedback rate, CPU and RSS of every process, time per cell and stalls:
a cell that took more than three times the median, or that did not succeed.
"""
import os
import shutil
import tempfile
import time

from press_control.procfs import process_cpu_s, process_rss_mib
from press_control.control.profile_runner import SUCCEEDED
from press_control.app.bench.report import Figure

SECTION = "Whole cell (bringup with the demo arm, preset handling_check)"


def cell_durations(first_seen: dict, end: float) -> list:
    """Seconds from each cell's first appearance in handling/state to the next cell's."""
    starts = sorted(first_seen.values())
    return [b - a for a, b in zip(starts, starts[1:] + [end])]


def run(cells: int = 20) -> list:
    """Start a simulated cell, let the demo arm press `cells` cells, measure."""
    from press_control.app.press_cell import PressCell

    started = time.monotonic()
    records = tempfile.mkdtemp(prefix="bench_runs_")   # the runs are not kept
    cell = PressCell(demo_arm=True, record_dir=records,
                     driver_output=open(os.devnull, "w"), arm_parameters={
                         "cells": cells, "preset": "handling_check", "dwell_s": 0.5,
                         "jitter_s": 0.0, "start_delay_s": 0.0}).start()
    try:
        problem = cell.wait_ready(120.0)
        ready_s = time.monotonic() - started
        feedback, first_seen = [], {}

        def on_handling(message) -> None:
            if message.cell_id and message.cell_id not in first_seen:
                first_seen[message.cell_id] = time.monotonic()
        cell.watch(on_feedback=lambda _: feedback.append(time.monotonic()),
                   on_handling=on_handling)
        processes = {"press_driver": cell.driver.pid, "demo_arm": cell.arm.pid,
                     "bring-up: profile_server, interface_monitor": os.getpid(),
                     "run_recorder": cell.recorder.pid, "simulator": cell.sim.process.pid}
        cpu_start = {name: process_cpu_s(pid) for name, pid in processes.items()}
        measured_from = time.monotonic()
        while cell.arm.poll() is None and time.monotonic() - measured_from < 60.0 * cells:
            time.sleep(0.2)
        elapsed = time.monotonic() - measured_from
        durations = cell_durations(first_seen, time.monotonic())
        results = cell.arm_results()
        rss = {name: process_rss_mib(pid) for name, pid in processes.items()
               if name != "demo_arm"}
        cpu = {name: 100 * (process_cpu_s(pid) - cpu_start[name]) / elapsed
               for name, pid in processes.items()
               if name != "demo_arm"}
    finally:
        cell.stop()                   # run_recorder ends once its last plot is drawn
        shutil.rmtree(records, ignore_errors=True)
    gaps = sorted(b - a for a, b in zip(feedback, feedback[1:]) if b - a < 1.0)
    rate = 1.0 / (sum(gaps) / len(gaps)) if gaps else float("nan")
    succeeded = sum(r["outcome"] == SUCCEEDED for r in results)
    median = sorted(durations)[len(durations) // 2] if durations else float("nan")
    stalls = (cells - succeeded) + sum(d > 3 * median for d in durations)
    figures = [
        Figure(SECTION, "bring-up to ready (start to press accepting goals)", ready_s, "s",
               note=problem or "simulator, driver, server, monitor, arm"),
        Figure(SECTION, "feedback rate while running", rate, "Hz", ">= 18",
               note="target 20 Hz"),
        Figure(SECTION, f"cells pressed successfully of {cells}", succeeded, "",
               f">= {cells}"),
        Figure(SECTION, "stalls (cells not pressed, or slower than 3x the median)", stalls, "",
               "<= 0"),
        Figure(SECTION, "time per cell (load, press, unload), mean", elapsed / max(1, cells),
               "s", note="handling_check: 20 MPa for 2 s"),
        Figure(SECTION, "time per cell, median", median, "s"),
        Figure(SECTION, "time per cell, slowest", max(durations, default=float("nan")), "s")]
    for name in cpu:
        figures.append(Figure(SECTION, f"CPU, {name}", cpu[name], "% of a core"))
        figures.append(Figure(SECTION, f"RSS, {name}", rss[name], "MiB"))
    return figures

"""CPU while a profile runs: the bring-up process, the driver and the simulator.

One `demo_cell` cell through the demo arm; CPU is measured over `seconds` from the first
feedback on (densification ramp and hold, with the driver polling at 100 Hz and the monitor
sweeping). The bring-up process hosts profile_server and interface_monitor (and the
simulated world's small node); run_recorder writes the record in a process of its own.
"""
import os
import shutil
import tempfile
import time

from press_control.app.bench.report import Figure
from press_control.procfs import process_cpu_s

SECTION = "CPU while a profile runs (demo_cell, driver at 100 Hz)"


def run(seconds: float = 30.0) -> list:
    from press_control.app.press_cell import PressCell

    records = tempfile.mkdtemp(prefix="bench_cpu_")   # the runs are not kept
    cell = PressCell(demo_arm=True, record_dir=records,
                     driver_output=open(os.devnull, "w"), arm_parameters={
                         "cells": 1, "preset": "demo_cell", "dwell_s": 0.5,
                         "jitter_s": 0.0, "start_delay_s": 0.0}).start()
    try:
        problem = cell.wait_ready(120.0)
        started = []

        def first_feedback(_) -> None:
            if not started:
                started.append(time.monotonic())
        unwatch = cell.watch(on_feedback=first_feedback)
        deadline = time.monotonic() + 120.0
        while not started and time.monotonic() < deadline:
            time.sleep(0.1)
        unwatch()                         # the bench's own listener is not measured
        processes = {"bring-up (profile_server, interface_monitor)": os.getpid(),
                     "press_driver": cell.driver.pid, "run_recorder": cell.recorder.pid,
                     "simulator": cell.sim.process.pid}
        before = {name: process_cpu_s(pid) for name, pid in processes.items()}
        measured_from = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - measured_from
        cpu = {name: 100 * (process_cpu_s(pid) - before[name]) / elapsed
               for name, pid in processes.items()}
    finally:
        cell.stop()
        shutil.rmtree(records, ignore_errors=True)
    note = problem or f"{elapsed:.0f} s from the first feedback"
    return [Figure(SECTION, "CPU, bring-up (profile_server + interface_monitor)",
                   cpu["bring-up (profile_server, interface_monitor)"], "% of a core",
                   "<= 15", note=note),
            Figure(SECTION, "CPU, press_driver", cpu["press_driver"], "% of a core", "<= 10"),
            Figure(SECTION, "CPU, run_recorder", cpu["run_recorder"], "% of a core", "<= 10",
                   note="every message of the cell's topics into the record (state at "
                        "100 Hz)"),
            Figure(SECTION, "CPU, simulator", cpu["simulator"], "% of a core",
                   note="the simulated press and analyzer, not part of a real cell")]

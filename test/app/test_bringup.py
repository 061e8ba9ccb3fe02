"""The whole cell through `bringup`'s PressCell: real processes, real DDS, the simulator.

Three cells in a row through the demo arm; an arm intrusion while pressing; the README's
demo command in its short form.
"""
import json
import os
import signal
import subprocess
import sys
import threading

import pytest
from rclpy.qos import DurabilityPolicy, QoSProfile
from std_srvs.srv import Trigger

from press_control.control.handshake import INTENT_LOAD, INTENT_NONE, INTENT_UNLOAD
from press_control.ros.profile_client import ProfileClient, ResultLost
from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import ArmHeartbeat, HandlingState
from waiting import wait_for

LATCHED = QoSProfile(depth=50, durability=DurabilityPolicy.TRANSIENT_LOCAL)   # see every one


def follow_handling(cell):
    seen = []
    cell.world_node.create_subscription(
        HandlingState, "handling/state",
        lambda m: seen.append((m.state_name, m.cell_id, m.reason))
        if not seen or seen[-1][:2] != (m.state_name, m.cell_id) else None, LATCHED)
    return seen


@pytest.mark.minutes(50)
def test_three_cells_in_a_row_through_the_demo_arm(started, tmp_path):
    cell = started(demo_arm=True, record_dir=str(tmp_path), arm_parameters={
        "cells": 3, "preset": "handling_check", "dwell_s": 0.3, "jitter_s": 0.4, "seed": 7})
    seen = follow_handling(cell)
    assert cell.wait_ready(90.0) == ""
    wait_for(lambda: cell.arm.poll() is not None, timeout=300, message="the arm to finish")
    results = cell.arm_results()
    assert cell.arm.returncode == 0, results
    assert [r["cell_id"] for r in results] == ["cell-1", "cell-2", "cell-3"]
    assert all(r["outcome"] == "SUCCEEDED" for r in results), results
    for result in results:
        with open(os.path.join(result["record_dir"], "summary.json")) as stream:
            summary = json.load(stream)
        assert summary["outcome"] == "SUCCEEDED" and summary["cell_id"] == result["cell_id"]
    for number in (1, 2, 3):
        states = [s for s, c, _ in seen if c == f"cell-{number}"]
        assert states == ["LOADED", "CLOSING", "PRESSING", "READY_TO_UNLOAD"], seen
    assert "FAULT" not in [s for s, _, _ in seen]
    assert cell.sim.true_pressure_mpa() < 1.0


class HandArm:
    """A hand-driven arm heartbeat at 10 Hz (the test decides where the arm is)."""

    def __init__(self, node):
        self.pose = (False, "", INTENT_NONE)
        self.publisher = node.create_publisher(ArmHeartbeat, "handling/arm", 10)
        node.create_timer(0.1, self.beat)

    def beat(self):
        inside, cell_id, intent = self.pose
        self.publisher.publish(ArmHeartbeat(arm_id="test_arm", in_workspace=inside,
                                            cell_id=cell_id, intent=intent))


def test_arm_entering_while_pressing_stops_the_press_and_latches(started, tmp_path):
    cell = started(record_dir=str(tmp_path))
    node = cell.world_node
    seen = follow_handling(cell)
    arm = HandArm(node)
    assert cell.wait_ready(90.0) == ""
    wait_for(lambda: seen and seen[-1][0] == "READY_TO_LOAD", message="ready to load")
    arm.pose = (True, "c-intrude", INTENT_LOAD)
    wait_for(lambda: cell.server.handling.machine.arms.anyone_inside() is not None,
             message="the handshake to hear the arm inside")
    arm.pose = (False, "c-intrude", INTENT_NONE)
    wait_for(lambda: seen[-1][:2] == ("LOADED", "c-intrude"), message="loaded")
    client = ProfileClient(node)
    assert client.wait_for_server(30.0)
    outcome = {}
    goal = RunPressureProfile.Goal(preset="sulfide_densify_392", cell_id="c-intrude",
                                   hold_scale=0.05)
    runner = threading.Thread(target=lambda: outcome.update(result=client.run(goal)))
    runner.start()
    wait_for(lambda: cell.sim.true_pressure_mpa() > 30.0, timeout=60, message="pressing")
    arm.pose = (True, "", INTENT_NONE)                       # the intrusion
    runner.join(timeout=60)
    result = outcome["result"]
    assert result.outcome == RunPressureProfile.Result.ABORTED
    assert "arm 'test_arm'" in result.reason and "workspace" in result.reason, result.reason
    assert cell.sim.truth()["fault_code"] == 7          # the controller dumped and latched
    wait_for(lambda: "arm 'test_arm'" in cell.server.state.fault_text,     # entered, or
             message="the driver names the intrusion")         # stale on a slow host
    wait_for(lambda: cell.sim.true_pressure_mpa() < 1.0, timeout=60, message="dumped")
    assert [s for s, _, _ in seen][-1] == "FAULT"
    assert "arm 'test_arm'" in seen[-1][2]            # press fault or intrusion, whichever first
    handling_reset = node.create_client(Trigger, "handling/reset")
    press_reset = node.create_client(Trigger, "reset_fault")
    assert handling_reset.wait_for_service(timeout_sec=10.0)
    refused = call(handling_reset)
    assert not refused.success and "fault" in refused.message      # press fault first
    arm.pose = (False, "", INTENT_NONE)
    assert press_reset.wait_for_service(timeout_sec=10.0) and call(press_reset).success
    wait_for(lambda: cell.server.state.fault_code == 0, message="press fault cleared")
    wait_for(lambda: cell.server.handling.machine.arms.anyone_inside() is None,
             message="the handshake has heard the arm leave")
    reply = call(handling_reset)
    assert reply.success, reply.message
    wait_for(lambda: seen[-1][:2] == ("READY_TO_UNLOAD", "c-intrude"), message="unload")
    arm.pose = (True, "c-intrude", INTENT_UNLOAD)
    wait_for(lambda: cell.server.handling.machine.arms.anyone_inside() is not None,
             message="the handshake to hear the arm inside")
    arm.pose = (False, "", INTENT_NONE)
    wait_for(lambda: seen[-1][0] in ("OPEN_IDLE", "READY_TO_LOAD"), message="open again")


def call(client):
    future = client.call_async(Trigger.Request())
    wait_for(future.done, message="service reply")
    return future.result()


@pytest.mark.minutes(180)
@pytest.mark.timeout(900)            # about 3 minutes alone; longer on a loaded host
def test_the_readme_demo_command_runs_in_its_short_form(tmp_path):
    demo = subprocess.run([sys.executable, "-m", "press_control.app.cli", "demo",
                           "--record-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=840)
    output = demo.stdout.replace("\r", "\n")
    assert demo.returncode == 0, output[-3000:] + demo.stderr[-3000:]
    assert "demo-cell-1: SUCCEEDED" in output
    assert "== summary" in output and "press released: true 0.0" in output
    assert "Nyquist, first sweep (spectra/sweep_001.csv)" in output
    assert "Nyquist, last sweep" in output
    [record] = os.listdir(tmp_path)
    assert {"summary.json", "samples.csv", "plot.png"} <= set(os.listdir(tmp_path / record))
    densify = json.loads((tmp_path / record / "summary.json").read_text())["segments"][0]
    assert densify["type"] == "ramp" and densify["completed"]
    assert densify["peak_mpa"] > 391.0 and densify["overshoot_mpa"] < 1.0, densify


def test_pressctl_cancels_on_sigterm_and_lists_the_run(started, tmp_path):
    cell = started(record_dir=str(tmp_path), arm_interlock=False)
    assert cell.wait_ready(90.0) == ""
    pressctl = subprocess.Popen([sys.executable, "-m", "press_control.app.cli", "run-profile",
                                 "demo_cell", "--cell", "term-1"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    wait_for(lambda: cell.sim.true_pressure_mpa() > 20.0 or pressctl.poll() is not None,
             timeout=90, message="pressctl's goal to press")
    pressctl.send_signal(signal.SIGTERM)
    output, errors = pressctl.communicate(timeout=90)
    assert "outcome: CANCELED" in output and pressctl.returncode == 1, \
        (pressctl.returncode, output[-500:], errors[-3000:])
    assert "terminate called" not in errors
    wait_for(lambda: cell.sim.true_pressure_mpa() < 1.0, timeout=60, message="released")
    listed = subprocess.run([sys.executable, "-m", "press_control.app.cli", "runs", "--dir",
                             str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert "term-1" in listed.stdout and "CANCELED" in listed.stdout, listed.stdout


def test_stopping_bringup_mid_goal_ends_the_goal_with_a_reason(started, tmp_path):
    cell = started(record_dir=str(tmp_path), arm_interlock=False)
    assert cell.wait_ready(90.0) == ""
    client = ProfileClient(cell.world_node)
    assert client.wait_for_server(30.0)
    goal = RunPressureProfile.Goal(preset="demo_cell", cell_id="stop-1")

    def follow():
        try:
            client.run(goal)
        except ResultLost:            # the cell's node goes away with bringup
            pass
    threading.Thread(target=follow, daemon=True).start()
    wait_for(lambda: cell.sim.true_pressure_mpa() > 20.0, timeout=90, message="pressing")
    cell.stop()
    [record] = os.listdir(tmp_path)
    with open(os.path.join(tmp_path, record, "summary.json")) as stream:
        summary = json.load(stream)
    assert summary["status"] == "ABORTED", summary
    assert "profile_server is shutting down" in summary["reason"], summary["reason"]

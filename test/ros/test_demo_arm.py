"""demo_arm against a stand-in press: a handling fault nobody resets ends its program.

The stand-in is this test's node: the latched handling/state it publishes and a run_profile
server that aborts every goal. The oracle is the arm process itself: its exit status, its
results file and the time it took after the fault.
"""
import json
import subprocess
import sys
import time

import rclpy
import yaml
from rclpy.action import ActionServer

from press_control.resources import config_path
from press_control.ros.qos import LATCHED
from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import ArmHeartbeat, HandlingState
from waiting import wait_for

FAULT_RESET_WAIT_S = 1.0
WAIT_TIMEOUT_S = 60.0


def test_a_handling_fault_nobody_resets_ends_the_arm_after_fault_reset_wait_s(
        ros_context, spin, tmp_path):
    node = rclpy.create_node("stand_in_press", context=ros_context)
    handling = node.create_publisher(HandlingState, "handling/state", LATCHED)
    poses, goals = [], []
    node.create_subscription(ArmHeartbeat, "handling/arm",
                             lambda m: poses.append(m.in_workspace), 10)

    def abort(handle):
        goals.append(handle.request.cell_id)
        handle.abort()
        return RunPressureProfile.Result(outcome=RunPressureProfile.Result.ABORTED,
                                         reason="stand-in press: aborted")
    ActionServer(node, RunPressureProfile, "run_profile", abort)
    spin(node)

    def say(state, name, cell_id="", reason=""):
        handling.publish(HandlingState(state=state, state_name=name, cell_id=cell_id,
                                       reason=reason))
    say(HandlingState.READY_TO_LOAD, "READY_TO_LOAD")
    results = tmp_path / "results.json"
    overrides = tmp_path / "arm.yaml"
    overrides.write_text(yaml.safe_dump({"/demo_arm": {"ros__parameters": {
        "cells": 1, "cell_prefix": "stand-in", "exit_when_done": True,
        "results_file": str(results), "dwell_s": 0.1, "jitter_s": 0.0,
        "wait_timeout_s": WAIT_TIMEOUT_S, "fault_reset_wait_s": FAULT_RESET_WAIT_S}}}))
    log = tmp_path / "arm.log"
    with open(log, "w") as stream:
        arm = subprocess.Popen([sys.executable, "-m", "press_control.ros.demo_arm",
                                "--ros-args", "--params-file", config_path("press_cell.yaml"),
                                "--params-file", str(overrides)],
                               stdout=stream, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: True in poses and poses[-1] is False, timeout=60,
                 message="the arm to place the cell and leave")
        say(HandlingState.LOADED, "LOADED", "stand-in-1", "cell placed")
        wait_for(lambda: goals == ["stand-in-1"], timeout=60, message="the arm's goal")
        say(HandlingState.FAULT, "FAULT", "stand-in-1", "stand-in fault")
        faulted = time.monotonic()
        arm.wait(timeout=WAIT_TIMEOUT_S)
        waited = time.monotonic() - faulted
    finally:
        if arm.poll() is None:
            arm.kill()
    output = log.read_text()
    assert arm.returncode == 1, output[-2000:]
    assert f"waited {FAULT_RESET_WAIT_S:g} s for the fault to be reset" in output, \
        output[-2000:]
    assert waited < WAIT_TIMEOUT_S / 2, waited      # not the arm's other waits' time-out
    [outcome] = json.loads(results.read_text())
    assert outcome["cell_id"] == "stand-in-1" and outcome["outcome"] == "ABORTED", outcome
    assert poses[-1] is False                       # it stopped outside the workspace

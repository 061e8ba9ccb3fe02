"""Fault campaign: real nodes over DDS against the simulator in its own process. Whatever
fails, the press ends released, the goal ends with a reason, and the run record is whole.

(Intrusion in every handshake state: test_handshake.py; intrusion through the nodes and
three cells in a row: test_bringup.py; SIGKILL of the driver and its restart:
test_press_driver.py; cancel in every segment type: test_profile_server.py.)
"""
import json
import os

import pytest

from press_control.records.bag_reader import read_bag
from test_profile_server import HOLD, RAMP, RELEASE, Result, running_cell, seg
from waiting import wait_for


@pytest.fixture
def rig(ros_context, spin, tmp_path):
    with running_cell(ros_context, spin, tmp_path, seed=13) as cell:
        yield cell


PROFILE = [seg(RAMP, 100, rate_mpa_s=20.0), seg(HOLD, 100, duration_s=30.0),
           seg(RELEASE, 0, rate_mpa_s=5.0)]


def reached(rig, index, phase=None):
    def check():
        last = rig.feedback[-1] if rig.feedback else None
        return last is not None and last.segment_index == index and \
            (phase is None or last.phase == phase) and last.measured_mpa > 30.0
    return check


def assert_safe_and_recorded(rig, result, outcome=Result.ABORTED):
    assert result.outcome == outcome, result.reason
    assert result.reason.strip()
    wait_for(lambda: rig.sim.true_pressure_mpa() < 1.0, timeout=60, message="released")
    with open(os.path.join(result.record_dir, "summary.json")) as stream:
        summary = json.load(stream)
    assert summary["status"] != "running" and summary["reason"] == result.reason
    with open(os.path.join(result.record_dir, "samples.csv")) as stream:
        assert len(stream.readlines()) > 10
    assert read_bag(os.path.join(result.record_dir, "bag", "run.mcap"))


@pytest.mark.parametrize("segment, phase", [(0, None), (1, "holding"), (2, None)],
                         ids=["ramp", "hold", "release"])
def test_serial_unplug_ends_safe_aborted_and_recorded(rig, segment, phase):
    # the release is reached after the hold: a short one
    handle = rig.send(PROFILE if segment < 2 else [PROFILE[0], seg(HOLD, 100, duration_s=2.0),
                                                   PROFILE[2]])
    wait_for(reached(rig, segment, phase), timeout=90, message=f"segment {segment}")
    rig.sim.inject("unplug")
    result = rig.result(handle)
    assert "connect" in result.reason, result.reason
    assert_safe_and_recorded(rig, result)
    rig.sim.inject("replug")
    wait_for(lambda: rig.server.state.connected, timeout=30, message="reconnect")
    assert rig.server.state.fault_code == 1          # the watchdog released the press


@pytest.mark.parametrize("fault, segment, phase, undo, expected", [
    ("estop_press", 0, None, "estop_release", "emergency stop"),
    ("reboot", 1, "holding", None, "reboot"),
    ("stuck_sensor", 1, "holding", "stuck_sensor off", "frozen"),
], ids=["e-stop in a ramp", "controller reboot in a hold", "stuck sensor in a hold"])
def test_press_faults_end_safe_aborted_and_recorded(
        rig, fault, segment, phase, undo, expected):
    handle = rig.send(PROFILE)
    wait_for(reached(rig, segment, phase), timeout=60, message=f"segment {segment}")
    rig.sim.inject(fault)
    result = rig.result(handle)
    assert expected in result.reason, result.reason
    assert_safe_and_recorded(rig, result)
    if undo:
        rig.sim.inject(*undo.split())


@pytest.mark.parametrize("storm", [{"crc_error_rate": 0.02, "garbage_rate": 0.005},
                                   {"delay_ms": 20.0}], ids=["crc+garbage", "slow replies"])
def test_line_storms_do_not_make_the_press_unsafe(rig, storm):
    for fault, value in storm.items():
        rig.sim.inject(fault, value)
    handle = rig.send([seg(RAMP, 60, rate_mpa_s=20.0), seg(HOLD, 60, duration_s=5.0),
                       seg(RELEASE, 0, rate_mpa_s=20.0)])
    result = rig.result(handle)
    for fault in storm:
        rig.sim.inject(fault, 0.0)
    if result.outcome != Result.SUCCEEDED:         # a run may end early, never unsafely
        assert "connect" in result.reason or "did not take" in result.reason, result.reason
        assert_safe_and_recorded(rig, result)
    else:
        assert_safe_and_recorded(rig, result, Result.SUCCEEDED)
    if "crc_error_rate" in storm:
        def line_errors():
            values = rig.driver_values
            return int(values.get("crc_errors", 0)) + int(values.get("frame_errors", 0))
        wait_for(lambda: line_errors() > 0, message=lambda: "the driver's CRC and frame "
                 f"error counts on /diagnostics: {rig.driver_values}")

"""profile_server end to end: real nodes over real DDS; simulator and driver in processes."""
import collections
import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time

from pathlib import Path

import jsonschema
import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from press_control.ros.rclpy_internals import LockedActionClient as ActionClient
from rclpy.context import Context
from rclpy.executors import MultiThreadedExecutor
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile

from press_control.control.handshake import FAULT, LOADED, READY_TO_LOAD, READY_TO_UNLOAD
from press_control.ros.profile_client import ProfileClient
from press_control.ros.parameters import DRIVER_PARAMETERS
from press_control.ros.profile_server import (ARM_VIEWS_AGREE_S, STATE_CONFIRM_S,
                                              ProfileServerNode)
from press_control.ros.run_recorder import RunRecorderNode
from press_control.ros.spin import ExecutorThread
from press_control.control.profile_runner import ProfileRunner
from press_control.records.bag_reader import read_bag
from press_control.records.run_record import RunRecord
from press_control.sim.process import SimulatorProcess
from press_control_interfaces.action import RunPressureProfile
from rosbags.highlevel import AnyReader
from press_control_interfaces.msg import ArmHeartbeat, GoalRejection, PressState, ProfileSegment
import dds_domains
from driver_process import interrupt, running_driver, running_recorder, start_driver
from waiting import wait_for

RAMP, HOLD, RELEASE, REGULATE = (ProfileSegment.RAMP, ProfileSegment.HOLD,
                                 ProfileSegment.RELEASE, ProfileSegment.REGULATE)
Result = RunPressureProfile.Result
SUMMARY_SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                              "summary.schema.json")


def seg(kind, target, **fields):
    return ProfileSegment(type=kind, target_mpa=float(target), **fields)


# the driver's default lease (it runs with its defaults)
[OWNER_TIMEOUT_S] = [spec.default for spec in DRIVER_PARAMETERS if spec.name == "owner_timeout_s"]
SHORT = [seg(RAMP, 40, rate_mpa_s=20.0), seg(HOLD, 40, duration_s=2.0, tolerance_mpa=1.0),
         seg(RELEASE, 0, rate_mpa_s=20.0)]


@pytest.fixture
def cell(ros_context, spin, tmp_path, request):
    plots = request.node.get_closest_marker("record_plot") is not None
    with running_cell(ros_context, spin, tmp_path, seed=11, record_plot=plots) as cell:
        yield cell


@contextlib.contextmanager
def running_cell(context, spin, tmp_path, seed, record_plot=False):
    """A simulator and a Cell on it; the driver is stopped (Ctrl-C) before the simulator."""
    with SimulatorProcess(str(tmp_path / "sim"), seed=seed) as sim:
        cell = Cell(context, spin, sim, tmp_path, record_plot=record_plot)
        try:
            yield cell
        finally:
            cell.stop_driver()


class Cell:
    """Simulator, driver, profile server and an action client.

    Records get no plot unless record_plot (a CPU-second a run the other tests can spare).
    """

    def __init__(self, context, spin, sim, tmp_path, record_plot=False):
        self.sim = sim
        self.records = str(tmp_path / "runs")
        self.server = ProfileServerNode(context=context, parameter_overrides=[
            Parameter("require_loaded_cell", value=False)])
        self.recorder = RunRecorderNode(context=context, parameter_overrides=[
            Parameter("record_dir", value=self.records),
            Parameter("record_plot", value=record_plot)])
        self.client_node = rclpy.create_node("profile_test_client", context=context)
        self.client = ActionClient(self.client_node, RunPressureProfile, "run_profile")
        self.rejections = []
        latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.rejection_codes = []
        self.client_node.create_subscription(GoalRejection, "run_profile/rejection",
                                             self._on_rejection, latched)
        self.driver_values = {}             # the driver's latest /diagnostics key-values
        self.client_node.create_subscription(DiagnosticArray, "/diagnostics",
                                             self._on_diagnostics, 20)
        spin(self.server, self.recorder, self.client_node)
        self.driver_log = tmp_path / "press_driver.log"
        self.driver = start_driver(sim.config.press_path, self.driver_log)
        try:
            assert self.client.wait_for_server(timeout_sec=60.0)   # discovery, loaded host
            wait_for(lambda: self.server.readiness_problem() is None, timeout=60,
                     message=lambda: f"press ready ({self.server.readiness_problem()}; "
                                     f"driver: {self.driver_log.read_text()[-1500:]})")
        except BaseException:
            self.stop_driver()
            raise

    def stop_driver(self) -> None:
        interrupt(self.driver)

    def last_rejection_says(self, text: str) -> bool:
        """The latest rejection message names text (it comes after the goal's reply)."""
        return bool(self.rejections) and text in self.rejections[-1]

    def _on_diagnostics(self, message):
        for status in message.status:
            if status.name.startswith("/press_driver"):
                self.driver_values = {value.key: value.value for value in status.values}

    def _on_rejection(self, message):
        self.rejection_codes.append(message.code)
        self.rejections.append(message.reason)

    def send(self, segments=(), preset="", cell_id="cell-1", hold_scale=0.0, die_id="d10",
             **fields):
        self.feedback = []
        goal = RunPressureProfile.Goal(preset=preset, segments=list(segments), cell_id=cell_id,
                                       die_id=die_id, hold_scale=hold_scale, **fields)
        future = self.client.send_goal_async(
            goal, feedback_callback=lambda m: self.feedback.append(m.feedback))
        wait_for(future.done, message="goal response")
        return future.result()

    def result(self, handle, timeout=120.0):
        future = handle.get_result_async()
        wait_for(future.done, timeout=timeout, message="result")
        return future.result().result

    def run(self, segments=(), **kwargs):
        handle = self.send(segments, **kwargs)
        assert handle.accepted, self.rejections[-1:] or "rejected"
        return self.result(handle)


@pytest.mark.record_plot
def test_ramp_hold_release_succeeds_with_feedback_and_a_complete_record(cell):
    wait_for(lambda: cell.recorder.force_calibration is not None,
             message="driver's force table")
    started = time.monotonic()
    result = cell.run(SHORT, electrolyte="li6ps5cl", electrolyte_mass_mg=150.0,
                      anode="li_metal")
    elapsed = time.monotonic() - started
    assert result.outcome == Result.SUCCEEDED, result.reason
    assert [s.completed for s in result.segments] == [True, True, True]
    assert result.segments[0].overshoot_mpa < 1.0
    assert result.segments[1].time_in_band_s >= 1.5
    assert 39.0 < result.peak_mpa < 41.5
    assert len(cell.feedback) >= 5 * elapsed                  # 20 Hz nominal, >= 10 Hz target
    names = {os.path.relpath(f, result.record_dir) for f in result.record_files}
    assert {"summary.json", "samples.csv", "plot.png", "bag/run.mcap"} <= names
    summary = json.load(open(os.path.join(result.record_dir, "summary.json")),
                        parse_constant=lambda name: pytest.fail(f"{name} in summary.json"))
    jsonschema.validate(summary, json.load(open(SUMMARY_SCHEMA)))
    assert summary["status"] == "SUCCEEDED" and summary["cell_id"] == "cell-1"
    assert summary["plot"] in ("pending", "drawn")         # the result does not wait for it
    assert summary["goal"]["force_calibration"]["applied"] is False     # none configured
    assert summary["goal"]["stack"] == {"electrolyte": "li6ps5cl", "electrolyte_mass_mg": 150.0,
                                        "true_density_g_cm3": 1.865, "anode": "li_metal",
                                        "max_temperature_c": 170.5}
    with AnyReader([Path(result.record_dir, "bag")]) as reader:   # not our reader
        counts = {c.topic: c.msgcount for c in reader.connections}
        seconds = reader.duration / 1e9
    assert {"/state", "/run_profile/feedback", "/handling/state", "/diagnostics",
            "/force_calibration", "/cell/stack"} <= set(counts)
    assert counts["/state"] >= 50 * seconds, counts          # as it arrived: 100 Hz nominal
    assert 10 * seconds <= counts["/run_profile/feedback"] <= 25 * seconds, counts
    assert counts["/diagnostics"] <= 5 * seconds, counts      # 1 Hz, not resampled
    assert cell.sim.true_pressure_mpa() < 1.0


def test_regulate_holds_stack_pressure_while_the_cell_breathes(cell):
    cell.sim.inject("cycling", "on")
    result = cell.run([seg(REGULATE, 50, rate_mpa_s=10.0, duration_s=6.0, band_low_mpa=25.0,
                           band_high_mpa=60.0, tolerance_mpa=0.5),
                       seg(RELEASE, 0, rate_mpa_s=20.0)])
    assert result.outcome == Result.SUCCEEDED, result.reason
    assert result.segments[0].p99_abs_error_mpa < 1.5


BAD_GOALS = [
    ({"preset": "nope"}, "unknown preset"),
    ({"segments": [seg(RAMP, 600, rate_mpa_s=5.0)]}, "rating of die d10"),
    ({"segments": [seg(RAMP, 100, rate_mpa_s=100.0)]}, "exceeds the limit"),
    ({"segments": [seg(RAMP, float("nan"), rate_mpa_s=5.0)]}, "not a finite number"),
    ({"segments": [seg(RAMP, 100, rate_mpa_s=1e-46)]}, "below the minimum"),
    ({"segments": [seg(RAMP, 10, rate_mpa_s=5.0, temperature_c=-5000.0)]},
     "outside the platen range"),
    ({"segments": [seg(RAMP, 25, rate_mpa_s=5.0), seg(HOLD, 25, duration_s=5.0)]},
     "leaving the cell loaded"),
    ({"segments": []}, "no segments"),
    ({"segments": SHORT, "cell_id": " "}, "no cell_id"),
    ({"segments": SHORT, "electrolyte": "unobtainium"}, "unknown electrolyte"),
    ({"segments": SHORT, "electrolyte_mass_mg": 150.0}, "needs the electrolyte's name"),
    ({"segments": [seg(RAMP, 10, rate_mpa_s=5.0, temperature_c=148.0),
                   seg(RELEASE, 0, rate_mpa_s=20.0)], "anode": "li_in"},
     "with a li_in anode in the die: at most 146.6"),
]


def test_bad_goals_are_rejected_with_a_readable_reason(cell):
    """One server refuses them all, one after another (a start per goal cost 2-3 s each)."""
    for kwargs, reason in BAD_GOALS:
        handle = cell.send(**kwargs)
        assert not handle.accepted, reason
        wait_for(lambda: cell.last_rejection_says(reason),
                 message=lambda: f"rejection '{reason}' (got {cell.rejections[-1:]})")
        assert cell.sim.truth()["force_setpoint_kn"] == 0.0, reason


def test_one_goal_at_a_time_and_not_when_the_press_is_faulted(cell):
    first = cell.send([seg(RAMP, 30, rate_mpa_s=10.0), seg(HOLD, 30, duration_s=30.0),
                       seg(RELEASE, 0, rate_mpa_s=20.0)])
    assert first.accepted
    second = cell.send(SHORT, cell_id="cell-2")
    assert not second.accepted
    wait_for(lambda: cell.last_rejection_says("one goal at a time"), message="busy reason")
    cell.sim.inject("estop_press")
    result = cell.result(first)
    assert result.outcome == Result.ABORTED and "fault" in result.reason
    wait_for(lambda: cell.sim.true_pressure_mpa() < 1.0, message="released")
    third = cell.send(SHORT, cell_id="cell-3")
    assert not third.accepted
    wait_for(lambda: cell.last_rejection_says("not ready"), message="not-ready reason")


@pytest.mark.parametrize("segments, cancel_in", [
    ([seg(RAMP, 120, rate_mpa_s=5.0), seg(RELEASE, 0, rate_mpa_s=20.0)], "ramping"),
    ([seg(RAMP, 40, rate_mpa_s=20.0), seg(HOLD, 40, duration_s=60.0),
      seg(RELEASE, 0, rate_mpa_s=20.0)], "holding"),
    # one canceled run is drawn: a plot's child costs 3-4 CPU-seconds on a loaded host
    pytest.param([seg(RAMP, 80, rate_mpa_s=20.0), seg(RELEASE, 0, rate_mpa_s=2.0)],
                 "releasing", marks=pytest.mark.record_plot),
    ([seg(REGULATE, 30, rate_mpa_s=20.0, duration_s=0.0)], "regulating"),
])
def test_cancel_in_every_segment_type_releases(cell, segments, cancel_in, request):
    handle = cell.send(segments)
    assert handle.accepted
    wait_for(lambda: cell.feedback and cell.feedback[-1].phase == cancel_in and
             cell.feedback[-1].measured_mpa > 10.0, timeout=60.0,
             message=lambda: f"phase {cancel_in}; last feedback "
             f"{cell.feedback[-1] if cell.feedback else None}")
    handle.cancel_goal_async()
    result = cell.result(handle)
    assert result.outcome == Result.CANCELED, result.reason
    assert cell.sim.true_pressure_mpa() < 1.0
    assert result.record_dir
    if request.node.get_closest_marker("record_plot"):
        wait_for(lambda: os.path.exists(os.path.join(result.record_dir, "plot.png")),
                 timeout=120, message="the run's plot (drawn after the result)")


def test_driver_disconnect_aborts_with_the_reason(cell):
    handle = cell.send([seg(RAMP, 40, rate_mpa_s=20.0), seg(HOLD, 40, duration_s=60.0),
                        seg(RELEASE, 0, rate_mpa_s=20.0)])
    wait_for(lambda: cell.feedback and cell.feedback[-1].phase == "holding", message="hold")
    cell.sim.inject("unplug")
    result = cell.result(handle)
    assert result.outcome == Result.ABORTED and "connect" in result.reason, result.reason
    wait_for(lambda: cell.sim.true_pressure_mpa() < 1.0, message="watchdog release")
    cell.sim.inject("replug")


@pytest.fixture
def fresh_domain(monkeypatch):
    """A DDS domain of its own, so no endpoint of an earlier test is still being discovered."""
    domain = dds_domains.spare(1)
    monkeypatch.setenv("ROS_DOMAIN_ID", str(domain))
    context = Context()
    rclpy.init(context=context, domain_id=domain)
    spinner = ExecutorThread(MultiThreadedExecutor(num_threads=4, context=context))
    yield context, spinner
    nodes = list(spinner.executor.get_nodes())        # shutdown() forgets them
    spinner.stop()
    for node in nodes:
        node.destroy_node()
    rclpy.try_shutdown(context=context)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["killed", "ctrl-c"])
def test_a_dead_sequencer_leaves_the_press_released_and_its_record_readable(
        fresh_domain, tmp_path, how):
    """profile_server in its own process dies mid-hold: the owner lease releases the press."""
    context, spinner = fresh_domain
    records = tmp_path / "runs"
    with SimulatorProcess(str(tmp_path / "sim"), seed=12) as sim, \
            running_driver(sim.config.press_path, tmp_path / "press_driver.log"), \
            running_recorder(records, tmp_path / "run_recorder.log"):
        with open(tmp_path / "profile_server.log", "w") as log:
            server = subprocess.Popen([sys.executable, "-m", "press_control.ros.profile_server",
                                       "--ros-args", "-p", "require_loaded_cell:=false"],
                                      stdout=log, stderr=subprocess.STDOUT)
        client_node = rclpy.create_node("kill_client", context=context)
        client = ProfileClient(client_node)       # resends a goal whose reply DDS lost
        states = []
        client_node.create_subscription(PressState, "state", states.append, 10)
        spinner.executor.add_node(client_node)
        spinner.start()
        try:
            assert client.wait_for_server(60.0)
            feedback = []
            goal = RunPressureProfile.Goal(segments=[seg(RAMP, 40, rate_mpa_s=20.0),
                                                     seg(HOLD, 40, duration_s=120.0),
                                                     seg(RELEASE, 0, rate_mpa_s=20.0)],
                                           cell_id="killed-cell", die_id="d10")

            def accepted():         # a new server rejects goals until the press is ready
                return client.send(goal, feedback.append).accepted
            wait_for(accepted, timeout=60.0, interval=0.5, message="goal accepted")
            wait_for(lambda: feedback and feedback[-1].feedback.phase == "holding",
                     timeout=60.0, message=lambda: f"hold; last feedback "
                     f"{feedback[-1].feedback if feedback else None}")
            assert sim.true_pressure_mpa() > 35.0
            server.send_signal(how)
            died = time.monotonic()
            server.wait(timeout=20)
        finally:
            if server.poll() is None:
                server.kill()
        # owner_timeout_s is 2 s; a release from 40 MPa at 10 MPa/s takes about 4 s more.
        wait_for(lambda: sim.true_pressure_mpa() < 1.0, timeout=30.0,
                 message=lambda: f"release (true {sim.true_pressure_mpa():.1f} MPa)")
        assert time.monotonic() - died < 30.0
        wait_for(lambda: states and states[-1].fault_code == PressState.FAULT_OWNER_LOST,
                 message="the driver names the lost owner")
        assert "owner lease expired" in states[-1].fault_text
        (folder,) = list(records.iterdir())
        assert json.load(open(folder / "summary.json"))["status"] in ("running", "ABORTED")
        assert len(open(folder / "samples.csv").readlines()) > 20
        messages = read_bag(str(folder / "bag" / "run.mcap"))
        assert any(topic == "/run_profile/feedback" for topic, _, _ in messages)


# ---- issue 12: defects that lived in the server, through the real nodes -----------------
def test_a_goal_for_another_die_is_rejected_before_the_press_moves(cell):
    # d10 is installed: 300 MPa meant for d16 once put 753 MPa on the 10 mm die.
    handle = cell.send([seg(RAMP, 300, rate_mpa_s=20.0), seg(RELEASE, 0, rate_mpa_s=20.0)],
                       die_id="d16")
    assert not handle.accepted
    wait_for(lambda: cell.rejection_codes and
             cell.rejection_codes[-1] == GoalRejection.WRONG_DIE, message="wrong-die code")
    assert "die 'd10' is installed" in cell.rejections[-1]
    assert cell.sim.truth()["force_setpoint_kn"] == 0.0
    assert cell.server.state.die_id == "d10"              # as the driver reports it


def test_goals_sent_at_once_are_accepted_one_at_a_time(cell):
    goals = [RunPressureProfile.Goal(segments=SHORT, cell_id=f"at-once-{i}", die_id="d10")
             for i in range(4)]
    futures = [cell.client.send_goal_async(goal) for goal in goals]
    wait_for(lambda: all(f.done() for f in futures), message="goal responses")
    accepted = [f.result() for f in futures if f.result().accepted]
    assert len(accepted) == 1
    assert cell.result(accepted[0]).outcome == Result.SUCCEEDED
    assert cell.sim.true_pressure_mpa() < 1.0


def test_an_exception_in_the_run_still_releases_the_press(cell, monkeypatch):
    original, steps = ProfileRunner.step, []

    def step_then_fail(runner, observation):
        steps.append(observation)
        if runner.phase == "holding":
            raise RuntimeError("injected bug")
        return original(runner, observation)
    monkeypatch.setattr(ProfileRunner, "step", step_then_fail)
    result = cell.run([seg(RAMP, 40, rate_mpa_s=20.0), seg(HOLD, 40, duration_s=60.0),
                       seg(RELEASE, 0, rate_mpa_s=20.0)])
    assert result.outcome == Result.ABORTED
    assert "internal error: RuntimeError: injected bug" in result.reason
    wait_for(lambda: cell.sim.true_pressure_mpa() < 1.0, timeout=30.0, message="released")
    wait_for(lambda: cell.server.handling.state == READY_TO_UNLOAD, message="handshake on")


def test_a_full_disk_during_a_run_aborts_and_releases(cell, monkeypatch):
    original = RunRecord.add_sample

    def add_sample(record, **values):
        if values["time_s"] > 2.0:
            raise OSError(28, "No space left on device")
        return original(record, **values)
    monkeypatch.setattr(RunRecord, "add_sample", add_sample)
    result = cell.run([seg(RAMP, 40, rate_mpa_s=20.0), seg(HOLD, 40, duration_s=60.0),
                       seg(RELEASE, 0, rate_mpa_s=20.0)])
    assert result.outcome == Result.ABORTED and "No space left" in result.reason
    wait_for(lambda: cell.sim.true_pressure_mpa() < 1.0, timeout=30.0, message="released")


def test_a_nan_force_reading_aborts_the_hold_and_releases(cell):
    handle = cell.send([seg(RAMP, 40, rate_mpa_s=20.0), seg(HOLD, 40, duration_s=60.0),
                        seg(RELEASE, 0, rate_mpa_s=20.0)])
    wait_for(lambda: cell.feedback and cell.feedback[-1].phase == "holding", message="hold")
    cell.sim.inject("sensor_nan")
    result = cell.result(handle)
    assert result.outcome == Result.ABORTED and "force reading is nan" in result.reason
    wait_for(lambda: cell.sim.true_pressure_mpa() < 1.0, timeout=30.0, message="released")


def test_the_li_anode_preset_ends_released(cell):
    result = cell.run(preset="li_anode_creep_25", hold_scale=0.01)
    assert result.outcome == Result.SUCCEEDED, result.reason
    assert cell.sim.true_pressure_mpa() < 1.0
    assert cell.server.handling.state != FAULT


def test_keep_loaded_hands_the_cell_only_to_the_next_goal_for_it(cell):
    first = cell.run([seg(RAMP, 25, rate_mpa_s=10.0), seg(HOLD, 25, duration_s=1.0)],
                     cell_id="kept", keep_loaded=True)
    assert first.outcome == Result.SUCCEEDED and "stays loaded" in first.reason
    # Longer than owner_timeout_s: a lapsed lease would have latched fault 101 by now.
    time.sleep(OWNER_TIMEOUT_S + 1.0)
    assert cell.sim.true_pressure_mpa() > 20.0 and cell.server.state.fault_code == 0
    other = cell.send(SHORT, cell_id="another")
    assert not other.accepted
    wait_for(lambda: cell.last_rejection_says("keeps cell 'kept' loaded"), message="reason")
    second = cell.run([seg(RAMP, 25, rate_mpa_s=10.0), seg(HOLD, 25, duration_s=1.0),
                       seg(RELEASE, 0, rate_mpa_s=20.0)], cell_id="kept")
    assert second.outcome == Result.SUCCEEDED, second.reason
    assert cell.sim.true_pressure_mpa() < 1.0


def test_a_hung_sequencer_loses_the_press_and_the_handshake_says_why(cell, monkeypatch):
    original, hung, resume = ProfileRunner.step, threading.Event(), threading.Event()

    def step_or_hang(runner, observation):
        if runner.phase == "holding" and not hung.is_set():
            hung.set()
            resume.wait(60.0)                    # the run loop stops: no owner heartbeat
        return original(runner, observation)
    monkeypatch.setattr(ProfileRunner, "step", step_or_hang)
    handle = cell.send([seg(RAMP, 60, rate_mpa_s=20.0), seg(HOLD, 60, duration_s=60.0),
                        seg(RELEASE, 0, rate_mpa_s=20.0)])
    assert handle.accepted
    wait_for(hung.is_set, timeout=30.0, message="the hold")
    wait_for(lambda: cell.server.handling.state == FAULT, timeout=20.0,
             message="handshake FAULT while the sequencer hangs")
    assert "owner lease expired" in cell.server.handling.machine.reason
    wait_for(lambda: cell.sim.true_pressure_mpa() < 1.0, timeout=30.0, message="released")
    resume.set()
    result = cell.result(handle)
    assert result.outcome == Result.ABORTED


def test_a_recorder_that_dies_mid_goal_leaves_the_press_alone_and_the_result_says_so(
        fresh_domain, tmp_path):
    """run_recorder is SIGKILLed mid-hold: the goal runs on to its end, the press releases as
    planned (the simulator's truth), and the result says the record is incomplete."""
    context, spinner = fresh_domain
    records = tmp_path / "runs"
    with SimulatorProcess(str(tmp_path / "sim"), seed=13) as sim, \
            running_driver(sim.config.press_path, tmp_path / "press_driver.log"), \
            running_recorder(records, tmp_path / "run_recorder.log") as recorder:
        server = ProfileServerNode(context=context, parameter_overrides=[
            Parameter("require_loaded_cell", value=False)])
        client_node = rclpy.create_node("recorder_kill_client", context=context)
        client = ProfileClient(client_node)
        spinner.executor.add_node(server)
        spinner.executor.add_node(client_node)
        spinner.start()
        assert client.wait_for_server(60.0)
        wait_for(lambda: server.readiness_problem() is None, timeout=60,
                 message=lambda: f"ready ({server.readiness_problem()})")
        feedback = []
        goal = RunPressureProfile.Goal(segments=[seg(RAMP, 40, rate_mpa_s=20.0),
                                                 seg(HOLD, 40, duration_s=4.0),
                                                 seg(RELEASE, 0, rate_mpa_s=20.0)],
                                       cell_id="unrecorded", die_id="d10")
        done = []
        runner = threading.Thread(target=lambda: done.append(client.run(goal, feedback.append)))
        runner.start()
        wait_for(lambda: feedback and feedback[-1].phase == "holding", timeout=60,
                 message="hold")
        recorder.kill()
        recorder.wait()
        runner.join(timeout=60)
        (result,) = done
        assert result.outcome == Result.SUCCEEDED, result.reason
        assert "record is incomplete" in result.reason and "run_recorder" in result.reason
        assert sim.true_pressure_mpa() < 1.0
        (folder,) = list(records.iterdir())
        assert json.load(open(folder / "summary.json"))["status"] == "running"


def test_record_replies_that_never_come_are_asked_for_again_and_answered_the_same(
        cell, monkeypatch):
    """A recorder started with the press lost its first reply to discovery (rmw: "client
    will not receive response") and the 50-cell soak's first cell was refused. Here the
    first open and the first close each answer after the server stopped waiting."""
    cell.server.config = dataclasses.replace(cell.server.config, record_timeout_s=2.0)
    calls = []

    def late_the_first_time(action):
        answer = getattr(cell.recorder, action)

        def answering(request, response):
            calls.append((action, request.goal_id))
            reply = answer(request, response)
            if [done for done, _ in calls].count(action) == 1:
                time.sleep(3.0)               # the server has given up on this reply
            return reply
        monkeypatch.setattr(cell.recorder, action, answering)
    late_the_first_time("start")
    late_the_first_time("finish")
    result = cell.run(preset="handling_check")
    assert result.outcome == Result.SUCCEEDED, result.reason
    goal_ids = {goal_id for _, goal_id in calls}
    assert [action for action, _ in calls] == ["start", "start", "finish", "finish"]
    assert len(goal_ids) == 1
    assert os.listdir(cell.records) == [os.path.basename(result.record_dir)]   # one record
    summary = json.load(open(os.path.join(result.record_dir, "summary.json")))
    assert summary["status"] == "SUCCEEDED"


class LateToTheDriver:
    """An arm whose heartbeats reach the driver `delay_s` late (its topic remapped, relayed).

    The handshake in profile_server takes them on handling/arm at once, as a loaded host's
    driver once lagged it.
    """

    def __init__(self, node, cell_id: str, delay_s: float):
        self.inside, self.intent, self.cell_id, self.delay_s = False, 0, cell_id, delay_s
        self.to_server = node.create_publisher(ArmHeartbeat, "handling/arm", 10)
        self.to_driver = node.create_publisher(ArmHeartbeat, "handling/arm_late", 10)
        self.queue = collections.deque()
        node.create_timer(0.05, self.beat)

    def beat(self):
        message = ArmHeartbeat(arm_id="late_arm", in_workspace=self.inside,
                               cell_id=self.cell_id, intent=self.intent)
        self.to_server.publish(message)
        now = time.monotonic()
        self.queue.append((now, message))
        while self.queue and now - self.queue[0][0] >= self.delay_s:
            self.to_driver.publish(self.queue.popleft()[1])


def test_a_goal_sent_on_loaded_waits_for_the_driver_to_see_the_arm_leave(
        ros_context, spin, tmp_path):
    """CI (a clean clone's suite) refused examples/minimal_arm.py's goal 0.26 s after LOADED:
    "an arm is in the workspace": the driver had not yet taken the heartbeat that the
    handshake had. Here the driver takes every heartbeat 1 s late; the goal is accepted once
    the driver agrees, and the driver's own state said the arm was inside when it came."""
    with SimulatorProcess(str(tmp_path / "sim"), seed=3) as sim:
        server = ProfileServerNode(context=ros_context, parameter_overrides=[
            Parameter("require_loaded_cell", value=True)])
        recorder = RunRecorderNode(context=ros_context, parameter_overrides=[
            Parameter("record_dir", value=str(tmp_path / "runs")),
            Parameter("record_plot", value=False)])
        node = rclpy.create_node("late_arm", context=ros_context)
        arm = LateToTheDriver(node, "cell-late", delay_s=1.0)
        client = ActionClient(node, RunPressureProfile, "run_profile")
        states = []
        node.create_subscription(PressState, "state", states.append, 100)
        spin(server, recorder, node)
        driver = start_driver(sim.config.press_path, tmp_path / "press_driver.log", ros_args=(
            "-p", "arm_interlock:=true", "-r", "handling/arm:=handling/arm_late"))
        try:
            assert client.wait_for_server(timeout_sec=60.0)
            wait_for(lambda: server.handling.state == READY_TO_LOAD, timeout=60,
                     message=lambda: f"READY_TO_LOAD ({server.readiness_problem()})")
            wait_for(lambda: states and states[-1].arm_clear,       # its heartbeats came
                     message="the driver to see the arm outside")
            arm.intent, arm.inside = ArmHeartbeat.INTENT_LOAD, True
            wait_for(lambda: not states[-1].arm_clear, message="the driver to see it inside")
            time.sleep(0.5)                 # the gripper places the cell
            arm.inside = False
            wait_for(lambda: server.handling.state == LOADED, message="LOADED")
            driver_sees_the_arm = not states[-1].arm_clear
            sent = time.monotonic()
            future = client.send_goal_async(RunPressureProfile.Goal(
                preset="handling_check", cell_id="cell-late"))
            wait_for(future.done, message="the goal's answer")
            waited = time.monotonic() - sent
            assert driver_sees_the_arm          # so the goal came while the views differed
            assert future.result().accepted, server.readiness_problem()
            assert STATE_CONFIRM_S < waited < ARM_VIEWS_AGREE_S + 5.0, waited
            result_future = future.result().get_result_async()
            wait_for(result_future.done, timeout=120, message="the result")
            assert result_future.result().result.outcome == Result.SUCCEEDED
            assert sim.true_pressure_mpa() < 1.0
        finally:
            interrupt(driver)


def test_a_record_asked_for_after_ros_shut_down_says_so_instead_of_raising(ros_context):
    """A signal handled by rclpy's own handler (an in-process bench) shuts the context down
    under a running goal; its record's end is then refused with the reason, not raised."""
    from press_control_interfaces.srv import RecordRun

    server = ProfileServerNode(context=ros_context)
    rclpy.shutdown(context=ros_context)
    try:
        reply, problem = server._record(RecordRun.Request(action=RecordRun.Request.FINISH,
                                                          goal_id="0" * 32, cell_id="c"))
    finally:
        server.destroy_node()
    assert reply is None and "ROS is shut down" in problem and "run_recorder" in problem

"""Campaigns over several presses and processes (long): two presses on one study, a killed
campaign node resumed, and two hosts sharing a study through a real PostgreSQL server."""
import datetime
import json
import os
import pathlib
import signal
import sqlite3
import subprocess
import sys

import pytest

from network_hosts import NetworkHosts
from postgres_server import PostgresServer
from waiting import wait_for

SHORT = str(pathlib.Path(__file__).with_name("short_campaign.yaml"))
ARM = {"dwell_s": 0.3, "jitter_s": 0.1}
pytestmark = pytest.mark.long


def _pressctl(*args):
    return [sys.executable, "-m", "press_control.app.cli", "campaign", *args]


def _trials(rows, params):
    trials = {}
    for number, state, start, end, key, value in rows:
        trial = trials.setdefault(number, {"state": state, "start": start, "end": end,
                                           "params": {}})
        trial[key] = json.loads(value)
    for number, name, value in params:
        if number in trials:            # a trial asked a moment ago may have no attrs yet
            trials[number]["params"][name] = value
    return trials


TRIALS_SQL = ("select t.number, t.state, t.datetime_start, t.datetime_complete, a.key, "
              "a.value_json from trials t join trial_user_attributes a using (trial_id) "
              "order by t.number")
PARAMS_SQL = ("select t.number, p.param_name, p.param_value from trials t join trial_params "
              "p using (trial_id)")


def _sqlite_trials(db):
    with sqlite3.connect(db) as connection:           # the study read without Optuna
        return _trials(connection.execute(TRIALS_SQL).fetchall(),
                       connection.execute(PARAMS_SQL).fetchall())


def _pressed_cells(db) -> int:
    try:
        return len(_sqlite_trials(db))
    except sqlite3.OperationalError:                  # Optuna has not made its tables yet
        return 0


def _assert_no_cell_twice_and_no_shared_pending_point(trials, cells, presses):
    pressed = {n: t for n, t in trials.items() if "not_pressed" not in t}
    assert len(pressed) == cells
    assert len({t["cell_id"] for t in pressed.values()}) == cells
    assert {t["press"] for t in pressed.values()} == set(presses)
    assert all(t["state"] in ("COMPLETE", "FAIL") for t in trials.values())

    def moment(value):
        return value if isinstance(value, datetime.datetime) else \
            datetime.datetime.fromisoformat(value)
    ranges = {"densify_mpa": 40.0, "stack_mpa": 15.0}          # short_campaign.yaml
    items = list(pressed.values())
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            overlapping = moment(a["start"]) < moment(b["end"]) and \
                moment(b["start"]) < moment(a["end"])
            if overlapping and a["press"] != b["press"]:
                assert any(abs(a["params"][k] - b["params"][k]) >= 0.01 * r
                           for k, r in ranges.items()), (a, b)


@pytest.mark.minutes(240)
def test_two_presses_work_one_study_with_no_duplicate_pending_point(started, tmp_path):
    db = str(tmp_path / "shared.db")
    presses = [started(namespace=name, record_dir=str(tmp_path / name),
                       campaign_parameters={**ARM, "campaigns_dir": str(tmp_path / name)})
               for name in ("press_1", "press_2")]
    for press in presses:
        assert press.wait_ready(120.0, arm_needed=False) == ""
    runs = [subprocess.Popen(_pressctl("run", SHORT, "--cells", "4", "--storage",
                                       f"sqlite:///{db}", "--namespace", name),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for name in ("press_1", "press_2")]
    for run in runs:
        out, err = run.communicate(timeout=900)
        assert run.returncode == 0, (out[-2000:], err[-2000:])
    for press in presses:
        assert press.sim.true_pressure_mpa() < 1.0
    _assert_no_cell_twice_and_no_shared_pending_point(_sqlite_trials(db), 4,
                                                      ("press_1", "press_2"))


@pytest.mark.minutes(200)
def test_a_killed_campaign_node_resumes_with_no_cell_lost_or_counted_twice(started,
                                                                           tmp_path,
                                                                           ros_context):
    campaign = {**ARM, "campaigns_dir": str(tmp_path / "campaigns")}
    press = started(record_dir=str(tmp_path / "runs"), campaign_parameters=campaign)
    assert press.wait_ready(90.0, arm_needed=False) == ""
    first = subprocess.Popen(_pressctl("run", SHORT, "--cells", "3"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    db = tmp_path / "campaigns" / "short_campaign" / "campaign.db"
    wait_for(lambda: db.exists() and _pressed_cells(db) == 2 and
             press.sim.true_pressure_mpa() > 40.0, 400.0, message="the second cell pressed")
    press.campaign.send_signal(signal.SIGKILL)                  # a power cut of the campaign
    press.campaign.wait(30)
    wait_for(lambda: press.sim.true_pressure_mpa() < 1.0, 60.0,
             message="the press released under the owner lease")
    out, err = first.communicate(timeout=120)
    assert first.returncode == 2 and "went away" in err, (out[-1500:], err[-1500:])
    press.campaign = press._start_node_process("campaign", {
        **campaign, "record_dir": str(tmp_path / "runs")})
    _reset_handling(ros_context)             # the operator clears the fault the kill raised
    resumed = subprocess.run(_pressctl("run", SHORT, "--cells", "3"), capture_output=True,
                             text=True, timeout=600)
    assert resumed.returncode == 0, (resumed.stdout[-2000:], resumed.stderr[-2000:])
    trials = _sqlite_trials(db)
    pressed = [t for t in trials.values() if "not_pressed" not in t]
    assert [t["cell_id"] for t in pressed] == [f"short_campaign-00{n}" for n in range(3)]
    assert [t["state"] for t in pressed] == ["COMPLETE", "FAIL", "COMPLETE"]
    assert "stopped while the cell was in the press" in pressed[1]["reason"]
    assert press.sim.true_pressure_mpa() < 1.0


def _reset_handling(context):
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from std_srvs.srv import Trigger

    node = rclpy.create_node("operator", context=context)
    executor = SingleThreadedExecutor(context=context)
    try:
        client = node.create_client(Trigger, "handling/reset")
        assert client.wait_for_service(timeout_sec=30.0)

        def reset():
            future = client.call_async(Trigger.Request())
            rclpy.spin_until_future_complete(node, future, executor=executor,
                                             timeout_sec=10.0)
            return future.done() and future.result().success
        wait_for(reset, 60.0, message="the handling fault reset (campaign arm heartbeat back)")
    finally:
        executor.shutdown()
        node.destroy_node()


@pytest.fixture
def hosts():
    network = NetworkHosts(int(os.environ["ROS_DOMAIN_ID"]) + 97).up()
    yield network
    network.down()


@pytest.mark.minutes(240)
def test_two_hosts_share_a_study_through_postgresql(hosts, tmp_path):
    server = PostgresServer(host=hosts.addresses["press"], netns=hosts.names["press"]).start()
    bringups, runs, logs = [], [], {}
    try:
        for host in ("press", "arm"):                     # a press on each host
            logs[host] = tmp_path / f"{host}.log"
            with open(logs[host], "w") as log:
                bringups.append(subprocess.Popen(
                    ["ip", "netns", "exec", hosts.names[host], sys.executable, "-m",
                     "press_control.app.bringup", "--campaign", "--no-panel", "--sim-dir",
                     str(tmp_path / f"sim_{host}"), "--record-dir", str(tmp_path / host),
                     "--namespace", f"host_{host}"],
                    stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ)))
        for host in ("press", "arm"):
            wait_for(lambda: "bringup: ready" in logs[host].read_text(), timeout=120,
                     message=lambda: f"{host}: {logs[host].read_text()[-1500:]}")
        runs += [subprocess.Popen(["ip", "netns", "exec", hosts.names[host], *_pressctl(
            "run", SHORT, "--cells", "4", "--storage", server.url(), "--namespace",
            f"host_{host}")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
            for host in ("press", "arm")]
        for run in runs:
            out, err = run.communicate(timeout=900)
            assert run.returncode == 0, (out[-2000:], err[-2000:])
        rows = [(int(n), state, start, end, key, value)                # read with psql
                for n, state, start, end, key, value in server.query(TRIALS_SQL)]
        params = [(int(n), name, float(value)) for n, name, value in server.query(PARAMS_SQL)]
        trials = _trials(rows, params)
        presses = {t["press"] for t in trials.values() if "press" in t}
        assert presses == {"host_press", "host_arm"}
        _assert_no_cell_twice_and_no_shared_pending_point(trials, 4, presses)
    finally:
        for process in runs:
            if process.poll() is None:
                process.kill()
        for process in bringups:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        server.stop()

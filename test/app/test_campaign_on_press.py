"""Cancelling a campaign through the real nodes releases the press (a campaign run to its
end, watched on the panel, is in test_press_panel.py)."""
import json
import pathlib
import signal
import sqlite3
import subprocess
import sys

import pytest

from waiting import wait_for

SHORT = str(pathlib.Path(__file__).with_name("short_campaign.yaml"))
ARM = {"dwell_s": 0.3, "jitter_s": 0.1}


def _pressctl(*args):
    return [sys.executable, "-m", "press_control.app.cli", "campaign", *args]


def _cells(db):
    with sqlite3.connect(db) as connection:          # the study read without Optuna
        rows = connection.execute(
            "select t.number, t.state, a.key, a.value_json from trials t join "
            "trial_user_attributes a using (trial_id) order by t.number").fetchall()
        params = connection.execute(
            "select t.number, p.param_name, p.param_value from trials t join trial_params p "
            "using (trial_id)").fetchall()
    cells = {}
    for number, state, key, value in rows:
        cells.setdefault(number, {"state": state, "params": {}})[key] = json.loads(value)
    for number, name, value in params:
        cells[number]["params"][name] = value
    return {n: c for n, c in cells.items() if "not_pressed" not in c}


def _the_node_refuses_a_space_past_the_die_rating(tmp_path):
    """Sent straight to the node (pressctl would refuse it first): nothing is pressed."""
    from press_control.ros.operator import PressOperator

    too_high = tmp_path / "too_high.yaml"
    too_high.write_text(pathlib.Path(SHORT).read_text().replace(
        "densify_mpa: {low: 60.0, high: 100.0", "densify_mpa: {low: 60.0, high: 520.0"))
    operator = PressOperator()
    try:
        result = operator.run_campaign(str(too_high), wait_s=30.0)
    finally:
        operator.close()
    assert not result.success and result.cells_finished == 0
    assert "campaign refused" in result.message and "rating of die d10" in result.message
    assert not (tmp_path / "campaigns" / "short_campaign").exists()


@pytest.mark.minutes(90)
def test_cancelling_a_campaign_cancels_its_cell_and_the_press_releases(started, tmp_path):
    press = started(record_dir=str(tmp_path / "runs"),
                    campaign_parameters={**ARM, "campaigns_dir": str(tmp_path / "campaigns")})
    assert press.wait_ready(90.0, arm_needed=False) == ""
    _the_node_refuses_a_space_past_the_die_rating(tmp_path)
    client = subprocess.Popen(_pressctl("run", SHORT, "--cells", "3"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: press.sim.true_pressure_mpa() > 40.0, 300.0, message="the first cell pressed")
    client.send_signal(signal.SIGINT)
    out, err = client.communicate(timeout=300)
    assert client.returncode == 1, (out[-2000:], err[-2000:])
    assert "cancelled" in out
    wait_for(lambda: press.sim.true_pressure_mpa() < 1.0, 60.0, message="the press released")
    cells = _cells(tmp_path / "campaigns" / "short_campaign" / "campaign.db")
    assert [c["state"] for c in cells.values()] == ["FAIL"]      # no further cell asked
    assert "CANCELED" in next(iter(cells.values()))["reason"]

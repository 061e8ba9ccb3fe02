"""A campaign through the real nodes: the campaign node's arm loads each cell, run_profile
presses it, the record is read back, the study is told; cancelling releases the press."""
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


@pytest.mark.minutes(120)
def test_a_campaign_presses_its_cells_through_the_arm_and_learns_from_their_records(
        started, tmp_path):
    press = started(record_dir=str(tmp_path / "runs"),
                    campaign_parameters={**ARM, "campaigns_dir": str(tmp_path / "campaigns")})
    assert press.wait_ready(90.0, arm_needed=False) == ""
    run = subprocess.run(_pressctl("run", SHORT, "--cells", "2", "--seed", "4"),
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, (run.stdout[-2000:], run.stderr[-3000:])
    assert "cell 1/2 short_campaign-000: pressing" in run.stdout
    assert "best: short_campaign-" in run.stdout
    assert press.sim.true_pressure_mpa() < 1.0                   # the simulator's truth
    cells = _cells(tmp_path / "campaigns" / "short_campaign" / "campaign.db")
    assert len(cells) == 2 and all(c["state"] == "COMPLETE" for c in cells.values())
    for cell in cells.values():
        record = pathlib.Path(cell["record_dir"])
        summary = json.loads((record / "summary.json").read_text())
        segments = summary["goal"]["segments"]                  # what the server ran
        assert segments[0]["target_mpa"] == pytest.approx(cell["params"]["densify_mpa"])
        assert segments[4]["target_mpa"] == pytest.approx(cell["params"]["stack_mpa"])
        assert summary["status"] == "SUCCEEDED"
        lines = (record / "samples.csv").read_text().splitlines()
        header = lines[0].split(",")
        last = [row.split(",") for row in lines[1:]
                if row.split(",")[header.index("segment")] == "4" and
                row.split(",")[header.index("interface_resistance_ohm")]][-1]
        expected = float(last[header.index("interface_resistance_ohm")]) * \
            summary["goal"]["die_area_mm2"] / 100.0
        assert cell["metrics"]["interface_asr_ohm_cm2"] == pytest.approx(expected)


@pytest.mark.minutes(90)
def test_cancelling_a_campaign_cancels_its_cell_and_the_press_releases(started, tmp_path):
    press = started(record_dir=str(tmp_path / "runs"),
                    campaign_parameters={**ARM, "campaigns_dir": str(tmp_path / "campaigns")})
    assert press.wait_ready(90.0, arm_needed=False) == ""
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

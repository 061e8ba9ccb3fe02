"""`pressctl campaign ... --offline`: a run, a killed run resumed, status, best, export."""
import csv
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.request

import pytest

from press_control.resources import config_path
from waiting import wait_for

EXAMPLE = config_path("campaigns/li6ps5cl_interface.yaml")


def _pressctl(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "press_control.app.cli", *args],
                          capture_output=True, text=True, timeout=timeout)


def _trials(db):
    with sqlite3.connect(db) as connection:           # read without Optuna
        return connection.execute(
            "select t.number, t.state, a.value_json from trials t left join "
            "trial_user_attributes a on a.trial_id = t.trial_id and a.key = 'cell_id' "
            "order by t.number").fetchall()


def test_an_offline_campaign_runs_prints_its_best_against_the_optimum_and_exports(tmp_path):
    done = _pressctl("campaign", "run", EXAMPLE, "--offline", "--cells", "12", "--seed", "3",
                     "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert sum(line.startswith("cell ") for line in lines) == 12
    assert any(line.startswith("best: li6ps5cl_interface-") for line in lines)
    assert any("the twin's true optimum (brute force" in line for line in lines)
    assert any("simulated cells per second" in line for line in lines)
    folder = tmp_path / "li6ps5cl_interface-offline"
    for name in ("cells.csv", "objective.png", "objective.svg", "campaign.db"):
        assert (folder / name).stat().st_size > 0
    with open(folder / "cells.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [int(r["cell"]) for r in rows] == list(range(1, 13))
    assert {"densify_mpa", "attach_mpa", "stack_mpa", "objective:interface_asr_ohm_cm2",
            "relative_density", "shorted", "reason", "record_dir"} <= set(rows[0])
    status = _pressctl("campaign", "status", "li6ps5cl_interface", "--offline", "--dir",
                       str(tmp_path))
    assert status.returncode == 0 and "12 cells finished" in status.stdout
    best = _pressctl("campaign", "best", "li6ps5cl_interface", "--offline", "--dir",
                     str(tmp_path))
    feasible = [r for r in rows if r["verdict"] == "feasible"]
    lowest = min(feasible, key=lambda r: float(r["objective:interface_asr_ohm_cm2"]))
    assert best.stdout.startswith(lowest["cell_id"] + ":")
    exported = _pressctl("campaign", "export", "li6ps5cl_interface", "--offline", "--dir",
                         str(tmp_path), "--csv", str(tmp_path / "out.csv"))
    assert exported.returncode == 0
    assert (tmp_path / "out.csv").read_text() == (folder / "cells.csv").read_text()
    _optuna_dashboard_lists(folder / "campaign.db", "li6ps5cl_interface", 12)


def _optuna_dashboard_lists(db, study, trials):
    """Optuna's own viewer opens the campaign's storage as docs/campaigns.md says."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    viewer = subprocess.Popen([os.path.join(os.path.dirname(sys.executable),
                                            "optuna-dashboard"), f"sqlite:///{db}", "--port",
                               str(port), "--quiet"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        def studies():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies",
                                            timeout=5) as reply:
                    return json.load(reply)["study_summaries"]
            except OSError:
                return None
        wait_for(studies, 60, message="optuna-dashboard's study list")
        [summary] = studies()
        assert summary["study_name"] == study
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies/"
                                    f"{summary['study_id']}", timeout=10) as reply:
            assert len(json.load(reply)["trials"]) == trials
    finally:
        viewer.terminate()
        viewer.wait(10)


def test_a_killed_campaign_resumes_with_no_cell_lost_or_counted_twice(tmp_path):
    db = tmp_path / "li6ps5cl_interface-offline" / "campaign.db"
    command = [sys.executable, "-m", "press_control.app.cli", "campaign", "run", EXAMPLE,
               "--offline", "--cells", "30", "--no-oracle", "--dir", str(tmp_path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    for line in process.stdout:                         # wait for a few cells, then kill -9
        if line.startswith("cell 5/"):
            break
    process.send_signal(signal.SIGKILL)
    process.wait(60)
    killed_at = _trials(db)
    assert 5 <= len(killed_at) < 30
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    trials = _trials(db)
    cells = [t for t in trials if t[2] is not None]
    assert len(cells) == 30 and len({t[2] for t in cells}) == 30
    assert all(state in ("COMPLETE", "FAIL") for _, state, _ in trials)
    finished_before = [t for t in killed_at if t[1] in ("COMPLETE", "FAIL")]
    assert trials[:len(finished_before)] == finished_before      # nothing told again
    assert f"{len(finished_before)} already done" in resumed.stdout.splitlines()[0]


def test_a_campaign_past_the_die_rating_is_refused_and_nothing_is_written(tmp_path):
    spec = open(EXAMPLE).read().replace("die: d10", "die: d16")
    path = tmp_path / "too_high.yaml"
    path.write_text(spec)
    refused = _pressctl("campaign", "run", str(path), "--offline", "--dir", str(tmp_path))
    assert refused.returncode == 2
    assert "campaign refused" in refused.stderr and "die d16 (400 MPa)" in refused.stderr
    assert os.listdir(tmp_path) == ["too_high.yaml"]


@pytest.mark.parametrize("verb", ["status", "best", "export"])
def test_an_unknown_campaign_is_named(verb, tmp_path):
    missing = _pressctl("campaign", verb, "nothing", "--dir", str(tmp_path))
    assert missing.returncode == 2 and "no campaign 'nothing'" in missing.stderr

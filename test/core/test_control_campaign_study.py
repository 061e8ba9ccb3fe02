"""The campaign's study: ask/tell over SQLite, failures kept, resume, no duplicate pending."""
import dataclasses
import math
import sqlite3

import pytest

from press_control.control.campaign_loop import Pressed, run_cells
from press_control.control.campaign_spec import load_campaign
from press_control.control.campaign_study import CampaignStudy, StudyMismatch
from press_control.resources import config_path


def _campaign(name="li6ps5cl_interface.yaml", **changes):
    return dataclasses.replace(load_campaign(config_path(f"campaigns/{name}")), **changes)


def _metrics(asr, density=0.85, shorted=0.0, time_s=500.0):
    return {"interface_asr_ohm_cm2": asr, "press_time_s": time_s, "relative_density": density,
            "shorted": shorted, "delaminated": 0.0}


def _rows(path, sql):
    with sqlite3.connect(path) as db:                # the database read without Optuna
        return db.execute(sql).fetchall()


def test_told_cells_are_in_the_database_with_their_reason(tmp_path):
    db = tmp_path / "c.db"
    study = CampaignStudy(_campaign(), str(db), press="p1")
    measured, failed = study.ask(), study.ask()
    study.tell_measured(measured.number, _metrics(20.0), "/runs/a", [-0.1, -1, -1])
    study.tell_failed(failed.number, "ABORTED: pressure loss in segment 2", "/runs/b")
    states = dict(_rows(db, "select number, state from trials"))
    assert states == {measured.number: "COMPLETE", failed.number: "FAIL"}
    attrs = dict(_rows(db, "select key, value_json from trial_user_attributes join trials "
                           f"using (trial_id) where number = {failed.number}"))
    assert "pressure loss in segment 2" in attrs["reason"]
    assert study.finished() == 2 and not study.pending()
    assert [c.cell_id for c in study.best()] == [measured.cell_id]


def test_the_best_cell_is_the_feasible_minimum():
    study = CampaignStudy(_campaign(), "sqlite://", press="p1")         # in memory
    told = {}
    for asr, violations in ((14.0, [-0.1, 1.0, -1.0]),      # lowest, but it shorted
                            (16.0, [-0.1, -1.0, -1.0]), (15.0, [-0.1, 0.0, -1.0]),
                            (18.0, [-0.1, -1.0, -1.0])):
        cell = study.ask()
        study.tell_measured(cell.number, _metrics(asr), "", violations)
        told[cell.cell_id] = (asr, violations)
    feasible = {k: v[0] for k, v in told.items() if all(x <= 0 for x in v[1])}
    assert [c.cell_id for c in study.best()] == [min(feasible, key=feasible.get)]


def test_the_pareto_set_is_every_feasible_undominated_cell():
    study = CampaignStudy(_campaign("li6ps5cl_pareto.yaml"), "sqlite://", press="p1")
    points = [(15.0, 900.0), (16.0, 500.0), (17.0, 600.0), (14.0, 2000.0), (13.0, 400.0)]
    for index, (asr, seconds) in enumerate(points):
        cell = study.ask()
        shorted = 1.0 if index == 4 else 0.0              # the best of all, but infeasible
        study.tell_measured(cell.number, _metrics(asr, time_s=seconds, shorted=shorted), "",
                            [-0.1, shorted, -1.0])
    feasible = points[:4]
    front = {p for p in feasible if not any(q[0] <= p[0] and q[1] <= p[1] and q != p
                                            for q in feasible)}
    assert {tuple(c.values) for c in study.best()} == front == {
        (15.0, 900.0), (16.0, 500.0), (14.0, 2000.0)}


def test_two_presses_never_hold_the_same_pending_point(tmp_path):
    db = str(tmp_path / "shared.db")
    campaign = _campaign()
    first = CampaignStudy(campaign, db, press="press_1")
    second = CampaignStudy(campaign, db, press="press_2")
    point = {"densify_mpa": 400.0, "attach_mpa": 20.0, "stack_mpa": 45.0}
    first.study.enqueue_trial(point)
    first.study.enqueue_trial(point)                        # both would be told the same
    a = first.ask()
    b = second.ask()
    assert a.params == point and b.params != point
    assert any(abs(b.params[k] - point[k]) > 0.01 * (r.high - r.low)
               for k, r in zip(point, campaign.space))
    set_aside = _rows(db, "select value_json from trial_user_attributes where key = "
                          "'not_pressed'")
    assert len(set_aside) == 1 and "press_1" in set_aside[0][0]
    assert {c.press for c in first.pending()} == {"press_1", "press_2"}
    assert first.finished() == 0                            # the set-aside one is no cell


def test_a_resumed_campaign_settles_its_pending_cell_and_counts_no_cell_twice(tmp_path):
    db = str(tmp_path / "c.db")
    campaign = _campaign(cells=6)
    study = CampaignStudy(campaign, db, press="p1")
    for _ in range(2):
        cell = study.ask()
        study.tell_measured(cell.number, _metrics(20.0), "", [-1, -1, -1])
    in_press = study.ask()                                  # the process dies here
    settled, pressed = [], []

    def settle(cell):
        settled.append(cell.cell_id)
        return Pressed("ABORTED", "campaign stopped while the cell was in the press")

    def press(cell):
        pressed.append(cell.cell_id)
        return Pressed("SUCCEEDED", "profile complete", _metrics(18.0))
    resumed = CampaignStudy(campaign, db, press="p1")
    assert run_cells(resumed, press, campaign.cells, settle) == 3
    assert settled == [in_press.cell_id]
    ids = [c.cell_id for c in resumed.cells()]
    assert len(ids) == len(set(ids)) == 6 == resumed.finished()
    assert _rows(db, "select count(*) from trials where state = 'RUNNING'") == [(0,)]
    failed = [c for c in resumed.cells() if c.state == "FAIL"]
    assert [c.cell_id for c in failed] == [in_press.cell_id]
    assert "in the press" in failed[0].reason


def test_a_changed_campaign_under_the_same_name_is_refused(tmp_path):
    db = str(tmp_path / "c.db")
    CampaignStudy(_campaign(), db)
    moved = _campaign()
    moved = dataclasses.replace(moved, space=[dataclasses.replace(moved.space[0], high=420.0),
                                              *moved.space[1:]])
    with pytest.raises(StudyMismatch, match="new name"):
        CampaignStudy(moved, db)
    assert CampaignStudy(_campaign(cells=99), db).campaign.cells == 99   # budget may change


def test_a_study_opens_from_what_it_stored(tmp_path):
    db = str(tmp_path / "c.db")
    campaign = _campaign()
    CampaignStudy(campaign, db)
    opened = CampaignStudy.open(campaign.name, db)
    assert opened.campaign.space == campaign.space
    assert math.isnan(opened.campaign.constraints[0].max)
    assert CampaignStudy.open("nothing", db) is None
    assert CampaignStudy.open(campaign.name, str(tmp_path / "absent.db")) is None


def test_a_suggestion_orphaned_between_ask_and_press_is_set_aside_not_counted(tmp_path):
    db = str(tmp_path / "c.db")
    campaign = _campaign(cells=3)
    study = CampaignStudy(campaign, db, press="p1")
    study.study.ask(study.distributions)        # a process died inside ask(): no press yet
    assert study.set_aside_orphans(older_than_s=60.0) == 0      # may be another press's
    assert study.set_aside_orphans(older_than_s=0.0) == 1
    run_cells(study, lambda cell: Pressed("SUCCEEDED", "", _metrics(18.0)), campaign.cells,
              settle=None)
    assert study.finished() == 3 and len(study.cells()) == 3
    assert _rows(db, "select count(*) from trials where state = 'RUNNING'") == [(0,)]


def _open_and_ask(storage, press, start):
    start.wait(timeout=60)
    CampaignStudy(_campaign(), storage, press=press).ask()


def test_presses_opening_one_new_database_at_the_same_moment_all_get_the_study(tmp_path):
    import multiprocessing
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(6)
    storage = str(tmp_path / "new.db")
    presses = [context.Process(target=_open_and_ask, args=(storage, f"press_{n}", start))
               for n in range(6)]
    for process in presses:
        process.start()
    for process in presses:
        process.join(timeout=120)
    assert [p.exitcode for p in presses] == [0] * 6
    assert _rows(storage, "select study_name from studies") == [("li6ps5cl_interface",)]
    cells = _rows(storage, "select a.value_json from trials t join trial_user_attributes a "
                           "using (trial_id) where a.key = 'cell_id' and t.state = 'RUNNING'")
    assert len(set(cells)) == 6                      # six cells, one per press, none twice

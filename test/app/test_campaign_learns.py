"""A seeded campaign through the real nodes beats random search by a margin that is not luck
(long: 20 cells of about 95 s each, 35 minutes).

Oracle: the mean twin (sim/offline_cell, stepped offline; no Optuna code) judges the
protocol of every cell as its run record says the server pressed it. Under random search
each cell is a uniform draw from the space, so a cell lands in the best tenth of the space
(the 10 % quantile of 2000 uniform draws on the mean twin) with probability 0.1. The
campaign's second half (cells 11-20, after the sampler's 5 random start-up cells and 5 of
its first guesses) must land there so often that random search would do as well with
binomial probability below 0.05.
"""
import json
import math
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from press_control.app.campaign_cli import press_limits
from press_control.control.campaign_spec import load_campaign
from press_control.sim.campaign_twin import true_objective

from test_campaign_presses import _sqlite_trials

LEARNING = str(pathlib.Path(__file__).with_name("learning_campaign.yaml"))
ARM = {"dwell_s": 0.3, "jitter_s": 0.1}
CAMPAIGN = load_campaign(LEARNING)
DIE = press_limits()[0][CAMPAIGN.die_id]          # the die the press has installed
UNIFORM_DRAWS = 2000
LATE = 10
pytestmark = pytest.mark.long


def random_search_matches(hits: int, cells: int, share: float = 0.1) -> float:
    """P(at least `hits` of `cells` uniform draws land in the best `share` of the space)."""
    return sum(math.comb(cells, k) * share ** k * (1.0 - share) ** (cells - k)
               for k in range(hits, cells + 1))


def pressed_protocol(record: pathlib.Path) -> dict:
    """The pressures the server ran, from the record's goal (ramp, attach hold, regulate)."""
    segments = json.loads((record / "summary.json").read_text())["goal"]["segments"]
    return {"densify_mpa": segments[0]["target_mpa"], "attach_mpa": segments[3]["target_mpa"],
            "stack_mpa": segments[4]["target_mpa"]}


@pytest.mark.minutes(1500)
@pytest.mark.timeout(3600)
def test_a_seeded_campaign_beats_random_search_by_a_margin_that_is_not_luck(started, tmp_path):
    campaign = CAMPAIGN
    rng = np.random.default_rng(20261204)
    uniform = np.array([true_objective(campaign, DIE, {
        r.name: float(rng.uniform(r.low, r.high)) for r in campaign.space})
        for _ in range(UNIFORM_DRAWS)])
    best_tenth = float(np.quantile(uniform, 0.1))

    press = started(record_dir=str(tmp_path / "runs"),
                    campaign_parameters={**ARM, "campaigns_dir": str(tmp_path / "campaigns")})
    assert press.wait_ready(90.0, arm_needed=False) == ""
    run = subprocess.run([sys.executable, "-m", "press_control.app.cli", "campaign", "run",
                          LEARNING], capture_output=True, text=True, timeout=3000)
    assert run.returncode == 0, (run.stdout[-2000:], run.stderr[-2000:])
    assert press.sim.true_pressure_mpa() < 1.0

    trials = _sqlite_trials(tmp_path / "campaigns" / "learning_campaign" / "campaign.db")
    cells = [t for t in trials.values() if "not_pressed" not in t]
    assert [t["cell_id"] for t in cells] == [f"learning_campaign-{n:03d}" for n in range(20)]
    quality = []
    for told in cells:
        pressed = pressed_protocol(pathlib.Path(told["record_dir"]))
        assert pressed == pytest.approx(told["params"])          # the study's cell was run
        value = true_objective(campaign, DIE, pressed) if told["state"] == "COMPLETE" \
            else math.inf
        quality.append(value)
    hits = sum(value <= best_tenth for value in quality[-LATE:])
    chance = random_search_matches(hits, LATE)
    best = min(quality)
    share_as_good = float(np.mean(uniform <= best))
    print(f"best tenth of the space: <= {best_tenth:.2f} ohm cm2; cells 11-20 in it: {hits} "
          f"of {LATE} (random search as good: p = {chance:.2g}); best cell {best:.2f} ohm cm2,"
          f" as good as {share_as_good:.2%} of the space")
    assert chance < 0.05, (hits, quality, best_tenth)
    assert share_as_good < 0.05, (best, quality)

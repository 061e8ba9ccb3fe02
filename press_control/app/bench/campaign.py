"""Campaign figures: cells until the best protocol is within 5 % of the twin's true optimum.

The campaign is config/campaigns/li6ps5cl_interface.yaml on the offline twin (cells of
varied batches, noisy measurements). The oracle is the brute-force grid search of the mean
twin (sim/campaign_twin.true_optimum), which shares no code with the optimiser. A cell
counts as "within 5 %" when its protocol, pressed on the mean twin, is feasible and at most
5 % above the optimum. Our campaign (Optuna TPE) against random search (Optuna's
RandomSampler, up to RANDOM_BUDGET cells; one that never gets there counts as
RANDOM_BUDGET + 1) and against the shipped preset (full_cell's pressures every cell), each
over SEEDS seeds; medians are reported. Then one campaign of 100 cells measures the
campaign's own time per cell (suggest and record in SQLite) at 90-100 cells.
"""
import dataclasses
import os
import statistics
import tempfile
import time

from press_control.app.bench.report import Figure
from press_control.app.campaign_cli import press_limits
from press_control.control.campaign_loop import tell
from press_control.control.campaign_spec import load_campaign
from press_control.control.campaign_study import CampaignStudy
from press_control.control.profiles import HOLD, RAMP, REGULATE, load_presets
from press_control.resources import config_path
from press_control.sim.campaign_twin import TwinPress, true_objective, true_optimum

SECTION = ("Self-driving campaign (config/campaigns/li6ps5cl_interface.yaml on the offline "
           "twin; oracle: brute-force grid of the mean twin)")
EXAMPLE = "campaigns/li6ps5cl_interface.yaml"
SEEDS = 10
CAMPAIGN_BUDGET = 40
RANDOM_BUDGET = 200
WITHIN = 1.05


def cells_to_within(campaign, die, sampler: str, seed: int, budget: int,
                    optimum: float) -> int:
    """Cells pressed until one's protocol is within 5 % on the mean twin (budget+1: never)."""
    campaign = dataclasses.replace(campaign, seed=seed, cells=budget)
    with tempfile.TemporaryDirectory() as folder:
        study = CampaignStudy(campaign, os.path.join(folder, "bench.db"), press="bench",
                              sampler=sampler)
        twin = TwinPress(campaign, die)
        for number in range(1, budget + 1):
            cell = study.ask()
            tell(study, cell, twin(cell))
            if true_objective(campaign, die, cell.params) <= WITHIN * optimum:
                return number
    return budget + 1


def preset_protocol(campaign) -> dict:
    """full_cell's densification, attach and stack pressures as the campaign's parameters."""
    segments = load_presets(config_path("profiles.yaml"))["full_cell"]
    holds = [s.target_mpa for s in segments if s.type == HOLD]
    chosen = {"densify_mpa": max(s.target_mpa for s in segments if s.type == RAMP),
              "attach_mpa": holds[-1],
              "stack_mpa": next(s.target_mpa for s in segments if s.type == REGULATE)}
    return {r.name: chosen[r.name] for r in campaign.space}


def overhead_per_cell(campaign, die, cells: int = 100) -> tuple:
    """(mean seconds of ask + tell over cells 91..100, simulated cells per second)."""
    campaign = dataclasses.replace(campaign, cells=cells)
    with tempfile.TemporaryDirectory() as folder:
        study = CampaignStudy(campaign, os.path.join(folder, "bench.db"), press="bench")
        twin = TwinPress(campaign, die)
        spent, pressing, started = [], 0.0, time.perf_counter()
        for number in range(cells):
            began = time.perf_counter()
            cell = study.ask()
            asked = time.perf_counter()
            pressed = twin(cell)
            told = time.perf_counter()
            tell(study, cell, pressed)
            done = time.perf_counter()
            pressing += told - asked
            if number >= cells - 10:
                spent.append((asked - began) + (done - told))
        rate = cells / (time.perf_counter() - started)
    return statistics.mean(spent), rate, cells / pressing


def run(seeds: int = SEEDS) -> list:
    campaign = load_campaign(config_path(EXAMPLE))
    die = press_limits()[0][campaign.die_id]        # the press's die table, as a press has
    started = time.monotonic()
    optimum = true_optimum(campaign, die)
    oracle_s = time.monotonic() - started
    ours = [cells_to_within(campaign, die, "tpe", seed, CAMPAIGN_BUDGET, optimum.value)
            for seed in range(seeds)]
    random = [cells_to_within(campaign, die, "random", seed, RANDOM_BUDGET, optimum.value)
              for seed in range(seeds)]
    preset_gap = true_objective(campaign, die, preset_protocol(campaign)) / optimum.value - 1
    ours_median, random_median = statistics.median(ours), statistics.median(random)
    overhead, rate, twin_rate = overhead_per_cell(campaign, die)
    where = ", ".join(f"{k} {v:.4g}" for k, v in optimum.params.items())
    return [
        Figure(SECTION, "twin's true optimum (interface ASR, brute force)", optimum.value,
               "ohm cm2", note=f"at {where}; {optimum.evaluated} protocols in {oracle_s:.0f} s"),
        Figure(SECTION, f"campaign: median cells to within 5 % ({seeds} seeds)", ours_median,
               "cells", "<= 20", baseline=random_median,
               note="per seed: " + ", ".join(str(n) for n in ours) +
               f" (budget {CAMPAIGN_BUDGET}; {CAMPAIGN_BUDGET + 1} = not reached); "
               "baseline: random search"),
        Figure(SECTION, "campaign over random search (median cells)",
               ours_median / random_median, "", "<= 0.5",
               note="random search per seed: " + ", ".join(str(n) for n in random) +
               f" ({RANDOM_BUDGET + 1} = not within {RANDOM_BUDGET})"),
        Figure(SECTION, "shipped preset (full_cell's pressures): gap to the optimum",
               preset_gap * 100.0, "%",
               note="the same protocol every cell never gets within 5 %: " +
               ", ".join(f"{k} {v:g}" for k, v in preset_protocol(campaign).items())),
        Figure(SECTION, "campaign overhead per cell at 100 cells (suggest + record, SQLite)",
               overhead, "s", "<= 1.0"),
        Figure(SECTION, "offline campaign: simulated cells per second (all included)", rate,
               "cells/s", note=f"the twin alone: {twin_rate:.0f} cells/s"),
    ]

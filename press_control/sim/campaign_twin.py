"""The campaign's twin: cells pressed offline, and its true optimum found by brute force.

`TwinPress` presses each campaign cell with sim/offline_cell.py: a cell of its own batch
(seeded by the campaign's seed and the cell's number), its measured resistance noisy.
`true_optimum` searches the nominal (mean, noise-free) twin on a grid over the whole space,
then on finer grids around the best feasible point; it shares no code with the optimiser
and is the benchmark's oracle.
"""
import dataclasses
import itertools
import math
from typing import Dict

import numpy as np

from press_control.analysis.campaign_metrics import feasible, metrics_from_offline
from press_control.control.campaign_loop import Pressed
from press_control.control.campaign_spec import Campaign
from press_control.control.dies import Die
from press_control.sim.offline_cell import press_offline


@dataclasses.dataclass(frozen=True)
class Optimum:
    """The twin's best feasible protocol on the grid and its objective."""

    params: Dict[str, float]
    value: float
    evaluated: int


class TwinPress:
    """Presses a campaign's cells on the offline twin (one batch draw per cell)."""

    def __init__(self, campaign: Campaign, die: Die):
        self.campaign = campaign
        self.die = die

    def __call__(self, cell) -> Pressed:
        seed = self.campaign.seed * 100003 + cell.number
        result = press_offline(self.campaign.segments(cell.params), self.campaign.twin_preset,
                               self.die.area_mm2, seed=seed)
        return Pressed(result.outcome, result.reason, metrics_from_offline(result))


def true_objective(campaign: Campaign, die: Die, params: Dict[str, float]) -> float:
    """The first objective of the nominal twin (signed to minimise); inf when infeasible."""
    cell = press_offline(campaign.segments(params), campaign.twin_preset, die.area_mm2,
                         nominal=True)
    metrics = metrics_from_offline(cell)
    if not feasible(campaign, metrics):
        return math.inf
    sign = 1.0 if campaign.objectives[0].direction == "minimize" else -1.0
    return sign * metrics[campaign.objectives[0].metric]


def _axis(low: float, high: float, log: bool, levels: int) -> np.ndarray:
    if log:
        return np.exp(np.linspace(math.log(low), math.log(high), levels))
    return np.linspace(low, high, levels)


def true_optimum(campaign: Campaign, die: Die, levels: int = 9, refinements: int = 3,
                 fine_levels: int = 5) -> Optimum:
    """Grid search of the nominal twin's first objective over the campaign's space."""
    bounds = {r.name: (r.low, r.high, r.log) for r in campaign.space}
    axes = {name: _axis(low, high, log, levels) for name, (low, high, log) in bounds.items()}
    best, best_value, evaluated = None, math.inf, 0
    for _ in range(refinements + 1):
        for values in itertools.product(*axes.values()):
            params = dict(zip(axes, (float(v) for v in values)))
            value = true_objective(campaign, die, params)
            evaluated += 1
            if value < best_value:
                best, best_value = params, value
        if best is None:
            break
        new_axes = {}
        for name, grid in axes.items():
            low, high, log = bounds[name]
            step = (grid[1] - grid[0]) if not log else grid[1] / grid[0]
            centre = best[name]
            a, b = (centre - step, centre + step) if not log else (centre / step, centre * step)
            new_axes[name] = _axis(max(low, a), min(high, b), log, fine_levels)
        axes = new_axes
    if best is None:
        raise ValueError(f"campaign '{campaign.name}': no feasible protocol on the twin's grid")
    return Optimum(best, best_value, evaluated)

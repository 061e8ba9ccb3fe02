"""A campaign's report in its folder: every cell as CSV, and the plots (PNG and SVG).

cells.csv has one row per cell: its number, id, press, state, parameters, objectives,
metrics, constraint verdict, reason and record folder. objective.png/svg shows the first
objective against cell number with the best feasible so far; with two or more objectives
pareto.png/svg shows the first two against each other with the feasible Pareto set.
"""
import csv
import math
import os
from typing import List

FEASIBLE, INFEASIBLE, FAILED = "feasible", "infeasible", "failed"


def verdict(cell) -> str:
    if cell.state == "COMPLETE":
        return FEASIBLE if cell.feasible else INFEASIBLE
    return FAILED if cell.state == "FAIL" else cell.state.lower()


def csv_rows(campaign, cells) -> List[dict]:
    """One mapping per cell, the columns of cells.csv."""
    from press_control.control.campaign_spec import METRICS

    rows = []
    for cell in cells:
        row = {"cell": cell.number + 1, "cell_id": cell.cell_id, "press": cell.press,
               "state": cell.state, "verdict": verdict(cell)}
        for r in campaign.space:
            row[r.name] = cell.params.get(r.name, "")
        for index, objective in enumerate(campaign.objectives):
            row[f"objective:{objective.metric}"] = cell.values[index] if cell.values else ""
        for metric in METRICS:
            value = cell.metrics.get(metric, math.nan)
            row[metric] = "" if not isinstance(value, (int, float)) or math.isnan(value) \
                else value
        row["reason"] = cell.reason
        row["record_dir"] = cell.record_dir
        rows.append(row)
    return rows


def write_csv(campaign, cells, path: str) -> str:
    rows = csv_rows(campaign, cells)
    columns = list(rows[0]) if rows else ["cell", "cell_id", "press", "state", "verdict"]
    temporary = path + ".part"
    with open(temporary, "w", newline="") as stream:
        writer = csv.DictWriter(stream, columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(temporary, path)
    return path


def best_so_far(campaign, cells) -> List[float]:
    """The best feasible first objective after each cell (NaN until there is one)."""
    sign = 1.0 if campaign.objectives[0].direction == "minimize" else -1.0
    best, out = math.inf, []
    for cell in cells:
        if cell.feasible and cell.values:
            best = min(best, sign * cell.values[0])
        out.append(sign * best if math.isfinite(best) else math.nan)
    return out


def write_report(campaign, cells, best, folder: str) -> List[str]:
    """cells.csv and the plots in folder; returns the paths written."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot

    os.makedirs(folder, exist_ok=True)
    written = [write_csv(campaign, cells, os.path.join(folder, "cells.csv"))]
    first = campaign.objectives[0].metric
    figure, axes = pyplot.subplots(figsize=(7, 4))
    for kind, marker, colour in ((FEASIBLE, "o", "tab:blue"), (INFEASIBLE, "x", "tab:red")):
        shown = [(c.number + 1, c.values[0]) for c in cells if verdict(c) == kind and c.values]
        if shown:
            axes.plot(*zip(*shown), marker, color=colour, linestyle="none", label=kind)
    failed = [c.number + 1 for c in cells if verdict(c) == FAILED]
    for number in failed:
        axes.axvline(number, color="0.8", linewidth=0.8)
    axes.step([c.number + 1 for c in cells], best_so_far(campaign, cells), where="post",
              color="black", label="best feasible so far")
    axes.set_xlabel("cell")
    axes.set_ylabel(first)
    if campaign.objectives[0].metric == "interface_asr_ohm_cm2":
        axes.set_yscale("log")
    axes.set_title(f"{campaign.name}: {len(cells)} cells ({len(failed)} failed: grey lines)")
    axes.legend(loc="best", fontsize="small")
    written += _save(pyplot, figure, folder, "objective")
    if len(campaign.objectives) >= 2:
        second = campaign.objectives[1].metric
        figure, axes = pyplot.subplots(figsize=(6, 4.5))
        for kind, marker, colour in ((FEASIBLE, "o", "tab:blue"), (INFEASIBLE, "x", "tab:red")):
            shown = [c.values[:2] for c in cells if verdict(c) == kind and c.values]
            if shown:
                axes.plot(*zip(*shown), marker, color=colour, linestyle="none", label=kind)
        front = sorted(c.values[:2] for c in best)
        if front:
            axes.plot(*zip(*front), "-", color="black", drawstyle="steps-post",
                      label="Pareto front")
        axes.set_xlabel(first)
        axes.set_ylabel(second)
        axes.set_title(f"{campaign.name}: Pareto front of {len(front)} cells")
        axes.legend(loc="best", fontsize="small")
        written += _save(pyplot, figure, folder, "pareto")
    return written


def _save(pyplot, figure, folder: str, stem: str) -> List[str]:
    figure.tight_layout()
    paths = [os.path.join(folder, f"{stem}.{suffix}") for suffix in ("png", "svg")]
    for path in paths:
        figure.savefig(path, dpi=110)
    pyplot.close(figure)
    return paths

"""A campaign cell's metrics from its run record (or the offline twin), and its verdict.

The metrics are those of control/campaign_spec.METRICS:
* interface_asr_ohm_cm2: the last interface resistance the monitor measured while the
  stack pressure was regulated (samples.csv, the regulate segment) times the die's area;
* press_time_s: the segments' durations added (summary.json);
* relative_density: the separator's relative density the record ends with (summary.json);
* shorted, delaminated: 1 if interface_monitor raised that event during the run (the
  record's bag, `interface/events`), else 0.
"""
import csv
import glob
import json
import math
import os
from typing import Dict, List

from press_control.analysis.events import DELAMINATION, SHORT_CIRCUIT
from press_control.control.campaign_spec import Campaign
from press_control.control.profiles import REGULATE
from press_control.records.bag_reader import read_bag


class RecordUnreadable(ValueError):
    """A run record a cell's metrics cannot be read from (the message says what is missing)."""


def metrics_from_record(record_dir: str) -> Dict[str, float]:
    """The campaign metrics of one finished run record folder."""
    try:
        with open(os.path.join(record_dir, "summary.json")) as stream:
            summary = json.load(stream)
    except (OSError, ValueError) as error:
        raise RecordUnreadable(f"{record_dir}: no readable summary.json ({error})") from None
    regulate = [s["index"] for s in summary.get("segments", []) if s.get("type") == REGULATE]
    last_ohm = math.nan
    try:
        with open(os.path.join(record_dir, "samples.csv"), newline="") as stream:
            for row in csv.DictReader(stream):
                value = row.get("interface_resistance_ohm") or ""
                if value and int(row["segment"]) in regulate:
                    last_ohm = float(value)
    except (OSError, KeyError, ValueError) as error:
        raise RecordUnreadable(f"{record_dir}: samples.csv unreadable ({error})") from None
    raised = set()
    for bag in glob.glob(os.path.join(record_dir, "bag", "*.mcap")):
        for _, _, event in read_bag(bag, lambda topic: topic.endswith("interface/events")):
            if event.active:
                raised.add(event.event)
    area_cm2 = summary["goal"]["die_area_mm2"] / 100.0
    return {
        "interface_asr_ohm_cm2": last_ohm * area_cm2,
        "press_time_s": sum(s.get("duration_s", 0.0) for s in summary.get("segments", [])),
        "relative_density": _number(summary.get("final_relative_density")),
        "shorted": float(SHORT_CIRCUIT in raised),
        "delaminated": float(DELAMINATION in raised),
    }


def metrics_from_offline(cell) -> Dict[str, float]:
    """The same metrics from sim/offline_cell.OfflineCell (passed in: no simulator import)."""
    return {"interface_asr_ohm_cm2": cell.interface_asr_ohm_cm2,
            "press_time_s": cell.press_time_s, "relative_density": cell.relative_density,
            "shorted": float(cell.shorted), "delaminated": float(cell.delaminated)}


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) else math.nan


def objective_values(campaign: Campaign, metrics: Dict[str, float]) -> List[float]:
    return [metrics[o.metric] for o in campaign.objectives]


def violations(campaign: Campaign, metrics: Dict[str, float]) -> List[float]:
    """One number per constraint: <= 0 satisfied, > 0 by how much it is not."""
    return [c.violation(metrics[c.metric]) for c in campaign.constraints]


def feasible(campaign: Campaign, metrics: Dict[str, float]) -> bool:
    return all(v <= 0 for v in violations(campaign, metrics)) and all(
        math.isfinite(v) for v in objective_values(campaign, metrics))


def failed_constraints(campaign: Campaign, metrics: Dict[str, float]) -> str:
    """Which constraints a cell broke, in words ("" when none)."""
    broken = [c.metric + (f" {metrics[c.metric]:.4g} < {c.min:g}" if math.isfinite(c.min) and
                          not metrics[c.metric] >= c.min else
                          f" {metrics[c.metric]:.4g} > {c.max:g}")
              for c in campaign.constraints if c.violation(metrics[c.metric]) > 0]
    return ", ".join(broken)

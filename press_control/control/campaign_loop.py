"""The campaign loop: ask a cell, press it, tell what it measured, until the budget is spent.

Pressing is passed in: the offline twin (app/campaign_cli.py) or a press through the arm
handshake and run_profile (ros/campaign.py). A cell that was in this press when an earlier
session stopped is settled first (`settle`: finished from its record, or failed with the
reason), so a resumed campaign loses no cell and counts none twice.
"""
import dataclasses
import threading
from typing import Callable, Dict, Optional

from press_control.analysis.campaign_metrics import failed_constraints, violations
from press_control.control.campaign_study import Cell, CampaignStudy
from press_control.control.profile_runner import SUCCEEDED


NOT_PRESSED = "NOT_PRESSED"         # the suggestion never reached a press: set aside


@dataclasses.dataclass
class Pressed:
    """How a cell's profile ended and what its record says."""

    outcome: str                               # the action's outcome name
    reason: str
    metrics: Optional[Dict[str, float]] = None  # None: no readable record
    record_dir: str = ""


def tell(study: CampaignStudy, cell: Cell, pressed: Pressed) -> Cell:
    """Tell the study how a cell went: measured (feasible or not) or failed with why."""
    if pressed.outcome == NOT_PRESSED:
        return study.set_aside(cell.number, pressed.reason)
    if pressed.outcome != SUCCEEDED:
        return study.tell_failed(cell.number, f"{pressed.outcome}: {pressed.reason}",
                                 pressed.record_dir)
    if pressed.metrics is None:
        return study.tell_failed(cell.number, f"record unreadable: {pressed.reason}",
                                 pressed.record_dir)
    campaign = study.campaign
    broken = failed_constraints(campaign, pressed.metrics)
    return study.tell_measured(cell.number, pressed.metrics, pressed.record_dir,
                               violations(campaign, pressed.metrics),
                               f"constraints not met: {broken}" if broken else "")


def run_cells(study: CampaignStudy, press: Callable[[Cell], Pressed], cells: int,
              settle: Callable[[Cell], Pressed], on_cell: Callable = None,
              on_next: Callable = None, stop: threading.Event = None) -> int:
    """Press cells until `cells` are finished in the study (all presses).

    Returns how many this call pressed. `stop` ends the loop between cells (the running
    cell is finished first).
    """
    stop = stop or threading.Event()
    study.set_aside_orphans()
    for cell in study.pending(study.press):
        finished = tell(study, cell, settle(cell))
        if on_cell:
            on_cell(finished)
    pressed = 0
    while not stop.is_set() and study.finished() + len(study.pending()) < cells:
        cell = study.ask()
        if on_next:
            on_next(cell)
        finished = tell(study, cell, press(cell))
        pressed += 1
        if on_cell:
            on_cell(finished)
    return pressed

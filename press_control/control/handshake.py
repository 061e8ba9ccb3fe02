"""The press side of the arm handshake (docs/architecture.md) as a pure state machine.

OPEN_IDLE -> READY_TO_LOAD -> (the arm enters, places a cell, leaves) LOADED -> (a profile
starts for that cell) CLOSING -> (contact pressure) PRESSING -> (profile ended, pressure
released) READY_TO_UNLOAD -> (the arm enters, takes the cell, leaves) OPEN_IDLE; and FAULT,
which latches until reset(). Every waiting step has a timeout that ends in FAULT.

Without an arm (`arm_required` false) the machine only tracks the press: profiles may start
from any state but FAULT and PRESSING, no handoff timeouts apply, and FAULT clears itself
once the press is ready and released again.
"""
import dataclasses
import math
from typing import List, Optional

from press_control.control.arms import (INTENT_LOAD, INTENT_NONE, INTENT_UNLOAD,  # noqa: F401
                                        ArmReport, ArmTable, arm_clear, arm_problem)

OPEN_IDLE, READY_TO_LOAD, LOADED, CLOSING, PRESSING, READY_TO_UNLOAD, FAULT = range(7)
STATE_NAMES = ["OPEN_IDLE", "READY_TO_LOAD", "LOADED", "CLOSING", "PRESSING",
               "READY_TO_UNLOAD", "FAULT"]


@dataclasses.dataclass(frozen=True)
class PressReport:
    """What the handshake needs to know of the press."""

    pressure_mpa: float
    problem: str = ""      # why the press may not press now ("" = ready)
    faulted: bool = False  # latched fault, e-stop or lost controller


HANDOFF_STATES = (OPEN_IDLE, READY_TO_LOAD, LOADED, READY_TO_UNLOAD)   # arms may enter


@dataclasses.dataclass
class Visit:
    """An arm in the workspace: since when, and the cell and intent it has reported."""

    arm_id: str
    started_s: float
    cell_id: str = ""
    intent: int = INTENT_NONE


@dataclasses.dataclass(frozen=True)
class HandshakeTimeouts:
    """Limits of every waiting step, in seconds, and the contact threshold in MPa."""

    arm_heartbeat_s: float = 1.0
    arm_dwell_s: float = 30.0
    handoff_s: float = 120.0
    closing_s: float = 60.0
    release_s: float = 120.0
    contact_mpa: float = 1.0


@dataclasses.dataclass(frozen=True)
class Transition:
    """One change of handshake state, with its cell and reason."""

    previous: int
    state: int
    cell_id: str
    reason: str
    time_s: float

    def __str__(self) -> str:
        cell = f" cell '{self.cell_id}'" if self.cell_id else ""
        return (f"{STATE_NAMES[self.previous]} -> {STATE_NAMES[self.state]}{cell}: "
                f"{self.reason}")


class Handshake:
    """Press-side handshake: feed it arm reports, press reports and goal events."""

    def __init__(self, timeouts: HandshakeTimeouts = None, arm_required: bool = True,
                 now_s: float = 0.0):
        self.timeouts = timeouts or HandshakeTimeouts()
        self.arm_required = arm_required
        self.state = OPEN_IDLE
        self.cell_id = ""
        self.reason = "started"
        self.since_s = now_s
        self.arms = ArmTable(self.timeouts.arm_heartbeat_s)
        self._visit: Optional[Visit] = None      # an arm inside between press cycles
        self._goal_end = None           # (reason, time) once the running profile ended
        self.kept_since_s = None        # a profile ended keeping the cell loaded at this time

    # ---- inputs ------------------------------------------------------------------------
    def on_arm(self, report: ArmReport) -> List[Transition]:
        """Take one heartbeat; an arm leaving after a visit moves the handoff on at once.

        Visits are followed report by report, not sampled by update(): a loaded host may
        take an arm's whole visit (in, place, out) off the wire between two updates.
        """
        self.arms.update(report)
        if not self.arm_required or self.state not in HANDOFF_STATES:
            return []
        visit = self._visit
        if report.in_workspace:
            if visit is None:
                visit = self._visit = Visit(report.arm_id, report.received_s)
            if visit.arm_id == report.arm_id:
                visit.intent = report.intent if report.intent != INTENT_NONE else visit.intent
                visit.cell_id = report.cell_id or visit.cell_id
            return []
        if visit is None or visit.arm_id != report.arm_id:
            return []
        self._visit = None
        return self._visit_ended(visit, report.received_s)

    def start_refusal(self, cell_id: str) -> Optional[str]:
        """Why a profile for cell_id may not start now, or None."""
        if self.state == FAULT:
            return f"handling fault ({self.reason}); reset it on handling/reset"
        if self.kept_since_s is not None:
            if cell_id != self.cell_id:
                return (f"the press keeps cell '{self.cell_id}' loaded; only a goal for that "
                        "cell may start")
            return None
        if self.state in (CLOSING, PRESSING):
            return f"the press is {STATE_NAMES[self.state]} cell '{self.cell_id}'"
        if not self.arm_required:
            return None
        if self.state != LOADED:
            return f"no cell is loaded (handling state {STATE_NAMES[self.state]})"
        if cell_id != self.cell_id:
            return f"the loaded cell is '{self.cell_id}', not '{cell_id}'"
        return None

    def goal_started(self, cell_id: str, now_s: float) -> List[Transition]:
        refusal = self.start_refusal(cell_id)
        if refusal:
            raise ValueError(refusal)
        self._goal_end = None
        self.cell_id = cell_id
        if self.kept_since_s is not None:
            self.kept_since_s = None
            return self._go(PRESSING, "next profile for the kept-loaded cell started", now_s)
        return self._go(CLOSING, "profile started; platen closing", now_s)

    def goal_finished(self, summary: str, now_s: float, kept_loaded: bool = False) -> None:
        """The running profile ended; kept_loaded: under pressure, for the next goal."""
        if self.state in (CLOSING, PRESSING):
            if kept_loaded:
                self.kept_since_s = now_s
            else:
                self._goal_end = (summary, now_s)

    def reset(self, press: PressReport, now_s: float) -> List[Transition]:
        """Leave FAULT once the press and the workspace are safe; raises ValueError if not."""
        if self.state != FAULT:
            raise ValueError(f"nothing to reset: handling state is {STATE_NAMES[self.state]}")
        if press.faulted:
            raise ValueError(f"the press still has a fault ({press.problem}); reset it first")
        if not self._released(press):
            raise ValueError(f"the press is still pressurized ({press.pressure_mpa:.1f} MPa)")
        inside = self.arms.anyone_inside()
        if inside is not None:
            raise ValueError(f"arm '{inside.arm_id}' is in the workspace")
        if self.cell_id:
            return self._go(READY_TO_UNLOAD, "fault reset; the cell is to be unloaded", now_s)
        return self._go(OPEN_IDLE, "fault reset", now_s)

    # ---- the machine -------------------------------------------------------------------
    def update(self, press: PressReport, now_s: float) -> List[Transition]:
        """Advance on the latest press report; returns the transitions made."""
        if self.state == FAULT:
            if not self.arm_required and not press.problem and self._released(press):
                return self._go(OPEN_IDLE, "press ready again", now_s)
            return []
        if self.state in (CLOSING, PRESSING):
            return self._while_pressing(press, now_s)
        visit = self._visit
        if visit is not None and now_s - visit.started_s > self.timeouts.arm_dwell_s:
            self._visit = None
            return self._fault(f"arm '{visit.arm_id}' stayed in the workspace longer than "
                               f"{self.timeouts.arm_dwell_s:g} s", now_s)
        if self.state == OPEN_IDLE and not press.problem and self._released(press):
            return self._go(READY_TO_LOAD, "press open, released and ready", now_s)
        if self.state == READY_TO_LOAD and press.problem:
            return self._go(OPEN_IDLE, f"press not ready: {press.problem}", now_s)
        if self.arm_required and self.state in (LOADED, READY_TO_UNLOAD) and \
                self._visit is None and now_s - self.since_s > self.timeouts.handoff_s:
            waiting = "a profile" if self.state == LOADED else "the arm to unload"
            return self._fault(f"waited {self.timeouts.handoff_s:g} s for {waiting}", now_s)
        return []

    def _while_pressing(self, press: PressReport, now_s: float) -> List[Transition]:
        if press.faulted:
            return self._fault(f"press fault while pressing: {press.problem}", now_s)
        problem = self.arms.problem(now_s) if self.arm_required else ""
        if problem:
            return self._fault(f"intrusion while pressing: {problem}", now_s)
        if self.kept_since_s is not None:
            if now_s - self.kept_since_s > self.timeouts.handoff_s:
                return self._fault(f"no goal continued the kept-loaded cell within "
                                   f"{self.timeouts.handoff_s:g} s", now_s)
            return []
        if self._goal_end is not None:
            summary, ended_s = self._goal_end
            if self._released(press):
                return self._go(READY_TO_UNLOAD, summary, now_s)
            if now_s - ended_s > self.timeouts.release_s:
                return self._fault(f"pressure still {press.pressure_mpa:.1f} MPa "
                                   f"{self.timeouts.release_s:g} s after the profile ended",
                                   now_s)
            return []
        if self.state == CLOSING:
            if press.pressure_mpa >= self.timeouts.contact_mpa:
                return self._go(PRESSING, f"contact at {press.pressure_mpa:.1f} MPa", now_s)
            if now_s - self.since_s > self.timeouts.closing_s:
                return self._fault(f"no contact pressure within {self.timeouts.closing_s:g} s",
                                   now_s)
        return []

    def _visit_ended(self, visit: Visit, now_s: float) -> List[Transition]:
        """The arm that entered has reported itself outside again."""
        if self.state == READY_TO_LOAD and visit.intent == INTENT_LOAD and visit.cell_id:
            self.cell_id = visit.cell_id
            return self._go(LOADED, f"arm '{visit.arm_id}' placed the cell", now_s)
        if self.state in (LOADED, READY_TO_UNLOAD) and visit.intent == INTENT_UNLOAD:
            taken = self.cell_id
            what = "took the pressed cell" if self.state == READY_TO_UNLOAD else \
                "took the cell back unpressed"
            return self._go(OPEN_IDLE, f"arm '{visit.arm_id}' {what} '{taken}'", now_s)
        return []

    def _released(self, press: PressReport) -> bool:
        return math.isfinite(press.pressure_mpa) and \
            press.pressure_mpa < self.timeouts.contact_mpa

    def _fault(self, reason: str, now_s: float) -> List[Transition]:
        return self._go(FAULT, reason, now_s)

    def _go(self, state: int, reason: str, now_s: float) -> List[Transition]:
        if state == FAULT:
            self.kept_since_s = None
        if state not in HANDOFF_STATES:
            self._visit = None
        transition = Transition(self.state, state, self.cell_id, reason, now_s)
        self.state, self.reason, self.since_s = state, reason, now_s
        if state in (OPEN_IDLE, READY_TO_LOAD):
            self.cell_id = ""
        return [transition]

"""What the press panel shows: the latest of each input and a pressure trace, thread-safe.

The ROS node feeds it plain values (no messages); the web server reads snapshots of it.
Everything in a snapshot is JSON-ready: a number that is not finite becomes None.
"""
import collections
import math
import threading
import time


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def plain(value):
    """`value` with non-finite floats as None, tuples as lists (for JSON)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return _finite(value)


class TracePoint:
    """One point of the pressure trace; index counts every point ever added."""

    __slots__ = ("index", "time_s", "pressure_mpa", "setpoint_mpa", "segment")

    def __init__(self, index, time_s, pressure_mpa, setpoint_mpa, segment):
        self.index, self.time_s = index, time_s
        self.pressure_mpa, self.setpoint_mpa, self.segment = pressure_mpa, setpoint_mpa, segment

    def row(self) -> list:
        return plain([round(self.time_s, 3), self.pressure_mpa, self.setpoint_mpa,
                      self.segment])


class PanelModel:
    """Latest press state, goal, handshake, interface, events, diagnostics; a trace.

    The trace keeps one point per `trace_period_s` for the last `window_s`. Times are
    seconds of the model's clock (`clock`, monotonic by default) since it was made.
    """

    def __init__(self, window_s: float = 300.0, trace_period_s: float = 0.1,
                 clock=time.monotonic):
        self.clock = clock
        self.started = clock()
        self.trace_period_s = trace_period_s
        self.trace = collections.deque(maxlen=max(1, int(window_s / trace_period_s)))
        self._next_index = 0
        self._last_trace_s = -math.inf
        self._lock = threading.Lock()
        self.press = {}
        self.goal = {}
        self.handling = {}
        self.arm = {}
        self.interface = {}
        self.spectrum = None
        self.spectrum_sequence = 0
        self.events = {}
        self.diagnostics = {}
        self.last_result = {}
        self.last_rejection = {}
        self.campaign = {}              # cells of the running campaign, by cell id
        self.campaign_best = []
        self.campaign_cells = 0

    def now_s(self) -> float:
        return self.clock() - self.started

    def _latest(self, attribute: str, values: dict) -> None:
        """Keep `values` as the latest of one input, stamped with their arrival."""
        with self._lock:
            setattr(self, attribute, dict(values, received_s=self.now_s()))

    # ---- inputs (any thread) ----------------------------------------------------------
    def on_press(self, **values) -> None:
        now = self.now_s()
        with self._lock:
            self.press = dict(values, received_s=now)
            if now - self._last_trace_s >= self.trace_period_s:
                self._last_trace_s = now
                segment = self.goal.get("segment_index") if self.goal.get("active") else None
                self.trace.append(TracePoint(self._next_index, now,
                                             values.get("pressure_mpa"),
                                             values.get("setpoint_mpa"), segment))
                self._next_index += 1

    def on_feedback(self, **values) -> None:
        with self._lock:
            self.goal = dict(values, active=True, received_s=self.now_s())

    def on_goal_status(self, active: bool) -> None:
        with self._lock:
            if not active and self.goal.get("active"):
                self.goal = dict(self.goal, active=False)

    def on_result(self, **values) -> None:
        with self._lock:
            self.last_result = dict(values, received_s=self.now_s())
            self.goal = dict(self.goal, active=False)

    def on_rejection(self, **values) -> None:
        self._latest("last_rejection", values)

    def on_handling(self, **values) -> None:
        self._latest("handling", values)

    def on_arm(self, **values) -> None:
        self._latest("arm", values)

    def on_interface(self, **values) -> None:
        self._latest("interface", values)

    def on_spectrum(self, **values) -> None:
        with self._lock:
            self.spectrum_sequence += 1
            self.spectrum = dict(values, sequence=self.spectrum_sequence,
                                 received_s=self.now_s())

    def on_event(self, name: str, active: bool, detail: str) -> None:
        with self._lock:
            if active:
                self.events[name] = {"name": name, "detail": detail, "since_s": self.now_s()}
            else:
                self.events.pop(name, None)

    def on_campaign(self, cell: dict, best: list, cells: int) -> None:
        """A campaign cell about to be pressed (RUNNING) or told; the best so far."""
        with self._lock:
            if self.campaign and cell.get("objective_names") != next(
                    iter(self.campaign.values())).get("objective_names"):
                self.campaign = {}                       # another campaign began
            self.campaign[cell["cell_id"]] = dict(cell, received_s=self.now_s())
            self.campaign_best = [c["cell_id"] for c in best]
            self.campaign_cells = cells

    def on_diagnostic(self, name: str, level: int, message: str) -> None:
        with self._lock:
            self.diagnostics[name] = {"name": name, "level": level, "message": message,
                                      "received_s": self.now_s()}

    # ---- outputs ----------------------------------------------------------------------
    def snapshot(self, trace_after: int = -1, spectrum_after: int = 0) -> dict:
        """Everything; only trace points and a spectrum newer than the given marks.

        `trace_last` and `spectrum_sequence` of the result are the marks to go on from.
        """
        with self._lock:
            points = [p.row() for p in self.trace if p.index > trace_after]
            last = self.trace[-1].index if self.trace else trace_after
            snapshot = {
                "now_s": self.now_s(), "press": dict(self.press), "goal": dict(self.goal),
                "handling": dict(self.handling), "arm": dict(self.arm),
                "interface": dict(self.interface),
                "events": sorted(self.events.values(), key=lambda e: e["since_s"]),
                "diagnostics": sorted(self.diagnostics.values(), key=lambda d: d["name"]),
                "last_result": dict(self.last_result),
                "last_rejection": dict(self.last_rejection),
                "campaign": {"cells": list(self.campaign.values()),
                             "best": list(self.campaign_best),
                             "planned": self.campaign_cells},
                "trace": points, "trace_last": last,
                "spectrum_sequence": self.spectrum_sequence,
                "spectrum": dict(self.spectrum) if self.spectrum and
                self.spectrum_sequence > spectrum_after else None}
        return plain(snapshot)

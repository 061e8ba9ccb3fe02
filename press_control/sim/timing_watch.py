"""How far the simulator fell behind real time: a stalled simulator is not a silent press.

A real controller answers within its scan; the simulator is a process on a shared host and
can be descheduled. When a driver reports "no reply", the simulator's own account says
whether it was starved (its physics thread woke late) or answered late, and by how much.
"""
import sys
import threading
import time

LATE_S = 0.1          # later than this is worth a line on stderr (a driver waits 0.25 s)
REPORT_EVERY_S = 1.0  # at most one line per kind this often


class TimingWatch:
    """Worst and counted lateness per kind ("modbus reply", "physics thread woke"), on stderr."""

    def __init__(self, say=None, late_s: float = LATE_S, clock=time.monotonic):
        self.say = say or (lambda line: print(line, file=sys.stderr, flush=True))
        self.late_s = late_s
        self.clock = clock
        self._lock = threading.Lock()
        self._worst, self._count, self._said_s = {}, {}, {}

    def note(self, kind: str, late_s: float) -> None:
        """Record that `kind` happened late_s after it was due."""
        if late_s < self.late_s:
            return
        now = self.clock()
        with self._lock:
            self._worst[kind] = max(self._worst.get(kind, 0.0), late_s)
            self._count[kind] = self._count.get(kind, 0) + 1
            if now - self._said_s.get(kind, -REPORT_EVERY_S) < REPORT_EVERY_S:
                return
            self._said_s[kind] = now
            count = self._count[kind]
        self.say(f"press_sim: {kind} {late_s:.3f} s late ({count} so far over "
                 f"{self.late_s:g} s): the host did not run the simulator in time")

    def summary(self) -> dict:
        """{kind: {"worst_s": ..., "count": ...}} of what was late so far."""
        with self._lock:
            return {kind: {"worst_s": self._worst[kind], "count": self._count[kind]}
                    for kind in self._worst}

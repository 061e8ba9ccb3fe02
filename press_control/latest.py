"""The latest value of a stream, with the time it came and a wait for a newer one."""
import threading
import time


class Latest:
    """Holds the newest value put; readers may wait for one put after a given moment.

    For decisions that must not rest on a reading older than the request they answer
    (profile_server judges a refusal again on each press state that comes after the goal,
    for a little while).
    """

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._arrived = threading.Condition()
        self.value, self.seen_s = None, -float("inf")

    def put(self, value) -> None:
        with self._arrived:
            self.value, self.seen_s = value, self.clock()
            self._arrived.notify_all()

    def newer_than(self, since_s: float, timeout_s: float):
        """The value once one has been put after since_s; None if none came in time."""
        deadline = self.clock() + timeout_s
        with self._arrived:
            while self.seen_s <= since_s:
                left = deadline - self.clock()
                if left <= 0:
                    return None
                self._arrived.wait(left)
            return self.value

    def judged_until(self, judge, since_s: float, timeout_s: float):
        """Judge now and on each newer value until the answer is falsy or time is up.

        judge() runs now, and again on each value put after since_s, until it answers
        falsy or timeout_s has passed; returns its last answer (e.g. a refusal, or None).
        """
        deadline = self.clock() + timeout_s
        seen = max(since_s, self.seen_s)
        answer = judge()
        while answer:
            if self.newer_than(seen, deadline - self.clock()) is None:
                return answer
            seen = self.seen_s
            answer = judge()
        return answer

"""The latest value of a stream, with the time it came and a wait for a newer one."""
import threading
import time


class Latest:
    """Holds the newest value put; readers may wait for one put after a given moment.

    For decisions that must not rest on a reading older than the request they answer
    (profile_server confirms a refusal on a press state that came after the goal).
    """

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._arrived = threading.Condition()
        self.value, self.seen_s = None, -float("inf")

    def put(self, value) -> None:
        with self._arrived:
            self.value, self.seen_s = value, self.clock()
            self._arrived.notify_all()

    def age_s(self) -> float:
        return self.clock() - self.seen_s

    def newer_than(self, since_s: float, timeout_s: float):
        """The value once one has been put at or after since_s; None if none came in time."""
        deadline = self.clock() + timeout_s
        with self._arrived:
            while self.seen_s < since_s:
                left = deadline - self.clock()
                if left <= 0:
                    return None
                self._arrived.wait(left)
            return self.value

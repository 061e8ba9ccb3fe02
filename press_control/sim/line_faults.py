"""Faults injected on a simulated serial line: corruption, garbage, delay, drops."""
import dataclasses
import threading

import numpy as np


@dataclasses.dataclass
class LineFaults:
    """Probabilities per reply and a fixed extra delay; all zero means a clean line."""

    crc_error_rate: float = 0.0      # flip a byte in this fraction of replies
    garbage_rate: float = 0.0        # prefix this fraction of replies with random bytes
    drop_rate: float = 0.0           # never answer this fraction of requests
    delay_s: float = 0.0             # extra response delay
    drop_next: int = 0               # never answer this many next requests (a waking device)

    def __post_init__(self):
        self._rng = np.random.default_rng(12345)
        self._lock = threading.Lock()

    def seed(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)

    def _chance(self, rate: float) -> bool:
        with self._lock:
            return rate > 0 and self._rng.random() < rate

    def distort(self, reply: bytes):
        """The bytes that actually go out for a reply (None: dropped)."""
        with self._lock:
            if self.drop_next > 0:
                self.drop_next -= 1
                return None
        if self._chance(self.drop_rate):
            return None
        if self._chance(self.crc_error_rate):
            with self._lock:
                index = int(self._rng.integers(0, len(reply)))
            reply = reply[:index] + bytes([reply[index] ^ 0x5A]) + reply[index + 1:]
        if self._chance(self.garbage_rate):
            with self._lock:
                reply = bytes(self._rng.integers(0, 256, 7, dtype=np.uint8)) + reply
        return reply

"""Bursts of signals at a process, as a dying parent's threads or a double Ctrl-C send them."""
import os
import time


def burst(pid: int, number: int, count: int, spacing_s: float) -> None:
    """Send `number` to pid `count` times, spacing_s apart (busy-waited: sleep is too coarse)."""
    for _ in range(count):
        try:
            os.kill(pid, number)
        except ProcessLookupError:
            return
        until = time.perf_counter() + spacing_s
        while time.perf_counter() < until:
            pass

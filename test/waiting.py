"""Polling helper for tests: wait for a condition with a generous deadline."""
import time


def wait_for(condition, timeout=20.0, interval=0.02, message="condition"):
    """Return condition()'s first truthy value, or fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message}")

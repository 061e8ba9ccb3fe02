"""Polling helpers for tests: wait for a condition with a generous deadline."""
import os
import signal
import time


def wait_for(condition, timeout=20.0, interval=0.02, message="condition"):
    """Return condition()'s first truthy value, or fail after timeout seconds.

    message may be a callable, evaluated at the time-out to describe what was seen.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    what = message() if callable(message) else message
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def gone(pid: int) -> bool:
    """No such process, or a zombie nobody has reaped yet (it runs nothing)."""
    try:
        with open(f"/proc/{pid}/stat") as stream:
            return stream.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):      # gone between open and read
        return True


def kill_with_child(parent, child_pid: int) -> None:
    """End a test's middle process (a Popen) and the child it started, whatever is left."""
    parent.kill()
    parent.wait(timeout=10)
    if child_pid and not gone(child_pid):
        os.kill(child_pid, signal.SIGKILL)

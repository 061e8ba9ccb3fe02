"""Child processes that end with their parent (Linux).

No orphan keeps a press or a DDS domain busy when the process that started it is killed.
"""
import ctypes
import ctypes.util
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1
_prctl = None
if sys.platform.startswith("linux"):
    try:
        _prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        _prctl = None


def ends_with_parent(sig: int = signal.SIGINT):
    """A Popen preexec_fn: the child gets `sig` when this process dies (None off Linux).

    SIGINT is what our nodes shut down on (the driver releases the press); the kernel sends
    it when the thread that started the child ends, so start children from a thread that
    lives as long as they should (the main thread, in bringup, the bench and the tests).
    """
    if _prctl is None:
        return None
    parent = os.getpid()

    def arrange() -> None:
        _prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:          # the parent died before prctl took effect
            os.kill(os.getpid(), sig)
    return arrange

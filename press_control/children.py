"""Child processes that end with their parent (Linux).

No orphan keeps a press or a DDS domain busy when the process that started it is killed.
"""
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
_PR_GET_PDEATHSIG = 2
PARENT_ENV = "PRESS_CONTROL_PARENT_PID"    # who started a process made by ends_with_parent
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
        os.environ[PARENT_ENV] = str(parent)       # for watch_parent, after exec
        _prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:          # the parent died before prctl took effect
            os.kill(os.getpid(), sig)
    return arrange


def parent_death_signal() -> int:
    """The signal this process gets when its parent dies (0: none, or not Linux).

    It survives exec, so a node started with ends_with_parent() can see it was.
    """
    if _prctl is None:
        return 0
    value = ctypes.c_int(0)
    if _prctl(_PR_GET_PDEATHSIG, ctypes.byref(value), 0, 0, 0) != 0:
        return 0
    return value.value


def watch_parent(on_gone, period_s: float = 0.5) -> None:
    """Call on_gone() from a thread once the process that started this one has ended.

    A second path beside the kernel's parent-death signal, for the case where that signal
    is lost: a loaded run left a panel running after its bringup was killed while the panel
    was still starting. The parent is the one ends_with_parent recorded, so a parent that
    died before the watch started is seen too.
    """
    parent = int(os.environ.get(PARENT_ENV) or os.getppid())

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(period_s)
        on_gone(parent)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()

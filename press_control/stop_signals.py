"""Stop signals (Ctrl-C, SIGTERM) answered on a thread, never inside a signal handler.

A Python-level handler runs in the main thread between two bytecodes, possibly in the
middle of the very Event.set() or print() it calls itself; a second signal then waits
forever for the Event's lock, or print raises "reentrant call". Second signals are
ordinary: people press Ctrl-C twice, and the kernel sends a parent-death signal each time
the child passes from one thread of its dying parent to the next (a killed bringup's
simulator got its SIGTERM several times and hung in Event.set inside Event.set).

Python's C-level handler writes the signal's number to a wakeup file at once, whatever the
main thread is doing; one thread per process reads it and runs the callbacks.
"""
import os
import signal
import sys
import threading
import traceback

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_lock = threading.Lock()
_callbacks = []                 # (signal numbers, callback)
_watching = False


def call_on_signals(callback, numbers=STOP_SIGNALS) -> None:
    """Call callback(number) on the watch thread each time one of these signals arrives.

    Call from the main thread (the rule of signal.signal). Callbacks run one at a time and
    may take locks and print; an exception in one is printed and the others still run. The
    process keeps one wakeup file: whatever sets another (an asyncio loop) takes it over.
    """
    global _watching
    with _lock:
        _callbacks.append((frozenset(numbers), callback))
        for number in numbers:
            signal.signal(number, _noted)
        if _watching:
            return
        reader, writer = os.pipe()
        os.set_blocking(writer, False)
        signal.set_wakeup_fd(writer, warn_on_full_buffer=False)
        threading.Thread(target=_watch, args=(reader,), name="signal-watch",
                         daemon=True).start()
        _watching = True


def _noted(*_) -> None:
    """The Python-level handler: the wakeup file already carried the signal."""


def _watch(reader: int) -> None:
    while True:
        received = os.read(reader, 64)
        if not received:
            return
        for number in received:
            with _lock:
                wanted = [callback for numbers, callback in _callbacks if number in numbers]
            for callback in wanted:
                try:
                    callback(number)
                except Exception:           # noqa: B902 - one callback cannot end the others
                    traceback.print_exc(file=sys.stderr)

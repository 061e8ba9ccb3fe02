"""Stop signals are answered on a thread: a burst of them never hangs a process.

A handler that sets an Event itself hung 2 of 30 processes under the same bursts (the
second signal arrives inside the first's Event.set, which holds the Event's lock).
"""
import os
import signal
import subprocess
import sys

import pytest

from signal_bursts import burst
from waiting import gone, wait_for

WAITER = (
    "import sys, threading\n"
    "from press_control.stop_signals import call_on_signals\n"
    "stop = threading.Event()\n"
    "def on_signal(number):\n"
    "    print('stopping on', number, file=sys.stderr, flush=True)\n"
    "    stop.set()\n"
    "def broken(number):\n"
    "    raise RuntimeError('a broken callback')\n"
    "call_on_signals(broken)\n"
    "call_on_signals(on_signal)\n"
    "call_on_signals(lambda number: print('usr1', flush=True), [__import__('signal').SIGUSR1])\n"
    "print('up', flush=True)\n"
    "sys.stdin.readline()\n"            # USR1 first, then the burst
    "stop.wait()\n"
    "print('ended', flush=True)\n")


def start_waiter() -> subprocess.Popen:
    waiter = subprocess.Popen([sys.executable, "-c", WAITER], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert waiter.stdout.readline().strip() == "up"
    return waiter


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT])
def test_a_burst_of_stop_signals_ends_the_process_every_time(number):
    for trial in range(15):
        waiter = start_waiter()
        try:
            waiter.stdin.write("\n")
            waiter.stdin.flush()
            burst(waiter.pid, number, 300, spacing_s=(trial % 10) * 20e-6)
            wait_for(lambda: waiter.poll() is not None, timeout=30,
                     message=f"the process to end after burst {trial}")
            # past stop.wait(); a signal of the burst may still land after Python's exit
            # has put the default handlers back
            assert waiter.stdout.read().strip() == "ended"
            assert waiter.returncode in (0, -number)
            errors = waiter.stderr.read()
            assert f"stopping on {int(number)}" in errors
            assert "RuntimeError: a broken callback" in errors     # printed, not fatal
            assert "reentrant" not in errors
        finally:
            if waiter.poll() is None:
                waiter.kill()
            waiter.wait()


def test_only_the_signals_asked_for_call_a_callback():
    waiter = start_waiter()
    try:
        os.kill(waiter.pid, signal.SIGUSR1)
        assert waiter.stdout.readline().strip() == "usr1"
        assert waiter.poll() is None                # USR1 is not a stop signal here
        waiter.stdin.write("\n")
        waiter.stdin.flush()
        os.kill(waiter.pid, signal.SIGTERM)
        wait_for(lambda: gone(waiter.pid) or waiter.poll() is not None, timeout=30,
                 message="the process to end on SIGTERM")
        assert waiter.stdout.read().strip() == "ended"
    finally:
        if waiter.poll() is None:
            waiter.kill()
        waiter.wait()

"""StopFlag: Event's semantics with sleeping waits."""
import threading
import time

from press_control.pacing import StopFlag


def test_a_wait_runs_its_time_when_nobody_sets_the_flag():
    flag = StopFlag()
    started = time.monotonic()
    assert flag.wait(0.12) is False
    assert time.monotonic() - started >= 0.12


def test_a_set_flag_ends_a_long_wait_within_the_check_period():
    flag = StopFlag(check_s=0.02)
    threading.Timer(0.05, flag.set).start()
    started = time.monotonic()
    assert flag.wait(30.0) is True
    assert time.monotonic() - started < 10.0       # far below 30 s even on a loaded host


def test_set_clear_and_an_already_set_flag():
    flag = StopFlag()
    flag.set()
    assert flag.is_set() and flag.wait(5.0) is True
    flag.clear()
    assert not flag.is_set() and flag.wait(0.0) is False

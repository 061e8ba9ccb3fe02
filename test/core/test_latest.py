import threading
import time

from press_control.latest import Latest


def test_nothing_put_yet_has_no_value_and_infinite_age():
    latest = Latest()
    assert latest.value is None
    assert latest.age_s() == float("inf")


def test_a_value_put_before_the_moment_does_not_count():
    latest = Latest()
    latest.put("old")
    since = time.monotonic()
    assert latest.newer_than(since, timeout_s=0.05) is None
    assert latest.value == "old"


def test_a_value_put_by_another_thread_ends_the_wait():
    latest = Latest()
    latest.put("old")
    since = time.monotonic()
    putter = threading.Thread(target=lambda: (time.sleep(0.05), latest.put("new")))
    putter.start()
    try:
        assert latest.newer_than(since, timeout_s=30.0) == "new"
    finally:
        putter.join()


def test_a_value_already_newer_returns_at_once():
    ticks = iter([1.0, 2.0, 2.0])
    latest = Latest(clock=lambda: next(ticks))
    latest.put("x")                      # seen at 1.0
    assert latest.newer_than(0.5, timeout_s=0.0) == "x"

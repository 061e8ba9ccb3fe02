import threading
import time

from press_control.latest import Latest


def test_nothing_put_yet_has_no_value_and_was_never_seen():
    latest = Latest()
    assert latest.value is None
    assert latest.seen_s == -float("inf")


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


def test_a_refusal_is_judged_again_on_each_newer_value_until_it_passes():
    latest = Latest()
    latest.put("arm inside")
    judged = []

    def judge():
        judged.append(latest.value)
        return "refused" if latest.value != "clear" else None
    putter = threading.Thread(target=lambda: [time.sleep(0.05), latest.put("arm inside"),
                                              time.sleep(0.05), latest.put("clear")])
    putter.start()
    try:
        assert latest.judged_until(judge, time.monotonic(), timeout_s=30.0) is None
    finally:
        putter.join()
    assert judged[-1] == "clear" and len(judged) >= 2


def test_a_refusal_stands_when_nothing_newer_comes_in_time():
    latest = Latest()
    latest.put("arm inside")
    started = time.monotonic()
    assert latest.judged_until(lambda: "refused", time.monotonic(), timeout_s=0.1) == "refused"
    assert time.monotonic() - started >= 0.1

"""The simulator's account of its own lateness: kept, counted and said at a bounded rate."""
from press_control.sim.timing_watch import REPORT_EVERY_S, TimingWatch


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_lateness_below_the_threshold_is_not_kept():
    said = []
    watch = TimingWatch(said.append, late_s=0.1, clock=Clock())
    watch.note("modbus reply", 0.099)
    assert watch.summary() == {} and said == []


def test_late_events_are_counted_their_worst_kept_and_said_once_a_second_per_kind():
    said, clock = [], Clock()
    watch = TimingWatch(said.append, late_s=0.1, clock=clock)
    watch.note("modbus reply", 0.3)
    watch.note("modbus reply", 0.8)
    watch.note("physics thread woke", 0.2)
    assert len(said) == 2 and "modbus reply 0.300 s late" in said[0]
    assert "physics thread woke 0.200 s late" in said[1]
    clock.now += REPORT_EVERY_S
    watch.note("modbus reply", 0.5)
    assert len(said) == 3 and "(3 so far" in said[2]
    assert watch.summary() == {"modbus reply": {"worst_s": 0.8, "count": 3},
                               "physics thread woke": {"worst_s": 0.2, "count": 1}}

"""The progress of a goal: one line per segment and phase in a log, a bar in a terminal."""
import io
import math
from types import SimpleNamespace

from press_control.app.progress import ProgressView


def feedback(index, phase, elapsed, count=6, remaining=30.0):
    return SimpleNamespace(segment_index=index, segment_count=count, segment_type=1,
                           phase=phase, elapsed_s=elapsed, remaining_s=remaining,
                           setpoint_mpa=25.0, measured_mpa=24.9, relative_density=math.nan,
                           impedance_ohm=42.0)


def test_a_log_gets_one_line_per_segment_and_phase_and_the_goals_segment_count():
    log = io.StringIO()
    view = ProgressView(log, interactive=False)
    for tick in range(200):                                  # 10 s of 20 Hz feedback
        view.update(feedback(0 if tick < 100 else 1, "settling" if tick < 150 else "holding",
                             tick / 20))
    view.note("handling: PRESSING cell-1")
    view.close()
    lines = log.getvalue().splitlines()
    assert len(lines) == 4 and "\r" not in log.getvalue()
    assert "segment 1 of 6 hold settling" in lines[0]
    assert "segment 2 of 6 hold settling" in lines[1]
    assert "segment 2 of 6 hold holding" in lines[2]
    assert lines[3] == "handling: PRESSING cell-1"


def test_quiet_shows_nothing():
    log = io.StringIO()
    view = ProgressView(log, quiet=True, interactive=False)
    view.update(feedback(0, "ramping", 1.0))
    view.close()
    assert log.getvalue() == ""


def test_a_terminal_gets_a_bar_that_names_the_goals_segment_count():
    screen = io.StringIO()
    view = ProgressView(screen, interactive=True)
    view.update(feedback(0, "ramping", 1.0, count=53, remaining=math.inf))   # open-ended
    view.update(feedback(2, "holding", 10.0, count=53, remaining=90.0))
    view.close()
    assert "segment 3/53 hold" in screen.getvalue()
    assert "10/100 s" in screen.getvalue()

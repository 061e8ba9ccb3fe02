"""Goal fuzzing through the live nodes: hypothesis goals go over DDS to profile_server and
press_driver on the simulator. The oracle is the simulator's true state, never the
package's refusal functions: the true pressure never exceeds the installed die's rating
(d10, 500 MPa) or the press capacity, the nodes keep answering, and after every goal the
press is released."""
import math
import threading
import time

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from press_control_interfaces.action import RunPressureProfile
from press_control_interfaces.msg import ProfileSegment
from test_profile_server import running_cell
from waiting import wait_for

INSTALLED_RATING_MPA = 500.0          # d10 in the simulated press
CAPACITY_MPA = 294.2 * 1000.0 / (math.pi * 25.0)
GOAL_TIME_S = 6.0                     # then the goal is cancelled (controlled release)

NASTY = st.sampled_from([math.nan, math.inf, -math.inf, -5000.0, -1.0, 0.0, 1e-46, 1e9,
                         753.0, 600.0])
SEGMENT = st.builds(
    ProfileSegment, type=st.integers(0, 5),
    target_mpa=st.one_of(st.floats(0.0, 80.0), NASTY),
    rate_mpa_s=st.one_of(st.floats(0.005, 25.0), NASTY),
    duration_s=st.one_of(st.floats(0.0, 2.0), NASTY),
    tolerance_mpa=st.one_of(st.just(0.0), st.floats(0.0, 3.0)),
    settling_s=st.one_of(st.just(0.0), st.floats(0.0, 1.0)),
    temperature_c=st.one_of(st.just(0.0), st.floats(20.0, 60.0), NASTY))
WILD_GOAL = st.builds(
    RunPressureProfile.Goal,
    preset=st.sampled_from(["", "", "", "handling_check", "nope"]),
    segments=st.lists(SEGMENT, max_size=4),
    die_id=st.sampled_from(["", "d10", "d13", "d16", "d40"]),
    cell_id=st.sampled_from(["fuzz", "", " "]),
    hold_scale=st.one_of(st.just(0.0), st.floats(0.0, 1.0), NASTY))


@st.composite
def plausible_goal(draw):
    """Ramp, hold, release with values near the edges: most of these run."""
    target = draw(st.one_of(st.floats(2.0, 60.0), st.sampled_from([300.0, 499.0, 501.0])))
    segments = [ProfileSegment(type=ProfileSegment.RAMP, target_mpa=target,
                               rate_mpa_s=draw(st.one_of(st.floats(0.01, 20.0),
                                                         st.sampled_from([20.0, 20.01])))),
                ProfileSegment(type=ProfileSegment.HOLD, target_mpa=target,
                               duration_s=draw(st.floats(0.1, 2.0)),
                               temperature_c=draw(st.sampled_from(
                                   [0.0] * 6 + [40.0, -5000.0, math.nan, 1e9])))]
    if draw(st.integers(0, 4)):
        segments.append(ProfileSegment(type=ProfileSegment.RELEASE, target_mpa=0.0,
                                       rate_mpa_s=draw(st.floats(1.0, 20.0))))
    return RunPressureProfile.Goal(segments=segments, cell_id="fuzz",
                                   die_id=draw(st.sampled_from(["", "d10", "d10", "d16"])),
                                   keep_loaded=False)


GOAL = st.one_of(WILD_GOAL, plausible_goal(), plausible_goal(), plausible_goal())


class TruePeak:
    """Samples the simulator's true pressure in the background; remembers the highest."""

    def __init__(self, sim):
        self.sim, self.peak, self._stop = sim, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.sim.true_pressure_mpa())

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(2.0)
        return self.peak


@pytest.fixture
def live(ros_context, spin, tmp_path):
    with running_cell(ros_context, spin, tmp_path, seed=21) as cell:
        yield cell


@pytest.mark.minutes(55)
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(goal=GOAL)
def test_no_goal_puts_the_press_beyond_a_limit_kills_a_node_or_leaves_it_loaded(live, goal):
    peak = TruePeak(live.sim)
    event_name = "rejected"
    try:
        future = live.client.send_goal_async(goal)
        wait_for(future.done, timeout=30.0, message="the server answers the goal")
        handle = future.result()
        if handle.accepted:
            event_name = "ran"
            result = handle.get_result_async()
            deadline = time.monotonic() + GOAL_TIME_S
            while not result.done() and time.monotonic() < deadline:
                time.sleep(0.05)
            if not result.done():
                handle.cancel_goal_async()
            wait_for(result.done, timeout=120.0, message="the goal ends")
        wait_for(lambda: live.sim.true_pressure_mpa() < 1.0, timeout=60.0,
                 message=lambda: f"release (true {live.sim.true_pressure_mpa():.1f} MPa)")
    finally:
        highest = peak.stop()
    event(event_name)
    assert highest <= min(INSTALLED_RATING_MPA, CAPACITY_MPA), goal
    truth = live.sim.truth()
    assert truth["fault_code"] in (0, 7), truth      # no fault a goal could have caused
    state_age = time.monotonic() - live.server.state_seen
    assert state_age < 1.0, "press_driver stopped publishing"
    wait_for(lambda: live.server.readiness_problem() is None and
             live.server.handling.start_refusal("fuzz") is None, timeout=30.0,
             message=lambda: f"the press is ready again ({live.server.readiness_problem()})")

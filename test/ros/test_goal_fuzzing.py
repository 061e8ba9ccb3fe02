"""Goal fuzzing: random goals (any field, any value a ProfileSegment can carry) either get a
ProfileError with a reason or run, and a running profile never produces a command beyond a
limit. The path is the server's: message -> Segment -> assemble -> validate -> ProfileRunner
on the simulated press, with every command checked as press_driver would check it."""
import math

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from press_control.control.dies import parse_die_table
from press_control.ros.segment_messages import segment_from_msg
from press_control.control.profile_runner import ProfileRunner, RunnerTuning
from press_control.control.profiles import ProfileError, assemble, load_presets, validate
from press_control.resources import config_path
from press_control.control.safety import Interlocks, SafetyLimits, pressure_refusal
from press_control.sim.stepped import SteppedPress
from press_control_interfaces.msg import ProfileSegment

LIMITS = SafetyLimits(press_capacity_kn=294.2, max_ramp_rate_mpa_s=20.0,
                      max_temperature_c=150.0)
DIES = parse_die_table(["d10:10.0:500.0", "d13:13.0:450.0", "d16:16.0:400.0"])
PRESETS = load_presets(config_path("profiles.yaml"))
CLEAR = Interlocks(True, True, 0, True, False, True)

ANY_FLOAT = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                      st.floats(-10.0, 600.0), st.sampled_from([0.0, -0.0, 1e-9, 1e300]))
PRESSURE = st.one_of(st.floats(0.0, 600.0), ANY_FLOAT)
WILD_SEGMENT = st.builds(
    ProfileSegment, type=st.integers(0, 6), target_mpa=PRESSURE,
    rate_mpa_s=st.one_of(st.floats(0.0, 40.0), ANY_FLOAT),
    duration_s=st.one_of(st.floats(0.0, 3.0), ANY_FLOAT),
    tolerance_mpa=st.one_of(st.floats(0.0, 5.0), ANY_FLOAT),
    settling_s=st.one_of(st.floats(0.0, 2.0), ANY_FLOAT),
    band_low_mpa=st.one_of(st.just(0.0), PRESSURE),
    band_high_mpa=st.one_of(st.just(0.0), PRESSURE),
    temperature_c=st.one_of(st.just(0.0), st.floats(-50.0, 300.0), ANY_FLOAT),
    end_on_densification_plateau=st.booleans(),
    end_below_interface_resistance_ohm=st.one_of(st.just(0.0), ANY_FLOAT))
PLAUSIBLE_SEGMENT = st.builds(          # mostly valid: these reach the runner
    ProfileSegment, type=st.integers(0, 3), target_mpa=st.floats(0.0, 520.0),
    rate_mpa_s=st.floats(0.0, 22.0), duration_s=st.floats(0.0, 3.0),
    tolerance_mpa=st.floats(0.0, 3.0), settling_s=st.floats(0.0, 1.0),
    band_low_mpa=st.one_of(st.just(0.0), st.floats(0.0, 100.0)),
    band_high_mpa=st.one_of(st.just(0.0), st.floats(0.0, 120.0)),
    temperature_c=st.one_of(st.just(0.0), st.floats(20.0, 160.0)),
    end_on_densification_plateau=st.booleans(),
    end_below_interface_resistance_ohm=st.one_of(st.just(0.0), st.floats(0.0, 100.0)))


@st.composite
def coherent_profile(draw):
    """Ramp, hold, maybe regulate, release: the shape real goals have, values at random."""
    target = draw(st.floats(0.5, 520.0))
    segments = [ProfileSegment(type=ProfileSegment.RAMP, target_mpa=target,
                               rate_mpa_s=draw(st.floats(0.01, 22.0))),
                ProfileSegment(type=ProfileSegment.HOLD, target_mpa=target,
                               duration_s=draw(st.floats(0.0, 3.0)),
                               tolerance_mpa=draw(st.floats(0.0, 3.0)),
                               settling_s=draw(st.floats(0.0, 1.0)),
                               temperature_c=draw(st.one_of(st.just(0.0),
                                                            st.floats(20.0, 160.0))))]
    if draw(st.booleans()):
        level = draw(st.floats(0.5, 120.0))
        segments.append(ProfileSegment(
            type=ProfileSegment.REGULATE, target_mpa=level,
            rate_mpa_s=draw(st.floats(0.01, 22.0)), duration_s=draw(st.floats(0.0, 3.0)),
            band_low_mpa=draw(st.floats(0.0, level)),
            band_high_mpa=draw(st.floats(level, level + 30.0))))
    segments.append(ProfileSegment(type=ProfileSegment.RELEASE, target_mpa=0.0,
                                   rate_mpa_s=draw(st.floats(0.01, 22.0))))
    return segments


PROFILE = st.one_of(st.lists(st.one_of(WILD_SEGMENT, PLAUSIBLE_SEGMENT), max_size=4),
                    coherent_profile(), coherent_profile())
GOAL = st.tuples(st.one_of(st.just(""), st.just(""), st.sampled_from(sorted(PRESETS)),
                           st.just("no_such_preset")),
                 PROFILE,
                 st.one_of(st.floats(0.0, 1.0), st.floats(0.0, 1.0), ANY_FLOAT),
                 st.one_of(st.sampled_from(sorted(DIES)), st.sampled_from(sorted(DIES)),
                           st.sampled_from(["d99", ""])))


def plan(preset, messages, hold_scale, die_id):
    segments = assemble(PRESETS, preset, [segment_from_msg(m) for m in messages], hold_scale)
    if die_id not in DIES:
        raise ProfileError(f"unknown die '{die_id}'")
    validate(segments, LIMITS, DIES[die_id])
    return segments, DIES[die_id]


def check_command(command, die):
    if command.kind == "sweep":
        return              # asks interface_monitor for an EIS sweep; never reaches the press
    if command.kind == "temperature":
        assert math.isfinite(command.target) and command.target <= LIMITS.max_temperature_c
        return
    assert pressure_refusal(LIMITS, die, command.target, command.rate, CLEAR,
                            rising=command.kind == "set_pressure") is None, command


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(GOAL)
@example(("", [ProfileSegment(type=ProfileSegment.REGULATE, target_mpa=0.0, rate_mpa_s=1.0)],
          0.0, "d10"))           # found here: the trim once took the setpoint below zero
@example(("cathode_composite",
          [ProfileSegment(type=ProfileSegment.RAMP, rate_mpa_s=1.0),
           ProfileSegment(type=ProfileSegment.RAMP, rate_mpa_s=1.0, target_mpa=2.2e-311)],
          0.0, "d10"))           # found here: a force below float32's range was refused
@example(("compaction_study", [], 0.03125, "d10"))    # sweeps within the first 10 s
def test_a_random_goal_is_refused_with_a_reason_or_is_safe_to_run(goal):
    try:
        segments, die = plan(*goal)
    except ProfileError as error:
        assert str(error).strip()
        return
    press = SteppedPress(die)
    runner = ProfileRunner(segments, RunnerTuning(   # as profile_server builds it
        max_setpoint_mpa=die.max_pressure_mpa(LIMITS.press_capacity_kn)))
    for _ in range(200):                       # 10 s of the run is enough to see its commands
        if runner.done:
            break
        for command in runner.step(press.observe()):
            check_command(command, die)
            press.apply(command)
        press.advance(0.05)
    runner.cancel()
    while not runner.done and press.time_s < 200.0:
        for command in runner.step(press.observe()):
            check_command(command, die)
            press.apply(command)
        press.advance(0.05)
    assert runner.done

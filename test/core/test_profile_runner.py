"""ProfileRunner against the simulated press stepped in-process (true pressure known)."""
import numpy as np
import pytest

from press_control.control.dies import Die
from press_control.control.profile_runner import ABORTED, CANCELED, SUCCEEDED, ProfileRunner
from press_control.control.profiles import Segment
from press_control.sim.stepped import SteppedPress

DIE = Die("d10", 10.0, 500.0)


def _run(segments, press=None, **kwargs):
    press = press or SteppedPress(DIE, seed=2)
    runner = ProfileRunner(segments)
    rows = press.run(runner, **kwargs)
    return runner, rows, press


def test_ramp_hold_release_succeeds_with_small_errors():
    runner, rows, press = _run([
        Segment("ramp", 100.0, rate_mpa_s=10.0),
        Segment("hold", 100.0, duration_s=10.0, tolerance_mpa=1.0, settling_s=1.0),
        Segment("release", 0.0, rate_mpa_s=20.0)])
    assert runner.outcome == SUCCEEDED, runner.reason
    ramp, hold, release = runner.stats
    assert ramp.completed and hold.completed and release.completed
    assert ramp.overshoot_mpa < 1.0
    assert hold.duration_s >= 10.0 and hold.time_in_band_s > 9.0
    holding = rows[rows[:, 4] == 1]
    assert np.percentile(np.abs(holding[:, 1] - 100.0), 99) < 1.0     # true pressure
    assert press.true_pressure_mpa < 1.0


def test_hold_timer_starts_only_after_settling():
    runner, rows, _ = _run([
        Segment("ramp", 50.0, rate_mpa_s=10.0),
        Segment("hold", 50.0, duration_s=3.0, tolerance_mpa=0.5, settling_s=2.0)])
    assert runner.outcome == SUCCEEDED
    assert runner.stats[1].duration_s >= 5.0


def test_regulate_keeps_stack_pressure_while_the_cell_breathes():
    press = SteppedPress(DIE, seed=3, cycling=True)
    runner, rows, _ = _run([Segment("regulate", 50.0, rate_mpa_s=5.0, duration_s=60.0,
                                    band_low_mpa=25.0, band_high_mpa=60.0,
                                    tolerance_mpa=0.5)], press=press)
    assert runner.outcome == SUCCEEDED, runner.reason
    regulating = rows[(rows[:, 0] > rows[-1, 0] - 55.0)]
    assert np.percentile(np.abs(regulating[:, 1] - 50.0), 99) < 1.0


def test_cancel_releases_and_reports_canceled():
    press = SteppedPress(DIE, seed=4)
    runner = ProfileRunner([Segment("ramp", 80.0, rate_mpa_s=10.0),
                            Segment("hold", 80.0, duration_s=100.0)])

    def cancel_in_hold(_press, run):
        if run.index == 1 and run.phase == "holding":
            run.cancel()
    press.run(runner, on_step=cancel_in_hold, timeout_s=200.0)
    assert runner.outcome == CANCELED
    assert press.true_pressure_mpa < 1.0
    assert not runner.stats[1].completed


def test_fault_aborts_with_the_reason_and_a_safe_press():
    press = SteppedPress(DIE, seed=5)
    runner = ProfileRunner([Segment("ramp", 60.0, rate_mpa_s=10.0),
                            Segment("hold", 60.0, duration_s=100.0)])

    def estop_in_hold(stepped, run):
        if run.index == 1 and stepped.controller.fault_code == 0:
            stepped.press.estop()
    press.run(runner, on_step=estop_in_hold, timeout_s=200.0)
    assert runner.outcome == ABORTED and "press fault 2" in runner.reason
    press.advance(5.0)
    assert press.true_pressure_mpa < 1.0


def test_hold_ends_early_when_the_interface_resistance_is_reached():
    press = SteppedPress(DIE, seed=2)
    press.cell.heckel_y = press.cell.heckel_exponent(392.0)     # a densified separator
    runner, _, _ = _run([
        Segment("ramp", 25.0, rate_mpa_s=5.0),
        Segment("hold", 25.0, duration_s=600.0, tolerance_mpa=0.5, settling_s=1.0,
                end_below_interface_resistance_ohm=40.0)], press=press)
    assert runner.outcome == SUCCEEDED
    assert runner.stats[1].duration_s < 300.0
    assert "interface resistance" in runner.reason


def test_a_ramp_the_press_cannot_finish_aborts():
    press = SteppedPress(DIE, seed=6)
    press.hydraulics.leak_multiplier = 500.0           # a burst seal: the pump cannot keep up
    runner, _, _ = _run([Segment("ramp", 300.0, rate_mpa_s=20.0)], press=press,
                        timeout_s=400.0)
    assert runner.outcome == ABORTED and "did not reach 300 MPa" in runner.reason


def test_a_frozen_pressure_reading_aborts_and_the_press_releases():
    press = SteppedPress(DIE, seed=6)
    runner = ProfileRunner([Segment("ramp", 60.0, rate_mpa_s=10.0),
                            Segment("hold", 60.0, duration_s=100.0)])
    stuck = []

    def stick_in_hold(stepped, run):
        if run.index == 1 and not stuck:
            stuck.append(stepped.time_s)
            stepped.controller.sensors.stick(stepped.controller.measured_force_kn)
    press.run(runner, on_step=stick_in_hold, timeout_s=200.0)
    assert runner.outcome == ABORTED and "frozen" in runner.reason
    assert press.time_s - stuck[0] < 2.0 + 0.5
    press.advance(30.0)
    assert press.true_pressure_mpa < 1.0


def test_a_live_reading_never_counts_as_frozen():
    press = SteppedPress(DIE, seed=7)
    runner = ProfileRunner([Segment("ramp", 392.0, rate_mpa_s=6.0),
                            Segment("hold", 392.0, duration_s=60.0)])
    press.run(runner, timeout_s=400.0)
    assert runner.outcome == SUCCEEDED, runner.reason


def test_a_hold_with_a_sweep_waits_for_the_spectrum_and_notes_where_it_was():
    from press_control.control.profiles import CompactionStudy
    press = SteppedPress(DIE, seed=7, cell_preset="li5.5ps4.5cl1.5")
    study = CompactionStudy(steps_mpa=(50.0, 200.0), hold_max_s=20.0, released_hold_s=3.0)
    runner, _, _ = _run(study.segments(DIE.rated_mpa), press=press, timeout_s=900.0)
    assert runner.outcome == SUCCEEDED, runner.reason
    assert [point.target_mpa for point in runner.sweeps] == [50.0, 2.0, 200.0, 2.0]
    assert len(press.spectra) == 4                        # one sweep asked per hold
    for point, (_, bulk_ohm, thickness_mm) in zip(runner.sweeps, press.spectra):
        assert abs(point.pressure_mpa - point.target_mpa) < 1.0
        assert point.bulk_resistance_ohm == bulk_ohm      # the spectrum that came after asking
        assert point.thickness_mm == pytest.approx(thickness_mm, rel=1e-4)   # creep only
    holds = [s for s in runner.stats if s.type == "hold"]
    assert all(hold.duration_s >= 3.0 + press.sweep_s for hold in holds)
    assert press.true_pressure_mpa < 1.0


def test_a_sweep_that_never_comes_aborts_and_releases():
    from press_control.control.profile_runner import RunnerTuning
    press = SteppedPress(DIE, seed=8)
    press.sweep_s = 1e9                                   # the analyzer never answers
    runner = ProfileRunner([Segment("ramp", 40.0, rate_mpa_s=10.0),
                            Segment("hold", 40.0, duration_s=2.0, sweep=True),
                            Segment("release", 0.0, rate_mpa_s=10.0)],
                           RunnerTuning(sweep_timeout_s=5.0))
    press.run(runner, timeout_s=300.0)
    assert runner.outcome == ABORTED and "no EIS sweep" in runner.reason
    press.advance(10.0)
    assert press.true_pressure_mpa < 1.0

"""Interface events: debounce, hysteresis, one event per crossing, quiet nominal runs."""
import math

import numpy as np

from press_control.analysis.events import (CONTACT_ESTABLISHED, DELAMINATION,
                                           DENSIFICATION_PLATEAU, PRESSURE_LOSS,
                                           SHORT_CIRCUIT, EventDetector, Inputs)
from press_control.sim.cell import CellModel


def _densified_cell():
    """A separator pressed at 392 MPa before the foil goes on (R depends on its density)."""
    cell = CellModel()
    cell.heckel_y = cell.heckel_exponent(392.0)
    return cell


def _run(detector, cell, pressure, seconds, start=0.0, dt=0.5, cycling=False, holding=True):
    events = []
    for i in range(int(seconds / dt)):
        t = start + i * dt
        cell.step(dt, pressure)
        z = cell.impedance(1000.0)
        resistance = cell.interface_resistance_ohm() * (1 + 0.01 * math.sin(t))
        events += detector.update(Inputs(
            time_s=t, impedance_ohm=abs(z), interface_resistance_ohm=resistance,
            stack_pressure_mpa=pressure, setpoint_mpa=pressure, holding=holding,
            cycling=cycling, relative_density=math.nan))
    return events


def test_creep_at_25_mpa_raises_contact_established_exactly_once():
    cell, detector = _densified_cell(), EventDetector()
    events = _run(detector, cell, 25.0, 300.0)
    assert [e.name for e in events if e.active] == [CONTACT_ESTABLISHED]
    assert 30.0 <= cell.interface_resistance_ohm() <= 35.0


def test_delamination_is_detected_within_seconds_of_onset():
    cell, detector = CellModel(), EventDetector()
    _run(detector, cell, 50.0, 300.0, cycling=True)
    events = _run(detector, cell, 1.0, 20.0, start=300.0, cycling=True)
    onset = [e for e in events if e.name == DELAMINATION and e.active]
    assert onset and onset[0].time_s - 300.0 <= 5.0


def test_cycling_at_5_mpa_stack_pressure_raises_no_delamination():
    # Doux et al. (Adv. Energy Mater. 2020) cycled Li|Li6PS5Cl|Li at 5 MPa for over 1000 h.
    detector = EventDetector()
    events = []
    for i in range(200):
        events += detector.update(Inputs(time_s=i * 0.5, interface_resistance_ohm=30.0 +
                                         0.3 * math.sin(i), stack_pressure_mpa=5.0,
                                         setpoint_mpa=5.0, cycling=True))
    assert [e.name for e in events if e.name == DELAMINATION] == []


def test_delamination_clears_only_well_below_its_raise_level():
    detector = EventDetector()
    trace = [30.0] * 10 + [50.0] * 10 + [42.0] * 10 + [36.0] * 10   # ohm, 0.5 s apart
    events = [(i * 0.5, e.active) for i, r in enumerate(trace) for e in detector.update(
        Inputs(time_s=i * 0.5, interface_resistance_ohm=r, cycling=True))
        if e.name == DELAMINATION]
    # raised 1 s (debounce) after 50 ohm came (> 1.5 x 30, at 5 s); 42 ohm (> 1.25 x 30)
    # keeps it; cleared 1 s after 36 ohm came (at 15 s)
    assert events == [(6.0, True), (16.0, False)]


def _swept(detector, cell, segments, sweep_s=5.0, dt=0.5):
    """Step the cell through (pressure, seconds, cycling, foil goes on first) segments; the
    detector sees the fit of the last finished sweep, whose value is the true resistance
    when that sweep began. Returns the delamination events raised, with their times."""
    events, t, fit, began, pending = [], 0.0, math.nan, math.nan, None
    for pressure, seconds, cycling, attach in segments:
        if attach:
            cell.contact = 0.0
        for _ in range(int(seconds / dt)):
            if pending is None or t >= pending[0] + sweep_s:
                if pending is not None:
                    began, fit = pending
                pending = (t, cell.interface_resistance_ohm())
            cell.step(dt, pressure)
            cell.cycling = cycling
            events += detector.update(Inputs(
                time_s=t, interface_resistance_ohm=fit, interface_measured_s=began,
                stack_pressure_mpa=pressure, setpoint_mpa=pressure, cycling=cycling))
            t += dt
    return [e.time_s for e in events if e.name == DELAMINATION and e.active]


def test_a_fit_from_before_the_foil_went_on_is_no_baseline_for_delamination():
    # Seen through the nodes: a 4 s attach hold, then cycling at 40 MPa; the fit at cycling
    # start was of a sweep begun before the foil went on (about 30 ohm), the next one the
    # fresh foil's (10x that, its contact forming) and delamination was raised.
    cell, detector = _densified_cell(), EventDetector()
    cell.contact = 1.0
    attach_then_cycle = [(18.0, 12.0, False, False), (18.0, 4.0, False, True),
                         (40.0, 60.0, True, False)]
    assert _swept(detector, cell, attach_then_cycle) == []
    assert cell.contact > 0.99                       # the truth: contact only grew
    # a real delamination while cycling (the stack lost, from 76 s) is still caught
    lost = _swept(EventDetector(), _densified_cell(), attach_then_cycle + [
        (0.5, 40.0, True, False)])
    assert lost and lost[0] > 76.0, lost


def test_short_is_detected_and_clears_with_hysteresis():
    cell, detector = CellModel(), EventDetector()
    _run(detector, cell, 50.0, 100.0)
    cell.shorted = True
    events = _run(detector, cell, 50.0, 5.0, start=100.0)
    assert any(e.name == SHORT_CIRCUIT and e.active for e in events)
    cell.shorted = False
    events = _run(detector, cell, 50.0, 5.0, start=105.0)
    assert any(e.name == SHORT_CIRCUIT and not e.active for e in events)


def test_pressure_loss_in_hold():
    detector = EventDetector()
    events = []
    for i in range(10):
        events += detector.update(Inputs(time_s=i * 0.5, stack_pressure_mpa=40.0,
                                         setpoint_mpa=50.0, holding=True))
    assert [e.name for e in events] == [PRESSURE_LOSS]


def test_no_events_in_a_nominal_cycling_run():
    cell, detector = CellModel(), EventDetector()
    cell.step(1.0, 392.0)                        # a densified separator
    _run(detector, cell, 50.0, 300.0)
    cell.cycling = True
    events = _run(detector, cell, 50.0, 300.0, start=300.0, cycling=True)
    assert events == []


def test_contact_is_established_only_after_a_fresh_li_interface_is_seen():
    """Densifying a separator shows a low interface arc; that is not Li contact."""
    detector = EventDetector()
    events = []
    for i in range(120):
        events += detector.update(Inputs(time_s=i * 0.5, interface_resistance_ohm=32.0))
    assert events == []
    cell = _densified_cell()                   # the foil goes on: over 500 ohm, then creeps
    events = _run(detector, cell, 25.0, 120.0, start=60.0)
    assert [e.name for e in events if e.active] == [CONTACT_ESTABLISHED]


def _hold(seconds, density, noise=3e-4, seed=5, dt=0.5):
    """Inputs of a hold at 370 MPa at 2 Hz; density(t) with reading noise."""
    rng = np.random.default_rng(seed)
    return [Inputs(time_s=i * dt, holding=True, setpoint_mpa=370.0, stack_pressure_mpa=370.0,
                   relative_density=density(i * dt) + rng.normal(0.0, noise))
            for i in range(int(seconds / dt))]


def test_the_plateau_comes_when_the_compact_stops_consolidating_not_before():
    cell = CellModel()
    cell.step(0.5, 370.0)
    truth = []

    def consolidating(t):
        while cell.time_s < t + 0.5:
            cell.step(0.05, 370.0)
        truth.append((t, cell.relative_density))
        return cell.relative_density
    detector = EventDetector()
    raised = [e for x in _hold(200.0, consolidating) for e in detector.update(x)
              if e.name == DENSIFICATION_PLATEAU and e.active]
    assert len(raised) == 1
    at = raised[0].time_s
    times, densities = zip(*truth)
    true_rate = np.gradient(np.array(densities), np.array(times))
    assert true_rate[times.index(at) - 20] < 2e-4 * 1.5       # it had slowed down...
    assert true_rate[0] > 2 * 2e-4 and at > 20.0                # ...from well above


def test_noise_alone_gives_a_plateau_only_once_the_window_is_full():
    detector = EventDetector()
    events = [e for x in _hold(60.0, lambda t: 0.82) for e in detector.update(x)]
    assert [e.name for e in events] == [DENSIFICATION_PLATEAU]
    assert 8.0 <= events[0].time_s <= 15.0


def test_densifying_again_clears_the_plateau():
    detector = EventDetector()
    events = [e for x in _hold(30.0, lambda t: 0.80) for e in detector.update(x)]
    events += [e for x in _hold(30.0, lambda t: 0.80 + 2e-3 * t, seed=6)
               for e in detector.update(Inputs(x.time_s + 30.0, holding=True,
                                               stack_pressure_mpa=370.0,
                                               relative_density=x.relative_density))]
    expected = [(DENSIFICATION_PLATEAU, True), (DENSIFICATION_PLATEAU, False)]
    assert [(e.name, e.active) for e in events] == expected


def test_a_new_pressure_level_or_a_release_ends_the_plateau():
    detector = EventDetector()
    for x in _hold(30.0, lambda t: 0.80):
        detector.update(x)
    assert DENSIFICATION_PLATEAU in detector.active
    for i in range(6):                        # the profile's trims move the setpoint a little
        detector.update(Inputs(time_s=30.0 + i * 0.5, stack_pressure_mpa=370.8,
                               setpoint_mpa=371.5, relative_density=0.80))
    assert DENSIFICATION_PLATEAU in detector.active
    for i in range(6):
        detector.update(Inputs(time_s=33.0 + i * 0.5, stack_pressure_mpa=25.0,
                               relative_density=0.80))
    assert DENSIFICATION_PLATEAU not in detector.active

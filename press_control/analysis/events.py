"""Interface events with debounce and hysteresis (pure; time is passed in)."""
import collections
import dataclasses
import math
from typing import List, Optional

import numpy as np

CONTACT_ESTABLISHED = "contact_established"
DENSIFICATION_PLATEAU = "densification_plateau"
DELAMINATION = "delamination"
SHORT_CIRCUIT = "short_circuit"
PRESSURE_LOSS = "pressure_loss"
INSTRUMENT_FAULT = "instrument_fault"


@dataclasses.dataclass
class EventThresholds:
    """Where each event is raised and cleared (ohm, MPa, s)."""

    contact_below_ohm: float = 40.0          # raise under this interface resistance
    contact_clear_above_ohm: float = 60.0
    short_below_ohm: float = 5.0             # |Z| collapse
    short_clear_above_ohm: float = 10.0
    delamination_rise: float = 0.5           # interface resistance 50 % above its minimum
    delamination_clear_rise: float = 0.25    # ... cleared once back under 25 % above it
    plateau_density_rate_per_s: float = 2e-4  # |dD/dt| (and its 2-sigma) under this...
    plateau_window_s: float = 10.0           # ...fitted over this much time at one pressure
    plateau_clear_rate_per_s: float = 6e-4   # densifying again: cleared
    pressure_loss_mpa: float = 5.0           # below the setpoint by this much in HOLD
    debounce_s: float = 1.0


@dataclasses.dataclass
class Event:
    """A raised (active) or cleared event."""

    name: str
    active: bool
    time_s: float
    detail: str
    value: float


@dataclasses.dataclass
class Inputs:
    """What the detectors look at, at one instant (NaN where unknown)."""

    time_s: float
    impedance_ohm: float = math.nan
    interface_resistance_ohm: float = math.nan
    stack_pressure_mpa: float = math.nan
    setpoint_mpa: float = math.nan
    holding: bool = False
    cycling: bool = False
    relative_density: float = math.nan
    instrument_ok: bool = True
    # When the sweep behind interface_resistance_ohm began (time_s's clock; NaN: now). A
    # fit of a sweep begun before cycling is no part of the cycling cell's baseline.
    interface_measured_s: float = math.nan


class _Latch:
    """One debounced event with separate raise and clear conditions."""

    def __init__(self, name: str, debounce_s: float):
        self.name, self.debounce_s = name, debounce_s
        self.active = False
        self._since = None

    def update(self, time_s: float, raise_now: bool, clear_now: bool, detail: str,
               value: float) -> Optional[Event]:
        wanted = raise_now if not self.active else not clear_now
        if wanted == self.active:
            self._since = None
            return None
        if self._since is None:
            self._since = time_s
        if time_s - self._since < self.debounce_s:
            return None
        self.active, self._since = wanted, None
        return Event(self.name, wanted, time_s, detail if wanted else f"cleared: {detail}",
                     value)


class EventDetector:
    """Feeds Inputs to every detector; returns the events raised or cleared."""

    def __init__(self, thresholds: EventThresholds = None):
        self.t = thresholds or EventThresholds()
        names = (CONTACT_ESTABLISHED, DENSIFICATION_PLATEAU, DELAMINATION, SHORT_CIRCUIT,
                 PRESSURE_LOSS, INSTRUMENT_FAULT)
        self.latches = {name: _Latch(name, self.t.debounce_s) for name in names}
        self.min_interface_ohm = math.inf
        self._density = collections.deque()
        self._density_pressure = math.nan
        self._cycling = False
        self._cycling_since_s = math.nan
        self._fresh_interface = False

    @property
    def active(self) -> List[str]:
        return [name for name, latch in self.latches.items() if latch.active]

    def reset_cell(self) -> None:
        """A new cell: forget the interface history."""
        self.min_interface_ohm = math.inf
        self._density.clear()
        self._fresh_interface = False
        for latch in self.latches.values():
            latch.active, latch._since = False, None

    def _density_rate(self, x: Inputs):
        """(dD/dt, its standard error, steady) over the last plateau_window_s at one pressure.

        The window restarts whenever the stack pressure leaves its level (by 2 MPa or 1 %)
        or the press is released, so the profile's small trims of a hold's setpoint do not
        restart it; it must span most of its length before a rate is given (NaN before).
        """
        window, pressure = self._density, x.stack_pressure_mpa
        pressed = math.isfinite(pressure) and pressure > 1.0
        level = max(2.0, 0.01 * pressure) if pressed else 0.0
        steady = pressed and abs(pressure - self._density_pressure) <= level
        if not steady:
            window.clear()
            self._density_pressure = pressure if pressed else math.nan
        if pressed and math.isfinite(x.relative_density):
            window.append((x.time_s, x.relative_density))
        while window and window[0][0] < x.time_s - self.t.plateau_window_s:
            window.popleft()
        if len(window) < 5 or window[-1][0] - window[0][0] < 0.8 * self.t.plateau_window_s:
            return math.nan, math.nan, steady
        times, densities = np.array(window).T
        times = times - times.mean()
        slope = float(np.dot(times, densities - densities.mean()) / np.dot(times, times))
        residuals = densities - densities.mean() - slope * times
        sigma = float(np.sqrt(np.dot(residuals, residuals) / (len(times) - 2) /
                              np.dot(times, times)))
        return slope, sigma, steady

    def update(self, x: Inputs) -> List[Event]:
        t, events = self.t, []
        r = x.interface_resistance_ohm
        if x.cycling and not self._cycling:
            self.min_interface_ohm = math.inf      # delamination is judged from cycling start
            self._cycling_since_s = x.time_s
        self._cycling = x.cycling
        measured_s = x.interface_measured_s if math.isfinite(x.interface_measured_s) \
            else x.time_s
        # Seen on the simulated cell through the nodes: the fit at cycling start was of a
        # sweep begun before the Li foil went on; the fresh foil's first fit (its contact
        # still forming, 10x higher) then counted as a rise and raised delamination.
        cycled = x.cycling and measured_s >= self._cycling_since_s
        if math.isfinite(r) and cycled:
            self.min_interface_ohm = min(self.min_interface_ohm, r)

        def check(name, raise_now, clear_now, detail, value):
            event = self.latches[name].update(x.time_s, raise_now, clear_now, detail, value)
            if event:
                events.append(event)
        known = math.isfinite(r)
        # Contact is established by the Li creeping onto the electrolyte: only after a fresh
        # interface (resistance above the clear level: the foil just attached) has been seen.
        self._fresh_interface |= known and r > t.contact_clear_above_ohm
        check(CONTACT_ESTABLISHED, self._fresh_interface and known and r < t.contact_below_ohm,
              known and r > t.contact_clear_above_ohm,
              f"interface resistance {r:.1f} ohm", r)
        z = x.impedance_ohm
        check(SHORT_CIRCUIT, math.isfinite(z) and z < t.short_below_ohm,
              math.isfinite(z) and z > t.short_clear_above_ohm, f"|Z| {z:.2f} ohm", z)
        # Judged on the measured interface only: a low stack pressure is a legitimate choice
        # (Li|Li6PS5Cl|Li cycles for 1000 h at 5 MPa: Doux et al., Adv. Energy Mater. 2020).
        baseline = self.min_interface_ohm
        seen = known and baseline < math.inf
        check(DELAMINATION, cycled and seen and r > (1 + t.delamination_rise) * baseline,
              not x.cycling or (seen and r < (1 + t.delamination_clear_rise) * baseline),
              f"interface resistance {r:.1f} ohm (lowest since cycling began "
              f"{baseline:.1f} ohm), stack {x.stack_pressure_mpa:.1f} MPa", r)
        loss = x.holding and math.isfinite(x.setpoint_mpa) and \
            x.stack_pressure_mpa < x.setpoint_mpa - t.pressure_loss_mpa
        check(PRESSURE_LOSS, loss, not loss,
              f"{x.stack_pressure_mpa:.1f} MPa against setpoint {x.setpoint_mpa:.1f} MPa",
              x.stack_pressure_mpa)
        check(INSTRUMENT_FAULT, not x.instrument_ok, x.instrument_ok, "impedance analyzer",
              math.nan)
        rate, sigma, steady = self._density_rate(x)
        plateau = steady and abs(rate) + 2.0 * sigma < t.plateau_density_rate_per_s
        check(DENSIFICATION_PLATEAU, plateau,
              not (steady and abs(rate) <= t.plateau_clear_rate_per_s),    # NaN: cleared
              f"relative density {x.relative_density:.3f}, rate {rate:.1e}/s", rate)
        return events

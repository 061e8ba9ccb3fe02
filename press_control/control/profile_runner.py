"""Runs a profile: a state machine stepped with press observations, returning commands.

No ROS and no I/O: profile_server feeds it the driver's state and sends its commands; the
benchmark and the tests feed it the simulator directly.
"""
import dataclasses
import math
from typing import List, Optional

import numpy as np

from press_control.control.profiles import HOLD, RAMP, REGULATE, RELEASE, Segment
from press_control.control.stats import percentile

# Outcomes, named as the run_profile action's result constants.
SUCCEEDED, CANCELED, ABORTED, REJECTED = "SUCCEEDED", "CANCELED", "ABORTED", "REJECTED"


@dataclasses.dataclass
class Observation:
    """What the runner knows at one instant (pressures on the sample, measured)."""

    time_s: float
    pressure_mpa: float
    connected: bool = True
    fault_code: int = 0
    fault_text: str = ""
    relative_density: float = math.nan
    interface_resistance_ohm: float = math.nan
    interface_fit_time_s: float = math.nan      # when that resistance was measured
    densification_plateau: bool = False
    spectra_seen: int = 0                       # EIS sweeps the monitor has published
    bulk_resistance_ohm: float = math.nan       # of the latest of them
    thickness_mm: float = math.nan              # the sample's, through the die calibration


@dataclasses.dataclass
class SweepPoint:
    """An EIS sweep a profile asked for: where the press and the sample were."""

    segment: int                    # 0-based index of the hold that asked
    target_mpa: float
    pressure_mpa: float             # filtered, when the sweep came
    thickness_mm: float
    bulk_resistance_ohm: float


@dataclasses.dataclass
class Command:
    """A driver command: set_pressure / release (target, rate) or temperature (target).

    "sweep" is not the driver's: profile_server asks interface_monitor for an EIS sweep.
    """

    kind: str
    target: float
    rate: float = 0.0


@dataclasses.dataclass
class RunnerTuning:
    """Outer-loop and supervision constants."""

    trim_gain_per_s: float = 0.3        # integral trim of the setpoint on filtered error
    trim_limit_mpa: float = 1.5
    trim_step_mpa: float = 0.03         # send a new setpoint when the trim moved this much
    trim_rate_mpa_s: float = 2.0        # rate for trim setpoints
    filter_time_s: float = 0.5          # measured-pressure filter of the outer loop
    reach_dwell_s: float = 0.3          # a ramp is done after this long within tolerance
    ramp_slack_s: float = 60.0          # time allowed beyond 3x the nominal ramp time
    settle_timeout_s: float = 60.0      # a hold that never settles aborts after this
    out_of_band_abort_s: float = 2.0    # regulate: leaving the band this long aborts
    released_mpa: float = 0.5           # below this the press counts as released
    frozen_reading_s: float = 2.0       # a pressurized reading this long unchanged is stuck
    live_reading_s: float = 0.5         # a hold ends only on a reading newer than this
    max_setpoint_mpa: float = math.inf  # the trim never goes past the die's rating
    safe_release_rate_mpa_s: float = 10.0
    sweep_timeout_s: float = 120.0      # a hold's EIS sweep that never comes aborts


@dataclasses.dataclass
class SegmentStats:
    """Tracking figures of one segment on the measured pressure.

    Errors are on the raw signal, peak and overshoot on the filtered one.
    """

    index: int
    type: str
    duration_s: float = 0.0
    peak_mpa: float = 0.0
    overshoot_mpa: float = 0.0
    rms_error_mpa: float = 0.0
    p99_abs_error_mpa: float = 0.0
    time_in_band_s: float = 0.0
    completed: bool = False


class ProfileRunner:
    """Steps through segments; call step() with each new observation."""

    def __init__(self, segments: List[Segment], tuning: RunnerTuning = None):
        self.segments = segments
        self.tuning = tuning or RunnerTuning()
        self.index = -1
        self.outcome: Optional[str] = None
        self.reason = ""
        self.phase = "starting"
        self.stats: List[SegmentStats] = []
        self.reference_mpa = 0.0
        self.peak_mpa = 0.0
        self._cancel_requested = False
        self._abort_reason = ""
        self._reading = (math.nan, 0.0)    # last distinct pressure reading, since when
        self._canceling_since = None
        self._start_s = None
        self._now = 0.0
        self._last_s = None
        self._filtered = None
        self._entered_s = 0.0
        self._start_mpa = 0.0
        self._settled_s = None
        self._last_trim_s = None
        self._samples = []
        self._in_tolerance_since = None
        self._out_of_band_since = None
        self._trim = self._sent_trim = 0.0
        self.notes: List[str] = []
        self.sweeps: List[SweepPoint] = []
        self._sweep_asked = None            # (spectra seen when asked, when)

    # ---- public ------------------------------------------------------------------------
    @property
    def segment(self) -> Optional[Segment]:
        return self.segments[self.index] if 0 <= self.index < len(self.segments) else None

    @property
    def done(self) -> bool:
        return self.outcome is not None

    @property
    def filtered_pressure_mpa(self) -> float:
        """The measured pressure through the outer loop's filter (NaN before any)."""
        return math.nan if self._filtered is None else self._filtered

    @property
    def elapsed_s(self) -> float:
        return 0.0 if self._start_s is None else self._now - self._start_s

    def remaining_s(self) -> float:
        """Planned time left in the current segment and those after it (nan if open)."""
        total = 0.0
        for offset, s in enumerate(self.segments[max(self.index, 0):]):
            if s.type == REGULATE and s.duration_s == 0:
                return math.nan
            if s.type in (HOLD, REGULATE):
                left = s.duration_s - (self._hold_time() if offset == 0 else 0.0)
                total += max(left, 0.0)
            if s.type in (RAMP, RELEASE) and s.rate_mpa_s > 0:
                start = self._filtered if offset == 0 and self._filtered is not None else 0.0
                total += abs(s.target_mpa - start) / s.rate_mpa_s if offset == 0 else 0.0
        return total

    def cancel(self) -> None:
        self._cancel_requested = True

    def abort(self, reason: str) -> None:
        """Stop at the next step: release at the safe rate and end ABORTED with reason."""
        self._abort_reason = reason

    def step(self, obs: Observation) -> List[Command]:
        if self.done:
            return []
        self._now = obs.time_s
        if self._start_s is None:
            self._start_s = obs.time_s
        if math.isfinite(obs.pressure_mpa):
            self.peak_mpa = max(self.peak_mpa, obs.pressure_mpa)
            dt = 0.0 if self._last_s is None else obs.time_s - self._last_s
            alpha = 1.0 if self._filtered is None else min(1.0, dt / self.tuning.filter_time_s)
            self._filtered = obs.pressure_mpa if self._filtered is None else \
                self._filtered + alpha * (obs.pressure_mpa - self._filtered)
        self._last_s = obs.time_s
        if not obs.connected:
            return self._abort("press driver disconnected", obs)
        if obs.fault_code:
            return self._abort(f"press fault {obs.fault_code}: {obs.fault_text}", obs)
        if self._abort_reason:
            return self._abort(self._abort_reason, obs)
        if not math.isfinite(obs.pressure_mpa):
            return self._abort(f"sensor fault: pressure reading is {obs.pressure_mpa}", obs)
        if self._reading_frozen(obs):
            return self._abort(f"pressure reading frozen at {obs.pressure_mpa:.2f} MPa for "
                               f"{self.tuning.frozen_reading_s:g} s: sensor or controller "
                               "stuck", obs)
        if self._cancel_requested:
            return self._cancel_step(obs)
        commands = []
        if self.index < 0:
            commands += self._enter(0, obs)
        self._record(obs)
        commands += self._segment_step(obs)
        return commands

    def _reading_frozen(self, obs: Observation) -> bool:
        """A live sensor under load never repeats its reading exactly (noise > 1 LSB)."""
        if obs.pressure_mpa != self._reading[0]:
            self._reading = (obs.pressure_mpa, obs.time_s)
            return False
        return obs.pressure_mpa > self.tuning.released_mpa and \
            obs.time_s - self._reading[1] >= self.tuning.frozen_reading_s

    # ---- segments ----------------------------------------------------------------------
    def _enter(self, index: int, obs: Observation) -> List[Command]:
        if self.stats:
            self._finish_stats(completed=True)
        self.index = index
        if index >= len(self.segments):
            self.outcome, self.phase = SUCCEEDED, "done"
            self.reason = "; ".join(["profile complete"] + self.notes)
            return []
        s = self.segment
        self._entered_s = obs.time_s
        self._start_mpa = self._filtered if self._filtered is not None else obs.pressure_mpa
        self._in_tolerance_since = None
        self._settled_s = None
        self._out_of_band_since = None
        self._trim = self._sent_trim = 0.0
        self._last_trim_s = None
        self._samples = []
        self._sweep_asked = None
        self.stats.append(SegmentStats(index=index, type=s.type))
        commands = []
        if math.isfinite(s.temperature_c):
            commands.append(Command("temperature", s.temperature_c))
        if s.type in (RAMP, REGULATE):
            commands.append(Command("set_pressure", s.target_mpa, s.rate_mpa_s))
            self.phase = "ramping" if s.type == RAMP else "approaching"
        elif s.type == RELEASE:
            commands.append(Command("release", s.target_mpa, s.rate_mpa_s))
            self.phase = "releasing"
        else:
            self.phase = "settling"
        return commands

    def _reference(self, s: Segment, obs: Observation) -> float:
        if s.type in (RAMP, RELEASE) or (s.type == REGULATE and self._settled_s is None):
            direction = 1.0 if s.target_mpa >= self._start_mpa else -1.0
            moved = s.rate_mpa_s * (obs.time_s - self._entered_s)
            value = self._start_mpa + direction * moved
            return min(value, s.target_mpa) if direction > 0 else max(value, s.target_mpa)
        return s.target_mpa

    def _segment_step(self, obs: Observation) -> List[Command]:
        s, t = self.segment, self.tuning
        measured = self._filtered
        if s.type in (RAMP, RELEASE):
            tolerance = max(s.tolerance_mpa, t.released_mpa)
            reached = measured <= s.target_mpa + tolerance if s.type == RELEASE else \
                abs(measured - s.target_mpa) <= tolerance
            if self._dwelled(reached, obs):
                return self._enter(self.index + 1, obs)
            nominal = abs(s.target_mpa - self._start_mpa) / s.rate_mpa_s
            if obs.time_s - self._entered_s > 3 * nominal + t.ramp_slack_s:
                return self._abort(f"{s.type} did not reach {s.target_mpa:g} MPa "
                                   f"(at {measured:.1f} MPa)", obs)
            return []
        in_tolerance = abs(measured - s.target_mpa) <= s.tolerance_mpa
        if self._settled_s is None:
            if self._in_tolerance_since is None or not in_tolerance:
                self._in_tolerance_since = obs.time_s if in_tolerance else None
            if in_tolerance and obs.time_s - self._in_tolerance_since >= s.settling_s:
                self._settled_s = obs.time_s
                self.phase = "holding" if s.type == HOLD else "regulating"
            elif obs.time_s - self._entered_s > t.settle_timeout_s + s.settling_s + \
                    (abs(s.target_mpa - self._start_mpa) / s.rate_mpa_s if s.rate_mpa_s else 0):
                return self._abort(f"{s.type} at {s.target_mpa:g} MPa did not settle within "
                                   f"+-{s.tolerance_mpa:g} MPa", obs)
            if self._settled_s is None:
                return self._trim_step(s, obs) if s.type == HOLD else []
        low, high = s.band
        if s.type == REGULATE and not low <= measured <= high:
            self._out_of_band_since = self._out_of_band_since or obs.time_s
            if obs.time_s - self._out_of_band_since > t.out_of_band_abort_s:
                return self._abort(f"stack pressure {measured:.1f} MPa left the band "
                                   f"{low:g}..{high:g} MPa", obs)
        else:
            self._out_of_band_since = None
        if self._sweep_asked is not None:          # the hold has ended; its sweep runs
            return self._sweep_step(s, obs)
        finished = s.duration_s > 0 and self._hold_time() >= s.duration_s
        fresh_fit = not math.isfinite(obs.interface_fit_time_s) or \
            obs.interface_fit_time_s >= self._settled_s
        if s.end_below_interface_resistance_ohm > 0 and fresh_fit and \
                obs.interface_resistance_ohm < s.end_below_interface_resistance_ohm:
            finished = True
            self.notes.append(f"segment {self.index + 1} ended at interface resistance "
                              f"{obs.interface_resistance_ohm:.1f} ohm")
        if s.end_on_densification_plateau and obs.densification_plateau:
            finished = True
            self.notes.append(f"segment {self.index + 1} ended at the densification plateau")
        if finished and self._reading_live(obs):
            if not s.sweep:
                return self._enter(self.index + 1, obs)
            return self._sweep_step(s, obs)
        return self._trim_step(s, obs)

    def _sweep_step(self, s: Segment, obs: Observation) -> List[Command]:
        """Ask for the hold's sweep once; move on when a newer spectrum has come."""
        if self._sweep_asked is None:
            self._sweep_asked = (obs.spectra_seen, obs.time_s)
            self.phase = "sweeping"
            return [Command("sweep", 0.0)] + self._trim_step(s, obs)
        seen, asked_s = self._sweep_asked
        if obs.spectra_seen > seen:
            self.sweeps.append(SweepPoint(self.index, s.target_mpa, self._filtered,
                                          obs.thickness_mm, obs.bulk_resistance_ohm))
            return self._enter(self.index + 1, obs)
        if obs.time_s - asked_s > self.tuning.sweep_timeout_s:
            return self._abort(f"no EIS sweep within {self.tuning.sweep_timeout_s:g} s of "
                               f"asking (segment {self.index + 1})", obs)
        return self._trim_step(s, obs)

    def _reading_live(self, obs: Observation) -> bool:
        """A segment finishes only on a reading that changed lately (not a stuck sensor)."""
        return obs.time_s - self._reading[1] <= self.tuning.live_reading_s

    def _dwelled(self, condition: bool, obs: Observation) -> bool:
        if not condition:
            self._in_tolerance_since = None
            return False
        if self._in_tolerance_since is None:
            self._in_tolerance_since = obs.time_s
        return obs.time_s - self._in_tolerance_since >= self.tuning.reach_dwell_s

    def _trim_step(self, s: Segment, obs: Observation) -> List[Command]:
        """Cascade outer loop: integral trim of the controller setpoint on filtered error."""
        t = self.tuning
        dt = 0.0 if self._last_trim_s is None else obs.time_s - self._last_trim_s
        self._last_trim_s = obs.time_s
        error = self._filtered - s.target_mpa
        if abs(error) > 3 * s.tolerance_mpa + 1.0:
            return []
        self._trim = max(-t.trim_limit_mpa, min(t.trim_limit_mpa,
                                                self._trim - t.trim_gain_per_s * error * dt))
        if abs(self._trim - self._sent_trim) < t.trim_step_mpa:
            return []
        self._sent_trim = self._trim
        trimmed = min(max(s.target_mpa + self._trim, 0.0), t.max_setpoint_mpa)
        return [Command("set_pressure", trimmed, t.trim_rate_mpa_s)]

    def _hold_time(self) -> float:
        return 0.0 if self._settled_s is None else self._now - self._settled_s

    # ---- ends --------------------------------------------------------------------------
    def _cancel_step(self, obs: Observation) -> List[Command]:
        if self._canceling_since is None:
            self._canceling_since = obs.time_s
            if self.stats:
                self._finish_stats(completed=False)
            self.phase = "canceling: releasing"
            return [Command("release", 0.0, self.tuning.safe_release_rate_mpa_s)]
        if self._filtered is not None and self._filtered <= self.tuning.released_mpa:
            self.outcome, self.reason, self.phase = CANCELED, "canceled; press released", "done"
        elif obs.time_s - self._canceling_since > 120.0:
            self.outcome, self.phase = CANCELED, "done"
            self.reason = "canceled; release did not complete in 120 s"
        return []

    def _abort(self, reason: str, obs: Observation) -> List[Command]:
        if self.stats and not self.stats[-1].completed:
            self._finish_stats(completed=False)
        self.outcome, self.reason, self.phase = ABORTED, reason, "aborted"
        return [Command("release", 0.0, self.tuning.safe_release_rate_mpa_s)]

    # ---- statistics --------------------------------------------------------------------
    def _record(self, obs: Observation) -> None:
        s = self.segment
        if s is None or not math.isfinite(obs.pressure_mpa):
            return
        self.reference_mpa = self._reference(s, obs)
        self._samples.append((obs.time_s, obs.pressure_mpa, self.reference_mpa,
                              self._filtered))

    def _finish_stats(self, completed: bool) -> None:
        stats, s = self.stats[-1], self.segment
        samples = np.array(self._samples) if self._samples else np.zeros((0, 4))
        stats.completed = completed
        stats.duration_s = self._now - self._entered_s
        if len(samples) == 0:
            return
        pressure, reference = samples[:, 1], samples[:, 2]
        # Peak and overshoot on the filtered signal: a noise sample is not an overshoot.
        stats.peak_mpa = float(samples[:, 3].max())
        if s.type in (RAMP, HOLD, REGULATE):
            stats.overshoot_mpa = float(max(0.0, stats.peak_mpa - s.target_mpa))
        if self._settled_s is not None:
            settled = samples[:, 0] >= self._settled_s
            pressure, reference = pressure[settled], reference[settled]
        error = pressure - reference
        if len(error):
            stats.rms_error_mpa = float(np.sqrt(np.mean(error ** 2)))
            stats.p99_abs_error_mpa = float(percentile(np.sort(np.abs(error)), 0.99))
        low, high = s.band
        inside = (samples[:, 1] >= low) & (samples[:, 1] <= high)
        steps = np.diff(samples[:, 0], append=samples[-1, 0])
        stats.time_in_band_s = float(np.sum(steps[inside]))

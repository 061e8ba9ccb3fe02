"""Pressure profiles: segments, presets from YAML, goal assembly and validation (pure)."""
import dataclasses
import math
from typing import List, Optional

import yaml

from press_control.control.dies import Die
from press_control.control.safety import SafetyLimits

RAMP, HOLD, RELEASE, REGULATE = "ramp", "hold", "release", "regulate"
SEGMENT_TYPES = (RAMP, HOLD, RELEASE, REGULATE)      # index = ProfileSegment constant
MAX_DURATION_S = 7 * 24 * 3600.0
# Li foil goes on at the first hold under this after densification (sim/world.py,
# control/campaign_spec.py)
ANODE_ATTACH_BELOW_MPA = 40.0
MIN_TOLERANCE_MPA = 0.05


# Why a goal is rejected (GoalRejection codes).
REJECT_BUSY, REJECT_INVALID, REJECT_NOT_READY, REJECT_HANDLING, REJECT_WRONG_DIE = range(5)
MAX_SETTLING_S = 3600.0
MAX_TOLERANCE_MPA = 50.0
MAX_INTERFACE_RESISTANCE_OHM = 1e9


BOOLEAN_FIELDS = ("end_on_densification_plateau", "sweep")


class ProfileError(ValueError):
    """A profile or goal that must not run; the message says why, code says what kind."""

    def __init__(self, reason: str, code: int = REJECT_INVALID):
        super().__init__(reason)
        self.code = code


@dataclasses.dataclass
class Segment:
    """One step of a profile (pressures on the sample)."""

    type: str
    target_mpa: float
    rate_mpa_s: float = 0.0
    duration_s: float = 0.0
    tolerance_mpa: float = 1.0
    settling_s: float = 1.0
    band_low_mpa: float = math.nan
    band_high_mpa: float = math.nan
    temperature_c: float = math.nan
    end_on_densification_plateau: bool = False
    end_below_interface_resistance_ohm: float = 0.0
    sweep: bool = False                 # hold: an EIS sweep once it ends, before moving on

    @classmethod
    def from_dict(cls, entry: dict) -> "Segment":
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(entry) - fields
        if unknown:
            raise ProfileError(f"unknown segment field(s): {', '.join(sorted(unknown))}")
        try:
            return cls(**{k: (str(v) if k == "type" else
                              bool(v) if k in BOOLEAN_FIELDS else float(v))
                          for k, v in entry.items()})
        except (TypeError, ValueError) as error:
            raise ProfileError(f"bad segment {entry}: {error}") from None

    @property
    def band(self) -> tuple:
        """Allowed band: the regulate band, else target +- tolerance."""
        if self.type == REGULATE and math.isfinite(self.band_low_mpa):
            return self.band_low_mpa, self.band_high_mpa
        return self.target_mpa - self.tolerance_mpa, self.target_mpa + self.tolerance_mpa


def load_presets(path: str) -> dict:
    """Preset name -> list of Segments from a profiles YAML file.

    Every preset must end released (rule 5 of safety.py): a preset that leaves the cell
    under pressure is refused here, at load.
    """
    with open(path) as stream:
        spec = yaml.safe_load(stream) or {}
    presets = {}
    for name, segments in (spec.get("presets") or {}).items():
        if isinstance(segments, dict):            # a study: its segments depend on the die
            presets[name] = study_from_dict(name, segments)
            continue
        presets[name] = [Segment.from_dict(entry) for entry in segments]
        problem = loaded_end_problem(presets[name])
        if problem:
            raise ProfileError(f"preset '{name}' in {path}: {problem}")
    return presets


@dataclasses.dataclass(frozen=True)
class CompactionStudy:
    """Stepwise pressing with an EIS sweep under load and after each release.

    Each step: ramp to the step's pressure, hold until the densification plateau (the
    platen has settled; at most hold_max_s), sweep; release to released_mpa (the lowest
    pressure the press holds), hold released_hold_s, sweep; then the next step. Steps
    above the installed die's rating are left out; the study ends released.
    """

    steps_mpa: tuple = (10, 20, 30, 40, 50, 70, 100, 150, 200, 250, 300, 350, 400)
    rate_mpa_s: float = 5.0
    hold_max_s: float = 120.0
    tolerance_mpa: float = 1.0
    settling_s: float = 2.0
    released_mpa: float = 2.0
    released_hold_s: float = 5.0
    release_rate_mpa_s: float = 10.0

    def segments(self, rating_mpa: float) -> List[Segment]:
        steps = [float(p) for p in self.steps_mpa if p <= rating_mpa]
        if not steps:
            raise ProfileError(f"no step of the compaction study is within the die's rating "
                               f"({rating_mpa:g} MPa)")
        result = []
        for pressure in steps:
            result += [
                Segment(RAMP, pressure, self.rate_mpa_s, tolerance_mpa=self.tolerance_mpa),
                Segment(HOLD, pressure, duration_s=self.hold_max_s,
                        tolerance_mpa=self.tolerance_mpa, settling_s=self.settling_s,
                        end_on_densification_plateau=True, sweep=True),
                Segment(RELEASE, self.released_mpa, self.release_rate_mpa_s),
                Segment(HOLD, self.released_mpa, duration_s=self.released_hold_s,
                        tolerance_mpa=self.tolerance_mpa, settling_s=self.settling_s,
                        sweep=True)]
        return result + [Segment(RELEASE, 0.0, self.release_rate_mpa_s)]


def study_from_dict(name: str, entry: dict) -> CompactionStudy:
    """A `{study: compaction, ...}` preset; unknown kinds or fields are refused."""
    entry = dict(entry)
    kind = entry.pop("study", None)
    if kind != "compaction":
        raise ProfileError(f"preset '{name}': unknown study '{kind}' (known: compaction)")
    fields = {f.name for f in dataclasses.fields(CompactionStudy)}
    unknown = set(entry) - fields
    if unknown:
        raise ProfileError(f"preset '{name}': unknown field(s) {', '.join(sorted(unknown))}")
    try:
        values = {k: tuple(float(p) for p in v) if k == "steps_mpa" else float(v)
                  for k, v in entry.items()}
    except (TypeError, ValueError) as error:
        raise ProfileError(f"preset '{name}': {error}") from None
    study = CompactionStudy(**values)
    if list(study.steps_mpa) != sorted(set(study.steps_mpa)) or \
            any(not math.isfinite(p) or p <= study.released_mpa for p in study.steps_mpa):
        raise ProfileError(f"preset '{name}': steps_mpa must rise, each above released_mpa")
    return study


def loaded_end_problem(segments: List[Segment]) -> str:
    """Why a profile would end with the cell under pressure ("" if it ends released).

    It ends released when its last segment releases to (about) zero, or is an open-ended
    regulate, which ends only by cancel or abort, and both release.
    """
    if not segments:
        return ""
    last = segments[-1]
    if last.type == RELEASE and last.target_mpa <= 0.5:
        return ""
    if last.type == REGULATE and last.duration_s == 0:
        return ""
    return (f"it ends in a {last.type} at {last.target_mpa:g} MPa, leaving the cell loaded; "
            "end with a release to 0 MPa (or set keep_loaded to hand the cell to the next "
            "goal)")


def assemble(presets: dict, preset: str, segments: List[Segment],
             hold_scale: float = 1.0, rating_mpa: float = math.inf) -> List[Segment]:
    """Build the segments a goal asks for.

    A preset, explicit segments, or a preset with overrides (explicit segment i replaces
    the preset's segment i). A study preset is laid out for rating_mpa (the die's).
    """
    if preset:
        if preset not in presets:
            raise ProfileError(f"unknown preset '{preset}'; known: {', '.join(sorted(presets))}")
        chosen = presets[preset]
        if isinstance(chosen, CompactionStudy):
            chosen = chosen.segments(rating_mpa)
        result = [dataclasses.replace(s) for s in chosen]
        for index, override in enumerate(segments):
            if index < len(result):
                result[index] = override
            else:
                result.append(override)
    else:
        result = list(segments)
    if not result:
        raise ProfileError("the goal has no segments and names no preset")
    if not (math.isfinite(hold_scale) and 0.0 <= hold_scale <= 1.0):
        raise ProfileError(f"hold_scale {hold_scale} must be within 0..1 (0 = as written)")
    if 0.0 < hold_scale < 1.0:
        for segment in result:
            if segment.type in (HOLD, REGULATE):
                segment.duration_s *= hold_scale
    return result


def validate(segments: List[Segment], limits: SafetyLimits, die: Die,
             keep_loaded: bool = False) -> None:
    """Raise ProfileError with the first reason the profile must not run on this press."""
    rating = min(die.rated_mpa, die.pressure_mpa(limits.press_capacity_kn))
    previous_target = 0.0
    for index, s in enumerate(segments):
        where = f"segment {index + 1} ({s.type})"
        if s.type not in SEGMENT_TYPES:
            raise ProfileError(f"{where}: unknown type; use one of {', '.join(SEGMENT_TYPES)}")
        for name, high in (("target_mpa", math.inf), ("rate_mpa_s", math.inf),
                           ("duration_s", MAX_DURATION_S), ("tolerance_mpa", MAX_TOLERANCE_MPA),
                           ("settling_s", MAX_SETTLING_S),
                           ("end_below_interface_resistance_ohm",
                            MAX_INTERFACE_RESISTANCE_OHM)):
            value = getattr(s, name)
            if not math.isfinite(value):
                raise ProfileError(f"{where}: {name} is not a finite number ({value})")
            if value < 0:
                raise ProfileError(f"{where}: {name} is negative ({value})")
            if value > high:
                raise ProfileError(f"{where}: {name} {value:g} is beyond {high:g}")
        if s.target_mpa > die.rated_mpa:
            raise ProfileError(f"{where}: {s.target_mpa:g} MPa exceeds the rating of die "
                               f"{die.die_id} ({die.rated_mpa:g} MPa)")
        if s.target_mpa > rating:
            raise ProfileError(f"{where}: {s.target_mpa:g} MPa on die {die.die_id} needs "
                               f"{die.force_kn(s.target_mpa):.1f} kN, beyond the press capacity "
                               f"{limits.press_capacity_kn:g} kN")
        if s.type in (RAMP, RELEASE, REGULATE):
            if s.rate_mpa_s < limits.min_ramp_rate_mpa_s:
                raise ProfileError(f"{where}: rate {s.rate_mpa_s:g} MPa/s is below the "
                                   f"minimum {limits.min_ramp_rate_mpa_s:g} MPa/s")
            if s.rate_mpa_s > limits.max_ramp_rate_mpa_s:
                raise ProfileError(f"{where}: rate {s.rate_mpa_s:g} MPa/s exceeds the limit "
                                   f"{limits.max_ramp_rate_mpa_s:g} MPa/s")
        if s.type == RAMP and s.target_mpa < previous_target:
            raise ProfileError(f"{where}: ramp target {s.target_mpa:g} MPa is below the "
                               f"previous {previous_target:g} MPa; use release")
        if s.type == RELEASE and s.target_mpa > previous_target:
            raise ProfileError(f"{where}: release target {s.target_mpa:g} MPa is above the "
                               f"previous {previous_target:g} MPa; use ramp")
        if s.type == HOLD:
            if abs(s.target_mpa - previous_target) > s.tolerance_mpa:
                raise ProfileError(f"{where}: hold at {s.target_mpa:g} MPa but the previous "
                                   f"segment ends at {previous_target:g} MPa")
            if s.duration_s <= 0:
                raise ProfileError(f"{where}: a hold needs a positive duration_s")
        if s.type in (HOLD, REGULATE) and s.tolerance_mpa < MIN_TOLERANCE_MPA:
            raise ProfileError(f"{where}: tolerance {s.tolerance_mpa:g} MPa is below the "
                               f"{MIN_TOLERANCE_MPA} MPa the load cell can resolve")
        if s.type == REGULATE and not (math.isnan(s.band_low_mpa) and
                                       math.isnan(s.band_high_mpa)):
            if not (0 <= s.band_low_mpa <= s.target_mpa <= s.band_high_mpa <= rating):
                raise ProfileError(f"{where}: band {s.band_low_mpa:g}..{s.band_high_mpa:g} MPa "
                                   f"must contain the target and stay within 0..{rating:g}")
        if not math.isnan(s.temperature_c) and not \
                limits.min_temperature_c <= s.temperature_c <= limits.max_temperature_c:
            raise ProfileError(f"{where}: temperature {s.temperature_c:g} °C is outside the "
                               f"platen range {limits.min_temperature_c:g}.."
                               f"{limits.max_temperature_c:g} °C")
        previous_target = s.target_mpa
    problem = "" if keep_loaded else loaded_end_problem(segments)
    if problem:
        raise ProfileError(f"the profile {problem}")


def total_planned_s(segments: List[Segment]) -> Optional[float]:
    """Rough planned duration (ramps at their rates plus holds); None if open-ended."""
    total, pressure = 0.0, 0.0
    for s in segments:
        if s.type in (RAMP, RELEASE, REGULATE):
            total += abs(s.target_mpa - pressure) / s.rate_mpa_s
            pressure = s.target_mpa
        if s.type in (HOLD, REGULATE):
            if s.duration_s == 0 and s.type == REGULATE:
                return None
            total += s.duration_s + s.settling_s
    return total

"""A campaign file: the cell protocol's search space, objectives, constraints (pure).

A campaign presses `cells` cells of one stack in one die; each cell runs the protocol
below with numbers chosen by the optimiser inside the space. Every protocol parameter is
either a fixed number or a range `{low, high, unit[, log]}`; a range's unit must be the
parameter's own (PARAMETERS). The file is checked before the first cell against the die
table, the press limits and the materials: a space that reaches past the die's rating, the
press or the anode's temperature cap is refused with the reason, never clipped.

The protocol (docs/campaigns.md): ramp to densify_mpa and hold densify_hold_s; release to
attach_mpa (the Li foil goes on) and hold up to attach_hold_s or until the interface
resistance is below attach_end_ohm; regulate stack_mpa while the cell cycles for cycling_s;
release. The platen stands at temperature_c throughout.
"""
import dataclasses
import itertools
import math
from typing import Dict, List

import yaml

from press_control.control.dies import Die
from press_control.control.materials import StackError, cell_stack, temperature_refusal
from press_control.control.profiles import (ANODE_ATTACH_BELOW_MPA, HOLD, RAMP, REGULATE,
                                            RELEASE, ProfileError, Segment, validate)
from press_control.control.safety import SafetyLimits

# name -> (unit, default, what it is)
PARAMETERS = {
    "densify_mpa": ("MPa", 392.0, "densification pressure"),
    "densify_rate_mpa_s": ("MPa/s", 6.0, "ramp rate to the densification pressure"),
    "densify_hold_s": ("s", 30.0, "densification hold"),
    "attach_mpa": ("MPa", 25.0, "Li-attach pressure (below 40 MPa: the foil goes on)"),
    "attach_hold_s": ("s", 60.0, "longest Li-attach hold"),
    "attach_end_ohm": ("ohm", 0.0, "end the attach hold below this interface resistance "
                                   "(0 = hold the full time)"),
    "stack_mpa": ("MPa", 50.0, "stack pressure regulated while the cell cycles"),
    "stack_rate_mpa_s": ("MPa/s", 5.0, "rate to the stack pressure"),
    "stack_band_mpa": ("MPa", 5.0, "allowed band either side of the stack pressure"),
    "cycling_s": ("s", 300.0, "time under stack pressure while cycling"),
    "temperature_c": ("C", 25.0, "platen temperature"),
    "release_rate_mpa_s": ("MPa/s", 10.0, "release rate"),
}

# metric -> (unit, what it is); computed from each run record (analysis/campaign_metrics.py)
METRICS = {
    "interface_asr_ohm_cm2": ("ohm cm2", "area-specific interface resistance at the end of "
                                         "cycling"),
    "press_time_s": ("s", "time from the first to the last segment"),
    "relative_density": ("", "the separator's relative density after densification"),
    "shorted": ("", "1 if a short circuit was raised, else 0"),
    "delaminated": ("", "1 if a delamination was raised, else 0"),
}
DIRECTIONS = ("minimize", "maximize")


class CampaignError(ValueError):
    """A campaign file that must not run; the message says which field and why."""


@dataclasses.dataclass(frozen=True)
class Range:
    """A searched parameter: low..high in the parameter's unit, on a log scale if log."""

    name: str
    low: float
    high: float
    log: bool = False


@dataclasses.dataclass(frozen=True)
class Objective:
    """A metric to minimise or maximise."""

    metric: str
    direction: str


@dataclasses.dataclass(frozen=True)
class Constraint:
    """metric >= min and metric <= max (either may be absent: NaN)."""

    metric: str
    min: float = math.nan
    max: float = math.nan

    def violation(self, value: float) -> float:
        """How far value lies outside (<= 0: satisfied), as Optuna's constraints want."""
        if not math.isfinite(value):
            return math.inf
        low = self.min - value if math.isfinite(self.min) else -math.inf
        high = value - self.max if math.isfinite(self.max) else -math.inf
        return max(low, high)


@dataclasses.dataclass(frozen=True)
class Campaign:
    """A checked campaign file."""

    name: str
    cells: int
    seed: int
    die_id: str
    electrolyte: str
    electrolyte_mass_mg: float
    anode: str
    fixed: Dict[str, float]
    space: List[Range]
    objectives: List[Objective]
    constraints: List[Constraint]
    description: str = ""
    twin_preset: str = "li6ps5cl"

    def protocol(self, chosen: Dict[str, float]) -> Dict[str, float]:
        """Every parameter's value for one cell: the fixed ones and the chosen ones."""
        missing = {r.name for r in self.space} - set(chosen)
        if missing:
            raise CampaignError(f"no value for {', '.join(sorted(missing))}")
        return {**self.fixed, **{r.name: float(chosen[r.name]) for r in self.space}}

    def segments(self, chosen: Dict[str, float]) -> List[Segment]:
        return protocol_segments(self.protocol(chosen))

    def corners(self):
        """Every corner of the space (the extremes a validation must pass)."""
        for values in itertools.product(*[(r.low, r.high) for r in self.space]):
            yield dict(zip([r.name for r in self.space], values))


def protocol_segments(p: Dict[str, float]) -> List[Segment]:
    """The cell's profile from one set of protocol values."""
    temperature = p["temperature_c"]
    stack, band = p["stack_mpa"], p["stack_band_mpa"]
    return [
        Segment(RAMP, p["densify_mpa"], p["densify_rate_mpa_s"], temperature_c=temperature),
        Segment(HOLD, p["densify_mpa"], duration_s=p["densify_hold_s"], tolerance_mpa=1.0,
                settling_s=1.0),
        Segment(RELEASE, p["attach_mpa"], p["release_rate_mpa_s"]),
        Segment(HOLD, p["attach_mpa"], duration_s=p["attach_hold_s"], tolerance_mpa=0.5,
                settling_s=1.0, end_below_interface_resistance_ohm=p["attach_end_ohm"]),
        Segment(REGULATE, stack, p["stack_rate_mpa_s"], duration_s=p["cycling_s"],
                tolerance_mpa=0.5, band_low_mpa=max(0.0, stack - band),
                band_high_mpa=stack + band),
        Segment(RELEASE, 0.0, p["release_rate_mpa_s"]),
    ]


def _number(where: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value):
        raise CampaignError(f"{where}: {value!r} is not a finite number")
    return float(value)


def _range(name: str, entry: dict) -> Range:
    unit = PARAMETERS[name][0]
    unknown = set(entry) - {"low", "high", "unit", "log"}
    if unknown:
        raise CampaignError(f"protocol.{name}: unknown field(s) {', '.join(sorted(unknown))}")
    if entry.get("unit") != unit:
        raise CampaignError(f"protocol.{name}: unit must be '{unit}' (got "
                            f"{entry.get('unit')!r})")
    low = _number(f"protocol.{name}.low", entry.get("low"))
    high = _number(f"protocol.{name}.high", entry.get("high"))
    log = entry.get("log", False)
    if not isinstance(log, bool):
        raise CampaignError(f"protocol.{name}.log must be true or false")
    if not low < high:
        raise CampaignError(f"protocol.{name}: low {low:g} must be below high {high:g}")
    if log and low <= 0:
        raise CampaignError(f"protocol.{name}: a log range needs low > 0 (got {low:g})")
    return Range(name, low, high, log)


def _objective(index: int, entry) -> Objective:
    where = f"objectives[{index}]"
    if not isinstance(entry, dict) or set(entry) != {"metric", "direction"}:
        raise CampaignError(f"{where}: give exactly metric and direction")
    if entry["metric"] not in METRICS:
        raise CampaignError(f"{where}: unknown metric {entry['metric']!r} (known: "
                            f"{', '.join(METRICS)})")
    if entry["direction"] not in DIRECTIONS:
        raise CampaignError(f"{where}: direction must be minimize or maximize")
    return Objective(entry["metric"], entry["direction"])


def _constraint(index: int, entry) -> Constraint:
    where = f"constraints[{index}]"
    if not isinstance(entry, dict) or "metric" not in entry or \
            set(entry) - {"metric", "min", "max"} or not set(entry) & {"min", "max"}:
        raise CampaignError(f"{where}: give metric and min and/or max")
    if entry["metric"] not in METRICS:
        raise CampaignError(f"{where}: unknown metric {entry['metric']!r}")
    return Constraint(entry["metric"],
                      _number(f"{where}.min", entry["min"]) if "min" in entry else math.nan,
                      _number(f"{where}.max", entry["max"]) if "max" in entry else math.nan)


TOP_LEVEL = {"name", "description", "cells", "seed", "die", "stack", "protocol", "objectives",
             "constraints", "twin"}


def parse_campaign(spec: dict) -> Campaign:
    """A Campaign from the file's mapping; CampaignError names the first problem."""
    if not isinstance(spec, dict):
        raise CampaignError("a campaign file is a mapping (name, cells, die, stack, ...)")
    unknown = set(spec) - TOP_LEVEL
    if unknown:
        raise CampaignError(f"unknown field(s): {', '.join(sorted(unknown))}")
    name = spec.get("name")
    if not isinstance(name, str) or not name or not all(
            c.isalnum() or c in "_-." for c in name):
        raise CampaignError("name: letters, digits, '_', '-' and '.' only, not empty")
    cells = spec.get("cells")
    if isinstance(cells, bool) or not isinstance(cells, int) or not 1 <= cells <= 10000:
        raise CampaignError("cells: a whole number 1..10000")
    seed = spec.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise CampaignError("seed: a whole number >= 0")
    stack = spec.get("stack") or {}
    if not isinstance(stack, dict) or set(stack) - {"electrolyte", "electrolyte_mass_mg",
                                                    "anode"}:
        raise CampaignError("stack: electrolyte, electrolyte_mass_mg, anode")
    protocol = spec.get("protocol") or {}
    if not isinstance(protocol, dict):
        raise CampaignError("protocol: a mapping of parameter -> number or range")
    unknown = set(protocol) - set(PARAMETERS)
    if unknown:
        raise CampaignError(f"protocol: unknown parameter(s) {', '.join(sorted(unknown))} "
                            f"(known: {', '.join(PARAMETERS)})")
    fixed, space = {}, []
    for name_, (unit, default, _) in PARAMETERS.items():
        value = protocol.get(name_, default)
        if isinstance(value, dict):
            space.append(_range(name_, value))
        else:
            fixed[name_] = _number(f"protocol.{name_}", value)
    if not space:
        raise CampaignError("protocol: nothing to search (give at least one range)")
    objectives = spec.get("objectives")
    if not isinstance(objectives, list) or not objectives:
        raise CampaignError("objectives: a list of at least one {metric, direction}")
    constraints = spec.get("constraints") or []
    if not isinstance(constraints, list):
        raise CampaignError("constraints: a list of {metric, min, max}")
    twin = spec.get("twin", "li6ps5cl")
    return Campaign(name=name, cells=cells, seed=seed, die_id=str(spec.get("die", "")),
                    electrolyte=str(stack.get("electrolyte", "")),
                    electrolyte_mass_mg=_number("stack.electrolyte_mass_mg",
                                                stack.get("electrolyte_mass_mg", 0.0)),
                    anode=str(stack.get("anode", "")), fixed=fixed, space=space,
                    objectives=[_objective(i, o) for i, o in enumerate(objectives)],
                    constraints=[_constraint(i, c) for i, c in enumerate(constraints)],
                    description=str(spec.get("description", "")), twin_preset=str(twin))


def load_campaign(path: str) -> Campaign:
    try:
        with open(path) as stream:
            spec = yaml.safe_load(stream)
    except OSError as error:
        raise CampaignError(f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise CampaignError(f"{path} is not YAML: {error}") from None
    return parse_campaign(spec)


def check_campaign(campaign: Campaign, dies: Dict[str, Die], limits: SafetyLimits) -> None:
    """Refuse (CampaignError) a campaign this press, die or stack must not run.

    Every corner of the space is laid out as a profile and validated as a goal would be;
    the attach pressure must stay under the densification and below 40 MPa everywhere,
    and the platen temperature under the anode's cap.
    """
    die = dies.get(campaign.die_id)
    if die is None:
        raise CampaignError(f"die {campaign.die_id!r} is not in the die table (known: "
                            f"{', '.join(sorted(dies))})")
    try:
        stack = cell_stack(campaign.electrolyte, campaign.electrolyte_mass_mg, campaign.anode)
    except StackError as error:
        raise CampaignError(f"stack: {error}") from None
    highest = {r.name: r.high for r in campaign.space}
    lowest = {r.name: r.low for r in campaign.space}
    top = {**campaign.fixed, **highest}
    bottom = {**campaign.fixed, **lowest}
    if top["attach_mpa"] >= ANODE_ATTACH_BELOW_MPA:
        raise CampaignError(f"attach_mpa reaches {top['attach_mpa']:g} MPa; the foil goes on "
                            f"only under {ANODE_ATTACH_BELOW_MPA:g} MPa")
    if top["attach_mpa"] >= bottom["densify_mpa"]:
        raise CampaignError(f"attach_mpa reaches {top['attach_mpa']:g} MPa, not below the "
                            f"lowest densify_mpa {bottom['densify_mpa']:g} MPa")
    refusal = temperature_refusal(stack, top["temperature_c"])
    if refusal:
        raise CampaignError(f"temperature_c reaches {top['temperature_c']:g} C: {refusal}")
    for corner in campaign.corners():
        try:
            validate(campaign.segments(corner), limits, die)
        except ProfileError as error:
            where = ", ".join(f"{k} {v:g}" for k, v in corner.items())
            raise CampaignError(f"the space reaches a profile the press refuses ({where}): "
                                f"{error}") from None

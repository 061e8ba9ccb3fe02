"""One cell pressed along a profile in simulated time: the campaign's offline twin.

The press is taken as following the profile's reference exactly (its own dynamics are the
bench's `profiles` figures, not what a campaign optimises); the cell model of `sim/cell.py`
is stepped along that reference, and the world's rules of `sim/world.py` (the Li foil goes
on at the first low hold after densification; the cell cycles while its stack pressure is
regulated) apply as in the simulator. A run takes milliseconds instead of minutes.

Cells differ from batch to batch (`BatchVariation`: powder, foil, separator) by a seeded
draw; the measured interface resistance carries the EIS fit's scatter. `nominal=True`
gives the noise-free mean cell, the brute-force oracle's twin (sim/twin_optimum.py).
"""
import dataclasses
import math

import numpy as np

from press_control.analysis.events import EventThresholds
from press_control.control.profile_runner import SUCCEEDED
from press_control.control.profiles import HOLD, RAMP, REGULATE, RELEASE, SEGMENT_TYPES
from press_control.sim.cell import PRESETS, CellModel
from press_control.sim.world import SimWorld

STEP_S = 0.5                 # s; results agree with 0.25 s to 0.01 % (measured)


@dataclasses.dataclass(frozen=True)
class BatchVariation:
    """Relative standard deviations of what changes from one powder or foil batch to the next."""

    heckel_k: float = 0.01              # powder: compressibility
    interface_asr: float = 0.02         # foil: surface film
    penetration: float = 0.05           # separator: Li creep paths
    measurement: float = 0.01           # EIS fit scatter of the measured resistance

    def cell_preset(self, name: str, rng: np.random.Generator):
        nominal = PRESETS[name]

        def drawn(value, spread):
            return value * max(0.5, 1.0 + spread * rng.standard_normal())
        return dataclasses.replace(
            nominal, heckel_k_per_mpa=drawn(nominal.heckel_k_per_mpa, self.heckel_k),
            interface_asr_ref_ohm_cm2=drawn(nominal.interface_asr_ref_ohm_cm2,
                                            self.interface_asr),
            penetration_um_s=drawn(nominal.penetration_um_s, self.penetration))


@dataclasses.dataclass
class OfflineCell:
    """What an offline cell measured, in the run record's terms."""

    outcome: str                     # as the profile server's (a short does not abort)
    reason: str
    press_time_s: float
    relative_density: float
    interface_asr_ohm_cm2: float
    shorted: bool
    delaminated: bool


def press_offline(segments, preset: str = "li6ps5cl", die_area_mm2: float = 25.0 * math.pi,
                  seed: int = 0, nominal: bool = False,
                  variation: BatchVariation = BatchVariation()) -> OfflineCell:
    """Step one fresh cell of `preset` through `segments` (control/profiles.Segment)."""
    rng = np.random.default_rng(seed)
    cell_preset = dataclasses.replace(PRESETS[preset]) if nominal else \
        variation.cell_preset(preset, rng)
    cell = CellModel(cell_preset, die_area_mm2, seed)
    lowest_cycling_ohm = math.inf

    def inject(what, value=None):
        if what == "attach_anode":
            cell.contact = 0.0
        elif what == "cycling":
            cell.cycling = value == "on"
    world = SimWorld(inject)
    pressure, time_s, last_cycling_ohm = 0.0, 0.0, math.nan
    thresholds = EventThresholds()
    delaminated = False
    for segment in segments:
        kind = segment.type
        if math.isfinite(segment.temperature_c):
            cell.temperature_c = segment.temperature_c
        hold_s = segment.duration_s if kind in (HOLD, REGULATE) else 0.0
        held = 0.0
        while True:
            moving = kind in (RAMP, RELEASE, REGULATE) and pressure != segment.target_mpa
            if not moving and held >= hold_s:
                break
            if moving:
                step = segment.rate_mpa_s * STEP_S
                pressure = min(segment.target_mpa, pressure + step) if \
                    segment.target_mpa > pressure else max(segment.target_mpa, pressure - step)
            else:
                held += STEP_S
            world.on_feedback(SEGMENT_TYPES.index(kind), pressure)
            cell.step(STEP_S, pressure)
            time_s += STEP_S
            resistance = cell.interface_resistance_ohm()
            if cell.cycling and not moving:        # judged at the regulated pressure
                lowest_cycling_ohm = min(lowest_cycling_ohm, resistance)
                last_cycling_ohm = resistance
                if resistance > (1.0 + thresholds.delamination_rise) * lowest_cycling_ohm:
                    delaminated = True
            if kind == HOLD and segment.end_below_interface_resistance_ohm > 0 and \
                    held >= segment.settling_s and \
                    resistance < segment.end_below_interface_resistance_ohm:
                break
    noise = 1.0 if nominal else 1.0 + variation.measurement * rng.standard_normal()
    asr = last_cycling_ohm * cell.area_cm2 * noise
    reason = "profile complete" + ("; short circuit while cycling" if cell.shorted else "")
    return OfflineCell(outcome=SUCCEEDED, reason=reason, press_time_s=time_s,
                       relative_density=cell.relative_density, interface_asr_ohm_cm2=asr,
                       shorted=cell.shorted, delaminated=delaminated)

"""A compaction study's result: steps, porosity, spring-back, conductivity and the fits.

The sweeps come from a `compaction_study` run (a sweep under load at each step, then one
after its release); thickness is the platen's through the die calibration, conductivity
the fitted bulk resistance over that thickness. Porosity as Miß et al. 2026 define it
(analysis/compaction.py).
"""
import math

import numpy as np

from press_control.analysis.compaction import (KawakitaCurve, Powder, effective_medium,
                                               fit_curve, linear_heckel)

HECKEL_FROM_MPA = 50.0          # the Heckel line from here up (rearrangement bends it below)
MWBH_MAX_POROSITY = 0.18        # the effective-medium law holds below about 0.17-0.2
STEP_FIELDS = ("pressure_mpa", "thickness_under_load_mm", "thickness_after_release_mm",
               "porosity_under_load", "porosity_after_release", "springback_percent",
               "bulk_resistance_ohm", "ionic_conductivity_under_load_s_cm")


def steps_of(sweeps: list, powder: Powder) -> list:
    """One step per sweep under load, paired with the released sweep that follows it."""
    steps = []
    released_target = min((s["target_mpa"] for s in sweeps), default=0.0)
    for index, sweep in enumerate(sweeps):
        if sweep["target_mpa"] <= released_target:
            continue                      # a released sweep: paired with its step below
        following = sweeps[index + 1] if index + 1 < len(sweeps) else None
        if following is not None and following["target_mpa"] > released_target:
            following = None              # the step's release was not swept
        loaded = sweep["thickness_mm"]
        released = following["thickness_mm"] if following is not None else math.nan
        pressure = sweep["target_mpa"]
        resistance = sweep["bulk_resistance_ohm"]
        area_cm2 = powder.die_area_mm2 / 100.0
        conductivity = (loaded / 10.0) / (resistance * area_cm2) \
            if resistance and resistance > 0 and loaded > 0 else math.nan
        steps.append({
            "pressure_mpa": pressure,
            "thickness_under_load_mm": loaded,
            "thickness_after_release_mm": released,
            "porosity_under_load": float(powder.porosity_under_load(loaded, pressure)),
            "porosity_after_release": float(powder.porosity_after_release(released)),
            "springback_percent": 100.0 * (released - loaded) / loaded,
            "bulk_resistance_ohm": resistance,
            "ionic_conductivity_under_load_s_cm": conductivity})
    return steps


def summarize(sweeps: list, powder: Powder) -> dict:
    """The record's `compaction` object; a fit that cannot be made says why instead."""
    steps = steps_of(sweeps, powder)
    pressures = np.array([s["pressure_mpa"] for s in steps], dtype=float)
    porosity = np.array([s["porosity_under_load"] for s in steps], dtype=float)
    sigma = np.array([s["ionic_conductivity_under_load_s_cm"] for s in steps], dtype=float)
    result = {"steps": steps, "powder": {
        "mass_mg": powder.mass_mg, "die_area_mm2": powder.die_area_mm2,
        "crystal_density_g_cm3": powder.crystal_density_g_cm3,
        "youngs_modulus_mpa": powder.youngs_modulus_mpa}}
    try:
        low = HECKEL_FROM_MPA if (pressures >= HECKEL_FROM_MPA).sum() >= 2 else 0.0
        line = linear_heckel(pressures, porosity, low_mpa=low)
        result["heckel"] = {"k_per_mpa": line.k_per_mpa, "a": line.a,
                            "yield_pressure_mpa": line.yield_pressure_mpa,
                            "range_mpa": [line.low_mpa, line.high_mpa], "points": line.points}
    except ValueError as error:
        result["heckel"] = {"error": str(error)}
    try:
        kawakita = fit_curve(KawakitaCurve, pressures, porosity).curve
        result["kawakita"] = {"a": kawakita.a, "b": kawakita.b_per_mpa,
                              "porosity_at_zero": kawakita.porosity_at_zero}
    except (ValueError, RuntimeError) as error:
        result["kawakita"] = {"error": str(error)}
    try:
        law = effective_medium(porosity, sigma, MWBH_MAX_POROSITY)
        result["mwbh"] = {"sigma0_s_cm": law.sigma0_s_cm, "exponent": 1.5,
                          "porosity_range": [law.min_porosity, law.max_porosity],
                          "points": law.points}
    except ValueError as error:
        result["mwbh"] = {"error": str(error)}
    return result


def steps_csv(compaction: dict) -> str:
    """The steps as CSV, one row per pressure, the columns of STEP_FIELDS."""
    lines = [",".join(STEP_FIELDS)]

    def cell(value):
        missing = value is None or (isinstance(value, float) and not math.isfinite(value))
        return "" if missing else f"{value:.6g}"
    for step in compaction["steps"]:
        lines.append(",".join(cell(step[field]) for field in STEP_FIELDS))
    return "\n".join(lines) + "\n"

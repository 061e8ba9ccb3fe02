"""The `compaction` part of a run record: a compaction study's sweeps summarized."""
import math

from press_control.analysis.compaction import Powder
from press_control.analysis.compaction_study import steps_csv, summarize
from press_control.control.materials import elastic_modulus_mpa


def compaction_of(goal: dict, sweeps: list):
    """summary.json's `compaction` object for a run whose holds took sweeps; None if none."""
    if not sweeps:
        return None
    stack = goal.get("stack") or {}
    mass, density = stack.get("electrolyte_mass_mg"), stack.get("true_density_g_cm3")
    area = goal.get("die_area_mm2")
    if not all(isinstance(v, (int, float)) and math.isfinite(v) and v > 0
               for v in (mass, density, area)):
        return {"error": "the goal did not say which powder and how much of it is in the "
                         "die (electrolyte and electrolyte_mass_mg): no porosity",
                "sweeps": sweeps}
    return summarize(sweeps, Powder(mass, area, density,
                                    elastic_modulus_mpa(stack.get("electrolyte", ""))))


def write_steps(path: str, compaction: dict) -> None:
    with open(path, "w", newline="") as stream:
        stream.write(steps_csv(compaction))


def plot_compaction(compaction: dict, path_base: str) -> list:
    """path_base.png/.svg: porosity against pressure; conductivity against porosity."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    steps = compaction["steps"]
    pressure = [s["pressure_mpa"] for s in steps]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    left.plot(pressure, [s["porosity_under_load"] for s in steps], "o-", label="under load")
    left.plot(pressure, [s["porosity_after_release"] for s in steps], "s--",
              label="after release")
    left.set_xlabel("pressure (MPa)")
    left.set_ylabel("porosity")
    left.legend()
    porosity = np.array([s["porosity_under_load"] for s in steps], dtype=float)
    sigma = np.array([s["ionic_conductivity_under_load_s_cm"] for s in steps], dtype=float)
    right.semilogy(porosity, sigma * 1e3, "o", label="measured under load")
    law = compaction.get("mwbh", {})
    if "sigma0_s_cm" in law:
        grid = np.linspace(0.0, max(0.35, np.nanmax(porosity) if porosity.size else 0.35), 50)
        right.semilogy(grid, law["sigma0_s_cm"] * 1e3 * (1.0 - grid) ** 1.5, "-",
                       label=f"σ0 (1 − ε)^1.5, σ0 = {law['sigma0_s_cm'] * 1e3:.2f} mS/cm")
    right.set_xlabel("porosity under load")
    right.set_ylabel("ionic conductivity (mS/cm)")
    right.legend()
    figure.tight_layout()
    paths = [f"{path_base}.png", f"{path_base}.svg"]
    for path in paths:
        figure.savefig(path)
    plt.close(figure)
    return paths

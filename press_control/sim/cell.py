"""The cell in the die: densification, spring-back, interface creep, impedance.

A preset either has its own Heckel constants (li6ps5cl, anchored on Doux et al. 2020) or
names published compaction data (`compaction_source`): then its porosity under load and
after release follow the laws fitted to Miß et al. 2026 (analysis/published_compaction.py,
DOI 10.1021/acsami.6c03789), and its ionic conductivity the effective-medium law with
the contact-limited fall above the percolation porosity (docs/simulator.md).

Pressures are on the sample in MPa; lengths in mm; resistances in ohm; temperatures in C.
The electrolyte's bulk and grain boundaries follow Arrhenius in temperature; the interface
resistance is an area-specific property, so it scales with the die; the impedance is
R_bulk + (R_gb || CPE_gb) + (R_int || CPE_int) + Warburg (sources: docs/simulator.md).
"""
import dataclasses
import math

import numpy as np

from press_control.analysis.published_compaction import fitted

BOLTZMANN_EV_K = 8.617333262e-5
GAS_CONSTANT_J_MOL_K = 8.314462618


@dataclasses.dataclass
class CellPreset:
    """Material and geometry constants of one cell stack (sources: docs/simulator.md)."""

    name: str = "li6ps5cl"
    electrolyte_mass_mg: float = 150.0
    true_density_g_cm3: float = 1.865          # Li6PS5Cl crystal: a = 9.85 A, Z = 4
    heckel_k_per_mpa: float = 0.00328          # ln(1/(1-D)) = K P + A + B -> D(370) ~ 0.82
    heckel_a: float = 0.35                     # loose powder, D0 ~ 0.30
    # Particle rearrangement at low pressure: B (1 - exp(-P / P_r)) above the Heckel line,
    # the curvature of every Heckel plot below a few tens of MPa (Heckel 1961, Denny 2002)
    heckel_rearrangement: float = 0.15
    heckel_rearrangement_mpa: float = 10.0
    # Consolidation under constant pressure: this share of K P comes with time (plastic
    # flow and creep of the particles), relaxing with consolidation_time_s (sped up)
    consolidation_share: float = 0.05
    consolidation_time_s: float = 20.0
    elastic_modulus_mpa: float = 20000.0       # spring-back on release
    bulk_conductivity_s_cm: float = 3.0e-3     # dense Li6PS5Cl at 25 C
    conductivity_density_exponent: float = 2.5  # Archie-like sigma = sigma0 D^n
    bulk_activation_ev: float = 0.35           # argyrodites: 0.3-0.4 eV
    grain_boundary_asr_ohm_cm2: float = 4.0    # at 25 C, dense: its arc lies above 2 MHz
    grain_boundary_capacitance_f_cm2: float = 2.0e-9  # 1e-11..1e-8 (Irvine et al. 1990)
    grain_boundary_alpha: float = 0.95
    grain_boundary_activation_ev: float = 0.40
    interface_asr_ref_ohm_cm2: float = 25.13   # settled at p_ref: 32 ohm on a 10 mm die
    interface_p_ref_mpa: float = 25.0
    interface_pressure_exponent: float = -0.5  # R ~ P^-0.5 (arXiv 2501.00600)
    # Pores of the separator's surface are contact the Li foil does not have: R ~ D^-m
    # against the density of the anchor above, at most interface_density_cap times (loose
    # powder before densification: its arc stays in the analyzer's window); the twin's
    # assumption, docs/simulator.md
    interface_density_exponent: float = 3.0
    interface_density_ref: float = 0.82
    interface_density_cap: float = 2.0
    initial_contact_factor: float = 18.0       # fresh Li foil: R starts 18x higher (> 500 ohm)
    li_yield_mpa: float = 0.8                  # Li yield stress (Masias 2019: 0.73-0.81 MPa)
    li_creep_exponent: float = 6.6             # power-law creep, rate ~ stress^n (Masias 2019,
    li_creep_activation_j_mol: float = 37000.0  # LePage 2019: n 6.6, Q about 37 kJ/mol)
    creep_time_s: float = 8.0                  # contact time constant at p_ref, 25 C (sped up)
    separator_um: float = 600.0                # electrolyte layer Li must cross to short
    # Li creeping into the pores of a separator of 18 % porosity while cycling at p_ref
    # and 25 C: 21 h to short (50 MPa: 12 min, 60 MPa: 3 min); Doux et al. 2020 for the
    # trend, the time scale sped up as the creep's
    penetration_um_s: float = 0.008
    cpe_q: float = 2.0e-6                      # interface CPE, F s^(alpha-1)
    cpe_alpha: float = 0.85
    warburg_sigma_ohm_s: float = 40.0          # diffusion tail, ohm s^-1/2
    # Voids open under the Li while it is stripped faster than creep refills the interface
    # (Kasemchainan et al., Nat. Mater. 18, 1105 (2019)): the critical stripping current
    # rises with stack pressure above yield (linearly here, the twin's assumption) and with
    # temperature as creep does. A symmetric Li|Li cell strips one side at all times.
    cycling_current_ma_cm2: float = 0.2        # the cycler's current density
    critical_stripping_ma_cm2_per_mpa: float = 0.1  # 0.2 mA/cm2: voids below 2.8 MPa only
    # contact lost at e-fold per 4 s of pure excess stripping (sped up, as creep_time_s)
    delamination_time_s: float = 4.0
    breathing_amplitude_um: float = 2.0        # electrode volume change while cycling
    breathing_period_s: float = 60.0
    stack_stiffness_kn_mm: float = 50.0        # force change per breathing displacement
    short_resistance_ohm: float = 1.5          # injected internal short
    # Published compaction (analysis/published_compaction.py): "" = the Heckel constants
    compaction_source: str = ""
    particle_modulus_mpa: float = math.inf     # the crystal's E: porosity under load
    # sigma = sigma0 (1 - eps)^1.5 below contact_limited_porosity (Miß et al. 2026:
    # sigma0 4.1 mS/cm for uc-Li5.5PS4.5Cl1.5); above it the particle contacts, not the
    # pores, limit it: the law times exp(-(eps - eps_c) / contact_limited_width) (the
    # twin's assumption, docs/simulator.md). "archie": bulk_conductivity_s_cm D^n.
    conductivity_law: str = "archie"
    contact_limited_porosity: float = 0.185
    contact_limited_width: float = 0.04

    @property
    def solid_volume_mm3(self) -> float:
        return self.electrolyte_mass_mg / self.true_density_g_cm3


PRESETS = {
    "li6ps5cl": CellPreset(),
    # punches touching, nothing between them (a die calibration: docs/die_calibration.md)
    "empty_die": CellPreset(name="empty_die", electrolyte_mass_mg=0.0),
    # Miß et al. 2026: 80.2 mg of microcrystalline Li5.5PS4.5Cl1.5 in a 10 mm die
    "li5.5ps4.5cl1.5": CellPreset(name="li5.5ps4.5cl1.5", electrolyte_mass_mg=80.2,
                                  true_density_g_cm3=1.87, compaction_source="li5.5ps4.5cl1.5",
                                  particle_modulus_mpa=67000.0,
                                  conductivity_law="effective_medium",
                                  bulk_conductivity_s_cm=4.1e-3,
                                  # the paper's conductivity is the pellet's total one: the
                                  # twin puts it all in the bulk term
                                  grain_boundary_asr_ohm_cm2=1e-3),
    # Miß et al. 2026: 80.0 mg of polycrystalline NMC622 (the twin's ion path as above)
    "nmc622": CellPreset(name="nmc622", electrolyte_mass_mg=80.0, true_density_g_cm3=4.48,
                         compaction_source="nmc622", particle_modulus_mpa=180000.0,
                         bulk_conductivity_s_cm=1.0e-3),
    "cathode_composite": CellPreset(name="cathode_composite", electrolyte_mass_mg=120.0,
                                    true_density_g_cm3=2.6, heckel_k_per_mpa=0.0036,
                                    heckel_a=0.45, bulk_conductivity_s_cm=1.0e-3),
}


class CellModel:
    """State of one cell: densification history, interface contact, cycling, faults."""

    def __init__(self, preset: CellPreset = None, die_area_mm2: float = math.pi * 25.0,
                 seed: int = 0):
        self.p = preset or CellPreset()
        self.die_area_mm2 = die_area_mm2
        self.rng = np.random.default_rng(seed + 1)
        self.max_pressure_mpa = 0.0
        self.heckel_y = self.p.heckel_a    # ln(1/(1-D)) of the compact: only ever grows
        self.compaction = fitted(self.p.compaction_source) if self.p.compaction_source \
            else None
        self.consolidated_mpa = 0.0        # with published compaction: only ever grows
        self.contact = 0.0             # 0 = fresh Li foil, 1 = fully crept interface
        self.penetration_um = 0.0      # Li crept into the separator while cycling
        self.time_s = 0.0
        self.cycling = False
        self.shorted = False
        self.pressure_mpa = 0.0
        self.temperature_c = 25.0

    def heckel_exponent(self, pressure_mpa: float) -> float:
        """ln(1/(1-D)) of the compact consolidated at pressure_mpa for long enough."""
        pressure = max(pressure_mpa, 0.0)
        return self.p.heckel_k_per_mpa * pressure + self.p.heckel_a + \
            self.p.heckel_rearrangement * (1.0 - math.exp(-pressure /
                                                          self.p.heckel_rearrangement_mpa))

    def density_at(self, pressure_mpa: float) -> float:
        """Relative density after pressing at pressure_mpa for long enough and releasing."""
        if self.compaction is not None:
            return 1.0 - float(self.compaction.after_release.curve.porosity(pressure_mpa))
        return 1.0 - math.exp(-self.heckel_exponent(pressure_mpa))

    @property
    def relative_density(self) -> float:
        """The compact's density without elastic strain (what a release leaves)."""
        if self.compaction is not None:
            return self.density_at(self.consolidated_mpa)
        return 1.0 - math.exp(-self.heckel_y)

    def _consolidate(self, dt: float) -> None:
        """At once all but the time-dependent share; that share relaxes in time."""
        if self.compaction is not None:
            pressure = self.pressure_mpa
            self.consolidated_mpa = max(self.consolidated_mpa,
                                        (1.0 - self.p.consolidation_share) * pressure)
            if self.consolidated_mpa < pressure:
                self.consolidated_mpa += (pressure - self.consolidated_mpa) * \
                    (1.0 - math.exp(-dt / self.p.consolidation_time_s))
            return
        settled = self.heckel_exponent(self.pressure_mpa)
        slow = self.p.consolidation_share * self.p.heckel_k_per_mpa * self.pressure_mpa
        self.heckel_y = max(self.heckel_y, settled - slow)
        if self.heckel_y < settled:
            self.heckel_y += (settled - self.heckel_y) * \
                (1.0 - math.exp(-dt / self.p.consolidation_time_s))

    @property
    def thickness_mm(self) -> float:
        plastic = self.p.solid_volume_mm3 / self.die_area_mm2 / self.relative_density
        return plastic * (1.0 - self.elastic_strain())

    def elastic_strain(self) -> float:
        """The compact's elastic strain at the present pressure (0 once released).

        With published compaction: linear in pressure up to the strain the two fitted
        curves give at the consolidation pressure (thickness under load against after
        release), so re-pressing to the earlier peak meets the loading curve again.
        """
        pressure = self.pressure_mpa
        if self.compaction is None:
            return pressure / self.p.elastic_modulus_mpa
        peak = self.consolidated_mpa
        if peak <= 0.0 or pressure <= 0.0:
            return 0.0
        solid = self.p.solid_volume_mm3 / self.die_area_mm2
        loaded = solid / (1.0 - float(self.compaction.under_load.curve.porosity(peak))) - \
            solid * peak / self.p.particle_modulus_mpa
        released = solid / self.relative_density
        return max(0.0, 1.0 - loaded / released) * pressure / peak

    def porosity_under_load(self) -> float:
        """Porosity as Miß et al. define it: the particles' own elastic strain added back."""
        solid = self.p.solid_volume_mm3 / self.die_area_mm2
        thickness = self.thickness_mm
        if thickness <= 0.0:
            return math.nan
        return 1.0 - solid / (thickness + solid * self.pressure_mpa /
                              self.p.particle_modulus_mpa)

    def ionic_conductivity_s_cm(self) -> float:
        """The electrolyte's bulk conductivity at 25 C as compacted now."""
        if self.p.conductivity_law == "effective_medium":
            porosity = self.porosity_under_load()
            sigma = self.p.bulk_conductivity_s_cm * (1.0 - porosity) ** 1.5
            excess = porosity - self.p.contact_limited_porosity
            if excess > 0.0:
                sigma *= math.exp(-excess / self.p.contact_limited_width)
            return sigma
        return self.p.bulk_conductivity_s_cm * self.relative_density ** \
            self.p.conductivity_density_exponent

    def step(self, dt: float, pressure_mpa: float) -> float:
        """Advance dt at the given stack pressure; returns the breathing force rate in kN/s."""
        self.time_s += dt
        self.pressure_mpa = max(pressure_mpa, 0.0)
        self.max_pressure_mpa = max(self.max_pressure_mpa, self.pressure_mpa)
        self._consolidate(dt)
        creep = self.li_creep_factor()
        if creep > 0:
            relaxed = math.exp(-dt * creep / self.p.creep_time_s)
            self.contact += (1.0 - self.contact) * (1.0 - relaxed)
        if self.cycling and self.p.cycling_current_ma_cm2 > 0:
            excess = 1.0 - self.critical_stripping_ma_cm2() / self.p.cycling_current_ma_cm2
            if excess > 0:              # voids grow with the current creep cannot supply
                self.contact *= math.exp(-dt * excess / self.p.delamination_time_s)
        if self.cycling and self.p.electrolyte_mass_mg > 0:
            porosity = 1.0 - self.relative_density
            self.penetration_um += self.p.penetration_um_s * creep * porosity / 0.18 * dt
            if self.penetration_um >= self.p.separator_um:
                self.shorted = True          # Li has crept through (Doux et al. 2020)
        if not self.cycling:
            return 0.0
        omega = 2.0 * math.pi / self.p.breathing_period_s
        displacement_rate_mm_s = self.p.breathing_amplitude_um * 1e-3 * omega * math.cos(
            omega * self.time_s)
        return self.p.stack_stiffness_kn_mm * displacement_rate_mm_s

    def li_creep_factor(self) -> float:
        """Li creep rate over that at p_ref and 25 C: power law above yield, Arrhenius.

        (sigma - sigma_y)^n / (p_ref - sigma_y)^n x exp(-Q/R (1/T - 1/298.15 K)); 0 at or
        below the yield stress. The stack pressure stands for the stress in the Li.
        """
        excess = self.pressure_mpa - self.p.li_yield_mpa
        if excess <= 0:
            return 0.0
        return (excess / (self.p.interface_p_ref_mpa - self.p.li_yield_mpa)) ** \
            self.p.li_creep_exponent * self._creep_arrhenius()

    def critical_stripping_ma_cm2(self) -> float:
        """The stripping current density Li creep can still refill; 0 at or below yield."""
        excess = self.pressure_mpa - self.p.li_yield_mpa
        if excess <= 0:
            return 0.0
        return self.p.critical_stripping_ma_cm2_per_mpa * excess * self._creep_arrhenius()

    def _creep_arrhenius(self) -> float:
        kelvin = self.temperature_c + 273.15
        return math.exp(-self.p.li_creep_activation_j_mol / GAS_CONSTANT_J_MOL_K *
                        (1.0 / kelvin - 1.0 / 298.15))

    @property
    def area_cm2(self) -> float:
        return self.die_area_mm2 / 100.0

    def arrhenius(self, activation_ev: float) -> float:
        """Resistance at the cell's temperature over that at 25 C."""
        kelvin = self.temperature_c + 273.15
        return math.exp(activation_ev / BOLTZMANN_EV_K * (1.0 / kelvin - 1.0 / 298.15))

    def interface_resistance_ohm(self) -> float:
        pressure = max(self.pressure_mpa, self.p.li_yield_mpa)
        settled = self.p.interface_asr_ref_ohm_cm2 / self.area_cm2 * \
            (pressure / self.p.interface_p_ref_mpa) ** self.p.interface_pressure_exponent * \
            min(self.p.interface_density_cap,
                (self.p.interface_density_ref / max(self.relative_density, 0.05)) **
                self.p.interface_density_exponent)
        return settled * (1.0 + (self.p.initial_contact_factor - 1.0) * (1.0 - self.contact))

    def bulk_resistance_ohm(self) -> float:
        sigma = self.ionic_conductivity_s_cm()
        return (self.thickness_mm / 10.0) / (sigma * self.area_cm2) * \
            self.arrhenius(self.p.bulk_activation_ev)

    def grain_boundary_resistance_ohm(self) -> float:
        return self.p.grain_boundary_asr_ohm_cm2 / self.area_cm2 * \
            self.arrhenius(self.p.grain_boundary_activation_ev)

    def _grain_boundary_cpe_q(self, resistance_ohm: float) -> float:
        """The CPE whose effective (Brug) capacitance with R is the grain boundaries'."""
        capacitance = self.p.grain_boundary_capacitance_f_cm2 * self.area_cm2
        alpha = self.p.grain_boundary_alpha
        return capacitance ** alpha / resistance_ohm ** (1.0 - alpha)

    def impedance(self, frequency_hz: float, noise: bool = True) -> complex:
        """Complex impedance at frequency_hz: bulk, grain-boundary arc, interface arc, Warburg.

        An injected short is across the whole cell.
        """
        omega = 2.0 * math.pi * frequency_hz
        r_int = self.interface_resistance_ohm()
        cpe = 1.0 / (self.p.cpe_q * (1j * omega) ** self.p.cpe_alpha)
        r_gb = self.grain_boundary_resistance_ohm()
        cpe_gb = 1.0 / (self._grain_boundary_cpe_q(r_gb) *
                        (1j * omega) ** self.p.grain_boundary_alpha)
        z = self.bulk_resistance_ohm() + r_gb * cpe_gb / (r_gb + cpe_gb) + \
            r_int * cpe / (r_int + cpe)
        z += self.p.warburg_sigma_ohm_s * (1.0 - 1j) / math.sqrt(omega)
        if self.shorted:
            z = z * self.p.short_resistance_ohm / (z + self.p.short_resistance_ohm)
        if noise:
            z += (self.rng.normal(0, 5e-4) * abs(z) + self.rng.normal(0, 0.01)) * (1 + 1j)
        return z

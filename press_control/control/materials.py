"""What a goal says is in the die: the electrolyte (material and mass) and the anode.

The electrolyte's true density turns the platen gap into a relative density; the anode
caps the platen temperature below its melting point (Li metal melts at 180.5 C; indium,
the usual Li-In alloy partner, at 156.6 C), whatever the press allows.

True densities are crystallographic: formula units per cell times the formula mass over
the cell volume and Avogadro's number, from published lattice parameters (a pycnometer
density of a real powder is usually a few percent lower; give that one if you have it).

Young's moduli are the dense material's, where one is published: they take the compact's
in-die elastic strain out of its density (a porous compact is softer, so a little of that
strain stays). Without one the density is the in-die density, elastic strain included.
"""
import dataclasses
import math

MELTING_MARGIN_C = 10.0           # the platen stays this far below the anode's melting point
MAX_ELECTROLYTE_MASS_MG = 5000.0  # 5 g of powder fills a 20 mm die past 5 mm


AVOGADRO_PER_MOL = 6.02214076e23
ANGSTROM3_CM3 = 1e-24


@dataclasses.dataclass(frozen=True)
class Electrolyte:
    """A solid electrolyte's name, true (crystal) density and Young's modulus (inf: none)."""

    name: str
    true_density_g_cm3: float
    source: str = ""
    elastic_modulus_mpa: float = math.inf
    modulus_source: str = ""


def crystal_density_g_cm3(formula_mass_g_mol: float, formula_units: int,
                          cell_volume_a3: float) -> float:
    """Z M / (N_A V): the density of the perfect crystal."""
    return formula_units * formula_mass_g_mol / (AVOGADRO_PER_MOL * cell_volume_a3 *
                                                 ANGSTROM3_CM3)


@dataclasses.dataclass(frozen=True)
class Anode:
    """An anode and the melting point the platen must stay under (NaN: no limit)."""

    name: str
    melting_point_c: float = math.nan

    @property
    def max_temperature_c(self) -> float:
        return self.melting_point_c - MELTING_MARGIN_C


# formula masses from IUPAC atomic weights (Li 6.94, P 30.974, S 32.06, Cl 35.45,
# Ge 72.63, La 138.905, Zr 91.224, O 15.999)
ELECTROLYTES = {e.name: e for e in (
    # argyrodite, F-43m, a = 9.85 A, Z = 4 (Deiseroth et al., Angew. Chem. Int. Ed. 47, 755
    # (2008)): 1.865 g/cm3
    Electrolyte("li6ps5cl", round(crystal_density_g_cm3(268.36, 4, 9.85 ** 3), 3),
                "Deiseroth et al. 2008: F-43m, a = 9.85 A, Z = 4",
                # first principles (Deng et al., J. Electrochem. Soc. 163, A67 (2016))
                22100.0, "Deng et al. 2016: E = 22.1 GPa, first principles"),
    # microcrystalline Li5.5PS4.5Cl1.5 and polycrystalline NMC622 (a cathode powder, pressed
    # alone in a compaction study): crystal densities and moduli as Miß, Lange, Staubitz &
    # Roling used them, ACS Appl. Mater. Interfaces 18, 32830 (2026), DOI
    # 10.1021/acsami.6c03789, Table S1
    Electrolyte("li5.5ps4.5cl1.5", 1.87, "Miß et al. 2026, Table S1: 1.87 g/cm3",
                67000.0, "Miß et al. 2026: E = 67 GPa"),
    Electrolyte("nmc622", 4.48, "Miß et al. 2026, Table S1: 4.48 g/cm3",
                180000.0, "Miß et al. 2026: E = 180 GPa"),
    # Li10GeP2S12, P4_2/nmc, a = 8.718 A, c = 12.635 A, Z = 2 (Kamaya et al., Nature Mater.
    # 10, 682 (2011)): 2.04 g/cm3
    Electrolyte("li10gep2s12", round(crystal_density_g_cm3(588.70, 2, 8.718 ** 2 * 12.635),
                                     3),
                "Kamaya et al. 2011: P4_2/nmc, a = 8.718 A, c = 12.635 A, Z = 2"),
    # cubic garnet Li7La3Zr2O12, Ia-3d, a = 12.968 A, Z = 8 (Murugan et al., Angew. Chem.
    # Int. Ed. 46, 7778 (2007)): 5.11 g/cm3
    Electrolyte("llzo", round(crystal_density_g_cm3(839.73, 8, 12.968 ** 3), 3),
                "Murugan et al. 2007: Ia-3d, a = 12.968 A, Z = 8",
                # E about 150 GPa, B about 100 GPa, G about 60 GPa, as compiled by
                # Materzanini et al., npj Comput. Mater. (2023), doi:10.1038/s41524-022-00948-8
                150000.0, "E about 150 GPa (as compiled by Materzanini et al. 2023)"),
)}
ANODES = {a.name: a for a in (
    Anode("none"),                        # no anode yet (densifying the separator)
    Anode("li_metal", 180.5),             # lithium foil
    Anode("li_in", 156.6),                # Li-In alloy: indium foil with lithium
)}


def elastic_modulus_mpa(electrolyte: str) -> float:
    """The electrolyte's published Young's modulus; inf when unknown or not given."""
    known = ELECTROLYTES.get(electrolyte.strip().lower())
    return known.elastic_modulus_mpa if known is not None else math.inf


@dataclasses.dataclass(frozen=True)
class CellStack:
    """The goal's stack, checked: electrolyte (NaN mass when not given) and anode."""

    electrolyte: str
    electrolyte_mass_mg: float
    true_density_g_cm3: float
    anode: str
    max_temperature_c: float          # the anode's cap (NaN: none beyond the press's)


class StackError(ValueError):
    """A stack a goal cannot have (the message says which field and why)."""


def cell_stack(electrolyte: str, electrolyte_mass_mg: float, anode: str) -> CellStack:
    """Check a goal's stack fields; "" and 0 mean "not given"."""
    electrolyte = electrolyte.strip().lower()
    anode = anode.strip().lower() or "none"
    if electrolyte and electrolyte not in ELECTROLYTES:
        raise StackError(f"unknown electrolyte '{electrolyte}' (known: "
                         f"{', '.join(sorted(ELECTROLYTES))})")
    if anode not in ANODES:
        raise StackError(f"unknown anode '{anode}' (known: {', '.join(sorted(ANODES))})")
    if not (math.isfinite(electrolyte_mass_mg) and
            0.0 <= electrolyte_mass_mg <= MAX_ELECTROLYTE_MASS_MG):
        raise StackError(f"electrolyte mass {electrolyte_mass_mg:g} mg is outside "
                         f"0..{MAX_ELECTROLYTE_MASS_MG:g} mg")
    if electrolyte_mass_mg > 0 and not electrolyte:
        raise StackError("an electrolyte mass needs the electrolyte's name (its density)")
    density = ELECTROLYTES[electrolyte].true_density_g_cm3 if electrolyte else math.nan
    return CellStack(electrolyte=electrolyte,
                     electrolyte_mass_mg=electrolyte_mass_mg or math.nan,
                     true_density_g_cm3=density, anode=anode,
                     max_temperature_c=ANODES[anode].max_temperature_c)


def temperature_refusal(stack: CellStack, temperature_c: float) -> str:
    """Why a platen temperature is too hot for the anode in the die ("" when it is not)."""
    if math.isnan(temperature_c) or not temperature_c > stack.max_temperature_c:
        return ""
    anode = ANODES[stack.anode]
    return (f"platen temperature {temperature_c:g} °C with a {anode.name} anode in the die: "
            f"at most {stack.max_temperature_c:g} °C ({MELTING_MARGIN_C:g} °C under its "
            f"melting point, {anode.melting_point_c:g} °C)")

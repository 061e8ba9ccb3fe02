"""Dies: geometry and rating; pressure on the sample <-> press force."""
import dataclasses
import math


@dataclasses.dataclass(frozen=True)
class Die:
    """A cylindrical pressing die: its id, bore diameter (mm) and pressure rating (MPa)."""

    die_id: str
    diameter_mm: float
    rated_mpa: float

    @property
    def area_mm2(self) -> float:
        return math.pi * (self.diameter_mm / 2.0) ** 2

    def force_kn(self, pressure_mpa: float) -> float:
        """Force in kN that puts pressure_mpa on the sample (MPa x mm^2 = N)."""
        return pressure_mpa * self.area_mm2 / 1000.0

    def max_pressure_mpa(self, capacity_kn: float) -> float:
        """The highest pressure allowed on this die: its rating or the press capacity."""
        return min(self.rated_mpa, self.pressure_mpa(capacity_kn))

    def pressure_mpa(self, force_kn: float) -> float:
        return force_kn * 1000.0 / self.area_mm2


def parse_die_table(entries) -> dict:
    """Die table from the parameter form ["id:diameter_mm:rated_mpa", ...]."""
    dies = {}
    for entry in entries:
        try:
            die_id, diameter, rated = str(entry).split(":")
            die = Die(die_id.strip(), float(diameter), float(rated))
        except ValueError:
            raise ValueError(f"die table entry '{entry}' is not id:diameter_mm:rated_mpa") \
                from None
        if not (die.diameter_mm > 0 and die.rated_mpa > 0) or die.die_id in dies:
            raise ValueError(f"die table entry '{entry}' is invalid or repeated")
        dies[die.die_id] = die
    return dies

"""The press's load cell against a reference load cell: a table applied to every force.

A press controller regulates on its own load cell, whose error is a smooth bow over the
range (a few hundredths of a percent of full scale on a good one: enough to leave a
392 MPa hold 0.3 MPa low on a 10 mm die). A lab measures the press's reading against a
reference load cell (a calibrated transfer standard) at several loads; this table turns
the press's readings into reference-scale forces and a wanted force into the setpoint that
makes the press produce it. Between points it interpolates linearly; beyond the first and
last points it extends the end segments.

File format (YAML):

    press: press-3-1001                  # which press (its hardware id)
    reference: HBM C6A 500 kN, cert. 2026-118   # the reference and its certificate
    measured: 2026-11-20                 # when
    points_kn:                           # [press reading, reference] pairs, rising
      - [0.0, 0.0]
      - [29.42, 29.401]
"""
import bisect
import dataclasses
import hashlib
import json
import math

import yaml

MAX_CORRECTION_FRACTION = 0.02     # a reference 2 % (+0.5 kN) off the press: a wrong table
MAX_CORRECTION_OFFSET_KN = 0.5


class ForceCalibrationError(ValueError):
    """The table cannot be used; the message says why."""


@dataclasses.dataclass(frozen=True)
class ForceCalibration:
    """Reference-scale force from the press's reading, and the press setpoint for a force."""

    press_kn: tuple = ()
    reference_kn: tuple = ()
    press: str = ""
    reference: str = ""
    measured: str = ""
    source: str = ""

    def __post_init__(self):
        pairs = list(zip(self.press_kn, self.reference_kn))
        if len(self.press_kn) != len(self.reference_kn):
            raise ForceCalibrationError("press and reference columns differ in length")
        if pairs and len(pairs) < 2:
            raise ForceCalibrationError("a force table needs at least two points")
        for press_kn, reference_kn in pairs:
            if not (math.isfinite(press_kn) and math.isfinite(reference_kn)):
                raise ForceCalibrationError(f"point [{press_kn}, {reference_kn}] is not finite")
            allowed = MAX_CORRECTION_FRACTION * abs(press_kn) + MAX_CORRECTION_OFFSET_KN
            if abs(reference_kn - press_kn) > allowed:
                raise ForceCalibrationError(
                    f"point [{press_kn:g}, {reference_kn:g}] corrects by "
                    f"{reference_kn - press_kn:+g} kN: more than a load cell error (columns "
                    f"swapped, wrong units or the wrong press?)")
        for column, values in (("press", self.press_kn), ("reference", self.reference_kn)):
            if any(b <= a for a, b in zip(values, values[1:])):
                raise ForceCalibrationError(f"the {column} column must rise point by point")

    @property
    def applied(self) -> bool:
        return bool(self.press_kn)

    @classmethod
    def load(cls, path: str) -> "ForceCalibration":
        """Read a table file; raises ForceCalibrationError naming the file and the problem."""
        try:
            with open(path) as stream:
                document = yaml.safe_load(stream)
        except (OSError, yaml.YAMLError) as error:
            raise ForceCalibrationError(f"force table {path}: {error}") from None
        if not isinstance(document, dict) or not isinstance(document.get("points_kn"), list):
            raise ForceCalibrationError(f"force table {path}: no points_kn list")
        try:
            points = [(float(p), float(r)) for p, r in document["points_kn"]]
        except (TypeError, ValueError):
            raise ForceCalibrationError(f"force table {path}: points_kn must be "
                                        "[press_kn, reference_kn] pairs") from None
        try:
            return cls(tuple(p for p, _ in points), tuple(r for _, r in points),
                       press=str(document.get("press", "")),
                       reference=str(document.get("reference", "")),
                       measured=str(document.get("measured", "")), source=path)
        except ForceCalibrationError as error:
            raise ForceCalibrationError(f"force table {path}: {error}") from None

    def to_yaml(self) -> str:
        document = {"press": self.press, "reference": self.reference,
                    "measured": self.measured,
                    "points_kn": [[round(p, 6), round(r, 6)]
                                  for p, r in zip(self.press_kn, self.reference_kn)]}
        return yaml.safe_dump(document, sort_keys=False)

    def describe(self) -> dict:
        """What a run record keeps: where the table came from and its points."""
        points = [[p, r] for p, r in zip(self.press_kn, self.reference_kn)]
        digest = hashlib.sha256(json.dumps(points).encode()).hexdigest()[:16]
        return {"applied": self.applied, "source": self.source, "press": self.press,
                "reference": self.reference, "measured": self.measured,
                "points_kn": points, "sha256_16": digest if self.applied else ""}

    def reference_from_press(self, press_kn: float) -> float:
        return _interpolate(self.press_kn, self.reference_kn, press_kn)

    def press_for_reference(self, reference_kn: float) -> float:
        return _interpolate(self.reference_kn, self.press_kn, reference_kn)

    def press_per_reference(self, reference_kn: float) -> float:
        """d(press reading)/d(reference force) at reference_kn: scales a ramp rate."""
        if not self.applied:
            return 1.0
        index = _segment(self.reference_kn, reference_kn)
        return (self.press_kn[index + 1] - self.press_kn[index]) / \
            (self.reference_kn[index + 1] - self.reference_kn[index])


def _segment(xs, x) -> int:
    return min(max(bisect.bisect_right(xs, x) - 1, 0), len(xs) - 2)


def _interpolate(xs, ys, x: float) -> float:
    if not xs or not math.isfinite(x):
        return x
    index = _segment(xs, x)
    x0, x1, y0, y1 = xs[index], xs[index + 1], ys[index], ys[index + 1]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


NO_CALIBRATION = ForceCalibration()

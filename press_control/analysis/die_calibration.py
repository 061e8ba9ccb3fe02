"""A die's punch-on-punch calibration: the platen reading with nothing between the punches.

With the die empty and the punches touching, the platen position at each force is where a
sample of zero thickness would read: the position sensor's offset and the compression of
frame, platens and punches (with their seating at low force) in one curve, measured, not
assumed. A sample's thickness under force F is then position(F) - empty(F). Calibrations
are stored per die (`<directory>/<die_id>.yaml`) and written by `pressctl calibrate-die`
(docs/die_calibration.md).
"""
import dataclasses
import math
import os
import statistics
import threading
import time

import numpy as np
import yaml

MIN_LEVELS = 3
SETTLED_FRACTION = 0.5          # of each hold, the later half is averaged


class DieCalibrationError(ValueError):
    """A calibration that cannot be used (the message names the file and the problem)."""


@dataclasses.dataclass(frozen=True)
class DieCalibration:
    """Empty-die platen positions (mm) at rising forces (kN) for one die."""

    die_id: str
    force_kn: tuple
    empty_position_mm: tuple
    measured: str = ""              # ISO date
    press: str = ""
    source: str = ""                # the file it came from

    def __post_init__(self):
        forces = np.asarray(self.force_kn, dtype=float)
        positions = np.asarray(self.empty_position_mm, dtype=float)
        if not self.die_id:
            raise DieCalibrationError("a die calibration needs the die's id")
        if len(forces) < MIN_LEVELS or len(forces) != len(positions):
            raise DieCalibrationError(f"die {self.die_id}: at least {MIN_LEVELS} (force, "
                                      "position) pairs are needed")
        if not (np.all(np.isfinite(forces)) and np.all(np.isfinite(positions))):
            raise DieCalibrationError(f"die {self.die_id}: a force or position is not a "
                                      "number")
        if np.any(np.diff(forces) <= 0) or forces[0] < 0:
            raise DieCalibrationError(f"die {self.die_id}: forces must rise from 0 or more")

    def empty_position_at(self, force_kn: float) -> float:
        """The empty die's reading at force_kn: linear between levels, end segments extended."""
        forces, positions = self.force_kn, self.empty_position_mm
        index = int(np.searchsorted(forces, force_kn))
        index = min(max(index, 1), len(forces) - 1)
        f0, f1 = forces[index - 1], forces[index]
        p0, p1 = positions[index - 1], positions[index]
        return p0 + (p1 - p0) * (force_kn - f0) / (f1 - f0)

    def thickness_mm(self, platen_position_mm: float, force_kn: float) -> float:
        """What is between the punches, from the platen reading at that force."""
        if not (math.isfinite(platen_position_mm) and math.isfinite(force_kn)):
            return math.nan
        return platen_position_mm - self.empty_position_at(force_kn)

    def describe(self) -> dict:
        return {"die_id": self.die_id, "measured": self.measured, "press": self.press,
                "source": self.source, "levels": len(self.force_kn),
                "compliance_um": round(1000.0 * (self.empty_position_mm[0] -
                                                 self.empty_position_mm[-1]), 2),
                "up_to_kn": self.force_kn[-1]}

    def to_yaml(self) -> str:
        return yaml.safe_dump({
            "die_id": self.die_id, "measured": self.measured, "press": self.press,
            "points": [[round(float(f), 5), round(float(p), 6)]
                       for f, p in zip(self.force_kn, self.empty_position_mm)]},
            sort_keys=False, default_flow_style=None)


def calibration_from_holds(die_id: str, holds, measured: str = "",
                           press: str = "") -> DieCalibration:
    """One (force, position) pair per hold: the means of each hold's settled later half.

    holds: a list of sequences of (force_kn, position_mm) samples, one per level.
    """
    points = []
    for index, samples in enumerate(holds):
        settled = list(samples)[int(len(samples) * SETTLED_FRACTION):]
        if len(settled) < 3:
            raise DieCalibrationError(f"die {die_id}: level {index + 1} has "
                                      f"{len(settled)} settled samples (3 or more needed)")
        points.append((statistics.fmean(f for f, _ in settled),
                       statistics.fmean(p for _, p in settled)))
    points.sort()
    return DieCalibration(die_id, tuple(f for f, _ in points), tuple(p for _, p in points),
                          measured=measured, press=press)


MAX_COMPLIANCE_MM_PER_KN = 0.02     # 50 kN/mm: far softer than any press frame with punches


def empty_die_problem(calibration: DieCalibration,
                      max_mm_per_kn: float = MAX_COMPLIANCE_MM_PER_KN) -> str:
    """Why the curve cannot be an empty die with touching punches ("" when it can be).

    Steel under load moves a few micrometres per kN; powder between the punches moves
    hundreds, and a platen that rose under more force touched nothing.
    """
    moved_mm = calibration.empty_position_mm[0] - calibration.empty_position_mm[-1]
    span_kn = calibration.force_kn[-1] - calibration.force_kn[0]
    if moved_mm <= 0:
        return (f"the platen did not come nearer under {span_kn:.2f} kN more force "
                f"({moved_mm * 1000:+.1f} um): the punches were not pressed together")
    if moved_mm > max_mm_per_kn * span_kn:
        return (f"the platen moved {moved_mm * 1000:.0f} um over {span_kn:.2f} kN, more than "
                f"{max_mm_per_kn * 1000:g} um/kN: something softer than steel is between "
                "the punches")
    return ""


def calibration_path(directory: str, die_id: str) -> str:
    return os.path.join(os.path.expanduser(directory), f"{die_id}.yaml")


def load_calibration(directory: str, die_id: str):
    """The stored calibration of die_id, or None when there is none; raises if it is bad."""
    path = calibration_path(directory, die_id)
    if not os.path.exists(path):
        return None
    try:
        with open(path) as stream:
            data = yaml.safe_load(stream) or {}
        points = data["points"]
        if data.get("die_id") != die_id:
            raise DieCalibrationError(f"it is for die '{data.get('die_id')}'")
        return DieCalibration(die_id, tuple(float(f) for f, _ in points),
                              tuple(float(p) for _, p in points),
                              measured=str(data.get("measured", "")),
                              press=str(data.get("press", "")), source=path)
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as error:
        raise DieCalibrationError(f"die calibration {path} cannot be used: {error}") \
            from None


def save_calibration(directory: str, calibration: DieCalibration) -> str:
    """Write the calibration where load_calibration finds it (atomically); returns the path."""
    path = calibration_path(directory, calibration.die_id)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = path + ".tmp"
    with open(temporary, "w") as stream:
        stream.write(f"# punch-on-punch calibration of die {calibration.die_id} "
                     "(docs/die_calibration.md): [force kN, empty-die platen position mm]\n")
        stream.write(calibration.to_yaml())
    os.replace(temporary, path)
    return path


def plan_levels_mpa(rated_mpa: float, count: int = 8, first_mpa: float = 2.0) -> tuple:
    """Pressures of the calibration holds: a light contact load, then up to the die's rating.

    Denser at low pressure, where the punches seat and the curve bends.
    """
    if count < MIN_LEVELS or not rated_mpa > first_mpa:
        raise ValueError(f"a die calibration needs {MIN_LEVELS} or more levels above "
                         f"{first_mpa:g} MPa")
    ratios = np.geomspace(1.0, rated_mpa / first_mpa, count)
    return tuple(round(float(first_mpa * r), 2) for r in ratios)


class DieCalibrations:
    """The stored calibrations of a folder, read again when a file changes.

    Files are looked at again at most every `recheck_s`: a die calibrated while the nodes
    run is used from then on.
    """

    def __init__(self, directory: str, recheck_s: float = 1.0, clock=None):
        self._lock = threading.Lock()
        self.directory = directory
        self.recheck_s = recheck_s
        self._clock = clock or time.monotonic
        self._die_id = None
        self._stamp = None
        self._checked_s = -math.inf
        self.calibration = None
        self.problem = ""

    def get(self, die_id: str):
        """(calibration or None, why there is none) for die_id; any thread may ask."""
        with self._lock:
            now = self._clock()
            if die_id != self._die_id or now >= self._checked_s + self.recheck_s:
                self._checked_s = now
                stamp = _file_stamp(calibration_path(self.directory, die_id))
                if die_id != self._die_id or stamp != self._stamp:
                    self._die_id, self._stamp = die_id, stamp
                    self._load(die_id)
            return self.calibration, self.problem

    def _load(self, die_id: str) -> None:
        self.calibration, self.problem = None, ""
        try:
            self.calibration = load_calibration(self.directory, die_id)
        except DieCalibrationError as error:
            self.problem = str(error)
            return
        if self.calibration is None:
            self.problem = (f"die {die_id} is not calibrated (no "
                            f"{calibration_path(self.directory, die_id)}): run pressctl "
                            "calibrate-die")


def _file_stamp(path: str):
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size

"""Hard limits of the press and the check every command passes before it reaches the wire."""
import dataclasses
import math
from typing import Optional

from press_control.dies import Die


ARM_NOT_CLEAR = "an arm is in the workspace or its heartbeat is stale"


@dataclasses.dataclass(frozen=True)
class SafetyLimits:
    """Read-only limits from configuration (SI-adjacent units named in each field)."""

    press_capacity_kn: float
    max_ramp_rate_mpa_s: float
    max_temperature_c: float


@dataclasses.dataclass(frozen=True)
class Interlocks:
    """What must be true before the platen may move or be pressurized."""

    connected: bool
    active: bool
    fault_code: int
    guard_closed: bool
    estop: bool
    arm_clear: bool


def _finite_non_negative(name: str, value: float) -> Optional[str]:
    if not math.isfinite(value):
        return f"{name} is not a finite number ({value})"
    if value < 0:
        return f"{name} is negative ({value})"
    return None


def motion_refusal(interlocks: Interlocks) -> Optional[str]:
    """Why the press may not pressurize now, or None."""
    if not interlocks.connected:
        return "press controller is not connected"
    if not interlocks.active:
        return "driver is not active (lifecycle)"
    if interlocks.fault_code:
        return f"press has a latched fault (code {interlocks.fault_code}); reset it first"
    if interlocks.estop:
        return "emergency stop is pressed"
    if not interlocks.guard_closed:
        return "guard is open"
    if not interlocks.arm_clear:
        return ARM_NOT_CLEAR
    return None


def pressure_refusal(limits: SafetyLimits, die: Optional[Die], target_mpa: float,
                     rate_mpa_s: float, interlocks: Interlocks,
                     rising: bool = True) -> Optional[str]:
    """Why a pressure command must be refused, or None if it may go to the press."""
    for name, value in (("target pressure", target_mpa), ("ramp rate", rate_mpa_s)):
        problem = _finite_non_negative(name, value)
        if problem:
            return problem
    if die is None:
        return "no die selected"
    if rate_mpa_s == 0:
        return "ramp rate is zero"
    if rate_mpa_s > limits.max_ramp_rate_mpa_s:
        return (f"ramp rate {rate_mpa_s:g} MPa/s exceeds the limit "
                f"{limits.max_ramp_rate_mpa_s:g} MPa/s")
    if target_mpa > die.rated_mpa:
        return (f"{target_mpa:g} MPa exceeds the rating of die {die.die_id} "
                f"({die.rated_mpa:g} MPa)")
    if die.force_kn(target_mpa) > limits.press_capacity_kn:
        return (f"{target_mpa:g} MPa on die {die.die_id} needs {die.force_kn(target_mpa):.1f} kN,"
                f" beyond the press capacity {limits.press_capacity_kn:g} kN")
    if rising:
        return motion_refusal(interlocks)
    if not interlocks.connected:
        return "press controller is not connected"
    return None


def temperature_refusal(limits: SafetyLimits, target_c: float,
                        interlocks: Interlocks) -> Optional[str]:
    if not math.isfinite(target_c):
        return f"temperature {target_c} is not a finite number"
    if target_c > limits.max_temperature_c:
        return f"{target_c:g} °C exceeds the platen limit {limits.max_temperature_c:g} °C"
    if not interlocks.connected or not interlocks.active:
        return "press controller is not connected or the driver is not active"
    return None

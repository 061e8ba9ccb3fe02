"""The press's safety rules: hard limits, interlocks and the check every command passes.

This file and `supervisor.py` (which applies these checks under the I/O lock, keeps the
owner lease and the arm table) are the whole safety story; docs/safety.md lists each rule
with the test that proves it. The rules:

1. The die in the press is a physical fact. Only `set_installed_die` changes it, and only
   while the press is released, unowned and the arm workspace clear; a goal naming another
   die is rejected, never corrected.
2. Every number that reaches the press is finite and inside a declared physical range
   (pressure 0..die rating and press capacity, ramp rate min..max, temperature min..max),
   and encodes into its register exactly (within one count); otherwise it is refused.
3. Pressurizing needs: controller connected, driver active, no latched fault, e-stop not
   pressed, guard closed, every known arm fresh and clear (when `arm_interlock`).
4. While a goal owns the press, only its owner may raise, hold or heat; release, e-stop and
   reset are always accepted. The owner renews a lease; when it lapses while pressurized
   the driver releases at the safe rate and latches FAULT_OWNER_LOST.
5. Whatever ends a run (success, cancel, abort, exception, shutdown) leaves the press
   released, or kept loaded only when the goal asked for it for the same cell.
6. A non-finite or frozen force reading is a sensor fault: the run aborts and releases.
"""
import dataclasses
import math
from typing import Optional

from press_control.control.dies import Die

# Status codes; the same numbers as PressCommand.Response (checked by test_interfaces).
OK, REFUSED_INPUT, REFUSED_LIMIT, REFUSED_INTERLOCK, REFUSED_OWNERSHIP, NOT_TAKEN, \
    UNKNOWN_COMMAND = range(7)

ARM_NOT_CLEAR = "an arm is in the workspace or its heartbeat is stale"


# What keeps the press from moving (Refusal.cause of a REFUSED_INTERLOCK or a readiness
# problem); 0 = not an interlock.
NOT_CONNECTED, NOT_ACTIVE, FAULT_LATCHED, ESTOP_PRESSED, GUARD_OPEN, ARM_IN_WORKSPACE, \
    NO_PRESS_STATE, NO_ROUND_TRIP = range(1, 9)


class Refusal(str):
    """Why a command may not go to the press: a sentence with a status code and a cause.

    The cause (NOT_CONNECTED ... NO_ROUND_TRIP) names the interlock; 0 when none.
    """

    code: int
    cause: int

    def __new__(cls, code: int, reason: str, cause: int = 0) -> "Refusal":
        refusal = super().__new__(cls, reason)
        refusal.code = code
        refusal.cause = cause
        return refusal

    def __add__(self, more: str) -> "Refusal":
        return Refusal(self.code, str.__add__(self, more), self.cause)


@dataclasses.dataclass(frozen=True)
class SafetyLimits:
    """Read-only limits from configuration (units in each field's name)."""

    press_capacity_kn: float
    max_ramp_rate_mpa_s: float
    max_temperature_c: float
    min_ramp_rate_mpa_s: float = 0.01
    min_temperature_c: float = 0.0


@dataclasses.dataclass(frozen=True)
class Interlocks:
    """What must be true before the platen may move or be pressurized."""

    connected: bool
    active: bool
    fault_code: int
    guard_closed: bool
    estop: bool
    arm_clear: bool
    arm_problem: str = ""
    fault_text: str = ""


def number_refusal(name: str, value: float, low: float, high: float,
                   unit: str = "") -> Optional[Refusal]:
    """Refuse a value that is not a finite number within low..high."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return Refusal(REFUSED_INPUT, f"{name} is not a number ({value!r})")
    if not math.isfinite(value):
        return Refusal(REFUSED_INPUT, f"{name} is not a finite number ({value})")
    if not low <= value <= high:
        unit = f" {unit}" if unit else ""
        return Refusal(REFUSED_INPUT, f"{name} {value:g}{unit} is outside {low:g}..{high:g}{unit}")
    return None


def motion_refusal(interlocks: Interlocks) -> Optional[Refusal]:
    """Why the press may not pressurize now, or None."""
    if not interlocks.connected:
        return Refusal(REFUSED_INTERLOCK, "press controller is not connected", NOT_CONNECTED)
    if not interlocks.active:
        return Refusal(REFUSED_INTERLOCK, "driver is not active (lifecycle)", NOT_ACTIVE)
    if interlocks.fault_code:
        what = f": {interlocks.fault_text}" if interlocks.fault_text else ""
        return Refusal(REFUSED_INTERLOCK, f"press has a latched fault (code "
                                          f"{interlocks.fault_code}{what}); reset it first",
                       FAULT_LATCHED)
    if interlocks.estop:
        return Refusal(REFUSED_INTERLOCK, "emergency stop is pressed", ESTOP_PRESSED)
    if not interlocks.guard_closed:
        return Refusal(REFUSED_INTERLOCK, "guard is open", GUARD_OPEN)
    if not interlocks.arm_clear:
        detail = f" ({interlocks.arm_problem})" if interlocks.arm_problem else ""
        return Refusal(REFUSED_INTERLOCK, ARM_NOT_CLEAR + detail, ARM_IN_WORKSPACE)
    return None


def rate_refusal(limits: SafetyLimits, rate_mpa_s: float) -> Optional[Refusal]:
    refusal = number_refusal("ramp rate", rate_mpa_s, -math.inf, math.inf)
    if refusal:
        return refusal
    if rate_mpa_s < limits.min_ramp_rate_mpa_s:
        return Refusal(REFUSED_INPUT, f"ramp rate {rate_mpa_s:g} MPa/s is below the minimum "
                                      f"{limits.min_ramp_rate_mpa_s:g} MPa/s")
    if rate_mpa_s > limits.max_ramp_rate_mpa_s:
        return Refusal(REFUSED_LIMIT, f"ramp rate {rate_mpa_s:g} MPa/s exceeds the limit "
                                      f"{limits.max_ramp_rate_mpa_s:g} MPa/s")
    return None


def target_refusal(limits: SafetyLimits, die: Optional[Die],
                   target_mpa: float) -> Optional[Refusal]:
    """Refuse a pressure beyond the installed die's rating or the press capacity."""
    refusal = number_refusal("target pressure", target_mpa, -math.inf, math.inf)
    if refusal:
        return refusal
    if target_mpa < 0:
        return Refusal(REFUSED_INPUT, f"target pressure is negative ({target_mpa:g} MPa)")
    if die is None:
        return Refusal(REFUSED_INTERLOCK, "no die is installed")
    if target_mpa > die.rated_mpa:
        return Refusal(REFUSED_LIMIT, f"{target_mpa:g} MPa exceeds the rating of die "
                                      f"{die.die_id} ({die.rated_mpa:g} MPa)")
    if die.force_kn(target_mpa) > limits.press_capacity_kn:
        return Refusal(REFUSED_LIMIT, f"{target_mpa:g} MPa on die {die.die_id} needs "
                                      f"{die.force_kn(target_mpa):.1f} kN, beyond the press "
                                      f"capacity {limits.press_capacity_kn:g} kN")
    return None


def pressure_refusal(limits: SafetyLimits, die: Optional[Die], target_mpa: float,
                     rate_mpa_s: float, interlocks: Interlocks,
                     rising: bool = True) -> Optional[Refusal]:
    """Why a pressure command must be refused, or None if it may go to the press."""
    refusal = target_refusal(limits, die, target_mpa) or rate_refusal(limits, rate_mpa_s)
    if refusal:
        return refusal
    if rising:
        return motion_refusal(interlocks)
    if not interlocks.connected:
        return Refusal(REFUSED_INTERLOCK, "press controller is not connected", NOT_CONNECTED)
    return None


def temperature_refusal(limits: SafetyLimits, target_c: float,
                        interlocks: Interlocks) -> Optional[Refusal]:
    refusal = number_refusal("platen temperature", target_c, limits.min_temperature_c,
                             limits.max_temperature_c, "°C")
    if refusal:
        return refusal
    if not interlocks.connected or not interlocks.active:
        return Refusal(REFUSED_INTERLOCK, "press controller is not connected or the driver "
                                          "is not active")
    return None

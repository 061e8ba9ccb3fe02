"""Measuring a die's punch-on-punch calibration on a press driven directly (no ROS).

The die is empty, the punches touch. At each level the press ramps, holds and the platen
position is sampled with the force; analysis/die_calibration.py turns the holds into the
calibration. `pressctl calibrate-die` does the same through the running nodes.
"""
import datetime

from press_control.analysis.die_calibration import calibration_from_holds, plan_levels_mpa
from press_control.control.force_table import wait_to_reach


def measure_die_calibration(press, die, wait, top_mpa: float = None, levels: int = 8,
                            rate_mpa_s: float = 10.0, hold_s: float = 3.0,
                            sample_period_s: float = 0.05, press_id: str = "",
                            log=lambda text: None):
    """Drive `press` (hardware.Press) through the levels on `die`; return the calibration.

    wait(seconds) lets time pass (a sleep, or a simulation step). The press is released at
    the end whatever happens.
    """
    holds = []
    try:
        press.set_motion_permit(True)
        for level_mpa in plan_levels_mpa(top_mpa or die.rated_mpa, levels):
            press.ramp_to(die.force_kn(level_mpa), die.force_kn(rate_mpa_s))
            wait_to_reach(lambda: press.poll().force_kn, die.force_kn(level_mpa), wait,
                          timeout_s=300.0)
            samples = []
            for _ in range(max(6, int(hold_s / sample_period_s))):
                reading = press.poll()
                samples.append((reading.force_kn, reading.platen_position_mm))
                wait(sample_period_s)
            holds.append(samples)
            log(f"{level_mpa:7.1f} MPa: {samples[-1][0]:8.3f} kN at {samples[-1][1]:.4f} mm")
    finally:
        press.ramp_to(0.0, die.force_kn(rate_mpa_s) * 2, releasing=True)
    return calibration_from_holds(die.die_id, holds, datetime.date.today().isoformat(),
                                  press_id)

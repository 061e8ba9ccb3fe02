"""The built-in simulator's force table, measured as a lab measures a press's.

The simulated load cell has a bow (sensors.py); the stepped simulator's true force stands
in for a reference load cell. `python -m press_control.sim.reference_table --out FILE`
writes config/force_calibration_sim.yaml, which bring-up gives press_driver whenever the
press is the built-in simulator; the tests measure it again and compare.
"""
import argparse
import sys

from press_control.control.dies import Die
from press_control.control.force_table import TablePlan, measure_force_table, plan_levels
from press_control.sim.stepped import SteppedPress

CALIBRATION_DIE = Die("d10", 10.0, 500.0)     # the range the table covers: 0..500 MPa on d10
LEVELS = 9


def measure_simulator_table(seed: int = 100, log=lambda text: None):
    press = SteppedPress(CALIBRATION_DIE, seed=seed)
    return measure_force_table(
        press.press, lambda: press.true_force_kn, press.advance,
        TablePlan(plan_levels(CALIBRATION_DIE.force_kn(CALIBRATION_DIE.rated_mpa), LEVELS)),
        press_id="built-in simulator", reference_name="simulator truth (stepped)", log=log)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="table file to write (YAML)")
    parser.add_argument("--seed", type=int, default=100, help="simulator noise seed")
    args = parser.parse_args(argv)
    table = measure_simulator_table(args.seed, log=print)
    with open(args.out, "w") as stream:
        stream.write("# The built-in simulator's force table (docs/force_calibration.md), "
                     "written by\n# python -m press_control.sim.reference_table --out "
                     f"{args.out}\n")
        stream.write(table.to_yaml())
    return 0


if __name__ == "__main__":
    sys.exit(main())

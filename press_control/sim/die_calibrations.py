"""The built-in simulator's die calibrations, measured as a lab measures its dies.

`python -m press_control.sim.die_calibrations --out DIR` presses the stepped simulator's
empty die (punches touching) for every die of the package's die table and writes one
`<die_id>.yaml` each to DIR (config/die_calibration_sim/, which bring-up gives the
interface monitor whenever the press is the built-in simulator). The tests measure again
with other noise and compare.
"""
import argparse
import sys

from press_control.control.die_calibration_run import measure_die_calibration
from press_control.analysis.die_calibration import save_calibration
from press_control.sim.stepped import SteppedPress

SIMULATOR = "built-in simulator"


def measure_simulated_die(die, seed: int = 100, log=lambda text: None):
    press = SteppedPress(die, seed=seed, cell_preset="empty_die")
    return measure_die_calibration(press.press, die, press.advance, press_id=SIMULATOR,
                                   log=log)


def main(argv=None) -> int:
    from press_control.control.dies import parse_die_table
    from press_control.resources import config_path
    import yaml
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for the <die_id>.yaml files")
    parser.add_argument("--seed", type=int, default=100, help="simulator noise seed")
    args = parser.parse_args(argv)
    with open(config_path("press_cell.yaml")) as stream:
        parameters = yaml.safe_load(stream)
    table = next(section["ros__parameters"]["die_table"] for section in parameters.values()
                 if "die_table" in section.get("ros__parameters", {}))
    for die in parse_die_table(table).values():
        print(f"die {die.die_id}")
        print("  ->", save_calibration(args.out, measure_simulated_die(die, args.seed,
                                                                       log=print)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Which Optuna sampler a campaign should use: cells until within 5 % of the twin's optimum.

  python3 scripts/compare_samplers.py [--seeds 10] [--samplers tpe random gp]

The measurement of docs/campaigns.md ("Choosing the optimiser"): the bench's campaign
(config/campaigns/li6ps5cl_interface.yaml on the offline twin, the brute-force oracle) for
each sampler. `gp` (Optuna's GPSampler) needs torch, which scripts/setup.sh does not
install; run this in an environment that has it (see the docs for the install cost).
"""
import argparse
import statistics
import time

from press_control.app.bench.campaign import (CAMPAIGN_BUDGET, DIE, EXAMPLE, RANDOM_BUDGET,
                                              cells_to_within)
from press_control.control.campaign_spec import load_campaign
from press_control.resources import config_path
from press_control.sim.campaign_twin import true_optimum


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--samplers", nargs="+", default=["tpe", "random"])
    args = parser.parse_args()
    campaign = load_campaign(config_path(EXAMPLE))
    optimum = true_optimum(campaign, DIE)
    print(f"optimum {optimum.value:.4g} ohm cm2 at {optimum.params}")
    for sampler in args.samplers:
        budget = RANDOM_BUDGET if sampler == "random" else CAMPAIGN_BUDGET
        started = time.monotonic()
        cells = [cells_to_within(campaign, sampler, seed, budget, optimum.value)
                 for seed in range(args.seeds)]
        print(f"{sampler}: median {statistics.median(cells):g} cells (budget {budget}; "
              f"{budget + 1} = not reached); per seed {cells}; "
              f"{time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

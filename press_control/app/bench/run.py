"""Run every benchmark and write the report (`pressctl bench --out DIR`)."""
import os
import sys

from press_control.app.bench import (campaign, cell, cpu, densification, driver,
                                     monitor, profiles, safety)
from press_control.app.bench.report import write_report


def run_benchmarks(out_dir: str, quick: bool = False, quiet: bool = False) -> int:
    """All figures into out_dir/report.json and report.md; 0 if every target was met.

    quiet: no step lines and no report on stdout, only the paths written (and the exit
    status says whether every target was met).
    """
    os.environ.setdefault("ROS_DOMAIN_ID", str(150 + os.getpid() % 50))
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    steps = [
        ("press driver", lambda: driver.run(seconds=3.0 if quick else 10.0)),
        ("safety paths", lambda: safety.run(samples=20 if quick else 100)),
        ("profile tracking and goal acceptance", lambda: profiles.run(
            hold_s=30.0 if quick else 120.0, regulate_s=60.0 if quick else 240.0,
            goals=5 if quick else 50)),
        ("interface monitor", monitor.run),
        ("density after die calibration", densification.run),
        ("whole cell", lambda: cell.run(cells=2 if quick else 20)),
        ("CPU while a profile runs", lambda: cpu.run(seconds=15.0 if quick else 30.0)),
        ("self-driving campaign", lambda: campaign.run(seeds=5 if quick else campaign.SEEDS)),
    ]
    figures = []
    for name, step in steps:
        if not quiet:
            print(f"bench: {name} ...", flush=True)
        figures += step()
    command = "pressctl bench --out " + out_dir + (" --quick" if quick else "")
    json_path, markdown_path = write_report(out_dir, figures, command)
    if not quiet:
        with open(markdown_path) as stream:
            sys.stdout.write(stream.read())
        print()
    print(f"bench: wrote {json_path} and {markdown_path}")
    return 0 if all(f.met is not False for f in figures) else 1

"""`pressctl campaign`: run a campaign (offline on the twin, or on a press), and read one back.

  pressctl campaign run FILE [--offline] [--cells N] [--seed S] [--storage URL]
  pressctl campaign status|best|export NAME [--offline] [--storage URL]

A campaign's folder is <campaigns dir>/<name> (offline: <name>-offline): its SQLite study
(campaign.db, unless --storage names a database such as PostgreSQL) and its report
(cells.csv, objective.png/svg, pareto.png/svg).
"""
import argparse
import dataclasses
import os
import sys
import threading
import time

DEFAULT_DIR = "~/.ros/press_control/campaigns"


def _folder(args, name: str) -> str:
    suffix = "-offline" if args.offline else ""
    return os.path.join(os.path.expanduser(args.dir), name + suffix)


def _storage(args, name: str) -> str:
    return args.storage or os.path.join(_folder(args, name), "campaign.db")


def press_limits(params_file: str = ""):
    """(die table, SafetyLimits) from the shared section of the press's parameter file."""
    import yaml
    from press_control.control.dies import parse_die_table
    from press_control.control.safety import SafetyLimits
    from press_control.resources import config_path

    with open(params_file or config_path("press_cell.yaml")) as stream:
        shared = yaml.safe_load(stream)["/**"]["ros__parameters"]
    return parse_die_table(shared["die_table"]), SafetyLimits(
        shared["press_capacity_kn"], shared["max_ramp_rate_mpa_s"],
        shared["max_temperature_c"], shared["min_ramp_rate_mpa_s"],
        shared["min_temperature_c"])


def params_text(params, digits: str = ".4g") -> str:
    return ", ".join(f"{k} {v:{digits}}" for k, v in params.items())


def best_line(study) -> str:
    """The best cell (or the Pareto set) in one line."""
    best = study.best()
    if not best:
        return "no feasible cell yet"
    names = [o.metric for o in study.campaign.objectives]
    return "; ".join(
        f"{c.cell_id}: " + ", ".join(f"{n} {v:.4g}" for n, v in zip(names, c.values)) +
        " at " + params_text(c.params) for c in best)


def cell_line(study, cell) -> str:
    """One line per finished cell: its parameters, objectives or failure, best so far."""
    from press_control.records.campaign_report import verdict

    params = params_text(cell.params)
    names = [o.metric for o in study.campaign.objectives]
    if cell.values:
        told = ", ".join(f"{n} {v:.4g}" for n, v in zip(names, cell.values))
    else:
        told = "no objective"
    why = f" ({cell.reason})" if cell.reason else ""
    return f"cell {study.finished()}/{study.campaign.cells} {cell.cell_id}: {params} -> " \
           f"{told}, {verdict(cell)}{why}"


def load_checked(args):
    """The campaign file with --cells/--seed applied, checked against the press; or exit 2."""
    from press_control.control.campaign_spec import CampaignError, check_campaign, load_campaign

    try:
        campaign = load_campaign(args.file)
        if args.cells is not None:
            if args.cells < 1:
                raise CampaignError("--cells must be at least 1")
            campaign = dataclasses.replace(campaign, cells=args.cells)
        if args.seed is not None:
            campaign = dataclasses.replace(campaign, seed=args.seed)
        dies, limits = press_limits(args.params_file)
        check_campaign(campaign, dies, limits)
    except CampaignError as error:
        print(f"pressctl: campaign refused: {error}", file=sys.stderr)
        return None, None
    return campaign, dies[campaign.die_id]


def run(args: argparse.Namespace) -> int:
    campaign, die = load_checked(args)
    if campaign is None:
        return 2
    if not args.offline:
        from press_control.app.campaign_client import run_on_press
        return run_on_press(args, campaign)
    return run_offline(args, campaign, die)


def run_offline(args, campaign, die) -> int:
    from press_control.control.campaign_loop import run_cells
    from press_control.control.campaign_study import CampaignStudy, StudyMismatch
    from press_control.records.campaign_report import write_report
    from press_control.sim.campaign_twin import TwinPress, true_objective, true_optimum
    from press_control.sim.cell import PRESETS
    from press_control.stop_signals import call_on_signals

    if campaign.twin_preset not in PRESETS:
        print(f"pressctl: campaign refused: twin {campaign.twin_preset!r} is not a simulated "
              f"cell (known: {', '.join(sorted(PRESETS))})", file=sys.stderr)
        return 2
    folder = _folder(args, campaign.name)
    os.makedirs(folder, exist_ok=True)
    try:
        study = CampaignStudy(campaign, _storage(args, campaign.name), press="twin",
                              sampler=args.sampler)
    except StudyMismatch as error:
        print(f"pressctl: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(_):
        stop.set()
        print("\nstopping after this cell (run the same command again to resume)",
              file=sys.stderr)
    call_on_signals(on_signal)
    twin = TwinPress(campaign, die)
    already = study.finished()
    print(f"campaign {campaign.name} on the twin ({campaign.twin_preset}, die {die.die_id}): "
          f"{campaign.cells} cells, {already} already done; storage {study.storage}")
    started = time.monotonic()
    pressed = run_cells(study, twin, campaign.cells, settle=twin,
                        on_cell=lambda cell: print(cell_line(study, cell), flush=True),
                        stop=stop)
    elapsed = time.monotonic() - started
    cells = study.cells()
    best = study.best()
    written = write_report(campaign, cells, best, folder)
    print(f"{pressed} cells in {elapsed:.2f} s ({pressed / max(elapsed, 1e-9):.0f} simulated "
          f"cells per second, suggestion and storage included)")
    print(f"best: {best_line(study)}")
    if best and not args.no_oracle:
        started = time.monotonic()
        optimum = true_optimum(campaign, die)
        sign = 1.0 if campaign.objectives[0].direction == "minimize" else -1.0
        found = sign * true_objective(campaign, die, best[0].params)
        print(f"the twin's true optimum (brute force over {optimum.evaluated} protocols, "
              f"{time.monotonic() - started:.0f} s): {campaign.objectives[0].metric} "
              f"{sign * optimum.value:.4g} at {params_text(optimum.params)}")
        print(f"the best cell's protocol on the mean twin: {found:.4g} "
              f"({(found / (sign * optimum.value) - 1) * 100:+.1f} % from the optimum)")
    print(f"report: {', '.join(written)}")
    return 0 if stop.is_set() or study.finished() >= campaign.cells else 1


def _open(args):
    """The named campaign's study, or None with the reason printed."""
    from press_control.control.campaign_study import CampaignStudy
    study = CampaignStudy.open(args.name, _storage(args, args.name))
    if study is None:
        print(f"pressctl: no campaign '{args.name}' in {_storage(args, args.name)}",
              file=sys.stderr)
    return study


def status(args: argparse.Namespace) -> int:
    study = _open(args)
    if study is None:
        return 2
    cells = study.cells()
    from collections import Counter
    from press_control.records.campaign_report import verdict
    counts = Counter(verdict(c) for c in cells)
    print(f"campaign {args.name}: {study.finished()} cells finished "
          f"({', '.join(f'{n} {k}' for k, n in sorted(counts.items()))}); storage "
          f"{study.storage}")
    for cell in study.pending():
        print(f"in a press: {cell.cell_id} on {cell.press}: {params_text(cell.params)}")
    print(f"best: {best_line(study)}")
    return 0


def best(args: argparse.Namespace) -> int:
    study = _open(args)
    if study is None:
        return 2
    chosen = study.best()
    if not chosen:
        print("no feasible cell yet")
        return 1
    for cell in chosen:
        print(f"{cell.cell_id}: {params_text(cell.params, '.6g')}" +
              " -> " + ", ".join(f"{o.metric} {v:.6g}" for o, v in
                                 zip(study.campaign.objectives, cell.values)) +
              (f"  record {cell.record_dir}" if cell.record_dir else ""))
    return 0


def export(args: argparse.Namespace) -> int:
    from press_control.records.campaign_report import write_csv, write_report
    study = _open(args)
    if study is None:
        return 2
    cells = study.cells()
    if args.csv:
        print(write_csv(study.campaign, cells, args.csv))
        return 0
    for path in write_report(study.campaign, cells, study.best(), _folder(args, args.name)):
        print(path)
    return 0


def add_parser(commands) -> None:
    campaign = commands.add_parser(
        "campaign", help="self-driving campaigns: each next cell's protocol chosen from the "
        "cells before it (docs/campaigns.md)")
    verbs = campaign.add_subparsers(dest="verb", required=True)

    def common(parser):
        parser.add_argument("--offline", action="store_true",
                            help="on the stepped twin in simulated time (no ROS, no press)")
        parser.add_argument("--storage", default="",
                            help="database URL (default: campaign.db in the campaign folder), "
                                 "e.g. postgresql+psycopg://user@host/db")
        parser.add_argument("--dir", default=DEFAULT_DIR, help="folder of campaign folders")

    run_parser = verbs.add_parser("run", help="run a campaign file (resumes where it stopped)")
    run_parser.add_argument("file", help="campaign YAML, e.g. config/campaigns/"
                                         "li6ps5cl_interface.yaml")
    run_parser.add_argument("--cells", type=int, help="cells in all (default: the file's)")
    run_parser.add_argument("--seed", type=int, help="sampler and twin seed (default: the "
                                                     "file's)")
    run_parser.add_argument("--sampler", default="tpe", choices=("tpe", "random"),
                            help="tpe (default) or random (a baseline)")
    run_parser.add_argument("--no-oracle", action="store_true",
                            help="--offline: skip the brute-force search of the twin's optimum")
    run_parser.add_argument("--params-file", default="",
                            help="the press's parameter file (die table, limits)")
    run_parser.add_argument("--namespace", default="", help="namespace of the press")
    run_parser.add_argument("--hold-scale", type=float, default=0.0,
                            help="on a press: shorten holds by this factor (tests, demos)")
    run_parser.add_argument("--wait-s", type=float, default=20.0,
                            help="wait this long for the campaign node")
    common(run_parser)
    run_parser.set_defaults(handler=run)
    for verb, handler, text in (("status", status, "cells finished, in a press, best"),
                                ("best", best, "the best cell, or the Pareto set"),
                                ("export", export, "cells.csv and the plots (or --csv FILE)")):
        parser = verbs.add_parser(verb, help=text)
        parser.add_argument("name", help="campaign name")
        common(parser)
        if verb == "export":
            parser.add_argument("--csv", default="", help="write only the CSV, to this file")
        parser.set_defaults(handler=handler)

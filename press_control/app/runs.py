"""`pressctl runs`: the recent run records as a table, and one run's summary."""
import json
import os
import sys

from press_control.records.run_index import RunNotFound, find_run, list_runs, read_summary

COLUMNS = ("started", "cell", "preset", "outcome", "peak MPa", "R_int ohm", "folder")


def _number(value, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def run_row(folder: str, summary: dict) -> tuple:
    goal = summary.get("goal") or {}
    return ((summary.get("started") or "")[:19].replace("T", " "),
            summary.get("cell_id", ""), goal.get("preset") or "custom",
            summary.get("status", ""), _number(summary.get("peak_mpa"), 1),
            _number(summary.get("final_interface_resistance_ohm"), 1), folder)


def list_command(args) -> int:
    runs = list_runs(args.dir)[:args.limit]
    if args.json:
        print(json.dumps([{"folder": folder, "summary": summary} for folder, summary in runs],
                         indent=2))
        return 0 if runs else 1
    if not runs:
        print(f"pressctl: no run records under {args.dir}", file=sys.stderr)
        return 1
    rows = [COLUMNS] + [run_row(folder, summary) for folder, summary in runs]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(COLUMNS) - 1)]
    for row in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)) + "  " + str(row[-1]))
    return 0


def show_command(args) -> int:
    try:
        folder = find_run(args.dir, args.run)
    except RunNotFound as missing:
        print(f"pressctl: {missing}", file=sys.stderr)
        return 1
    summary = read_summary(folder)
    files = sorted(os.path.relpath(os.path.join(root, name), folder)
                   for root, _, names in os.walk(folder) for name in names)
    if args.json:
        print(json.dumps({"folder": folder, "summary": summary, "files": files}, indent=2))
        return 0
    print(f"folder: {folder}")
    print(json.dumps(summary, indent=2))
    print("files: " + ", ".join(files))
    compaction = summary.get("compaction")
    if compaction and compaction.get("steps"):
        print(compaction_table(compaction))
    return 0


def compaction_table(compaction: dict) -> str:
    """The steps of a compaction study, one line each, then the fits."""
    head = ("p MPa", "d load mm", "d rel mm", "eps load", "eps rel", "spring %", "R_b ohm",
            "sigma mS/cm")
    lines = ["compaction study:", "  ".join(f"{h:>11}" for h in head)]
    for step in compaction["steps"]:
        values = (step["pressure_mpa"], step["thickness_under_load_mm"],
                  step["thickness_after_release_mm"], step["porosity_under_load"],
                  step["porosity_after_release"], step["springback_percent"],
                  step["bulk_resistance_ohm"],
                  None if step["ionic_conductivity_under_load_s_cm"] is None
                  else step["ionic_conductivity_under_load_s_cm"] * 1e3)
        lines.append("  ".join(f"{'-':>11}" if v is None else f"{v:>11.4g}" for v in values))
    heckel, kawakita, mwbh = (compaction.get(k) or {} for k in ("heckel", "kawakita", "mwbh"))
    if "k_per_mpa" in heckel:
        low, high = heckel["range_mpa"]
        lines.append(f"Heckel ({low:g}-{high:g} MPa): K = {heckel['k_per_mpa']:.5f} /MPa, "
                     f"A = {heckel['a']:.3f}, yield pressure "
                     f"{heckel['yield_pressure_mpa']:.0f} MPa")
    if "a" in kawakita:
        lines.append(f"Kawakita: a = {kawakita['a']:.3f}, b = {kawakita['b']:.4g} /MPa")
    if "sigma0_s_cm" in mwbh:
        low, high = mwbh["porosity_range"]
        lines.append(f"sigma0 (1 - eps)^1.5 (eps {low:.3f}-{high:.3f}): sigma0 = "
                     f"{mwbh['sigma0_s_cm'] * 1e3:.2f} mS/cm")
    return "\n".join(lines)


def plot_command(args) -> int:
    from press_control.records.replot import plot_record

    try:
        folder = find_run(args.dir, args.run)
        paths = plot_record(folder)
    except RunNotFound as missing:
        print(f"pressctl: {missing}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError) as error:
        print(f"pressctl: the record cannot be plotted: {type(error).__name__}: {error}",
              file=sys.stderr)
        return 1
    print("\n".join(paths))
    return 0


def add_parsers(commands, default_dir: str) -> None:
    runs = commands.add_parser("runs", help="list recent run records; 'runs show RUN' prints "
                               "one run's summary")
    runs.add_argument("--dir", default=default_dir, help="folder of the run records")
    runs.add_argument("--limit", type=int, default=20, help="list at most this many")
    runs.add_argument("--json", action="store_true",
                      help="a JSON list of {folder, summary} instead of the table")
    runs.set_defaults(handler=list_command)
    shows = runs.add_subparsers(dest="runs_command")
    for name, handler, text in (
            ("show", show_command, "print a run's summary and files"),
            ("plot", plot_command, "draw a run's plot.png and plot.svg (for runs recorded "
             "with record_plot false, or to draw one again)")):
        one_run = shows.add_parser(name, help=text)
        one_run.add_argument("run", help="run folder name (or its unique beginning) or path")
        one_run.add_argument("--dir", default=default_dir, help="folder of the run records")
        if name == "show":
            one_run.add_argument("--json", action="store_true",
                                 help="one JSON object: folder, summary and files")
        one_run.set_defaults(handler=handler)

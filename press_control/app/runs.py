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
    print(f"folder: {folder}")
    print(json.dumps(summary, indent=2))
    files = sorted(os.path.relpath(os.path.join(root, name), folder)
                   for root, _, names in os.walk(folder) for name in names)
    print("files: " + ", ".join(files))
    return 0


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
    runs.set_defaults(handler=list_command)
    shows = runs.add_subparsers(dest="runs_command")
    for name, handler, text in (
            ("show", show_command, "print a run's summary and files"),
            ("plot", plot_command, "draw a run's plot.png and plot.svg (for runs recorded "
             "with record_plot false, or to draw one again)")):
        one_run = shows.add_parser(name, help=text)
        one_run.add_argument("run", help="run folder name (or its unique beginning) or path")
        one_run.add_argument("--dir", default=default_dir, help="folder of the run records")
        one_run.set_defaults(handler=handler)

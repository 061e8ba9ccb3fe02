"""Benchmark figures and the report files (JSON and Markdown) they go into."""
import dataclasses
import json
import math
import os
import platform
import subprocess
import time
from typing import List, Optional


@dataclasses.dataclass
class Figure:
    """One measured figure with its target; met is None where there is no target."""

    section: str
    name: str
    value: float
    unit: str = ""
    target: str = ""                  # e.g. "<= 5", ">= 0.8"
    baseline: Optional[float] = None  # what the comparison (bound, naive baseline) gives
    note: str = ""

    def __post_init__(self):
        self.value = float(self.value)          # numpy scalars do not go into JSON
        self.baseline = None if self.baseline is None else float(self.baseline)

    @property
    def met(self) -> Optional[bool]:
        if not self.target or not math.isfinite(self.value):
            return None if not self.target else False
        operator, limit = self.target.split()
        value = abs(self.value) if operator == "<=" else self.value
        return bool(value <= float(limit) if operator == "<=" else value >= float(limit))

    @property
    def ratio(self) -> Optional[float]:
        if self.baseline in (None, 0) or not math.isfinite(self.value):
            return None
        return self.value / self.baseline


def _number(value, digits=3) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return f"{value:.{digits}g}" if abs(value) < 1e4 else f"{value:.0f}"


def source_commit() -> str:
    """The package's git commit (with "+changes" when the tree differs), or ""."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here,
                                capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=here, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    if commit.returncode != 0:
        return ""
    return commit.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


def write_report(out_dir: str, figures: List[Figure], command: str) -> tuple:
    """Write report.json and report.md into out_dir; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    machine = {"host": platform.node(), "python": platform.python_version(),
               "cpus": os.cpu_count(), "platform": platform.platform()}
    commit = source_commit()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    rows = [{**dataclasses.asdict(f), "met": f.met, "ratio": f.ratio} for f in figures]
    json_path = os.path.join(out_dir, "report.json")
    with open(json_path, "w") as stream:
        json.dump({"generated": stamp, "command": command, "machine": machine,
                   "commit": commit, "figures": rows}, stream, indent=1)
    lines = ["# press_control benchmark report", "",
             f"Generated {stamp} by `{command}` on {machine['cpus']} CPUs "
             f"({machine['platform']}, Python {machine['python']}), "
             f"code {commit or 'not in a git checkout'}.", ""]
    section = None
    for figure in figures:
        if figure.section != section:
            section = figure.section
            lines += ["", f"## {section}", "",
                      "| figure | value | unit | comparison | ratio | target | met |",
                      "|---|---|---|---|---|---|---|"]
        met = {None: "", True: "yes", False: "**NO**"}[figure.met]
        name = figure.name + (f" ({figure.note})" if figure.note else "")
        lines.append(f"| {name} | {_number(figure.value)} | {figure.unit} | "
                     f"{_number(figure.baseline)} | {_number(figure.ratio, 2)} | "
                     f"{figure.target} | {met} |")
    missed = [f.name for f in figures if f.met is False]
    lines += ["", f"{sum(f.met is True for f in figures)} targets met, {len(missed)} missed"
              + (": " + "; ".join(missed) if missed else "."), ""]
    markdown_path = os.path.join(out_dir, "report.md")
    with open(markdown_path, "w") as stream:
        stream.write("\n".join(lines))
    return json_path, markdown_path

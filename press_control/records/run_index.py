"""The run records under a folder: listed newest first, found by name."""
import json
import os


class RunNotFound(LookupError):
    """No run record of that name (or more than one starts with it)."""


def read_summary(folder: str) -> dict:
    with open(os.path.join(folder, "summary.json")) as stream:
        return json.load(stream)


def list_runs(root: str) -> list:
    """(folder, summary) of every run record under root, newest start first."""
    root = os.path.expanduser(root)
    runs = []
    for name in os.listdir(root) if os.path.isdir(root) else ():
        folder = os.path.join(root, name)
        try:
            runs.append((folder, read_summary(folder)))
        except (OSError, ValueError):
            continue                     # not a run record (or one being replaced)
    return sorted(runs, key=lambda run: (run[1].get("started") or "", run[0]), reverse=True)


def find_run(root: str, name: str) -> str:
    """The folder of run `name`: a path, a folder name under root, or its unique prefix."""
    if os.path.isfile(os.path.join(name, "summary.json")):
        return name
    folders = [folder for folder, _ in list_runs(root)]
    exact = [f for f in folders if os.path.basename(f) == name]
    matches = exact or [f for f in folders if os.path.basename(f).startswith(name)]
    if len(matches) != 1:
        raise RunNotFound(f"{len(matches) or 'no'} run records under {root} match '{name}'"
                          + (": " + ", ".join(os.path.basename(m) for m in matches[:5])
                             if matches else ""))
    return matches[0]

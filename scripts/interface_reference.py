"""Write docs/interfaces.md: every node's ROS interfaces and parameters, from the code.

Topics, services and actions are read from each node module's source (the
create_publisher/create_subscription/create_service/create_client calls, HotInputs.add,
ActionServer and action clients: type, name and QoS as written; how often a topic goes
out from the module's PUBLISH_RATES table, next to its publishers); parameters from
press_control/ros/parameters.py (type, unit, range, description) with their values in
config/press_cell.yaml; messages from press_control_interfaces (fields and the comments
that give their units). Nothing here is typed by hand; test/test_interface_reference.py
fails when the file is stale.

Usage: python3 scripts/interface_reference.py [--check]
"""
import ast
import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from press_control.ros import parameters  # noqa: E402

OUTPUT = ROOT / "docs" / "interfaces.md"
ROS = ROOT / "press_control" / "ros"
INTERFACES = ROOT / "press_control_interfaces"
# node -> (its modules, its parameter table); the handshake runs inside profile_server
NODES = {
    "press_driver": (("press_driver.py", "diagnostics.py"), "DRIVER_PARAMETERS"),
    "profile_server": (("profile_server.py", "handling.py"), "PROFILE_SERVER_PARAMETERS"),
    "run_recorder": (("run_recorder.py",), "RECORDER_PARAMETERS"),
    "interface_monitor": (("interface_monitor.py", "diagnostics.py"), "MONITOR_PARAMETERS"),
    "press_panel": (("press_panel.py",), "PANEL_PARAMETERS"),
    "demo_arm": (("demo_arm.py",), "DEMO_ARM_PARAMETERS"),
    "campaign": (("campaign.py", "demo_arm.py"), "CAMPAIGN_PARAMETERS"),
}
KINDS = {"create_publisher": "publishes", "create_subscription": "subscribes",
         "create_service": "service", "create_client": "service client",
         "add": "subscribes (taken by HotInputs, off the executor)"}


def _text(node) -> str:
    return ast.unparse(node) if node is not None else ""


def _keyword(call, name):
    return next((k.value for k in call.keywords if k.arg == name), None)


def entities(module: pathlib.Path) -> list:
    """(kind, name, type, qos) of every ROS entity the module makes, in source order."""
    found = []
    for call in ast.walk(ast.parse(module.read_text())):
        if not isinstance(call, ast.Call):
            continue
        function = call.func
        name = function.attr if isinstance(function, ast.Attribute) else \
            function.id if isinstance(function, ast.Name) else ""
        args = call.args
        if name in KINDS and len(args) >= 2 and isinstance(args[1], ast.Constant) and \
                isinstance(args[1].value, str):
            qos = ""
            if name in ("create_publisher", "create_subscription"):
                qos = _text(args[3] if name == "create_subscription" and len(args) > 3
                            else args[2] if name == "create_publisher" and len(args) > 2
                            else None)
            elif name == "add":
                qos = _text(_keyword(call, "qos")) or \
                    f"KEEP_LAST {_text(_keyword(call, 'depth')) or 100}"
            found.append((KINDS[name], args[1].value, _text(args[0]), qos))
        elif name in ("ActionServer", "ActionClient", "LockedActionClient") and len(args) >= 3:
            kind = "action server" if name == "ActionServer" else "action client"
            found.append((kind, _text(args[2]).strip("'\""), _text(args[1]), ""))
    return found


def diagnostics_keys(module: pathlib.Path) -> list:
    """The keys of the key-values the module's diagnostics functions publish."""
    keys = []
    for function in ast.walk(ast.parse(module.read_text())):
        if not isinstance(function, ast.FunctionDef) or "diagnostics" not in function.name:
            continue
        for node in ast.walk(function):
            candidates = node.keys if isinstance(node, ast.Dict) else \
                [node.slice] if isinstance(node, ast.Subscript) and \
                isinstance(node.ctx, ast.Store) else []
            keys += [k.value for k in candidates if isinstance(k, ast.Constant) and
                     isinstance(k.value, str) and k.value not in keys]
    return keys


def _qos(text: str) -> str:
    if text == "LATCHED":
        return "transient local, depth 1"
    if text.isdigit():
        return f"depth {text}"
    return text.replace("QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1)", "depth 1")


def publish_rates(module: pathlib.Path) -> dict:
    """The module's PUBLISH_RATES table (topic -> how often it goes out), if it has one."""
    for statement in ast.parse(module.read_text()).body:
        if isinstance(statement, ast.Assign) and \
                any(isinstance(t, ast.Name) and t.id == "PUBLISH_RATES"
                    for t in statement.targets):
            return ast.literal_eval(statement.value)
    return {}


def node_section(node: str, modules, table: str, values: dict) -> list:
    lines = [f"## {node}", "", "| interface | name | type | QoS | rate | module |",
             "|---|---|---|---|---|---|"]
    rates = {}
    for module in modules:
        rates.update(publish_rates(ROS / module))
    for module in modules:
        for kind, name, type_name, qos in entities(ROS / module):
            rate = rates.get(name, "") if kind == "publishes" else ""
            lines.append(f"| {kind} | `{name}` | `{type_name}` | {_qos(qos)} | {rate} | "
                         f"`press_control/ros/{module}` |")
    keys = [key for module in modules for key in diagnostics_keys(ROS / module)]
    if keys:
        lines += ["", "`/diagnostics` key-values: " + ", ".join(f"`{k}`" for k in keys) + "."]
    specs = getattr(parameters, table, None)
    if specs:
        lines += ["", f"Parameters ({table} in `press_control/ros/parameters.py`; read at "
                      "start-up, refused while running; value from `config/press_cell.yaml`"
                      " where it sets one):", "",
                  "| parameter | type | unit | range | default | config | description |",
                  "|---|---|---|---|---|---|---|"]
        for spec in specs:
            range_text = f"{spec.low:g}..{spec.high:g}" if spec.low is not None else \
                ", ".join(spec.choices)
            configured = values.get(spec.name, "")
            lines.append(
                f"| `{spec.name}` | {type(spec.default).__name__} | {spec.unit} | "
                f"{range_text} | `{spec.default!r}` | "
                f"{'`' + repr(configured) + '`' if spec.name in values else ''} | "
                f"{spec.description.replace('|', '/')} |")
    return lines + [""]


def interface_section(folder: str) -> list:
    lines = []
    for path in sorted((INTERFACES / folder).glob("*")):
        lines += [f"### `press_control_interfaces/{folder}/{path.stem}`", "", "```text",
                  path.read_text().rstrip("\n"), "```", ""]
    return lines


def configured_values() -> dict:
    """{node: {parameter: value}} from config/press_cell.yaml (the shared `/**` too)."""
    config = yaml.safe_load((ROOT / "config" / "press_cell.yaml").read_text())
    shared = config.get("/**", {}).get("ros__parameters", {})
    values = {}
    for node in NODES:
        own = config.get(f"/**/{node}", {}).get("ros__parameters", {})
        values[node] = {**shared, **own}
    return values


def render() -> str:
    values = configured_values()
    lines = ["# Interface reference", "",
             "Generated by `scripts/interface_reference.py` from the node modules, the "
             "parameter table and the interface files; do not edit by hand "
             "(`test/test_interface_reference.py` fails when it is stale). Names are "
             "relative to the node's namespace (`press_1` under the launch files). "
             "Units are SI-derived and named in each field's comment or the parameter's "
             "unit column.", ""]
    for node, (modules, table) in NODES.items():
        lines += node_section(node, modules, table, values[node])
    lines += ["## Messages", ""] + interface_section("msg")
    lines += ["## Services", ""] + interface_section("srv")
    lines += ["## Actions", ""] + interface_section("action")
    return "\n".join(lines).rstrip("\n") + "\n"


def main() -> int:
    text = render()
    if "--check" in sys.argv[1:]:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run python3 scripts/interface_reference.py",
                  file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The layers of docs/architecture.md, checked on every import (also inside functions)."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "press_control"
# Importing any of these makes a module part of the ROS layer.
ROS_MODULES = {"rclpy", "rcl_interfaces", "rosidl_runtime_py", "builtin_interfaces",
               "std_msgs", "std_srvs", "sensor_msgs", "geometry_msgs", "diagnostic_msgs",
               "lifecycle_msgs", "action_msgs", "press_control_interfaces", "launch",
               "launch_ros", "ament_index_python"}
# resources.py finds config files in share/ through ament_index (pure Python, optional).
ALLOWED = {"press_control/resources.py": {"ament_index_python.packages"}}
CORE = ("protocol", "hardware", "analysis", "control", "records", "sim", "panel")


def imports_of(path: pathlib.Path) -> set:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def modules(*layers):
    for layer in layers:
        yield from sorted((PACKAGE / layer).rglob("*.py"))


def layer_of(path: pathlib.Path) -> str:
    relative = path.relative_to(PACKAGE).parts
    return relative[0] if len(relative) > 1 else "(root)"


def test_only_the_ros_layer_imports_ros():
    outside = [p for p in PACKAGE.rglob("*.py") if layer_of(p) != "ros"]
    offenders = {}
    for path in outside:
        name = str(path.relative_to(ROOT))
        offenders[name] = sorted(n for n in imports_of(path) - ALLOWED.get(name, set())
                                 if n.split(".")[0] in ROS_MODULES)
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_core_imports_neither_ros_nor_app_and_ros_not_app():
    def offending(paths, forbidden):
        found = {}
        for path in paths:
            bad = sorted(n for n in imports_of(path)
                         if any(n == f or n.startswith(f + ".") for f in forbidden))
            if bad:
                found[str(path.relative_to(ROOT))] = bad
        return found
    assert offending(modules(*CORE), ("press_control.ros", "press_control.app")) == {}
    assert offending(modules("ros"), ("press_control.app",)) == {}


def test_the_analysis_never_imports_the_simulator():
    assert [str(p) for p in modules("analysis", "control", "hardware", "protocol", "records")
            if any(n.startswith("press_control.sim") for n in imports_of(p))] == []


def test_the_rule_sees_an_import_inside_a_function(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from rclpy.node import Node\n    return Node\n")
    assert "rclpy.node" in imports_of(sample)

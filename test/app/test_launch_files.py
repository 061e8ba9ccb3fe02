"""Static checks of the launch files (launch/launch_ros are not installable here):
each parses, runs only console scripts that setup.py installs, references only config
files that data_files installs, and uses every argument it declares."""
import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LAUNCH_FILES = sorted((ROOT / "launch").glob("*.launch.py"))
SETUP = (ROOT / "setup.py").read_text()


def _console_scripts():
    return set(re.findall(r'"([a-z_]+) = press_control[\w.]*:main"', SETUP))


def _call_keywords(tree, function):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == function:
            yield {k.arg: k.value for k in node.keywords}, node.args


def test_there_are_launch_files():
    assert LAUNCH_FILES


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_is_consistent(path):
    tree = ast.parse(path.read_text())
    names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert "generate_launch_description" in names
    for keywords, _ in _call_keywords(tree, "LifecycleNode"):
        assert keywords["package"].value == "press_control"
        assert keywords["executable"].value in _console_scripts()
    for keywords, _ in _call_keywords(tree, "Node"):
        if keywords.get("package") and keywords["package"].value == "press_control":
            assert keywords["executable"].value in _console_scripts()
    for constant in ast.walk(tree):
        if isinstance(constant, ast.Constant) and isinstance(constant.value, str) and \
                constant.value.endswith(".yaml"):
            assert (ROOT / "config" / constant.value).exists(), constant.value
            assert 'glob("config/*.yaml")' in SETUP
        if isinstance(constant, ast.Constant) and isinstance(constant.value, str) and \
                constant.value.endswith(".launch.py"):
            assert (ROOT / "launch" / constant.value).exists(), constant.value
    declared = [args[0].value for _, args in _call_keywords(tree, "DeclareLaunchArgument")]
    used = [args[0].value for _, args in _call_keywords(tree, "LaunchConfiguration")]
    assert declared and set(declared) <= set(used), f"declared but unused: {declared}"

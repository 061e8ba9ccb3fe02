"""Every import is a declared dependency in package.xml (what rosdep installs), and back."""
import ast
import pathlib
import sys
import xml.etree.ElementTree as ElementTree

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Python import name -> rosdep key, for the imports whose key is not their own name.
ROSDEP_KEYS = {"serial": "python3-serial", "numpy": "python3-numpy", "yaml": "python3-yaml",
               "matplotlib": "python3-matplotlib", "scipy": "python3-scipy",
               "mcap": "python3-mcap-pip", "mcap_ros2": "python3-mcap-ros2-support-pip",
               "hypothesis": "python3-hypothesis", "pymodbus": "python3-pymodbus",
               "pytest": "python3-pytest", "aiohttp": "python3-aiohttp",
               "rosbags": "python3-rosbags-pip", "jsonschema": "python3-jsonschema",
               "selenium": "python3-selenium", "pyvisa": "python3-pyvisa-pip",
               "impedance": "python3-impedance-pip", "pymeasure": "python3-pymeasure-pip",
               "tqdm": "python3-tqdm", "catkin_pkg": "python3-catkin-pkg",
               "optuna": "python3-optuna-pip", "sqlalchemy": "python3-sqlalchemy-pip"}
# Declared although no module imports them, each for a reason.
USED_WITHOUT_IMPORT = {
    "lifecycle_msgs": "rclpy's LifecycleNode serves its lifecycle services",
    "action_msgs": "the run_profile action's status and cancel messages",
    "ament_copyright": "ament_python's standard linters", "ament_flake8": "see test_lint",
    "ament_pep257": "see test_lint",
    "python3-pyvisa-py-pip": "the pure-Python VISA backend pyvisa loads by name (@py)",
    "python3-psycopg-pip": "SQLAlchemy loads it for a postgresql+psycopg:// campaign storage",
    "python3-optuna-dashboard-pip": "the viewer of a campaign's study (docs/campaigns.md)",
}
LOCAL = {"press_control"} | {helper.stem for helper in (ROOT / "test").glob("*.py")}


def third_party_imports(*folders) -> set:
    found = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in LOCAL and \
                            not top.startswith("test_"):
                        found.add(top)
    return found


def declared(*tags) -> set:
    tree = ElementTree.parse(ROOT / "package.xml")
    return {element.text.strip() for tag in tags for element in tree.getroot().iter(tag)}


def key(name: str) -> str:
    return ROSDEP_KEYS.get(name, name)


def test_every_runtime_import_is_an_exec_depend():
    runtime = {key(n) for n in third_party_imports("press_control", "launch")}
    assert runtime - declared("exec_depend", "depend") == set()


def test_every_test_import_is_declared():
    tests = {key(n) for n in third_party_imports("test")}
    assert tests - declared("exec_depend", "depend", "test_depend") == set()


def test_every_declared_dependency_is_used():
    used = {key(n) for n in third_party_imports("press_control", "launch", "test")}
    unused = declared("exec_depend", "depend", "test_depend") - used - set(USED_WITHOUT_IMPORT)
    assert unused == set()


ROSDISTRO_KEYS = ROOT.parent / "shared" / "data" / "rosdep" / "jazzy-noble-keys.txt"
OUR_KEYS = ROOT / "rosdep" / "press_control.yaml"
WORKSPACE_PACKAGES = {"press_control_interfaces"}


@pytest.mark.skipif(not ROSDISTRO_KEYS.exists(),
                    reason=f"no list of rosdistro's keys at {ROSDISTRO_KEYS}")
def test_every_rosdep_key_resolves_on_stock_jazzy():
    """What `rosdep install --from-paths src --ignore-src` needs: each key in rosdistro's
    Jazzy/noble list (derived from ros/rosdistro) or in our shipped rosdep file."""
    rosdistro = {line.split("\t")[0] for line in ROSDISTRO_KEYS.read_text().splitlines()
                 if line and not line.startswith("#")}
    ours = set(yaml.safe_load(OUR_KEYS.read_text()))
    keys = declared("depend", "build_depend", "buildtool_depend", "exec_depend",
                    "test_depend", "build_export_depend", "doc_depend")
    for manifest in ROOT.glob("*/package.xml"):
        tree = ElementTree.parse(manifest)
        keys |= {element.text.strip() for element in tree.getroot()
                 if element.tag.endswith("depend")}
    missing = keys - rosdistro - ours - WORKSPACE_PACKAGES
    assert missing == set(), f"rosdep keys no source defines: {sorted(missing)}"
    assert ours.isdisjoint(rosdistro), "a shipped key shadows rosdistro's"


def test_our_rosdep_keys_are_pip_rules_for_the_packages_we_test_with():
    pinned = {line.split("==")[0].lower().replace("_", "-")
              for line in (ROOT / "requirements.txt").read_text().splitlines()
              if "==" in line and not line.startswith("#")}
    for key, rules in yaml.safe_load(OUR_KEYS.read_text()).items():
        assert key.endswith("-pip"), key
        assert set(rules) == {"debian", "ubuntu"}, key
        for rule in rules.values():
            assert set(rule) == {"pip"}, key
            assert set(rule["pip"]["packages"]) <= pinned, (key, rule)

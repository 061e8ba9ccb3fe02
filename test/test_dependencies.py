"""Every import is a declared dependency in package.xml (what rosdep installs), and back."""
import ast
import pathlib
import sys
import xml.etree.ElementTree as ElementTree

ROOT = pathlib.Path(__file__).resolve().parents[1]
# Python import name -> rosdep key, for the imports whose key is not their own name.
ROSDEP_KEYS = {"serial": "python3-serial", "numpy": "python3-numpy", "yaml": "python3-yaml",
               "matplotlib": "python3-matplotlib", "scipy": "python3-scipy",
               "mcap": "python3-mcap", "mcap_ros2": "python3-mcap-ros2-support",
               "hypothesis": "python3-hypothesis", "pymodbus": "python3-pymodbus",
               "pytest": "python3-pytest", "aiohttp": "python3-aiohttp",
               "rosbags": "python3-rosbags-pip", "jsonschema": "python3-jsonschema",
               "selenium": "python3-selenium", "pyvisa": "python3-pyvisa",
               "impedance": "python3-impedance-pip", "pymeasure": "python3-pymeasure-pip"}
# Declared although no module imports them, each for a reason.
USED_WITHOUT_IMPORT = {
    "lifecycle_msgs": "rclpy's LifecycleNode serves its lifecycle services",
    "action_msgs": "the run_profile action's status and cancel messages",
    "ament_copyright": "ament_python's standard linters", "ament_flake8": "see test_lint",
    "ament_pep257": "see test_lint",
    "python3-pyvisa-py": "the pure-Python VISA backend pyvisa loads by name (@py)",
}
LOCAL = {"press_control", "waiting", "network_hosts", "dds_domains", "conftest",
         "driver_process", "terminal_bytes"}


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

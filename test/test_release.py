"""Release hygiene: the manifests are valid format 3, one version, a license, a changelog."""
import pathlib
import re
import subprocess
import sys

from catkin_pkg.changelog import get_changelog_from_path
from catkin_pkg.package import parse_package

ROOT = pathlib.Path(__file__).resolve().parents[1]
MANIFESTS = (ROOT / "package.xml", ROOT / "press_control_interfaces" / "package.xml")


def test_both_manifests_are_valid_format_3_without_warnings():
    for manifest in MANIFESTS:
        warnings = []
        package = parse_package(str(manifest), warnings=warnings)   # as colcon and bloom do
        package.validate(warnings=warnings)
        assert package.package_format == 3, manifest
        assert warnings == [], (manifest, warnings)


def test_one_version_for_the_package_its_interfaces_and_setup_py():
    versions = {parse_package(str(m)).version for m in MANIFESTS}
    assert len(versions) == 1
    setup = subprocess.run([sys.executable, "setup.py", "--version"], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert setup.returncode == 0, setup.stderr[-2000:]
    assert setup.stdout.strip().splitlines()[-1] == versions.pop()


def test_the_license_file_is_the_license_the_manifests_name():
    text = (ROOT / "LICENSE").read_text()
    assert re.search(r"Apache License\s+Version 2\.0, January 2004", text)
    for manifest in MANIFESTS:
        assert parse_package(str(manifest)).licenses == ["Apache-2.0"], manifest


def test_the_changelog_is_in_the_ros_format_and_has_the_current_version():
    changelog = get_changelog_from_path(str(ROOT / "CHANGELOG.rst"), "press_control")
    released = [version for version, _, _ in changelog.foreach_version()]
    assert parse_package(str(MANIFESTS[0])).version in released
    assert (ROOT / "CHANGELOG.rst").read_text().splitlines()[1] == \
        "Changelog for package press_control"


STOCK_TOOLS = ROOT.parent / "shared" / "ros2-stock-tools"


def test_ros2_pkg_xml_gives_the_installed_manifest():
    """The stock `ros2 pkg xml` (ros2pkg) finds the package and prints its manifest."""
    import shutil
    import pytest
    if shutil.which("ros2") is None:
        if STOCK_TOOLS.is_dir():
            pytest.fail("../shared/ros2-stock-tools is here but `ros2` is not on PATH")
        pytest.skip("no ROS 2 install and no ../shared/ros2-stock-tools")
    shown = subprocess.run(["ros2", "pkg", "xml", "press_control"], capture_output=True,
                           text=True, timeout=120)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "<name>press_control</name>" in shown.stdout
    assert f"<version>{parse_package(str(MANIFESTS[0])).version}</version>" in shown.stdout

"""Build script of the press_control ament_python package."""
import os
import xml.etree.ElementTree as ElementTree
from glob import glob

from setuptools import find_packages, setup

PACKAGE = "press_control"
# The version lives in package.xml only (as colcon and bloom read it).
VERSION = ElementTree.parse(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         "package.xml")).getroot().findtext("version")

setup(
    name=PACKAGE,
    version=VERSION,
    packages=find_packages(exclude=["test", "test.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml", "CHANGELOG.rst", "LICENSE"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.launch.py")),
        (f"share/{PACKAGE}/config", glob("config/*.yaml")),
        (f"share/{PACKAGE}/config/die_calibration_sim", glob("config/die_calibration_sim/*.yaml")),
        (f"share/{PACKAGE}/config/compaction", glob("config/compaction/*")),
        (f"share/{PACKAGE}/config/campaigns", glob("config/campaigns/*.yaml")),
    ],
    package_data={f"{PACKAGE}.panel": ["static/*.*", "static/vendor/*"]},
    install_requires=["setuptools"],
    zip_safe=False,
    maintainer="press_control maintainers",
    maintainer_email="press-control@example.org",
    description="ROS 2 integration of laboratory hydraulic presses for battery assembly.",
    license="Apache-2.0",
    tests_require=["pytest"],
    entry_points={
        "console_scripts": [
            "pressctl = press_control.app.cli:main",
            "press_sim = press_control.sim.cli:main",
            "press_driver = press_control.ros.press_driver:main",
            "profile_server = press_control.ros.profile_server:main",
            "run_recorder = press_control.ros.run_recorder:main",
            "interface_monitor = press_control.ros.interface_monitor:main",
            "demo_arm = press_control.ros.demo_arm:main",
            "campaign = press_control.ros.campaign:main",
            "bringup = press_control.app.bringup:main",
            "press_panel = press_control.ros.press_panel:main",
        ],
    },
)

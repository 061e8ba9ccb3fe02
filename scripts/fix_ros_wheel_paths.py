"""Rewrite build-machine paths baked into the ROS 2 wheels' CMake files.

The ros-python-wheels packages carry CMake export files that name the Python and
numpy include directories of the machine that built them. This points them at
the interpreter and numpy of this virtual environment. Safe to run repeatedly.
"""
import pathlib
import re
import sys
import sysconfig

import numpy

BUILD_MACHINE_PYTHON = re.compile(r"/opt/python/cp3\d+-cp3\d+/include/python3\.\d+")
BUILD_MACHINE_NUMPY = re.compile(
    r"/opt/python/cp3\d+-cp3\d+/lib/python3\.\d+/site-packages/numpy/(?:_core|core)/include")


def rewrite(share_dir: pathlib.Path) -> int:
    python_include = sysconfig.get_paths()["include"]
    numpy_include = numpy.get_include()
    changed = 0
    for path in share_dir.rglob("*.cmake"):
        text = path.read_text(errors="surrogateescape")
        if "/opt/python/" not in text:
            continue
        new = BUILD_MACHINE_NUMPY.sub(numpy_include, text)
        new = BUILD_MACHINE_PYTHON.sub(python_include, new)
        if new != text:
            path.write_text(new, errors="surrogateescape")
            changed += 1
    return changed


if __name__ == "__main__":
    prefix = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else sys.prefix)
    count = rewrite(prefix / "share")
    print(f"fix_ros_wheel_paths: rewrote {count} CMake file(s) under {prefix / 'share'}")

"""ROS 2 message definitions as text (the `ros2msg` schema MCAP and rosbag2 store).

Built from the .msg/.action files that every ROS 2 install (and these wheels) ships in
share/<package>/, following nested types, so a bag is readable by stock tools.
"""
import os
import re
import sys

BUILTIN = {"bool", "byte", "char", "float32", "float64", "int8", "uint8", "int16", "uint16",
           "int32", "uint32", "int64", "uint64", "string", "wstring"}
SEPARATOR = "=" * 80


def _share_dirs():
    for prefix in os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep):
        if prefix:
            yield os.path.join(prefix, "share")
    yield os.path.join(sys.prefix, "share")     # ROS 2 from PyPI wheels: share/ in the venv


def _definition_text(type_name: str) -> str:
    """Text of 'pkg/msg/Type' or 'pkg/action/Name_Feedback' (and _Goal, _Result)."""
    package, kind, name = type_name.split("/")
    for share in _share_dirs():
        if kind == "action":
            base, _, part = name.rpartition("_")
            path = os.path.join(share, package, "action", base + ".action")
            if os.path.exists(path):
                sections = open(path).read().split("\n---")
                return sections[{"Goal": 0, "Result": 1, "Feedback": 2}[part]].strip("\n")
        path = os.path.join(share, package, kind, name + ".msg")
        if os.path.exists(path):
            with open(path) as stream:
                return stream.read()
    raise LookupError(f"no definition of {type_name} under AMENT_PREFIX_PATH or {sys.prefix}")


def _dependencies(text: str, package: str):
    for line in text.splitlines():
        tokens = line.split("#", 1)[0].split()
        if len(tokens) < 2 or "=" in tokens[1]:
            continue                                   # blank, comment or constant
        field_type = re.sub(r"\[.*\]$", "", tokens[0])
        field_type = field_type.split("<=")[0]
        if field_type in BUILTIN:
            continue
        if "/" not in field_type:
            field_type = f"{package}/{field_type}"
        yield field_type


def message_definition(type_name: str) -> str:
    """The full ros2msg definition of type_name with every nested type appended."""
    text = _definition_text(type_name)
    parts, seen = [text], set()
    queue = list(_dependencies(text, type_name.split("/")[0]))
    while queue:
        dependency = queue.pop(0)
        package, _, name = dependency.rpartition("/")
        full = f"{package}/msg/{name}"
        if full in seen:
            continue
        seen.add(full)
        nested = _definition_text(full)
        parts.append(f"{SEPARATOR}\nMSG: {package}/{name}\n{nested}")
        queue.extend(_dependencies(nested, package))
    return "\n".join(parts)


def type_name_of(message) -> str:
    """'pkg/msg/Type' of a generated message instance."""
    module = type(message).__module__.split(".")
    return f"{module[0]}/{module[1]}/{type(message).__name__}"

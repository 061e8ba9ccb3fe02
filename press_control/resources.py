"""Locate the package's configuration files in the source tree or the installed share/."""
import os

_SOURCE_CONFIG = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "config"))


def config_path(name: str) -> str:
    """Path of config/<name>: the source checkout first, then share/press_control/config."""
    candidates = [os.path.join(_SOURCE_CONFIG, name)]
    try:
        from ament_index_python.packages import get_package_share_directory
        candidates.append(os.path.join(get_package_share_directory("press_control"),
                                       "config", name))
    except (ImportError, LookupError, ValueError):
        pass
    for candidate in candidates:
        if os.path.exists(candidate):
            return candidate
    raise FileNotFoundError(f"config/{name} not found in the source tree or share/")


def default_register_map_path() -> str:
    return config_path("press_register_map.yaml")

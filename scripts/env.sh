# Source after scripts/setup.sh: the .venv, the colcon workspace, and the package's
# executables (installed in lib/press_control, where `ros2 run` looks) on PATH.
# shellcheck shell=bash
_press_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck disable=SC1091
. "$_press_root/.venv/bin/activate"
# shellcheck disable=SC1091
. "$_press_root/install/setup.bash"
export PATH="$_press_root/install/press_control/lib/press_control:$PATH"
unset _press_root

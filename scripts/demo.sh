#!/usr/bin/env bash
# Set up (idempotent) and run the whole system against the built-in simulator.
# Extra arguments go to `pressctl demo` (see `pressctl demo --help`).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$ROOT/scripts/setup.sh"
cd "$ROOT"
set +u
# shellcheck disable=SC1091
. scripts/env.sh
set -u
exec pressctl demo "$@"

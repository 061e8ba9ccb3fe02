#!/usr/bin/env bash
# .ci/run on clean clones of this repository's HEAD with one CPU-bound process beside
# each run: how the suite fares on a loaded host. Usage: scripts/loaded_ci.sh [RUNS] [OUT]
# Prints one line per run (commit, exit code, seconds with set-up, pytest's summary);
# each run's log goes to OUT/loaded_N.log (default OUT: a new temporary folder).
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-3}
out=${2:-$(mktemp -d)}
mkdir -p "$out"
for n in $(seq 1 "$runs"); do
  clone=$(mktemp -d)
  git clone -q "$ROOT" "$clone"
  python3 -c "while True: pass" &
  hog=$!
  start=$(date +%s)
  (cd "$clone" && ./.ci/run) > "$out/loaded_$n.log" 2>&1
  rc=$?
  kill "$hog"
  echo "run $n commit $(git -C "$clone" rev-parse --short HEAD) exit $rc" \
       "seconds $(( $(date +%s) - start )): $(grep -E ' (passed|failed)' "$out/loaded_$n.log" | tail -1)"
  rm -rf "$clone"
done

#!/usr/bin/env bash
# Benchmark 4: the build-log viewer (src/logs) against xterm.js in Debian's Chromium.
# Builds bench/viewer/dist with esbuild, then drives both pages with playwright-core at 500k, 1M
# and 2M lines (3 runs each, alternating), and prints a markdown table with the target checks.
# Results: bench/results/viewer.md and bench/results/viewer-<time>.json.
# Options go to bench/viewer/run.mjs, e.g. --sizes 1000000 --runs 1 --kinds ours,ours-direct,xterm
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  echo "needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)" >&2
  exit 1
fi
node --import tsx bench/viewer/build.mjs
exec node --import tsx bench/viewer/run.mjs "$@"

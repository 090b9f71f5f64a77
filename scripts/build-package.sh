#!/usr/bin/env bash
# Build the labextension and the service bundle, then the wheel (dist/*.whl), with the venv's
# JupyterLab and hatch plugins (no build isolation: nothing is downloaded twice).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
export PATH="$VENV/bin:$PATH"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund >&2  # see test-all.sh for why not `npm ci`
fi
npm run build:prod --silent >&2
rm -rf dist/*.whl
"$VENV/bin/pip" wheel -q --no-deps --no-build-isolation -w dist . >&2
ls dist/*.whl

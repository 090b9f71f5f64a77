#!/usr/bin/env bash
# Build the wheel from this tree and install it into the project's venv (replacing any earlier
# install), as a user would `pip install` it: JupyterLab then loads the extension and
# jupyter-server-proxy finds the service. Prints the wheel's path.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
wheel="$(bash scripts/build-package.sh | tail -1)"
"$VENV/bin/pip" install -q --force-reinstall --no-deps "$wheel" >&2
"$VENV/bin/pip" install -q "$wheel" >&2   # its dependencies, if any are missing
echo "$wheel"

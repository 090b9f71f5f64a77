#!/usr/bin/env bash
# Create the project's Python venv (.venv) with the real parts the tests run:
# repo2docker, JupyterLab, JupyterHub and jupyter-server-proxy, all from PyPI.
# Idempotent: re-running only installs what changed in requirements.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [ ! -x "$VENV/bin/python" ]; then
  log "creating venv at $VENV"
  python3 -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha"
want="$(sha256sum "$ROOT/scripts/requirements-dev.txt" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing Python requirements"
  "$VENV/bin/pip" install -q --upgrade pip >&2
  "$VENV/bin/pip" install -q -r "$ROOT/scripts/requirements-dev.txt" >&2
  echo "$want" >"$stamp"
fi
log "venv ready: repo2docker $("$VENV/bin/repo2docker" --version 2>&1)"

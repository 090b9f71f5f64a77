#!/usr/bin/env bash
# A local multi-user demo: JupyterHub with examples/jupyterhub_config.py (dummy login, users'
# servers run JupyterLab with this extension from the venv) and the repo2docker service.
#   bash scripts/run-hub-demo.sh        set up, start in the background, print the URL and users
#   bash scripts/start-hub.sh stop      stop it
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/start-docker.sh
bash scripts/setup-venv.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund >&2  # see test-all.sh for why not `npm ci`
fi
bash scripts/install-package.sh >/dev/null
fixtures="$(bash scripts/make-fixtures.sh "$STATE_DIR/fixtures")"
bash scripts/start-hub.sh
log "log in as alice (builds), bob (reads), carol (no access) or admin, with any password;"
log "in JupyterLab open Environments and build file://$fixtures/ok"

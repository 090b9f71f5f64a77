#!/usr/bin/env bash
# README's first command: set everything up and run JupyterLab with the Environments panel and
# the repo2docker service on the local Docker engine (starting Debian's engine if none answers).
#   bash scripts/run-lab.sh [--port 8888]
# Prints the URL to open. A fixture repository is made for a first offline build.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
PORT=8888
[ "${1:-}" = "--port" ] && PORT="$2"

bash scripts/start-docker.sh
bash scripts/setup-venv.sh
bash scripts/install-package.sh >/dev/null

fixtures="$(bash scripts/make-fixtures.sh "$STATE_DIR/fixtures")"
config="$STATE_DIR/lab-service.json"
r2d_config="$(repo2docker_config_json)"
cat >"$config" <<JSON
{ "builds": { "allowLocalRepos": true }, "repo2docker": { "configFile": $r2d_config } }
JSON
export REPO2DOCKER_SERVICE_CONFIG="$config"
token="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
log "try building file://$fixtures/ok (a tiny offline fixture) from the Environments panel"
echo "Open: http://127.0.0.1:$PORT/lab?token=$token"
as_root=()
[ "$(id -u)" -eq 0 ] && as_root=(--allow-root)   # CI and these machines run as root
exec "$VENV/bin/jupyter" lab --no-browser --ip=127.0.0.1 --port="$PORT" "${as_root[@]}" \
  --IdentityProvider.token="$token" --ServerApp.root_dir="$ROOT"

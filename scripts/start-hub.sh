#!/usr/bin/env bash
# A throwaway JupyterHub on loopback with the repo2docker service, from this source tree:
# examples/jupyterhub_config.py (the admin's example, unchanged) + examples/test_overrides.py.
#
#   bash scripts/start-hub.sh              start in the background (idempotent), print the URL
#   bash scripts/start-hub.sh stop         stop the hub this script started (and its service, proxy)
#   bash scripts/start-hub.sh --foreground run in the foreground (service/test/helpers/hub.ts)
#
# Users alice (builder), bob (reader), carol (no repo2docker role), dave (builder) and admin
# (repo2docker admin, hub admin). Any password logs in unless R2D_HUB_PASSWORD is set.
# Environment (defaults in brackets):
#   R2D_HUB_DIR [.state/hub]  R2D_HUB_PORT [8000]  R2D_HUB_INTERNAL_PORT [8081]
#   R2D_PROXY_API_PORT [8001]  R2D_SERVICE_PORT [10101]
#   R2D_HUB_ADMIN_TOKEN [random, kept in $R2D_HUB_DIR/admin-token]: token of the "test-admin"
#     service, which may create tokens for the users (POST /hub/api/users/NAME/tokens)
#   R2D_SERVICE_FROM [source]: "source" runs service/src/main.ts with tsx; "bundle" runs
#     jupyterlab_repo2docker/service/repo2docker-service.cjs (scripts/build-package.sh makes it)
#   R2D_SERVICE_CONFIG [written to $R2D_HUB_DIR/service-config.json]: the service's JSON config
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MODE=background
case "${1:-}" in
  --foreground) MODE=foreground ;;
  stop) MODE=stop ;;
  "") ;;
  *) echo "usage: $0 [--foreground|stop]" >&2; exit 2 ;;
esac

export R2D_HUB_DIR="${R2D_HUB_DIR:-$STATE_DIR/hub}"
export R2D_HUB_PORT="${R2D_HUB_PORT:-8000}"
export R2D_HUB_INTERNAL_PORT="${R2D_HUB_INTERNAL_PORT:-8081}"
export R2D_PROXY_API_PORT="${R2D_PROXY_API_PORT:-8001}"
export R2D_SERVICE_PORT="${R2D_SERVICE_PORT:-10101}"
export R2D_VENV="$VENV"
HUB_URL="http://127.0.0.1:$R2D_HUB_PORT"
PID_FILE="$R2D_HUB_DIR/start-hub.pid"
mkdir -p "$R2D_HUB_DIR"
chmod 700 "$R2D_HUB_DIR"

hub_answers() { curl -fsS --max-time 2 "$HUB_URL/hub/api/" >/dev/null 2>&1; }
running_pid() {
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null)" || return 1
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

if [ "$MODE" = stop ]; then
  if pid="$(running_pid)"; then
    log "stopping JupyterHub (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -f "$PID_FILE"
  exit 0
fi

if [ "$MODE" = background ]; then
  if running_pid >/dev/null && hub_answers; then
    log "JupyterHub already runs (state in $R2D_HUB_DIR, log $R2D_HUB_DIR/jupyterhub.log)"
    echo "$HUB_URL"
    exit 0
  fi
  bash "$ROOT/scripts/start-docker.sh"
  bash "$ROOT/scripts/setup-venv.sh"
fi

[ -x "$VENV/bin/jupyterhub" ] || { log "$VENV/bin/jupyterhub is missing: run scripts/setup-venv.sh"; exit 1; }
export R2D_CHP="$ROOT/node_modules/.bin/configurable-http-proxy"
[ -x "$R2D_CHP" ] || { log "$R2D_CHP is missing: run npm install (configurable-http-proxy is a devDependency)"; exit 1; }
NODE="$(command -v node)" || { log "node is not on PATH"; exit 1; }
export PATH="$VENV/bin:$ROOT/node_modules/.bin:$PATH"

# The token of the test-admin service: given, or made once and kept (the demo reads it there).
if [ -z "${R2D_HUB_ADMIN_TOKEN:-}" ]; then
  if [ ! -s "$R2D_HUB_DIR/admin-token" ]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$R2D_HUB_DIR/admin-token")
  fi
  R2D_HUB_ADMIN_TOKEN="$(cat "$R2D_HUB_DIR/admin-token")"
fi
export R2D_HUB_ADMIN_TOKEN

# How the hub starts the service.
case "${R2D_SERVICE_FROM:-source}" in
  source)
    R2D_SERVICE_COMMAND="[\"$NODE\", \"--import\", \"tsx\", \"$ROOT/service/src/main.ts\"]"
    R2D_SERVICE_CWD="$ROOT/service" ;;
  bundle)
    bundle="$ROOT/jupyterlab_repo2docker/service/repo2docker-service.cjs"
    [ -f "$bundle" ] || { log "$bundle is missing: run scripts/build-package.sh"; exit 1; }
    R2D_SERVICE_COMMAND="[\"$NODE\", \"$bundle\"]"
    R2D_SERVICE_CWD="$R2D_HUB_DIR" ;;
  *) log "R2D_SERVICE_FROM must be source or bundle"; exit 2 ;;
esac
export R2D_SERVICE_COMMAND R2D_SERVICE_CWD

# The service's config: local repositories allowed (the fixtures are file:// URLs) and the
# venv's repo2docker; on an engine without a bridge network, repo2docker's offline config.
if [ -z "${R2D_SERVICE_CONFIG:-}" ]; then
  R2D_SERVICE_CONFIG="$R2D_HUB_DIR/service-config.json"
  r2d_config="$(repo2docker_config_json)"
  cat >"$R2D_SERVICE_CONFIG" <<JSON
{
  "builds": { "allowLocalRepos": true },
  "repo2docker": { "command": ["$VENV/bin/repo2docker"], "configFile": $r2d_config },
  "logLevel": "${R2D_SERVICE_LOG_LEVEL:-info}"
}
JSON
fi
export R2D_SERVICE_CONFIG

HUB_ARGV=("$VENV/bin/jupyterhub" -f "$ROOT/examples/test_overrides.py")

if [ "$MODE" = foreground ]; then
  cd "$R2D_HUB_DIR"
  exec "${HUB_ARGV[@]}"
fi

fixtures="$(bash "$ROOT/scripts/make-fixtures.sh" "$STATE_DIR/fixtures")"
log "starting JupyterHub at $HUB_URL (log: $R2D_HUB_DIR/jupyterhub.log)"
(cd "$R2D_HUB_DIR" && exec nohup "${HUB_ARGV[@]}" >"$R2D_HUB_DIR/jupyterhub.log" 2>&1) &
echo $! >"$PID_FILE"
if ! wait_for 60 hub_answers; then
  log "JupyterHub did not answer within 60 s; its log:"
  tail -n 40 "$R2D_HUB_DIR/jupyterhub.log" >&2
  exit 1
fi
log "users: alice (builder), bob (reader), carol (no role), dave (builder), admin (admin)"
log "service: $HUB_URL/services/repo2docker/ ; a fixture to build: file://$fixtures/ok"
log "admin API token (test-admin service): $R2D_HUB_DIR/admin-token ; stop: bash scripts/start-hub.sh stop"
echo "$HUB_URL"

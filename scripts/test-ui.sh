#!/usr/bin/env bash
# Browser end-to-end test: the project's wheel installed in the venv, a real `jupyter lab` with the
# service behind jupyter-server-proxy, the real Docker engine, and Debian's Chromium driven by
# Playwright (ui-tests/). Everything listens on 127.0.0.1 only.
#   bash scripts/test-ui.sh [extra playwright args]
# Screenshots and Playwright's artifacts land in ui-tests/test-results/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

[ -x /usr/bin/chromium ] || apt_install chromium
docker info >/dev/null 2>&1 || bash scripts/start-docker.sh

# R2D_UI_INSTALLED=1: the wheel of this tree is installed already (scripts/test-all.sh, the tier before).
[ -n "${R2D_UI_INSTALLED:-}" ] || bash scripts/install-package.sh >/dev/null

work="$(mktemp -d -t r2d-ui-XXXXXX)"
lab_pid=""
cleanup() {
  if [ -n "$lab_pid" ] && kill -0 "$lab_pid" 2>/dev/null; then
    kill "$lab_pid" 2>/dev/null || true
    # jupyter lab stops its proxied service itself; give it a moment, then insist.
    for _ in $(seq 1 50); do kill -0 "$lab_pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$lab_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# Fresh fixtures (fresh nonces: a real build, not an "already built" answer).
fixtures="$(bash scripts/make-fixtures.sh "$work/fixtures")"

r2d_config="$(repo2docker_config_json)"
config="$work/service.json"
# R2D_UI_SERVICE_BACKEND: the service's `backend` as JSON (scripts/test-ui-binderhub.sh sets it).
backend=""
[ -n "${R2D_UI_SERVICE_BACKEND:-}" ] && backend=", \"backend\": $R2D_UI_SERVICE_BACKEND"
cat >"$config" <<JSON
{ "builds": { "allowLocalRepos": true }, "repo2docker": { "configFile": $r2d_config }$backend }
JSON
export REPO2DOCKER_SERVICE_CONFIG="$config"

# No stale state: a config dir, workspaces dir, runtime dir and root dir of our own.
mkdir -p "$work/config" "$work/workspaces" "$work/runtime" "$work/root"
export JUPYTER_CONFIG_DIR="$work/config"
export JUPYTER_RUNTIME_DIR="$work/runtime"
# JupyterLab would ask whether to fetch its news from the internet (a toast over the screenshots):
# answer "never" beforehand, and do not check for updates either. Loopback only.
settings="$work/config/lab/user-settings"
mkdir -p "$settings/@jupyterlab/apputils-extension"
cat >"$settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings" <<'JSON'
{ "fetchNews": "false", "checkForUpdates": false }
JSON

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
token="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
as_root=()
[ "$(id -u)" -eq 0 ] && as_root=(--allow-root)
lab_log="$work/jupyter-lab.log"
log "starting jupyter lab on 127.0.0.1:$port"
"$VENV/bin/jupyter" lab --no-browser --ip=127.0.0.1 --port="$port" "${as_root[@]}" \
  --IdentityProvider.token="$token" --ServerApp.root_dir="$work/root" \
  --LabApp.workspaces_dir="$work/workspaces" --LabApp.user_settings_dir="$settings" \
  >"$lab_log" 2>&1 &
lab_pid=$!

url="http://127.0.0.1:$port"
lab_answers() { curl -fsS -H "Authorization: token $token" "$url/api/status" >/dev/null; }
if ! wait_for 90 lab_answers; then
  log "jupyter lab did not answer on $url; its log:"
  cat "$lab_log" >&2
  exit 1
fi

export JUPYTERLAB_URL="$url"
export JUPYTERLAB_TOKEN="$token"
export FIXTURE_OK_URL="file://$fixtures/ok"

status=0
npx playwright test -c ui-tests/playwright.config.ts "$@" || status=$?
if [ "$status" -ne 0 ]; then
  log "playwright failed ($status); the end of jupyter lab's log:"
  tail -n 80 "$lab_log" >&2
fi
# Keep the server's log beside the screenshots.
mkdir -p ui-tests/test-results
cp "$lab_log" ui-tests/test-results/jupyter-lab.log 2>/dev/null || true
exit "$status"

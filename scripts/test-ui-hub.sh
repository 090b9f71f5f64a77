#!/usr/bin/env bash
# Browser end-to-end test under a real JupyterHub: the project's wheel installed in the venv (so
# every user's JupyterLab has the extension), scripts/start-hub.sh --foreground with
# examples/jupyterhub_config.py + examples/test_overrides.py on free loopback ports in a
# temporary state directory, the repo2docker service managed by the hub, the real Docker
# engine, and Debian's Chromium driven by Playwright (ui-tests/tests/hub.spec.ts), one browser
# context per user (alice builds, bob reads, carol has no role, admin manages everything).
# Then, on the same hub, ui-tests/tests/hub-launch.spec.ts: servers started in environments from
# the panel and from a launch link. The hub runs the rig's per-server spawner
# (examples/test_overrides.py, R2D_HUB_SPAWNER=per-server): default servers stay local processes
# (the venv's JupyterLab with the extension), named servers are containers from users' images
# (the launchable fixture, FROM the registry-free base of scripts/make-launchable-base.sh, made
# once per machine and cached in the engine). Everything listens on 127.0.0.1 only.
#   bash scripts/test-ui-hub.sh [extra playwright args]
#   R2D_UI_HUB_SUITES="hub launch sharing folder" (default), or some of them: which suites run, in
#   that order (hub first: its story starts from a hub where alice has built nothing yet)
# Screenshots and Playwright's artifacts land in ui-tests/test-results-hub/ (with the hub's log,
# which holds the service's and the users' servers' output too, when the test fails).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

[ -x /usr/bin/chromium ] || apt_install chromium
docker info >/dev/null 2>&1 || bash scripts/start-docker.sh
[ -x "$VENV/bin/jupyterhub" ] || bash scripts/setup-venv.sh
[ -x node_modules/.bin/configurable-http-proxy ] && [ -x node_modules/.bin/playwright ] || {
  log "node_modules is incomplete: run npm install"
  exit 1
}

bash scripts/install-package.sh >/dev/null

RESULTS="$ROOT/ui-tests/test-results-hub"
work="$(mktemp -d -t r2d-ui-hub-XXXXXX)"
hub_pid=""
hub_log="$work/jupyterhub.log"
stop_hub() {
  [ -n "$hub_pid" ] || return 0
  if kill -0 "$hub_pid" 2>/dev/null; then
    log "stopping JupyterHub (pid $hub_pid)"
    # SIGTERM: the hub stops the users' servers (cleanup_servers), its managed service (which
    # cancels running builds) and the proxy.
    kill -TERM "$hub_pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$hub_pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$hub_pid" 2>/dev/null; then
      log "JupyterHub did not stop within 30 s: killing it and its proxy"
      kill -9 "$hub_pid" 2>/dev/null || true
      proxy_pid="$(cat "$R2D_HUB_DIR/proxy.pid" 2>/dev/null || true)"
      [ -n "$proxy_pid" ] && kill -9 "$proxy_pid" 2>/dev/null || true
    fi
  fi
  wait "$hub_pid" 2>/dev/null || true
  hub_pid=""
}
cleanup() {
  stop_hub
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Fresh fixtures (fresh nonces: real builds, not "already built" answers). The launchable one
# bootstraps its base image the first time on a machine (minutes), then answers at once.
fixtures="$(bash scripts/make-fixtures.sh "$work/fixtures")"
launchable="$(bash scripts/make-launchable-fixture.sh "$work/fixtures")"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
export R2D_HUB_DIR="$work/hub"
export R2D_HUB_PORT="$(free_port)"
export R2D_HUB_INTERNAL_PORT="$(free_port)"
export R2D_PROXY_API_PORT="$(free_port)"
export R2D_SERVICE_PORT="$(free_port)"
export R2D_HUB_ADMIN_TOKEN="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# start-hub.sh writes the service's config itself ($R2D_HUB_DIR/service-config.json, local
# repositories allowed: the fixtures are file:// URLs); checked below.
unset R2D_SERVICE_CONFIG
export R2D_HUB_SPAWNER=per-server

# The users' homes (SimpleLocalProcessSpawner: $R2D_HUB_DIR/home/NAME, their $HOME): JupyterLab
# would ask whether to fetch its news from the internet (a toast over the screenshots), so
# answer "never" beforehand, and do not check for updates either. Loopback only.
for user in alice bob carol dave admin; do
  settings="$R2D_HUB_DIR/home/$user/.jupyter/lab/user-settings/@jupyterlab/apputils-extension"
  mkdir -p "$settings"
  cat >"$settings/notification.jupyterlab-settings" <<'JSON'
{ "fetchNews": "false", "checkForUpdates": false }
JSON
done

HUB_URL="http://127.0.0.1:$R2D_HUB_PORT"
log "starting JupyterHub at $HUB_URL (state in $R2D_HUB_DIR)"
bash scripts/start-hub.sh --foreground >"$hub_log" 2>&1 &
hub_pid=$!

hub_answers() { curl -fsS --max-time 2 "$HUB_URL/hub/api/" >/dev/null; }
# The hub adds the service's route to the proxy once the service answers.
service_answers() { curl -fsS --max-time 2 "$HUB_URL/services/repo2docker/health" >/dev/null; }
fail_start() {
  log "$1; the end of the hub's log:"
  tail -n 60 "$hub_log" >&2
  mkdir -p "$RESULTS"
  cp "$hub_log" "$RESULTS/jupyterhub.log" 2>/dev/null || true
  exit 1
}
wait_for 60 hub_answers || fail_start "JupyterHub did not answer at $HUB_URL within 60 s"
wait_for 60 service_answers || fail_start "the repo2docker service did not answer through the hub's proxy within 60 s"

config="$R2D_HUB_DIR/service-config.json"
python3 - "$config" <<'PY' || fail_start "the service's config ($config) does not allow local repositories"
import json, sys
with open(sys.argv[1]) as f:
    assert json.load(f)["builds"]["allowLocalRepos"] is True
PY

export HUB_URL
export FIXTURE_OK_URL="file://$fixtures/ok"
export FIXTURE_SLOW_URL="file://$fixtures/slow"
export FIXTURE_LAUNCHABLE_URL="file://$launchable"

# hub.spec.ts first: its story starts from a hub where alice has built nothing yet.
status=0
suites="${R2D_UI_HUB_SUITES:-hub launch sharing folder}"
case " $suites " in *" hub "*) npx playwright test -c ui-tests/playwright.hub.config.ts "$@" || status=$? ;; esac
for suite in launch sharing folder; do
  case " $suites " in *" $suite "*) npx playwright test -c "ui-tests/playwright.hub-$suite.config.ts" "$@" || status=$? ;; esac
done
stop_hub
# (The hub stops the users' servers on SIGTERM, and the rig's DockerSpawner removes their
# containers: cleanup_servers, remove=True.)
if [ "$status" -ne 0 ]; then
  log "playwright failed ($status); the end of the hub's log:"
  tail -n 80 "$hub_log" >&2
  mkdir -p "$RESULTS"
  cp "$hub_log" "$RESULTS/jupyterhub.log" 2>/dev/null || true
  log "hub log and screenshots: $RESULTS"
fi
exit "$status"

#!/usr/bin/env bash
# The panel's browser test once against the BinderHub backend (issue 16): scripts/test-ui.sh's
# laptop setup (the wheel in the venv, `jupyter lab`, the service behind jupyter-server-proxy,
# Chromium) with the service's `backend: {kind: "binderhub", url}` pointing at ONE BinderHub
# started here (scripts/start-binderhub.sh: API-only, local repo2docker builds on this engine,
# a free loopback port, its own state dir and image prefix) and stopped at the end, with every
# image it named. Runs ui-tests/tests/laptop-binderhub.spec.ts only.
#   bash scripts/test-ui-binderhub.sh [extra playwright args]
# Artifacts land in ui-tests/test-results/binderhub/ (git ignores ui-tests/test-results/).
# R2D_UI_INSTALLED=1 skips building and installing the wheel (scripts/test-all.sh: the tier before did).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

docker info >/dev/null 2>&1 || bash scripts/start-docker.sh

export R2D_BINDERHUB_DIR="$(mktemp -d -t r2d-ui-binderhub-XXXXXX)"
export R2D_BINDERHUB_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
export R2D_BINDERHUB_IMAGE_PREFIX="r2d-bhui-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')/"
stop_binderhub() {
  bash scripts/start-binderhub.sh stop || true
  # Its own names only (the prefix is this run's): e.g. the cancelled slow build, whose silent
  # step BinderHub lets run to its end.
  docker images --format '{{.Repository}}:{{.Tag}}' --filter "reference=${R2D_BINDERHUB_IMAGE_PREFIX}*" \
    | xargs -r docker rmi --force >/dev/null 2>&1 || true
  rm -rf "$R2D_BINDERHUB_DIR"
}
trap stop_binderhub EXIT

url="$(bash scripts/start-binderhub.sh)"
export R2D_UI_SERVICE_BACKEND="{ \"kind\": \"binderhub\", \"url\": \"$url\" }"
export R2D_UI_BACKEND=binderhub
export R2D_UI_BINDERHUB_IMAGE_PREFIX="$R2D_BINDERHUB_IMAGE_PREFIX"
bash scripts/test-ui.sh laptop-binderhub --output ui-tests/test-results/binderhub "$@"

#!/usr/bin/env bash
# A throwaway BinderHub on loopback, API-only, building with its local repo2docker build class
# on this machine's Docker engine (no Kubernetes, no registry). For the binderhub backend's
# tests and demos; configuration in scripts/binderhub_config.py.
#
#   bash scripts/start-binderhub.sh              install if needed, start in the background
#                                                (idempotent), print the URL
#   bash scripts/start-binderhub.sh stop         stop the BinderHub this script started, and the
#                                                builds it runs
#   bash scripts/start-binderhub.sh --foreground run in the foreground
#   bash scripts/start-binderhub.sh install      only install BinderHub into the venv
#
# BinderHub is not released to PyPI: it installs from a source snapshot (elsewhere:
# pip install git+https://github.com/jupyterhub/binderhub), with its dependencies from PyPI.
# Environment (defaults in brackets):
#   BINDERHUB_SOURCE [$ROOT/../shared/vendor/binderhub-b9fad99.tar.gz]
#   R2D_BINDERHUB_DIR [.state/binderhub]  R2D_BINDERHUB_PORT [8585]
#   R2D_BINDERHUB_IMAGE_PREFIX [r2d-binderhub/]: BinderHub names images PREFIX<repo slug>:<commit>
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MODE=background
case "${1:-}" in
  --foreground) MODE=foreground ;;
  stop) MODE=stop ;;
  install) MODE=install ;;
  "") ;;
  *) echo "usage: $0 [--foreground|stop|install]" >&2; exit 2 ;;
esac

BINDERHUB_SOURCE="${BINDERHUB_SOURCE:-$ROOT/../shared/vendor/binderhub-b9fad99.tar.gz}"
R2D_BINDERHUB_DIR="${R2D_BINDERHUB_DIR:-$STATE_DIR/binderhub}"
R2D_BINDERHUB_PORT="${R2D_BINDERHUB_PORT:-8585}"
export R2D_BINDERHUB_IMAGE_PREFIX="${R2D_BINDERHUB_IMAGE_PREFIX:-r2d-binderhub/}"
URL="http://127.0.0.1:$R2D_BINDERHUB_PORT"
PID_FILE="$R2D_BINDERHUB_DIR/binderhub.pid"
mkdir -p "$R2D_BINDERHUB_DIR"
chmod 700 "$R2D_BINDERHUB_DIR"

answers() { curl -fsS --max-time 2 "$URL/versions" >/dev/null 2>&1; }
running_pid() {
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null)" || return 1
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

if [ "$MODE" = stop ]; then
  if pid="$(running_pid)"; then
    # BinderHub leads its own process group (setsid below): the group holds the repo2docker
    # processes of builds still running, which would otherwise outlive it.
    log "stopping BinderHub (pid $pid) and its builds"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  exit 0
fi

if [ "$MODE" = background ] && running_pid >/dev/null && answers; then
  log "BinderHub already runs (log $R2D_BINDERHUB_DIR/binderhub.log)"
  echo "$URL"
  exit 0
fi

if [ "$MODE" != foreground ]; then
  bash "$ROOT/scripts/setup-venv.sh"
fi

# Install once per snapshot: the stamp in the venv holds the snapshot's checksum, so a second
# run costs one sha256sum, and a new snapshot (or a new venv) installs again.
stamp="$VENV/.binderhub-source.sha"
if [ "$MODE" != foreground ]; then
  [ -f "$BINDERHUB_SOURCE" ] || { log "no BinderHub source at $BINDERHUB_SOURCE (set BINDERHUB_SOURCE)"; exit 1; }
  want="$(sha256sum "$BINDERHUB_SOURCE" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || ! "$VENV/bin/python" -c 'import binderhub' 2>/dev/null; then
    log "installing BinderHub from $BINDERHUB_SOURCE (its JS UI is skipped: API-only mode needs none)"
    JUPYTER_PACKAGING_SKIP_NPM=1 "$VENV/bin/pip" install -q "$BINDERHUB_SOURCE" >&2
    echo "$want" >"$stamp"
  fi
fi
[ "$MODE" = install ] && exit 0

"$VENV/bin/python" -c 'import binderhub' 2>/dev/null \
  || { log "BinderHub is not installed in $VENV: run bash scripts/start-binderhub.sh install"; exit 1; }

# repo2docker's offline config where the engine has no bridge network (see lib.sh).
r2d_config="$(repo2docker_config_json)"
if [ "$r2d_config" != null ]; then
  export R2D_BINDERHUB_REPO2DOCKER_CONFIG="$ROOT/service/config/repo2docker_offline.py"
fi
# A fixed secret per state dir (BinderHub warns at every start without one); hex, as it wants.
if [ ! -s "$R2D_BINDERHUB_DIR/token-secret" ]; then
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$R2D_BINDERHUB_DIR/token-secret")
fi
R2D_BINDERHUB_TOKEN_SECRET="$(cat "$R2D_BINDERHUB_DIR/token-secret")"
export R2D_BINDERHUB_TOKEN_SECRET

ARGV=("$VENV/bin/python" "$ROOT/scripts/binderhub_run.py" "$R2D_BINDERHUB_PORT")
# repo2docker's temporary checkouts (BinderHub passes --no-clean) go under the state dir.
export TMPDIR="$R2D_BINDERHUB_DIR/tmp"
mkdir -p "$TMPDIR"

if [ "$MODE" = foreground ]; then
  cd "$R2D_BINDERHUB_DIR"
  exec "${ARGV[@]}"
fi

bash "$ROOT/scripts/start-docker.sh"
log "starting BinderHub at $URL (log: $R2D_BINDERHUB_DIR/binderhub.log)"
(cd "$R2D_BINDERHUB_DIR" && exec setsid nohup "${ARGV[@]}" >"$R2D_BINDERHUB_DIR/binderhub.log" 2>&1 </dev/null) &
echo $! >"$PID_FILE"
if ! wait_for 60 answers; then
  log "BinderHub did not answer at $URL/versions within 60 s; its log:"
  tail -n 40 "$R2D_BINDERHUB_DIR/binderhub.log" >&2
  exit 1
fi
log "BinderHub answers at $URL (images: ${R2D_BINDERHUB_IMAGE_PREFIX}…) ; stop: bash scripts/start-binderhub.sh stop"
echo "$URL"

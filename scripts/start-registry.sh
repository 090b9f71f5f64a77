#!/usr/bin/env bash
# Start (or stop) a local OCI registry for the tests: Debian's docker-registry (distribution 2.8)
# on 127.0.0.1 only, storage in a temporary directory, deletes enabled, and optionally htpasswd
# basic auth (--auth; bcrypt htpasswd from apache2-utils), or deletes disabled (--no-delete, to see
# how a registry that refuses deletes is handled). Prints the registry's URL (http://127.0.0.1:PORT) on stdout.
#
#   scripts/start-registry.sh [--name NAME] [--port PORT] [--auth USER] [--no-delete]   # password in $REGISTRY_PASSWORD
#   scripts/start-registry.sh --stop [--name NAME]
#
# Idempotent: a registry of that name already running with the same options is left running
# (its URL is printed again); one with other options is restarted. The Docker engine treats
# registries on 127.0.0.0/8 as insecure (plain http) by itself, so no engine setting is needed.
# State (config, htpasswd, pid, log) lives in .state/registry-NAME/; --stop removes it and the storage.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NAME=default
PORT=5000
AUTH_USER=""
STOP=""
DELETE=true
while [ $# -gt 0 ]; do
  case "$1" in
    --name) NAME="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --auth) AUTH_USER="$2"; shift 2 ;;
    --stop) STOP=1; shift ;;
    --no-delete) DELETE=false; shift ;;
    *) log "unknown argument $1"; exit 2 ;;
  esac
done
[[ "$NAME" =~ ^[A-Za-z0-9_.-]+$ ]] || { log "bad --name"; exit 2; }
[[ "$PORT" =~ ^[0-9]+$ ]] || { log "bad --port"; exit 2; }
DIR="$STATE_DIR/registry-$NAME"

running() { [ -f "$DIR/pid" ] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null; }

stop_registry() {
  if running; then
    local pid; pid="$(cat "$DIR/pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  if [ -f "$DIR/storage-dir" ]; then
    rm -rf "$(cat "$DIR/storage-dir")"
  fi
  rm -f "$DIR/pid" "$DIR/storage-dir" "$DIR/fingerprint"
}

if [ -n "$STOP" ]; then
  stop_registry
  rm -rf "$DIR" # its config and htpasswd too
  log "registry $NAME stopped"
  exit 0
fi

if [ -n "$AUTH_USER" ] && [ -z "${REGISTRY_PASSWORD:-}" ]; then
  log "--auth needs the password in \$REGISTRY_PASSWORD"
  exit 2
fi

apt_install docker-registry curl
[ -z "$AUTH_USER" ] || command -v htpasswd >/dev/null || apt_install apache2-utils

mkdir -p "$DIR"
chmod 700 "$DIR"
# What the running registry was started with; the password only as a hash.
fingerprint="$(printf '%s\n' "$PORT" "$DELETE" "$AUTH_USER" "$(printf '%s' "${REGISTRY_PASSWORD:-}" | sha256sum)" | sha256sum | cut -c1-64)"
answers() { # 200 without auth, 401 with it: either way the registry is up
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/v2/")" || return 1
  [ "$code" = 200 ] || [ "$code" = 401 ]
}

if running && [ "$(cat "$DIR/fingerprint" 2>/dev/null)" = "$fingerprint" ] && answers; then
  echo "http://127.0.0.1:$PORT"
  exit 0
fi
stop_registry

storage="$(mktemp -d "${TMPDIR:-/tmp}/r2d-registry-$NAME-XXXXXX")"
echo "$storage" >"$DIR/storage-dir"
auth_block=""
if [ -n "$AUTH_USER" ]; then
  # docker-registry reads only bcrypt entries (-B); the password comes on stdin (-i), not argv.
  printf '%s' "$REGISTRY_PASSWORD" | htpasswd -iBc "$DIR/htpasswd" "$AUTH_USER" 2>/dev/null
  chmod 600 "$DIR/htpasswd"
  auth_block="auth:
  htpasswd:
    realm: r2d-test-registry
    path: $DIR/htpasswd"
fi
cat >"$DIR/config.yml" <<YAML
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $storage
  delete:
    enabled: $DELETE
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$PORT
  secret: $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
  headers:
    X-Content-Type-Options: [nosniff]
$auth_block
YAML
chmod 600 "$DIR/config.yml"

setsid nohup docker-registry serve "$DIR/config.yml" >"$DIR/log" 2>&1 </dev/null &
echo $! >"$DIR/pid"
if ! wait_for 20 answers; then
  log "docker-registry did not answer on 127.0.0.1:$PORT within 20 s; its log:"
  tail -n 20 "$DIR/log" >&2
  stop_registry
  exit 1
fi
echo "$fingerprint" >"$DIR/fingerprint"
log "registry $NAME on http://127.0.0.1:$PORT${AUTH_USER:+ (htpasswd auth, user $AUTH_USER)}"
echo "http://127.0.0.1:$PORT"

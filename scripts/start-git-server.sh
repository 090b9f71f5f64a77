#!/usr/bin/env bash
# Start (or stop) a git server for the tests that requires authentication: Debian's lighttpd on
# 127.0.0.1 only, running git's own smart-HTTP CGI (/usr/lib/git-core/git-http-backend). Two trees:
#   http://127.0.0.1:PORT/private/NAME.git   HTTP basic auth (user --user, password $GIT_SERVER_PASSWORD)
#   http://127.0.0.1:PORT/public/NAME.git    no auth, so tests can compare
# Read-only: pushing is refused (git-http-backend enables receive-pack only for authenticated
# users, and this server turns it off); fixtures are written straight into the bare repositories.
#
#   scripts/start-git-server.sh [--name NAME] [--port PORT] [--user USER]      background, prints the URL
#   scripts/start-git-server.sh --foreground [--name NAME] [--port PORT] [--user USER]
#   scripts/start-git-server.sh --fixture REPO [--public] [--name NAME]        make a fixture repo,
#       print "URL COMMIT" (a FROM scratch Dockerfile repository with a marker file; see below)
#   scripts/start-git-server.sh --stop [--name NAME]
#
# Port: --port, else $R2D_GIT_PORT, else a free one. Idempotent like start-registry.sh: a server
# of that name already running with the same options is left running. State (config, password
# file, repositories, pid, log) lives in .state/git-server-NAME/ (mode 700); --stop removes it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

NAME=default
PORT="${R2D_GIT_PORT:-}"
AUTH_USER=alice
MODE=background
FIXTURE=""
TREE=private
while [ $# -gt 0 ]; do
  case "$1" in
    --name) NAME="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --user) AUTH_USER="$2"; shift 2 ;;
    --foreground) MODE=foreground; shift ;;
    --stop) MODE=stop; shift ;;
    --fixture) MODE=fixture; FIXTURE="$2"; shift 2 ;;
    --public) TREE=public; shift ;;
    *) log "unknown argument $1"; exit 2 ;;
  esac
done
[[ "$NAME" =~ ^[A-Za-z0-9_.-]+$ ]] || { log "bad --name"; exit 2; }
[[ "$AUTH_USER" =~ ^[A-Za-z0-9_.-]+$ ]] || { log "bad --user"; exit 2; }
[ -z "$PORT" ] || [[ "$PORT" =~ ^[0-9]+$ ]] || { log "bad --port"; exit 2; }
DIR="$STATE_DIR/git-server-$NAME"
BACKEND=/usr/lib/git-core/git-http-backend

running() { [ -f "$DIR/pid" ] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null; }

stop_server() {
  if running; then
    local pid; pid="$(cat "$DIR/pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$DIR/pid" "$DIR/fingerprint"
}

case "$MODE" in
  stop)
    stop_server
    rm -rf "$DIR"
    log "git server $NAME stopped"
    exit 0 ;;
  fixture)
    # A bare repository in the private (or public) tree: a FROM scratch Dockerfile with Debian's
    # busybox-static, a marker file, a fresh nonce (no BuildKit cache hit from earlier runs), and
    # `COPY . /src`, so the whole build context, .git included, lands in the image: a test can
    # then look there for anything the checkout kept.
    [[ "$FIXTURE" =~ ^[A-Za-z0-9_.-]+$ ]] || { log "bad --fixture name"; exit 2; }
    [ -f "$DIR/url" ] || { log "git server $NAME is not running: start it first"; exit 1; }
    [ -x /bin/busybox ] || apt_install busybox-static
    bare="$DIR/repos/$TREE/$FIXTURE.git"
    [ ! -e "$bare" ] || { log "$bare exists already"; exit 1; }
    work="$(mktemp -d "${TMPDIR:-/tmp}/r2d-git-fixture-XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    cp /bin/busybox "$work/busybox"
    head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/nonce"
    echo "$TREE fixture $FIXTURE" >"$work/marker"
    cat >"$work/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
COPY . /src
RUN ["/bin/busybox", "sh", "-c", "echo marker: $(/bin/busybox cat /src/marker)"]
DOCKERFILE
    git -C "$work" init -q -b main
    git -C "$work" add -A
    git -C "$work" -c user.name=fixture -c user.email=fixture@localhost commit -q -m "fixture $FIXTURE"
    git -C "$work" tag v1
    git clone -q --bare "$work" "$bare"
    echo "$(cat "$DIR/url")/$TREE/$FIXTURE.git $(git -C "$bare" rev-parse HEAD)"
    exit 0 ;;
esac

if [ -z "${GIT_SERVER_PASSWORD:-}" ]; then
  log "the password of user $AUTH_USER comes in \$GIT_SERVER_PASSWORD (never argv)"
  exit 2
fi
case "$GIT_SERVER_PASSWORD" in *$'\n'*|*:*) log "the password must not hold a newline or ':'"; exit 2 ;; esac

apt_install lighttpd git curl
[ -x "$BACKEND" ] || { log "$BACKEND is missing (Debian's git ships it)"; exit 1; }

if [ -z "$PORT" ]; then
  PORT="$(cat "$DIR/port" 2>/dev/null || true)"
  if [ -z "$PORT" ]; then
    PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  fi
fi
URL="http://127.0.0.1:$PORT"

mkdir -p "$DIR/repos/private" "$DIR/repos/public" "$DIR/www"
chmod 700 "$DIR"
# What the running server was started with; the password only as a hash.
fingerprint="$(printf '%s\n' "$PORT" "$AUTH_USER" "$(printf '%s' "$GIT_SERVER_PASSWORD" | sha256sum)" | sha256sum | cut -c1-64)"
answers() { # the public tree answers 404 for a missing repo and 401 in the private tree: up
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/private/none.git/info/refs?service=git-upload-pack")" || return 1
  [ "$code" = 401 ]
}

if [ "$MODE" = background ] && running && [ "$(cat "$DIR/fingerprint" 2>/dev/null)" = "$fingerprint" ] && answers; then
  echo "$URL"
  exit 0
fi
stop_server

# lighttpd's plain password file ("user:password"), readable by this user only: a test server.
(umask 077 && printf '%s:%s\n' "$AUTH_USER" "$GIT_SERVER_PASSWORD" >"$DIR/users")
cat >"$DIR/lighttpd.conf" <<CONF
server.bind = "127.0.0.1"
server.port = $PORT
server.document-root = "$DIR/www"
server.errorlog = "$DIR/error.log"
server.modules = ( "mod_alias", "mod_setenv", "mod_auth", "mod_authn_file", "mod_cgi" )
# Both trees run the one CGI; the rest of the path is its PATH_INFO (repository/service).
alias.url = ( "/private/" => "$BACKEND/", "/public/" => "$BACKEND/" )
cgi.assign = ( "" => "" )
auth.backend = "plain"
auth.backend.plain.userfile = "$DIR/users"
\$HTTP["url"] =~ "^/private/" {
  auth.require = ( "" => ( "method" => "basic", "realm" => "r2d-test-git", "require" => "valid-user" ) )
  setenv.set-environment = ( "GIT_PROJECT_ROOT" => "$DIR/repos/private", "GIT_HTTP_EXPORT_ALL" => "1",
                             "GIT_CONFIG_NOSYSTEM" => "1", "GIT_CONFIG_GLOBAL" => "/dev/null", "PATH" => "/usr/bin:/bin",
                             # git-http-backend lets an authenticated user push unless told not to.
                             "GIT_CONFIG_COUNT" => "1", "GIT_CONFIG_KEY_0" => "http.receivepack", "GIT_CONFIG_VALUE_0" => "false" )
}
\$HTTP["url"] =~ "^/public/" {
  setenv.set-environment = ( "GIT_PROJECT_ROOT" => "$DIR/repos/public", "GIT_HTTP_EXPORT_ALL" => "1",
                             "GIT_CONFIG_NOSYSTEM" => "1", "GIT_CONFIG_GLOBAL" => "/dev/null", "PATH" => "/usr/bin:/bin",
                             # git-http-backend lets an authenticated user push unless told not to.
                             "GIT_CONFIG_COUNT" => "1", "GIT_CONFIG_KEY_0" => "http.receivepack", "GIT_CONFIG_VALUE_0" => "false" )
}
CONF
echo "$PORT" >"$DIR/port"
echo "$URL" >"$DIR/url"
lighttpd -tt -f "$DIR/lighttpd.conf" >/dev/null

if [ "$MODE" = foreground ]; then
  echo "$fingerprint" >"$DIR/fingerprint"
  echo $$ >"$DIR/pid"
  log "git server $NAME on $URL (private tree: basic auth, user $AUTH_USER; public tree: none)"
  exec lighttpd -D -f "$DIR/lighttpd.conf"
fi

setsid nohup lighttpd -D -f "$DIR/lighttpd.conf" >"$DIR/log" 2>&1 </dev/null &
echo $! >"$DIR/pid"
if ! wait_for 20 answers; then
  log "lighttpd did not answer on 127.0.0.1:$PORT within 20 s; its logs:"
  tail -n 20 "$DIR/log" "$DIR/error.log" >&2 || true
  stop_server
  exit 1
fi
echo "$fingerprint" >"$DIR/fingerprint"
log "git server $NAME on $URL (private tree: basic auth, user $AUTH_USER; public tree: none; stop: $0 --stop --name $NAME)"
echo "$URL"

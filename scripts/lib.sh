# Shared helpers for the project's shell scripts (sourced, not run).
# Everything here is idempotent: a second run finds the work done and returns.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${R2D_VENV:-$ROOT/.venv}"
STATE_DIR="${R2D_STATE_DIR:-$ROOT/.state}"   # pid files and logs of daemons we start; git-ignored
mkdir -p "$STATE_DIR"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

# apt-get update once per script run, and only when something must be installed.
_apt_updated=""
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -z "$_apt_updated" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    _apt_updated=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Wait until a command succeeds, at most $1 seconds.
wait_for() {
  local seconds="$1"; shift
  local i
  for ((i = 0; i < seconds * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# The JSON value for the service's `repo2docker.configFile`: an engine without a bridge network
# (like the one scripts/start-docker.sh starts) cannot give build steps a network, so repo2docker
# gets the offline config there; a normal Docker keeps its default (null).
repo2docker_config_json() {
  if docker network inspect bridge >/dev/null 2>&1; then
    echo null
  else
    echo "\"$ROOT/service/config/repo2docker_offline.py\""
  fi
}

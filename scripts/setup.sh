#!/usr/bin/env bash
# Every real part this project's tests and benchmarks run against, installed on a fresh machine:
# the Docker engine with buildx (started when none answers), the Python venv (repo2docker,
# JupyterLab, JupyterHub, DockerSpawner), the authenticating git server's packages, BinderHub
# from ../shared/vendor, Debian's Chromium, and the npm packages. Each step is skipped when it is
# done already. Called by scripts/test-all.sh (README's test command) and bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

bash scripts/start-docker.sh
# The authenticating git server (lighttpd + git-http-backend) of the private-repository tests.
apt_install lighttpd busybox-static
[ -x /usr/bin/chromium ] || apt_install chromium
# The venv and the npm packages do not depend on each other: made side by side, a fresh clone's
# setup takes about a minute less here (pip 67 s + BinderHub 20 s, npm 55 s).
(
  bash scripts/setup-venv.sh
  # BinderHub from the source snapshot in ../shared/vendor, into the venv (once; tests start it).
  bash scripts/start-binderhub.sh install
) &
python_setup=$!
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Not `npm ci`: npm leaves rspack's bindings for other platforms out of the lock file, and
  # `npm ci` then refuses it as out of sync; `npm install` keeps the lock file's versions.
  log "npm install"
  npm install --no-audit --no-fund >&2 || { kill "$python_setup" 2>/dev/null; exit 1; }
fi
wait "$python_setup" || { log "the Python venv or BinderHub's install failed (above)"; exit 1; }

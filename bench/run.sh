#!/usr/bin/env bash
# `npm run bench`: every benchmark, each measuring ours against its baseline in the same run, at
# half, full and double size where the issue asks for the scale of cost. Prints one markdown
# report; copy it into bench/RESULTS.md with the machine it came from.
# Needs README's setup (scripts/test-all.sh or scripts/run-lab.sh once).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
bash scripts/start-docker.sh >/dev/null
apt_install wrk >/dev/null
run() { node --import tsx "$@"; echo; }
echo "# Benchmarks — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, docker $(docker version --format '{{.Server.Version}}')"
echo
run bench/service-overhead.mts 7
run bench/folder.mts 3     # a 1,000-file, 50 MB folder: pack + upload + build vs repo2docker on it directly
for lines in 50000 100000 200000; do run bench/log-relay.mts "$lines" 1 10 100; done
for images in 1000 2000 4000; do run bench/api-load.mts "$images" 10; done
run bench/hub-api-load.mts 2000 10
run bench/launch.mts 3       # Start server → JupyterLab loaded, vs the same spawn via the hub API
run bench/binderhub.mts   # against a real BinderHub on the same engine (~6 min)
# Soak last: it restarts the Docker engine once midway. SOAK_MINUTES shortens it (default 10).
run bench/soak.mts --minutes "${SOAK_MINUTES:-10}"
if [ -f bench/viewer.sh ]; then bash bench/viewer.sh; fi

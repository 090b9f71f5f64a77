#!/usr/bin/env bash
# A fixture git repository whose image JupyterHub can start: a Dockerfile FROM the launchable
# base (scripts/make-launchable-base.sh, made first if the engine lacks it) with a
# repo2docker-style user jovyan (uid 1000) and a file the build writes into the home,
# /home/jovyan/built-by-fixture.txt, so a test can find it through the new server.
#   bash scripts/make-launchable-fixture.sh [DEST]   creates DEST/launchable (default
#   .state/fixtures), prints its path. Idempotent: an existing fixture is left as it is.
# Its own script, not make-fixtures.sh: that one runs for every test, and this one may have to
# bootstrap Debian (about 90 s, once per machine).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DEST="${1:-$STATE_DIR/fixtures}"
dir="$DEST/launchable"
if [ -d "$dir/.git" ]; then
  echo "$dir"
  exit 0
fi
base="$(bash "$ROOT/scripts/make-launchable-base.sh")"
mkdir -p "$dir"
# A fresh nonce per fixture: the file's content proves this build made it (not a cached layer of
# another fixture's).
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/nonce"
cat >"$dir/Dockerfile" <<DOCKERFILE
FROM $base
# The base is Debian's apt variant: no useradd, so the user is written in directly.
RUN echo 'jovyan:x:1000:1000::/home/jovyan:/bin/bash' >>/etc/passwd \\
 && echo 'jovyan:x:1000:' >>/etc/group \\
 && mkdir -p /home/jovyan
COPY nonce /tmp/nonce
RUN echo "built by the launchable fixture \$(cat /tmp/nonce)" >/home/jovyan/built-by-fixture.txt \\
 && chown -R 1000:1000 /home/jovyan
ENV HOME=/home/jovyan USER=jovyan
WORKDIR /home/jovyan
USER 1000
CMD ["jupyterhub-singleuser"]
DOCKERFILE
git -C "$dir" init -q -b main
git -C "$dir" add -A
git -C "$dir" -c user.name=fixture -c user.email=fixture@localhost commit -q -m "launchable fixture"
echo "$dir"

#!/usr/bin/env bash
# Create the fixture git repositories the tests and benchmarks build, under $1
# (default .state/fixtures). Every image is FROM scratch with Debian's busybox-static
# copied in, so builds need no registry and no network.
#   ok/      one RUN step that succeeds
#   fail/    a RUN step that exits 3
#   chatty/  prints $CHATTY_LINES lines (default 100000) in bursts, for streaming tests
# Idempotent: an existing fixture is left as it is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DEST="${1:-$STATE_DIR/fixtures}"
CHATTY_LINES="${CHATTY_LINES:-100000}"
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || apt_install busybox-static
mkdir -p "$DEST"

make_repo() { # name, RUN script
  local dir="$DEST/$1"
  [ -d "$dir/.git" ] && return 0
  mkdir -p "$dir"
  cp "$BUSYBOX" "$dir/busybox"
  # A fresh nonce per fixture set: BuildKit's layer cache would otherwise answer a rebuild with
  # "CACHED" instead of running the step, and the log tests need the real output.
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/nonce"
  cat >"$dir/Dockerfile" <<DOCKERFILE
FROM scratch
COPY busybox /bin/busybox
COPY nonce /nonce
RUN ["/bin/busybox", "sh", "-c", "$2"]
DOCKERFILE
  git -C "$dir" init -q -b main
  git -C "$dir" add -A
  git -C "$dir" -c user.name=fixture -c user.email=fixture@localhost commit -q -m "fixture $1"
  git -C "$dir" tag v1
}

make_repo ok 'echo hello from the ok fixture; /bin/busybox mkdir -p /srv && echo built > /srv/marker'
make_repo fail 'echo about to fail; exit 3'
# BuildKit on engine 20.10 loses its status stream when one step floods it (more so on a busy
# machine); bursts of 500
# lines with a 20 ms pause relay every line (see shared/NOTES.md).
lines_per_burst=500
bursts=$(( (CHATTY_LINES + lines_per_burst - 1) / lines_per_burst ))
make_repo chatty "i=0; while [ \$i -lt $bursts ]; do /bin/busybox seq 1 $lines_per_burst | /bin/busybox sed s/^/line-\$i-/; /bin/busybox usleep 20000; i=\$((i+1)); done"
# A repository whose build sleeps, so that tests can cancel it mid-build.
make_repo slow 'echo sleeping; /bin/busybox sleep 30; echo woke'
echo "$DEST"

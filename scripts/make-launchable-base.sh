#!/usr/bin/env bash
# A base image users' environments can start from on JupyterHub (Python, jupyterhub-singleuser,
# JupyterLab), made without any registry: Debian bookworm from this machine's apt mirror by
# mmdebstrap, PyPI wheels installed into /opt/venv, imported into the engine with `docker import`.
#
#   bash scripts/make-launchable-base.sh    prints the image name, e.g.
#                                           jupyterlab-repo2docker/launchable-base:3f2a9c1d04b7
#
# The tag is a hash of this file (the recipe, wheel pins included): the engine is the cache, so a
# second run with the tag present returns at once, and a changed recipe makes a new tag. The
# downloaded wheels are kept in $R2D_CACHE_DIR (default /var/cache/jupyterlab-repo2docker).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SUITE=bookworm
PYTHON_VERSION=3.11.2 # bookworm's python3: the wheels are picked for it, not for the host's Python
# (without that pin pip picks wheels for the host's Python: soupsieve's newest needs 3.11.5).
PINS=('jupyterhub==6.1.1' 'jupyterlab>=4.6,<5')
REPOSITORY=jupyterlab-repo2docker/launchable-base
CACHE_DIR="${R2D_CACHE_DIR:-/var/cache/jupyterlab-repo2docker}"

recipe_hash="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)"
IMAGE="$REPOSITORY:$recipe_hash"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE"
  exit 0
fi

# The Debian mirror this machine's apt already uses (deb822 .sources first, then sources.list):
# the first URI serving $SUITE itself (not -updates nor -security).
debian_mirror() {
  local file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk -v suite="$SUITE" '
      /^[[:space:]]*$/ { if (uri != "" && has) { print uri; exit } uri = ""; has = 0; next }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == suite) has = 1 }
      END { if (uri != "" && has) print uri }
    ' "$file" | head -n 1
  done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    awk -v suite="$SUITE" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i+1) == suite) print $i; break } }' "$file"
  done
}
MIRROR="$(debian_mirror | head -n 1)"
[ -n "$MIRROR" ] || { log "no apt source for $SUITE in /etc/apt/sources.list{,.d}: cannot bootstrap"; exit 1; }

apt_install mmdebstrap
PIP="$VENV/bin/pip"
[ -x "$PIP" ] || { log "$PIP is missing: run scripts/setup-venv.sh"; exit 1; }

# Wheels for the chroot's Python, downloaded once per set of pins (an edit elsewhere in this
# file makes a new image, not a new download).
pins_hash="$(printf '%s\n' "$PYTHON_VERSION" "${PINS[@]}" | sha256sum | cut -c1-12)"
WHEELHOUSE="$CACHE_DIR/wheelhouse-$pins_hash"
mkdir -p "$WHEELHOUSE"
if [ ! -f "$WHEELHOUSE/.complete" ]; then
  log "downloading wheels for Python $PYTHON_VERSION into $WHEELHOUSE"
  # (The host's pip config lists find-links directories that may not exist: pip warns per package.)
  if ! "$PIP" download -q -d "$WHEELHOUSE" --only-binary=:all: --python-version "$PYTHON_VERSION" \
    "${PINS[@]}" pip 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2); then
    log "pip download failed"
    exit 1
  fi
  touch "$WHEELHOUSE/.complete"
fi

# The install inside the chroot runs under `env -i`: the host's PIP_* variables (find-links,
# index) must not leak in, and --no-index keeps it offline. Arguments are quoted for sh -c.
pins_quoted="$(printf "'%s' " "${PINS[@]}")"
inside="/tmp/$(basename "$WHEELHOUSE")" # copy-in puts the directory itself under /tmp
install="python3 -m venv /opt/venv \
  && /opt/venv/bin/pip install -q --no-cache-dir --no-index --find-links $inside --upgrade pip \
  && /opt/venv/bin/pip install -q --no-cache-dir --no-index --find-links $inside $pins_quoted \
  && rm -rf $inside /var/lib/apt/lists/* /var/cache/apt/*"

log "bootstrapping $SUITE from $MIRROR into $IMAGE (about a minute and a half)"
started=$SECONDS
mmdebstrap --quiet --mode=root --variant=apt --include=python3,python3-venv,ca-certificates \
  --customize-hook="copy-in $WHEELHOUSE /tmp" \
  --customize-hook="chroot \"\$1\" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root sh -c \"$install\"" \
  "$SUITE" - "$MIRROR" |
  docker import \
    --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["jupyterhub-singleuser"]' \
    --change "LABEL org.jupyter.launchable-base.recipe=$recipe_hash" \
    - "$IMAGE" >/dev/null
log "made $IMAGE in $((SECONDS - started)) s"
echo "$IMAGE"

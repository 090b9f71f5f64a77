#!/usr/bin/env bash
# Make sure a Docker engine answers, with the buildx plugin repo2docker needs.
# Idempotent: if `docker info` works, only the buildx check runs.
# The engine runs without its bridge network: no container may reach beyond loopback here.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

install_buildx() {
  # repo2docker >= 2025.08 runs `docker buildx build`. Bookworm has no buildx package; trixie's
  # docker-buildx only needs libc6 >= 2.34, so fetch that one .deb with a private apt state
  # that knows trixie, leaving the system's sources untouched.
  [ -x /usr/libexec/docker/cli-plugins/docker-buildx ] && return 0
  local tmp; tmp="$(mktemp -d)"
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
  cat >"$tmp/trixie.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  local opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$tmp/parts"
              -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache" -o "Debug::NoLocking=1")
  mkdir -p "$tmp/parts" && mv "$tmp/trixie.sources" "$tmp/parts/"
  log "fetching docker-buildx from trixie"
  apt-get "${opts[@]}" update -qq >&2
  (cd "$tmp" && apt-get "${opts[@]}" download docker-buildx >&2)
  dpkg -i "$tmp"/docker-buildx_*.deb >&2
  rm -rf "$tmp"
}

engine_answers() { docker info >/dev/null 2>&1; }

apt_install docker.io busybox-static git ca-certificates
install_buildx

if ! engine_answers; then
  log "starting dockerd (no bridge, no iptables)"
  # BuildKit clips chatty steps at 2 MiB / 200 KiB/s by default; our log-streaming tests print
  # 100k lines, so lift both limits (-1 does not mean unlimited on engine 20.10).
  # In a session of its own (setsid --fork): a daemon must not die with the shell, job or test
  # runner that happened to start it when that one's process group is killed.
  BUILDKIT_STEP_LOG_MAX_SIZE=1073741824 BUILDKIT_STEP_LOG_MAX_SPEED=1073741824 \
    setsid --fork dockerd --bridge=none --iptables=false --ip-masq=false \
    </dev/null >"$STATE_DIR/dockerd.log" 2>&1
  if ! wait_for 60 docker info; then
    log "dockerd did not answer within 60 s; its log:"
    tail -n 30 "$STATE_DIR/dockerd.log" >&2
    exit 1
  fi
  for proc in /proc/[0-9]*; do
    [ "$(cat "$proc/comm" 2>/dev/null)" = dockerd ] && echo "${proc#/proc/}" >"$STATE_DIR/dockerd.pid" && break
  done
fi
docker buildx version >/dev/null
log "docker engine $(docker version --format '{{.Server.Version}}') answers, buildx $(docker buildx version | awk '{print $2}')"

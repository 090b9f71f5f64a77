#!/usr/bin/env bash
# Fuzz the running service from its own OpenAPI document with Schemathesis: the examples,
# coverage, fuzzing and stateful phases (the stateful one follows the links from
# POST /api/builds to the build's routes), every check (no 5xx; every status, content type,
# header and body as documented; 401 without credentials; 405 with Allow for undeclared
# methods; ...). Prints the seed and the totals, and exits non-zero on any failure.
#
#   bash scripts/fuzz.sh                 # a fresh random seed
#   FUZZ_SEED=1234 bash scripts/fuzz.sh  # replay a run
#   FUZZ_EXAMPLES=20 bash scripts/fuzz.sh  # cases per operation and phase (default 60)
#
# Two services are fuzzed, each the real `repo2docker-service` run by a real JupyterHub started
# with the project's own scripts/start-hub.sh (examples/jupyterhub_config.py + test_overrides.py)
# on free loopback ports with its own state directory, so it meets no other test's hub. The
# service is configured as the integration tests configure it (local repos allowed, offline
# repo2docker config) and is fuzzed through the hub's proxy at /services/repo2docker/, the path
# users take (the OpenAPI document's `servers` prefix). Every token is checked by the hub.
# Through the proxy, nothing needs an exception: configurable-http-proxy answers by itself only
# before the service's route is in (404; the rig waits for the route), and a run straight at the
# service's port, same seed, answered the same statuses and had the same API capabilities.
#   1. against the real Docker engine, with a fixture repository the fuzzer is given as one of its
#      `repo` values, so that some builds really run (cheap ones: FROM scratch, one RUN step;
#      one at a time, at most 3 queued), join, answer "already built" and get cancelled;
#   2. with a Docker engine that does not exist (a second hub, whose service gets DOCKER_HOST
#      naming a socket with nothing behind it), so the 503 answers are fuzzed too.
# The fuzzer is an ordinary builder, never an admin: a user of this run's own (fuzzNNN), made with
# the hub's REST API by the overlay's test-admin service and put in the repo2docker-builders group,
# as alice is; its token is one the hub issues (POST /hub/api/users/NAME/tokens). It sees its own
# and the shared images, and may delete only its own. Not alice herself: the hub tests build and
# check r2d-alice/* images in this same engine, and the fuzzer would delete them.
# After each, scripts/fuzz-probes.py sends what a fuzzer does not reach by chance (413, 415, the
# queue's and the failed-authentication limits' 429s, 405 with Allow, 503) and checks the answers
# with the same Schemathesis checks; scripts/fuzz-summary.py prints the totals from the event
# logs (kept in .state/fuzz/ with the hubs' logs, which hold the services' output).
#
# Nothing may leave loopback, whatever `repo` the fuzzer makes up: `git ls-remote
# https://random.example/x` would look the host up and connect to it. The rig runs the service
# with `builds.refusePrivateAddresses` off, so the service itself resolves no repository host
# (it would, to judge the address), and fences git in:
#   - `git.command` (the service's ls-remote, clone and fetch) and the first `git` on PATH (for
#     repo2docker or anything else) are a wrapper that refuses every URL that is not file:// or
#     a local path, and scp-like host:path, before git runs (exit 128, "fatal: repository ...
#     not found", as git says it); checked at every start, directly and in the service the hub
#     runs (a build from https://fuzz.invalid must be refused with the wrapper's words);
#   - the wrapper runs git with GIT_ALLOW_PROTOCOL=file, so git itself refuses every other
#     transport, for submodules too, before any name lookup;
#   - HTTP(S)_PROXY and ALL_PROXY point at 127.0.0.1:9 (nothing listens there), so an HTTP client
#     that honours them fails on loopback instead of resolving a host. The hub passes a managed
#     service only its env_keep variables (PATH, LANG, ...) and the config's `environment`, so
#     these reach repo2docker and its children (buildx, git) through `repo2docker.command`, a
#     wrapper that sets them and runs the venv's repo2docker (it notes them, and the run fails
#     unless the fixture builds ran with them); the hubs and their proxies get them too. (The
#     service hands git an environment of its own, and its own HTTP client, Node's fetch,
#     ignores them: it talks only to the hub's loopback API and the engine's socket.)
# Build steps run with --network=none (offline repo2docker config) and the engine has no bridge.
# The hubs, their proxies and the services listen on 127.0.0.1 only (test_overrides.py).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SEED="${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}"
EXAMPLES="${FUZZ_EXAMPLES:-60}"
SCHEMATHESIS="$VENV/bin/schemathesis"
[ -x "$SCHEMATHESIS" ] || bash "$ROOT/scripts/setup-venv.sh"
[ -x "$ROOT/node_modules/.bin/tsx" ] || { log "npm packages missing: run npm install (scripts/test-all.sh does)"; exit 1; }
docker info >/dev/null 2>&1 || bash "$ROOT/scripts/start-docker.sh"   # the engine run needs one

REPORTS="$STATE_DIR/fuzz"   # the last run's NDJSON event logs and hub logs (with the services' output)
rm -rf "$REPORTS"; mkdir -p "$REPORTS"
RIG="$(mktemp -d "${TMPDIR:-/tmp}/r2d-fuzz-XXXXXX")"
USER_NAME="fuzz$$"   # this run's own hub user (see the top), in both hubs
pids=()
cleanup() {
  # All at once: each hub takes a few seconds to stop its service (which cancels its builds).
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # Only the images this run built: their repositories sit in this run's own namespace.
  # By name, not by ID, so that no other tag of the same image could go with them.
  local image
  docker images --format '{{.Repository}}:{{.Tag}}' --filter "reference=r2d-$USER_NAME/*" 2>/dev/null |
    while read -r image; do docker rmi "$image" >/dev/null 2>&1 || true; done || true # engine gone: keep cleaning
  rm -rf "$RIG"
}
trap cleanup EXIT

# ── the fences ──────────────────────────────────────────────────────────────────────────────
REAL_GIT="$(command -v git)"
mkdir -p "$RIG/bin"
cat >"$RIG/bin/git" <<WRAPPER
#!/usr/bin/env bash
# git for the fuzz rig (scripts/fuzz.sh): local repositories only.
for arg in "\$@"; do
  case "\$arg" in
    file://*|/*|-*) ;;
    *://*|[A-Za-z0-9._@-]*:*)
      # a URL of another scheme, or scp-like host:path (a colon before any slash)
      if [[ "\$arg" == *://* || "\${arg%%/*}" == *:* ]]; then
        echo "fatal: repository '\$arg' not found (the fuzz rig allows only file:// repositories)" >&2
        exit 128
      fi ;;
  esac
done
export GIT_ALLOW_PROTOCOL=file
exec "$REAL_GIT" "\$@"
WRAPPER
chmod +x "$RIG/bin/git"
FENCE_ENV=(
  PATH="$RIG/bin:$PATH"
  HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9
  https_proxy=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9 all_proxy=http://127.0.0.1:9
  NO_PROXY= no_proxy=
  GIT_ALLOW_PROTOCOL=file
)
# The wrapper must refuse before git looks anything up, in the forms the service runs git
# (ls-remote, clone, with -c options and "--"); checked here, on every run.
for form in "ls-remote -- https://fuzz.invalid/x" "-c credential.helper= clone --no-checkout -- git://fuzz.invalid/x $RIG/x" \
            "ls-remote fuzz.invalid:x"; do
  # shellcheck disable=SC2086 # the forms are word lists on purpose
  if out="$(env "${FENCE_ENV[@]}" git $form 2>&1)" || [[ "$out" != *"fuzz rig allows only file://"* ]]; then
    log "the git fence let 'git $form' through: $out"; exit 1
  fi
done

# ── the hubs ────────────────────────────────────────────────────────────────────────────────
FIXTURES="$RIG/fixtures"
bash "$ROOT/scripts/make-fixtures.sh" "$FIXTURES" >/dev/null
FIXTURE_URL="file://$FIXTURES/ok"

# repo2docker with the proxy fence (see the top); PATH puts the git wrapper first.
# It notes the proxy settings it runs with, for the check after the fuzzing that they got there.
cat >"$RIG/bin/repo2docker" <<WRAPPER
#!/usr/bin/env bash
# repo2docker for the fuzz rig (scripts/fuzz.sh): no HTTP client of it may resolve a host.
export $(printf '%q ' "${FENCE_ENV[@]}")
env | grep -i '_proxy=' | sort >"$RIG/repo2docker.env"
exec "$VENV/bin/repo2docker" "\$@"
WRAPPER
chmod +x "$RIG/bin/repo2docker"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The user's token stays cached all run: past 20 failed token checks a minute (the fuzzer's
# auth probes) its address gets 429, and a token cached is answered before that limit.
# Builds stay cheap and bounded: one at a time, at most 3 waiting or running for the user
# (the fourth gets 429), a short timeout, ls-remote bounded too.
write_service_config() { # file
  cat >"$1" <<JSON
{
  "repo2docker": { "command": ["$RIG/bin/repo2docker"], "configFile": $(repo2docker_config_json) },
  "auth": { "cacheSeconds": 3600 },
  "git": { "command": "$RIG/bin/git", "lsRemoteTimeoutSeconds": 10 },
  "builds": { "allowLocalRepos": true, "refusePrivateAddresses": false, "maxConcurrent": 1, "maxConcurrentPerUser": 1, "maxQueuedPerUser": 3, "timeoutSeconds": 60 },
  "heartbeatSeconds": 5,
  "logLevel": "warn"
}
JSON
}

# Start a hub with scripts/start-hub.sh --foreground (it execs jupyterhub, so the pid is the
# hub's: SIGTERM stops it with its proxy and its service). Its URL goes to $RIG/NAME.url.
launch_hub() { # name, extra env...
  local name="$1"; shift
  local dir="$RIG/hub-$name" hub_port
  mkdir -p "$dir"
  hub_port="$(free_port)"
  write_service_config "$RIG/$name.json"
  (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$dir/admin-token")
  # The admin token by `export` (a builtin), so that it is on no command line.
  (R2D_HUB_ADMIN_TOKEN="$(cat "$dir/admin-token")" && export R2D_HUB_ADMIN_TOKEN &&
    exec env "${FENCE_ENV[@]}" "$@" \
    R2D_HUB_DIR="$dir" R2D_HUB_PORT="$hub_port" R2D_HUB_INTERNAL_PORT="$(free_port)" \
    R2D_PROXY_API_PORT="$(free_port)" R2D_SERVICE_PORT="$(free_port)" R2D_SERVICE_CONFIG="$RIG/$name.json" \
    bash "$ROOT/scripts/start-hub.sh" --foreground >"$REPORTS/$name.log" 2>&1) &
  pids+=("$!")
  echo "http://127.0.0.1:$hub_port" >"$RIG/$name.url"
}

# Wait for the hub and for its service through the proxy (the OpenAPI document answers 200 with
# or without an engine), then make this run's user, a builder, and a token of the hub's for it.
# Prints the service's URL through the proxy; the token goes to $RIG/NAME.token.
ready_hub() { # name
  local name="$1" hub admin service
  hub="$(cat "$RIG/$name.url")"
  admin="$(cat "$RIG/hub-$name/admin-token")"
  service="$hub/services/repo2docker"
  if ! wait_for 45 curl -sf -o /dev/null "$hub/hub/api/" || ! wait_for 20 curl -sf -o /dev/null "$service/api/openapi.json"; then
    log "the $name hub or its service did not start:"; tail -n 40 "$REPORTS/$name.log" >&2; exit 1
  fi
  hub_api() { # method, path, body: as the overlay's test-admin service (its token not in argv)
    curl -sf -X "$1" -H @<(printf 'Authorization: token %s\n' "$admin") -H 'Content-Type: application/json' \
      --data "$3" "$hub/hub/api$2"
  }
  hub_api POST "/users/$USER_NAME" '{}' >/dev/null || { log "the $name hub did not create user $USER_NAME"; exit 1; }
  hub_api POST /groups/repo2docker-builders/users "{\"users\": [\"$USER_NAME\"]}" >/dev/null ||
    { log "the $name hub did not add $USER_NAME to repo2docker-builders"; exit 1; }
  # No scopes asked: the token has all the user's scopes, the builders' role's included.
  (umask 077 && hub_api POST "/users/$USER_NAME/tokens" '{"note": "scripts/fuzz.sh", "expires_in": 3600}' |
    "$VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["token"])' >"$RIG/$name.token") ||
    { log "the $name hub did not issue a token for $USER_NAME"; exit 1; }
  echo "$service"
}

write_config() { # file, the statuses the service may answer besides 2xx-4xx
  local file="$1" also="$2"
  cat >"$file" <<TOML
# The hub's token for this run's user, from the environment (not on a command line, where any
# local user could read it in the process list).
headers = { Authorization = "token \${FUZZ_TOKEN}" }

# Cases per operation and phase; the whole run stays within a few minutes on two cores.
[generation]
max-examples = $EXAMPLES

# Every check (not_a_server_error, status_code_conformance, content_type_conformance,
# response_headers_conformance, response_schema_conformance, negative_data_rejection,
# positive_data_acceptance, missing_required_header, unsupported_method, ignored_auth,
# use_after_free, ensure_resource_availability, ...). Set here and not with --checks, which
# would override the per-operation settings below.
[checks]
enabled = true

# No 5xx, but for the docker-down service the 503 it must answer.
[checks.not_a_server_error]
expected-statuses = ["2xx", "3xx", "4xx"$also]

# Failures found are kept for \`st replay\` under .state/ (git-ignored), not in the working tree.
[cache]
directory = "$STATE_DIR/schemathesis"

[dictionaries.fixture-repos]
values = ["$FIXTURE_URL"]

# Half the generated build requests name the fixture, so builds really start, join, answer
# "already built" and fill the queue; the rest are whatever the fuzzer makes up.
[parameters]
"body.repo" = { dictionary = "fixture-repos", probability = 0.5 }

# A build request that fits the schema can still name a repository that cannot be read, a ref it
# does not have or a name too long once rendered: whether a repository exists is not in any
# schema, so 400 is an acceptable answer to schema-valid data here (and only here).
[[operations]]
include-operation-id = "startBuild"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"$also]

# DELETE /api/builds/{id} cancels: the build stays visible with phase "cancelled" (documented),
# so reading it after the DELETE is not a use after free.
# A launch link is a build request in a query string: the same reasoning as startBuild. Starting
# a server needs the id of a built build the caller may see, which no schema can name: 404.
[[operations]]
include-operation-id = "launch"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429", "431"$also]
checks.negative_data_rejection.expected-statuses = ["400", "401", "403", "404", "409", "429", "431"$also]

[[operations]]
include-operation-id = "startLaunchServer"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"$also]

[[operations]]
include-operation-id = "getLaunchServerProgress"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "429"$also]

# The image list's usableBy and groups go together (the spawner's question), which no schema
# says; the image name in the sharing route must be an image reference, as for deleteImage.
[[operations]]
include-operation-id = "listImages"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "429"$also]

[[operations]]
include-operation-id = "setImageSharing"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"$also]

# The upload's body is a tar.gz (application/gzip), which Schemathesis cannot generate;
# service/test/integration/upload.test.ts and unit/upload-unpack.test.ts send it hostile archives.
[[operations]]
include-operation-id = "uploadFolder"
enabled = false

[[operations]]
include-operation-id = "getBuild"
checks.use_after_free.enabled = false

[[operations]]
include-operation-id = "getBuildLog"
checks.use_after_free.enabled = false

# The OAuth callback refuses a state that is not the one its login cookie holds (400): no schema
# can say which state a browser was given.
[[operations]]
include-operation-id = "oauthCallback"
checks.positive_data_acceptance.expected-statuses = ["3xx", "400", "404"$also]

# Any string fits the path parameter, but only an image reference can name an image: 400 names
# the field when it is not one.
[[operations]]
include-operation-id = "deleteImage"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "401", "403", "404", "409", "429"$also]
TOML
}
write_config "$RIG/engine.toml" ""
write_config "$RIG/docker-down.toml" ', "503"'

# The whole run stays under 4 minutes at the default 60 cases: each Schemathesis run has a
# ceiling (2 s a case, at least 120 s and 60 s; under load here they took 62 s and 20 s), and
# reaching it is a failure (exit 124), not a silent cut.
# filter_too_much is Hypothesis judging its own generator (it drops path parameters it cannot
# put in a URL, e.g. for DELETE /api/images/{name}), not the service: on a busy machine it
# sometimes trips and ended a green run as an "error". Every check on the answers stays on.
# --request-retries 1: a request whose connection broke (a reset) is sent once more. A reused
# keep-alive connection can be closed under a request at either hop (the fuzzer to the hub's
# proxy, the proxy's pooled sockets to the service): one CI run (2026-12-01) ended on a lone
# "Connection reset by peer" for GET /launch, its only error in 2,400 cases, not seen again in
# runs here. A service that resets a request, or dies on one, does it again on the retry, or the
# proxy answers 503 for it: still a failure.
run_schemathesis() { # label, base url, seconds, extra args...
  local label="$1" url="$2" seconds="$3"; shift 3
  log "── schemathesis: $label (seed $SEED, at most $seconds s)"
  FUZZ_TOKEN="$(cat "$RIG/$label.token")" timeout --signal=INT --kill-after=10 "$seconds" "$SCHEMATHESIS" --config-file "$RIG/$label.toml" run "$url/api/openapi.json" \
    --url "$url" \
    --phases examples,coverage,fuzzing,stateful \
    --seed "$SEED" \
    --workers 1 \
    --request-timeout 60 \
    --request-retries 1 \
    --max-redirects 0 \
    --suppress-health-check filter_too_much \
    --no-color \
    --report ndjson --report-ndjson-path "$REPORTS/$label.ndjson" \
    "$@"
}

started=$SECONDS
status=0
PY="$VENV/bin/python"

# Both hubs start at once (a few seconds each); the second one's service gets DOCKER_HOST naming
# a socket with nothing behind it (test_overrides.py hands the hub's DOCKER_HOST to the service).
launch_hub engine
launch_hub docker-down DOCKER_HOST="unix://$RIG/no-docker.sock"

URL="$(ready_hub engine)"
# The git fence holds in the service as the hub runs it (the hub passes a managed service only
# some of its environment): a build from a network URL is refused by the wrapper, with its words.
refused="$(curl -s -w ' %{http_code}' -H @<(printf 'Authorization: token %s\n' "$(cat "$RIG/engine.token")") \
  -H 'Content-Type: application/json' --data '{"repo": "https://fuzz.invalid/x"}' "$URL/api/builds")"
if [[ "$refused" != *"fuzz rig allows only file://"*" 400" ]]; then
  log "the service did not use the git fence: $refused"; exit 1
fi
run_schemathesis engine "$URL" $(( EXAMPLES * 2 > 120 ? EXAMPLES * 2 : 120 )) || status=1
log "── probes: engine"
FUZZ_TOKEN="$(cat "$RIG/engine.token")" "$PY" "$ROOT/scripts/fuzz-probes.py" "$URL" engine "$FIXTURE_URL" || status=1

# The fuzzer's fixture builds ran repo2docker through the wrapper, with the proxy fence.
if ! grep -qx 'HTTPS_PROXY=http://127.0.0.1:9' "$RIG/repo2docker.env" 2>/dev/null; then
  log "repo2docker did not run with the proxy fence: $(cat "$RIG/repo2docker.env" 2>&1)"; status=1
fi

# Nothing builds without an engine, so a short run (fewer cases) is enough to fuzz the 503 answers.
URL="$(ready_hub docker-down)"
FUZZ_EXAMPLES_DOWN=$(( EXAMPLES / 3 > 5 ? EXAMPLES / 3 : 5 ))
run_schemathesis docker-down "$URL" $(( FUZZ_EXAMPLES_DOWN * 2 > 60 ? FUZZ_EXAMPLES_DOWN * 2 : 60 )) --max-examples "$FUZZ_EXAMPLES_DOWN" || status=1
log "── probes: docker-down"
FUZZ_TOKEN="$(cat "$RIG/docker-down.token")" "$PY" "$ROOT/scripts/fuzz-probes.py" "$URL" docker-down "$FIXTURE_URL" || status=1

# A handler that threw something unexpected answered 500 and logged it: caught above, but say where.
for name in engine docker-down; do
  if grep -q '"msg":"unhandled error"' "$REPORTS/$name.log"; then
    log "the $name service logged unhandled errors:"; grep '"msg":"unhandled error"' "$REPORTS/$name.log" | head -n 5 >&2; status=1
  fi
done
"$PY" "$ROOT/scripts/fuzz-summary.py" "$REPORTS"/*.ndjson || status=1
log "fuzz run took $((SECONDS - started)) s, seed $SEED (replay: FUZZ_SEED=$SEED bash scripts/fuzz.sh)"
[ "$status" -eq 0 ] && log "fuzzing: no failures" || log "fuzzing: FAILED"
exit "$status"

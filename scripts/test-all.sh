#!/usr/bin/env bash
# README's test command: set up every real part this machine needs (scripts/setup.sh: Docker
# engine with buildx, the Python venv with repo2docker/JupyterLab/JupyterHub, npm packages) and run every tier:
# type checks, service unit tests, extension unit tests, service integration tests against the
# real engine, and the browser tests (Debian's Chromium, JupyterLab from the built wheel). Ends with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

bash scripts/setup.sh || exit 1

passed=0
failed=0
results=()
tier() { # name, command...
  local name="$1"; shift
  log "── $name"
  local started=$SECONDS
  if "$@"; then
    passed=$((passed + 1)); results+=("ok    $name ($((SECONDS - started)) s)")
  else
    failed=$((failed + 1)); results+=("FAIL  $name ($((SECONDS - started)) s)")
  fi
}

# Builds service/dist as it checks (tsc emits for tsconfig.json): the extension's typecheck
# and bundle read the contract from service/dist/api/contract.{js,d.ts}.
tier "lint (prettier, eslint, stylelint)" npm run lint --silent
tier "typecheck and build service" npm run typecheck --workspace service --silent
tier "service unit tests" npm run test:unit --workspace service --silent
if [ -d src ] && ls src/*.ts >/dev/null 2>&1; then
  tier "typecheck extension" npx tsc -p tsconfig.json --noEmit
  tier "extension unit tests" npx jest --ci
fi
tier "Python helpers (pytest)" "$VENV/bin/python" -m pytest tests -q
tier "service integration tests" npm run test:integration --workspace service --silent
tier "API fuzzing (Schemathesis against the running service)" bash scripts/fuzz.sh
tier "browser tests (JupyterLab from the wheel, Chromium)" bash scripts/test-ui.sh
tier "browser test against the BinderHub backend (laptop mode, one BinderHub)" env R2D_UI_INSTALLED=1 bash scripts/test-ui-binderhub.sh
tier "browser tests under JupyterHub (alice, bob, carol, admin)" bash scripts/test-ui-hub.sh

printf '%s\n' "${results[@]}"
echo "tiers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

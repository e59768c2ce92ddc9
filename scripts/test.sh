#!/usr/bin/env bash
# README's test command: set up, lint, start the local stack (real Kafka + ClickHouse engine), run every test,
# and stop the stack again if this script started it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

# The browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
if ! command -v chromium >/dev/null 2>&1; then
  echo "test: installing chromium for the browser tests (apt-get)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null; } \
    || echo "test: chromium could not be installed; the browser tests will be skipped"
fi

.venv/bin/ruff check .
.venv/bin/python -m schemas.jsonschema --check

started_stack=0
if ! .venv/bin/cxpulse stack status >/dev/null 2>&1; then
  .venv/bin/cxpulse stack up
  started_stack=1
fi
cleanup() { if [ "$started_stack" = 1 ]; then .venv/bin/cxpulse stack down || true; fi; }
trap cleanup EXIT

.venv/bin/python -m pytest -p no:cacheprovider --timeout 900 -q -rs "$@"

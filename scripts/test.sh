#!/usr/bin/env bash
# README's test command: set up, lint, start the local stack (real Kafka + ClickHouse engine), run every test,
# and stop the stack again if this script started it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh

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

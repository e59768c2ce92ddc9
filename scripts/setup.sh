#!/usr/bin/env bash
# Idempotent setup on a fresh machine: system tools (Java 17, Maven), the Python venv with cxpulse in it.
# Kafka's jars are fetched from Maven Central by the first `cxpulse stack up` into ~/.cache/cxpulse.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} (apt-get)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PYTHON="$candidate"; break; fi
  done
fi
[ -n "$PYTHON" ] || { echo "setup: Python 3.11+ is required" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.cxpulse-installed
lock=requirements-test.lock  # every dependency pinned with its hashes (scripts/lock.sh regenerates it)
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$lock" -nt "$stamp" ]; then
  echo "setup: installing cxpulse and its locked dependencies into .venv (first time: a few minutes)"
  # Only what the lock names, each file checked against its hash; then cxpulse itself, built with the locked
  # setuptools (no build isolation: an isolated build would fetch an unpinned backend).
  .venv/bin/python -m pip install -q --require-hashes --no-deps -r "$lock"
  .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
  touch "$stamp"
fi
# The name gazetteer is extracted once per machine from names-dataset (~20 s, ~2 GB while it runs).
.venv/bin/python -m streams.redact.gazetteer
echo "setup: ready ($(.venv/bin/python --version), $(java -version 2>&1 | head -1))"

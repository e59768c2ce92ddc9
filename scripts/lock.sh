#!/usr/bin/env bash
# Regenerate the hashed lock files from pyproject.toml. setup.sh, CI and the Dockerfile install only what these
# files pin, each file checked against its SHA-256 (pip --require-hashes), so a compromised or re-uploaded
# release cannot slip in between two runs. Upgrading = run this, review the diff, run the tests, commit.
#   bash scripts/lock.sh              keep today's pins where pyproject allows (only new requirements move)
#   bash scripts/lock.sh --upgrade    newest versions pyproject allows
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
UV="${UV:-uv}"
command -v "$UV" >/dev/null 2>&1 || { echo "lock: needs uv (pip install uv)" >&2; exit 1; }
build=$(mktemp); trap 'rm -f "$build"' EXIT
printf 'setuptools>=77,<81\nwheel\n' > "$build"  # the build backend: installed from the lock too (--no-build-isolation)
keep=()
[ "${1:-}" = "--upgrade" ] || keep=(--constraint requirements-test.lock)
common=(--generate-hashes --no-annotate --no-header --python-version 3.11 --python-platform x86_64-manylinux_2_28)
"$UV" pip compile -q pyproject.toml "$build" "${common[@]}" "${keep[@]}" -o requirements.lock
"$UV" pip compile -q pyproject.toml "$build" --extra test "${common[@]}" "${keep[@]}" -o requirements-test.lock
echo "lock: requirements.lock ($(grep -c '==' requirements.lock) pins), requirements-test.lock ($(grep -c '==' requirements-test.lock) pins)"

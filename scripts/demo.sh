#!/usr/bin/env bash
# README's first command: set up, then run the whole local pipeline with simulated traffic and the dashboard.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/cxpulse demo "$@"

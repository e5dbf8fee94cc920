#!/usr/bin/env bash
# Set up .venv and run the whole pipeline on the built-in synthetic cohort (output: runs/quickstart).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup_env.sh ""   # "" : no extras (do not pass this script's arguments on)
exec .venv/bin/vaescan quickstart -o runs/quickstart "$@"

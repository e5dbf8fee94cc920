#!/usr/bin/env bash
# Set up .venv and run the whole pipeline on the built-in synthetic cohort (output: runs/quickstart;
# --small: a smoke run into runs/quickstart_small). Arguments go to `vaescan quickstart`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup_env.sh ""   # "" : no extras (do not pass this script's arguments on)
exec .venv/bin/vaescan quickstart "$@"   # output: runs/quickstart (with --small: runs/quickstart_small)

#!/usr/bin/env bash
# Set up .venv with the test extras and run the test suite (extra arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup_env.sh test
exec .venv/bin/python -m pytest -n auto "$@"

#!/usr/bin/env bash
# Set up .venv with the test extras (locked versions), lint, and run the test suite (what CI runs).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup_env.sh test
bash scripts/install_browser.sh   # headless Chromium for the report's browser test, if missing
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -n auto "$@"

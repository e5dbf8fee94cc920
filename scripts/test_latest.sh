#!/usr/bin/env bash
# Test against the newest releases on purpose: a throwaway environment built WITHOUT the lock, then lint and
# the suite. When it fails, fix the code, re-run, and move the lock forward with
#     bash scripts/lock_deps.sh <the VENV this script prints>
# torch stays at the CPU build on local disk unless TORCH_SPEC says otherwise (the newest torch on PyPI is a
# multi-GB CUDA build); every other dependency is the newest release pyproject.toml's ranges admit.
# Usage: bash scripts/test_latest.sh [pytest args]      env: TORCH_SPEC (default torch==2.13.0), VENV
set -euo pipefail
cd "$(dirname "$0")/.."
_venv="${VENV:-$(mktemp -d -t vaescan-latest-XXXXXX)/venv}"
_py="${PYTHON:-python3}"
echo "throwaway environment: $_venv"
"$_py" -m venv "$_venv"
_pip=("$_venv/bin/python" -m pip install -q --disable-pip-version-check --no-cache-dir)
"${_pip[@]}" "${TORCH_SPEC:-torch==2.13.0}"
"${_pip[@]}" --upgrade --upgrade-strategy eager -e ".[test]"
"$_venv/bin/python" -m pip freeze --exclude-editable | grep -v '^#' > "$_venv/../freeze.txt"
echo "newest versions resolved: $_venv/../freeze.txt"
"$_venv/bin/ruff" check .
"$_venv/bin/python" -m pytest -n auto "$@"
echo "passed with the newest releases; to move the lock forward: bash scripts/lock_deps.sh $_venv"

#!/usr/bin/env bash
# Test against the newest releases on purpose: a throwaway environment built WITHOUT the lock, then lint and
# the suite. When it fails, fix the code, re-run, and move the lock forward with
#     bash scripts/lock_deps.sh <the VENV this script prints>
# Every dependency, torch included, is upgraded to the newest release pyproject.toml's ranges admit (on the
# development machines: torch 2.14.1, a CUDA build of about 5.5 GB, from local disk). TORCH_SPEC (e.g.
# torch==2.13.0) holds torch at that version instead. The throwaway venv is kept for lock_deps.sh; delete it after.
# Usage: bash scripts/test_latest.sh [pytest args]      env: TORCH_SPEC (default: newest), VENV
set -euo pipefail
cd "$(dirname "$0")/.."
_venv="${VENV:-$(mktemp -d -t vaescan-latest-XXXXXX)/venv}"
_py="${PYTHON:-python3}"
echo "throwaway environment: $_venv"
"$_py" -m venv "$_venv"
_pip=("$_venv/bin/python" -m pip install -q --disable-pip-version-check --no-cache-dir)
_hold=()
if [ -n "${TORCH_SPEC:-}" ]; then
    echo "$TORCH_SPEC" > "$_venv/torch-hold.txt"
    _hold=(-c "$_venv/torch-hold.txt")
    "${_pip[@]}" "$TORCH_SPEC"
fi
"${_pip[@]}" "${_hold[@]}" --upgrade --upgrade-strategy eager -e ".[test]"
"$_venv/bin/python" -m pip freeze --exclude-editable | grep -v '^#' > "$_venv/../freeze.txt"
echo "newest versions resolved: $_venv/../freeze.txt"
"$_venv/bin/ruff" check .
"$_venv/bin/python" -m pytest -n auto "$@"
echo "passed with the newest releases; to move the lock forward: bash scripts/lock_deps.sh $_venv"

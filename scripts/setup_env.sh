#!/usr/bin/env bash
# Create or reuse .venv with the locked, tested versions (requirements/constraints.txt) and vaescan installed
# editable. Sourced by quickstart.sh and test.sh. Idempotent: re-installs only when pyproject.toml or the lock
# changed. pip is the installer on purpose: 'pip install torch==2.13.0' takes the CPU build from local disk,
# where uv and poetry would download a multi-GB CUDA build.
# Usage: source scripts/setup_env.sh [EXTRA]   (EXTRA = "test" adds the test dependencies)
set -euo pipefail
_extra="${1:-}"
_py="${PYTHON:-python3}"
_lock="requirements/constraints.txt"
if ! "$_py" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "vaescan needs Python >= 3.10 (found: $("$_py" --version 2>&1))" >&2
    exit 2
fi
if [ ! -x .venv/bin/python ]; then
    echo "creating .venv ..."
    "$_py" -m venv .venv
fi
_stamp=".venv/.vaescan-installed"
_want="$(cat pyproject.toml "$_lock" | sha256sum | cut -c1-16)-${_extra}"
if [ "$(cat "$_stamp" 2>/dev/null || true)" != "$_want" ]; then
    _pip=(.venv/bin/python -m pip install -q --disable-pip-version-check -c "$_lock")
    # torch first, on its own: the lock's torch==2.13.0 is the CPU build on local disk
    echo "installing torch (locked) ..."
    "${_pip[@]}" torch
    echo "installing vaescan${_extra:+[$_extra]} with the locked versions ..."
    "${_pip[@]}" -e ".${_extra:+[$_extra]}"
    echo "$_want" > "$_stamp"
fi

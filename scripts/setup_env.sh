#!/usr/bin/env bash
# Create or reuse .venv with torch 2.13.0 (CPU build from local disk) and vaescan installed editable.
# Sourced by quickstart.sh and test.sh. Idempotent: re-installs only when pyproject.toml changed.
# Usage: source scripts/setup_env.sh [EXTRA]   (EXTRA = "test" adds the test dependencies)
set -euo pipefail
_extra="${1:-}"
_py="${PYTHON:-python3}"
if ! "$_py" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "vaescan needs Python >= 3.10 (found: $("$_py" --version 2>&1))" >&2
    exit 2
fi
if [ ! -x .venv/bin/python ]; then
    echo "creating .venv ..."
    "$_py" -m venv .venv
fi
_stamp=".venv/.vaescan-installed"
_want="$(cat pyproject.toml | sha256sum | cut -c1-16)-${_extra}"
if [ "$(cat "$_stamp" 2>/dev/null || true)" != "$_want" ]; then
    # torch first: 'pip install torch==2.13.0' takes the CPU build from local disk; the package's
    # range (torch>=2.2,<2.15) is then already satisfied and pulls no multi-GB CUDA build.
    if ! .venv/bin/python -c 'import torch' 2>/dev/null; then
        echo "installing torch==2.13.0 ..."
        .venv/bin/python -m pip install -q --disable-pip-version-check torch==2.13.0
    fi
    echo "installing vaescan${_extra:+[$_extra]} ..."
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${_extra:+[$_extra]}"
    echo "$_want" > "$_stamp"
fi

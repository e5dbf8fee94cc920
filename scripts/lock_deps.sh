#!/usr/bin/env bash
# Write requirements/constraints.txt, the lock of tested versions, from an environment the suite passed in.
# Usage: bash scripts/lock_deps.sh [VENV]   (default .venv; scripts/test_latest.sh prints its own VENV)
# Run it only after `python -m pytest` passed in VENV; commit the lock with the code that needed it.
set -euo pipefail
cd "$(dirname "$0")/.."
_venv="${1:-.venv}"
_out="requirements/constraints.txt"
mkdir -p requirements
{
    echo "# Versions the test suite passed with: made by scripts/lock_deps.sh on $(date -u +%Y-%m-%d) with"
    echo "# Python $("$_venv/bin/python" -c 'import platform; print(platform.python_version())'), used by scripts/setup_env.sh as 'pip install -c'."
    echo "# torch is the CPU build on local disk (its local version label is dropped)."
    "$_venv/bin/python" -m pip freeze --exclude-editable --disable-pip-version-check \
        | grep -v '^#' | grep -v '^-e ' | sed -E 's/^(torch==[^+]*)\+.*/\1/' | LC_ALL=C sort -f
} > "$_out.tmp"
mv "$_out.tmp" "$_out"
echo "wrote $_out ($(grep -vc '^#' "$_out") packages)"

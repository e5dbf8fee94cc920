#!/usr/bin/env bash
# The trade-off report on a PTB-XL release, from the shipped configs (docs/tradeoff.md, "PTB-XL"):
# a beta-VAE and SCAN, the signal and the image black boxes, then `vaescan report` on fold 10.
# Usage: bash scripts/ptbxl_report.sh PTBXL_DIR [OUT_DIR] [train options...]
#   PTBXL_DIR: the release folder holding ptbxl_database.csv (https://physionet.org/content/ptb-xl/)
#   OUT_DIR:   runs go to OUT_DIR/{vae,scan,signal,image} and the report to OUT_DIR/report (default runs/ptbxl)
#   train options go to every train-* command, e.g. --jobs 8, --device cuda, --epochs 2 (a quick try)
# Interrupted? Run it again with --resume among the train options: finished runs are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || [ ! -f "$1/ptbxl_database.csv" ]; then
    echo "usage: bash scripts/ptbxl_report.sh PTBXL_DIR [OUT_DIR] [train options]; PTBXL_DIR must hold" \
         "ptbxl_database.csv (got: ${1:-nothing})" >&2
    exit 2
fi
data="$1"; out="${2:-runs/ptbxl}"; shift; [ $# -gt 0 ] && shift
source scripts/setup_env.sh ""
vaescan=.venv/bin/vaescan
done_run() { [ -f "$1/run.json" ] && grep -q '"status": "done"' "$1/run.json"; }
done_run "$out/vae" || $vaescan train-vae --config configs/vae_ptbxl.yaml --data "$data" -o "$out/vae" "$@"
done_run "$out/scan" || $vaescan train-scan --config configs/scan_ptbxl.yaml --vae "$out/vae" -o "$out/scan" "$@"
for kind in signal image; do
    done_run "$out/$kind" || $vaescan train-blackbox --config "configs/blackbox_${kind}_ptbxl.yaml" --data "$data" \
        -o "$out/$kind" "$@"
done
exec $vaescan report "$out/scan" "$out/signal" "$out/image" --data "$data" -o "$out/report"

"""Train SCAN over a finished VAE run from a config: the same as ``vaescan train-scan`` (same options).

Usage::

    python scripts/train_scan.py --config configs/scan_synthetic.yaml [--vae RUN] [--data DIR] [-o RUN2]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a fresh clone without installing

from vaescan.cli.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["train-scan", *sys.argv[1:]]))

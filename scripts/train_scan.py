"""Train SCAN over a finished VAE run from a config: the same as ``vaescan train-scan`` (same options).

Usage::

    python scripts/train_scan.py --config configs/scan_synthetic.yaml [--vae RUN] [--data DIR] [-o RUN2]
"""

import sys

from vaescan.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["train-scan", *sys.argv[1:]]))

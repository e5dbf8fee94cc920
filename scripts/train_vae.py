"""Train the beta-VAE from a config: the same as ``vaescan train-vae`` (every option of it works here).

Usage::

    python scripts/train_vae.py --config configs/vae_synthetic.yaml [--data DIR] [-o RUN] [--resume]
"""

import sys

from vaescan.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["train-vae", *sys.argv[1:]]))

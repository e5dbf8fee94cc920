"""Train the beta-VAE from a config: the same as ``vaescan train-vae`` (every option of it works here).

Usage::

    python scripts/train_vae.py --config configs/vae_synthetic.yaml [--data DIR] [-o RUN] [--resume]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a fresh clone without installing

from vaescan.cli.main import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["train-vae", *sys.argv[1:]]))

"""Train a black-box CNN from a config: the same as ``vaescan train-blackbox`` (every option of it works here).

Usage::

    python scripts/train_blackbox.py --config configs/blackbox_signal_synthetic.yaml [--data DIR] [-o RUN] [--resume]
"""

import sys

from vaescan.cli.main import main

if __name__ == "__main__":
    sys.exit(main(["train-blackbox", *sys.argv[1:]]))

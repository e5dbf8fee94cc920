"""``python -m vaescan`` runs the command-line interface."""

import sys

from vaescan.cli import main

sys.exit(main())

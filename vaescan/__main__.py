"""``python -m vaescan`` runs the command-line interface."""

import sys

from vaescan.cli.main import main

sys.exit(main())

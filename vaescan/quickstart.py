"""``vaescan quickstart``: the whole pipeline on the built-in synthetic cohort, in one command."""

from __future__ import annotations

import argparse


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``quickstart``."""
    p = sub.add_parser("quickstart", help="run the pipeline on the built-in synthetic cohort",
                       description="Run the pipeline end to end on the built-in synthetic cohort.")
    p.add_argument("-o", "--output", default="runs/quickstart", help="output folder (default runs/quickstart)")
    p.set_defaults(func=cmd_quickstart)


def cmd_quickstart(args: argparse.Namespace) -> int:
    """Run the quickstart steps."""
    raise NotImplementedError("quickstart is wired once the synthetic cohort lands")

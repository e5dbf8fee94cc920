"""The ``vaescan`` command: one subcommand per pipeline step.

Each stage's subcommands are declared in a module beside this one (``data.py``,
``digitize.py``, ...); this module gathers them, sets up logging and turns every
:class:`~vaescan.errors.VaescanError` into a one-line message with exit code 2
(no traceback).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from vaescan import __version__
from vaescan.cli import analysis, blackbox, data, digitize, explain, models, quickstart, report, synth
from vaescan.errors import VaescanError

STAGE_CLIS = (quickstart, data, synth, analysis, models, blackbox, explain, digitize, report)
"""The modules whose ``add_commands`` register subcommands, in the order ``--help`` lists them."""


class _Parser(argparse.ArgumentParser):
    """argparse with exit code 2 and a hint on errors (argparse's own convention)."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n(see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every stage's subcommands.

    Example
    -------
    >>> parser = build_parser()
    >>> parser.parse_args(["features", "recs", "-o", "f.csv"]).output
    'f.csv'
    """
    parser = _Parser(
        prog="vaescan",
        description="Interpretable ECG modelling: digitise, measure features, learn latent factors (VAE-SCAN).",
    )
    parser.add_argument("--version", action="version", version=f"vaescan {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars, warnings only")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in STAGE_CLIS:
        module.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vaescan`` console script; returns the exit code.

    Example
    -------
    >>> main(["features", "no/such/folder", "-o", "x.csv"])  # doctest: +SKIP
    vaescan: error: no/such/folder: neither a folder nor a WFDB record (no .hea file)
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(levelname)s %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except VaescanError as exc:
        print(f"vaescan: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vaescan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

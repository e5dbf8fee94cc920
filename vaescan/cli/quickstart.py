"""``vaescan quickstart``: the whole pipeline on the built-in synthetic cohort (:mod:`vaescan.workflows.quickstart`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaescan.cli.options import add_jobs
from vaescan.errors import VaescanInputError
from vaescan.workflows.quickstart import QuickstartConfig, run_quickstart, summary_markdown


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``quickstart``."""
    p = sub.add_parser("quickstart", help="run the pipeline on the built-in synthetic cohort",
                       description="Run the pipeline end to end on the built-in synthetic cohort: simulate it, "
                       "measure features against the truth, print and digitise a few pages, train a small VAE-SCAN "
                       "and draw its traversal, association and generated-beat figures, train and explain a black "
                       "box, and write the trade-off report. Finished steps are skipped, "
                       "so an interrupted run resumes. Writes summary.md and summary.json.")
    p.add_argument("-o", "--output", default="runs/quickstart", help="output folder (default runs/quickstart)")
    p.add_argument("-n", "--n-records", type=int, default=QuickstartConfig.n_records,
                   help=f"synthetic records (default {QuickstartConfig.n_records})")
    p.add_argument("--seed", type=int, default=QuickstartConfig.seed, help="cohort and page seed (default 0)")
    p.add_argument("--pages", type=int, default=QuickstartConfig.n_pages,
                   help=f"records to print and digitise, clean and distorted (default {QuickstartConfig.n_pages})")
    add_jobs(p)
    p.add_argument("--no-models", action="store_true", help="skip training VAE-SCAN (data and digitisation only)")
    p.set_defaults(func=cmd_quickstart)


def cmd_quickstart(args: argparse.Namespace) -> int:
    """``vaescan quickstart -o DIR``."""
    config = QuickstartConfig(n_records=args.n_records, seed=args.seed, n_pages=args.pages,
                              models=not args.no_models)
    if config.n_records < 20:
        raise VaescanInputError(None, f"the quickstart needs at least 20 records, got {config.n_records}")
    summary = run_quickstart(args.output, config, jobs=args.jobs, progress=not args.quiet)
    print()
    print(summary_markdown(summary), end="")
    print(f"wrote {Path(args.output) / 'summary.md'}")
    if summary.get("report", {}).get("written"):
        print(f"report: {Path(args.output) / summary['report']['report']}")
    return 0

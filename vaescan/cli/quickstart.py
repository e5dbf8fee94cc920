"""``vaescan quickstart``: the whole pipeline on the built-in synthetic cohort (:mod:`vaescan.workflows.quickstart`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaescan.cli.options import add_jobs
from vaescan.data.synth.config import DIFFICULTIES
from vaescan.errors import VaescanInputError
from vaescan.workflows.quickstart import (
    SMALL_PAGES,
    SMALL_RECORDS,
    QuickstartConfig,
    run_quickstart,
    small_config,
    summary_markdown,
)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``quickstart``."""
    p = sub.add_parser("quickstart", help="run the pipeline on the built-in synthetic cohort",
                       description="Run the pipeline end to end on the built-in synthetic cohort: simulate it, "
                       "measure features against the truth, print and digitise a few pages, train a small VAE-SCAN "
                       "and draw its traversal, association and generated-beat figures, train and explain a black "
                       "box, and write the trade-off report. Finished steps are skipped, "
                       "so an interrupted run resumes. Writes summary.md and summary.json.")
    p.add_argument("-o", "--output", help="output folder (default runs/quickstart, with --small "
                   "runs/quickstart_small)")
    p.add_argument("-n", "--n-records", type=int,
                   help=f"synthetic records (default {QuickstartConfig.n_records}, with --small {SMALL_RECORDS})")
    p.add_argument("--seed", type=int, default=QuickstartConfig.seed, help="cohort and page seed (default 0)")
    p.add_argument("--pages", type=int, help="records to print and digitise, clean and distorted (default "
                   f"{QuickstartConfig.n_pages}, with --small {SMALL_PAGES})")
    p.add_argument("--small", action="store_true", help="a smoke run of every step: a smaller cohort with more "
                   "frequent labels, fewer epochs, traversal figures, explained records and bootstrap resamples")
    p.add_argument("--preset", choices=DIFFICULTIES, default=QuickstartConfig.preset,
                   help="the synthetic cohort: 'realistic' (default; subtle signatures, AF by rhythm alone, 10%% "
                        "misread labels: a report where the representations can differ) or 'easy' (clear "
                        "signatures, nearly every task decoded near 1.0; for tests)")
    add_jobs(p)
    p.add_argument("--no-models", action="store_true", help="skip training VAE-SCAN (data and digitisation only)")
    p.set_defaults(func=cmd_quickstart)


def cmd_quickstart(args: argparse.Namespace) -> int:
    """``vaescan quickstart -o DIR``."""
    if args.small:
        config = small_config(args.n_records, args.seed, args.pages, models=not args.no_models, preset=args.preset)
    else:
        config = QuickstartConfig(
            n_records=QuickstartConfig.n_records if args.n_records is None else args.n_records, seed=args.seed,
            n_pages=QuickstartConfig.n_pages if args.pages is None else args.pages, models=not args.no_models,
            preset=args.preset)
    if config.n_records < 20:
        raise VaescanInputError(None, f"the quickstart needs at least 20 records, got {config.n_records}")
    if config.n_pages < 0:
        raise VaescanInputError(None, f"--pages must be at least 0, got {config.n_pages}")
    output = Path(args.output or ("runs/quickstart_small" if args.small else "runs/quickstart"))
    summary = run_quickstart(output, config, jobs=args.jobs, progress=not args.quiet)
    print()
    print(summary_markdown(summary), end="")
    print(f"wrote {output / 'summary.md'}")
    if summary.get("report", {}).get("written"):
        print(f"report: {output / summary['report']['report']}")   # the last line: the report file
    return 0

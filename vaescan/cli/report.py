"""``vaescan report``: the trade-off report, what explainability costs on one cohort's test split."""

from __future__ import annotations

import argparse
from pathlib import Path

from vaescan.cli.options import add_cache_dir, add_jobs, add_ptbxl_rate, positive_int
from vaescan.errors import VaescanInputError
from vaescan.io import check_output_folder


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the report command."""
    p = sub.add_parser(
        "report", help="the trade-off report: every representation scored on the same test split",
        description="Score each representation on the cohort's test split, for every label, sex and age: "
        "engineered features + logistic/linear regression (fitted on train; --no-features to leave out), each "
        "SCAN run (its linear head, and gradient boosting on its VAE factors) and each black-box run. Writes "
        "tradeoff.csv (AUROC, AUPRC, ECE, R2, MAE with bootstrap 95% intervals), summary.csv (macro AUROC and "
        "the paired gap to the best), profile.csv (the explainability profile: deletion AUC against a random "
        "order, localisation on the known causes, stability across two runs of a kind), anchoring.csv (anchored "
        "against unanchored VAE runs), published.csv (the published magnitudes of the cost of explainability "
        "beside ours, with a verdict computed from our numbers), tradeoff.png, report.md and a self-contained "
        "report.html that ends with a "
        "latent explorer of each SCAN run (a slider per factor redraws the 12-lead beat; SCAN's beat per clinical "
        "profile; its data also in explorer.json). The report also holds a data card, each SCAN run's traversals, "
        "factor <-> clinical heatmaps and generated beats per label, each black box's Jacobian overlays for a few "
        "test records per label, and digitisation examples (--digitize-examples); figures under DIR/sections.")
    p.add_argument("runs", nargs="*", metavar="RUN", help="finished train-scan or train-blackbox run folders")
    p.add_argument("--data", required=True, help="the cohort (a vaescan cohort or PTB-XL release) with a split column")
    p.add_argument("-o", "--output", default="report", help="output folder (default report)")
    p.add_argument("--no-features", dest="features", action="store_false",
                   help="leave out the engineered-feature representation")
    p.add_argument("--n-boot", type=positive_int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--min-per-class", type=positive_int, default=5,
                   help="labels enter the macro AUROC with at least this many test records per class (default 5)")
    p.add_argument("--profile-records", type=int, default=20,
                   help="test records (with a label of known cause) explained for the explainability profile "
                   "(default 20; 0 leaves the profile out)")
    p.add_argument("--records-per-label", type=int, default=2,
                   help="test records per label whose Jacobian overlay is shown, per black-box run "
                   "(default 2; 0: none)")
    p.add_argument("--digitize-examples", dest="digitized", metavar="DIR",
                   help="a folder of digitisation results (pages.csv, as the quickstart's digitize/ step writes) "
                   "to show as examples: page, traced lead II, SNR")
    p.add_argument("--no-sections", dest="sections", action="store_false",
                   help="leave out the figure sections (data card, traversals, heatmaps, generated beats, Jacobian "
                   "overlays, digitisation)")
    p.add_argument("--digitised", type=int, default=0, metavar="N",
                   help="the photographed path: N test records printed, distorted (clean, phone, perspective, "
                   "shadow in turn), digitised into OUTPUT/digitised (cached) and read by the same representations, "
                   "at level 6 (default 0: off)")
    p.add_argument("--digitised-layout", default="12x1",
                   help="page layout of the photographed path (default 12x1: every lead's 10 s; 3x4+II shows each "
                   "lead for 2.5 s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the resamples and boosted heads (default 0)")
    add_jobs(p, "features, beats and signals")
    add_cache_dir(p)
    add_ptbxl_rate(p)
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """``vaescan report RUN... --data COHORT -o DIR``."""
    from vaescan.workflows.report_sections import SectionSettings
    from vaescan.workflows.tradeoff import tradeoff_report

    check_output_folder(args.output)
    for flag, value in (("--digitised", args.digitised), ("--records-per-label", args.records_per_label),
                        ("--profile-records", args.profile_records)):
        if value < 0:
            raise VaescanInputError(None, f"{flag} must be at least 0, got {value}")
    if args.digitized and not (Path(args.digitized) / "pages.csv").is_file():
        raise VaescanInputError(args.digitized, "no pages.csv here (--digitize-examples takes a folder of digitisation "
                                "results, such as the quickstart's digitize/)")
    out = tradeoff_report(args.runs, args.data, args.output, features=args.features, n_boot=args.n_boot,
                          min_per_class=args.min_per_class,
                          seed=args.seed, cache_dir=args.cache_dir, profile_n=args.profile_records, jobs=args.jobs,
                          ptbxl_rate=args.ptbxl_rate, digitised=args.digitised,
                          digitised_layout=args.digitised_layout,
                          progress=not args.quiet,
                          sections=SectionSettings(records_per_label=args.records_per_label, digitized=args.digitized)
                          if args.sections else None)
    print(f"report in {out / 'report.html'} (and report.md, tradeoff.csv, summary.csv, profile.csv, tradeoff.png, "
          "explorer.json)")
    return 0

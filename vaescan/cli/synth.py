"""``vaescan synth``: write a synthetic 12-lead cohort with known causes and factors."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from vaescan.cli.options import add_jobs, positive_int
from vaescan.config import load_config
from vaescan.data.synth.cohort import simulate_cohort
from vaescan.data.synth.config import DIFFICULTIES, SynthConfig
from vaescan.errors import VaescanInputError


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``synth``."""
    p = sub.add_parser(
        "synth", help="write a synthetic 12-lead cohort with known clinical causes and ground truth",
        description="Simulate N 12-lead ECGs (a cardiac dipole projected by the Dower transform, with "
                    "electrode noise) whose labels (NORM, LBBB, RBBB, LVH, MI_ANT, MI_INF, AF, LQT, HYPERK, "
                    "AVB1), age, sex and ECG factors are known. Writes WFDB records, metadata.csv (ground "
                    "truth) and cohort.json to DIR; the same seed gives byte-identical files. "
                    "See docs/synthetic_cohort.md.")
    p.add_argument("-n", "--n-records", type=positive_int, required=True, help="number of records")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("-o", "--output", type=Path, required=True, help="output folder (new or empty)")
    p.add_argument("--fs", type=float, help="sampling rate in Hz (default 500)")
    p.add_argument("--duration", type=float, help="record length in s (default 10)")
    p.add_argument("--preset", choices=DIFFICULTIES, default=None,
                   help="a named configuration: 'easy' (the default: clear signatures) or 'realistic' (subtle "
                        "signatures, AF by rhythm alone, 10%% misread labels; see docs/synthetic_cohort.md)")
    p.add_argument("--config", type=Path, help="a SynthConfig as JSON or YAML (prevalences, noise, split, difficulty, "
                                               "label_noise); --fs and --duration override it")
    add_jobs(p, "the simulation")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the cohort files (records/, metadata.csv, cohort.json) of a non-empty DIR")
    p.set_defaults(func=cmd_synth)


def cmd_synth(args: argparse.Namespace) -> int:
    """``vaescan synth -n N --seed S -o DIR``."""
    if args.preset and args.config:
        raise VaescanInputError(args.config, "give either --preset or --config, not both")
    try:
        config = load_config(SynthConfig, args.config) if args.config else SynthConfig.preset(args.preset or "easy")
    except VaescanInputError as exc:  # settings checked by SynthConfig itself name no file
        raise VaescanInputError(args.config, exc.problem) if exc.path is None else exc from None
    changes = {k: v for k, v in (("fs", args.fs), ("duration_s", args.duration)) if v is not None}
    if changes:
        config = dataclasses.replace(config, **changes)
    cohort = simulate_cohort(args.n_records, args.seed, args.output, config, progress=not args.quiet,
                             jobs=args.jobs, overwrite=args.overwrite)
    counts = cohort.metadata[cohort.label_names].sum()
    print(f"wrote {len(cohort)} records to {args.output} (seed {args.seed}; {config.difficulty}, "
          f"{config.label_noise:.0%} of records misread); labels: "
          + ", ".join(f"{label} {int(c)}" for label, c in counts.items()))
    return 0

"""Subcommands of the data stage: ``beats`` and ``features``."""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

import pandas as pd

from vaescan.batch import BatchResult, run_batch
from vaescan.data.beats import BeatConfig, beats_from_results, read_and_beat
from vaescan.data.cohort import Cohort, load_cohort
from vaescan.data.features import features_of_record
from vaescan.errors import VaescanError
from vaescan.io import atomic_path


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``beats`` and ``features``."""
    for name, func, what, default_out in (
        ("beats", cmd_beats, "12-lead median beats as .npz (beats, record ids, fs, window)", "beats.npz"),
        ("features", cmd_features, "interval and amplitude features as CSV (units in column names)",
         "features.csv"),
    ):
        p = sub.add_parser(name, help=f"compute {what}", description=f"Compute {what} for a record or "
                           "every record below a folder (a PTB-XL release, a vaescan cohort or plain WFDB).")
        p.add_argument("path", help="a WFDB record (with or without .hea) or a folder")
        p.add_argument("-o", "--output", default=default_out, help=f"output file (default {default_out})")
        add_beat_options(p)
        p.set_defaults(func=func)


def add_beat_options(p: argparse.ArgumentParser) -> None:
    """Options shared by commands that preprocess records."""
    p.add_argument("--fs", type=float, default=BeatConfig.fs, help="common sampling rate in Hz (default 500)")
    p.add_argument("--powerline", type=float, default=BeatConfig.powerline_hz,
                   help="mains frequency to remove in Hz (default 50)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--ptbxl-rate", type=int, choices=(100, 500), default=500,
                   help="which PTB-XL records to read when PATH is a PTB-XL release (default 500)")


def _records(args: argparse.Namespace) -> tuple[Cohort, list[Path]]:
    cohort = load_cohort(args.path, sampling_rate=args.ptbxl_rate) if Path(args.path).is_dir() \
        else load_cohort(args.path)
    return cohort, [cohort.record_path(i) for i in range(len(cohort))]


def _report(result: BatchResult, out: Path) -> int:
    print(f"{result.summary()}; wrote {out}")
    if result.skipped:
        print("skipped records:", file=sys.stderr)
        for _, reason in result.skipped[:20]:
            print(f"  {reason}", file=sys.stderr)
        if len(result.skipped) > 20:
            print(f"  ... and {len(result.skipped) - 20} more", file=sys.stderr)
    return 0 if result.done else 2


def _run(args: argparse.Namespace, fn, desc: str) -> tuple[Cohort, BatchResult]:
    cohort, paths = _records(args)
    result = run_batch(paths, fn, desc=desc, jobs=args.jobs, progress=not args.quiet)
    if not result.done:
        reasons = "; ".join(r for _, r in result.skipped[:3])
        raise VaescanError(f"no usable record in {args.path} ({reasons})")
    return cohort, result


def _config(args: argparse.Namespace) -> BeatConfig:
    return BeatConfig(fs=args.fs, powerline_hz=args.powerline)


def cmd_beats(args: argparse.Namespace) -> int:
    """``vaescan beats PATH -o beats.npz``."""
    config = _config(args)
    cohort, result = _run(args, functools.partial(read_and_beat, config=config), "median beats")
    ids = dict(zip(map(str, (cohort.record_path(i) for i in range(len(cohort)))), cohort.metadata.record_id))
    beatset = beats_from_results(((ids[str(p)], r) for p, r in result.done), config,
                                 [(ids[str(p)], why) for p, why in result.skipped])
    out = beatset.save(args.output)
    return _report(result, out)


def cmd_features(args: argparse.Namespace) -> int:
    """``vaescan features PATH -o features.csv``."""
    config = _config(args)
    cohort, result = _run(args, functools.partial(features_of_record, config=config), "features")
    meta = cohort.metadata.set_index(cohort.metadata.record.map(lambda r: str(cohort.root / r)))
    rows = [{"record_id": meta.at[str(p), "record_id"], **feats} for p, feats in result.done]
    out = Path(args.output)
    with atomic_path(out) as tmp:
        pd.DataFrame(rows).to_csv(tmp, index=False, float_format="%.4f")
    return _report(result, out)

"""Subcommands of the data stage: ``beats`` and ``features``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vaescan.batch import write_failures
from vaescan.cli.options import add_jobs, add_ptbxl_rate
from vaescan.data.beats import BeatConfig
from vaescan.data.cohort import Cohort
from vaescan.data.cohort_beats import cohort_beats
from vaescan.data.features import cohort_features
from vaescan.data.sources import load_cohort
from vaescan.io import atomic_path, check_output_file


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
    add_jobs(p)
    add_ptbxl_rate(p)


def _cohort(args: argparse.Namespace) -> Cohort:
    if Path(args.path).is_dir():
        return load_cohort(args.path, sampling_rate=args.ptbxl_rate)
    return load_cohort(args.path)


def failures_path(out: Path) -> Path:
    """Where a batch lists its skipped records: ``features.failures.csv`` beside ``features.csv``."""
    return out.with_name(f"{out.stem}.failures.csv")


def _report(done: int, skipped: list[tuple[str, str]], out: Path) -> int:
    failures = write_failures(skipped, failures_path(out))
    print(f"{done} records done, {len(skipped)} skipped; wrote {out}")
    if skipped:
        print(f"skipped records (also in {failures}):", file=sys.stderr)
        for _, reason in skipped:
            print(f"  {reason}", file=sys.stderr)
    return 0


def _config(args: argparse.Namespace) -> BeatConfig:
    return BeatConfig(fs=args.fs, powerline_hz=args.powerline)


def cmd_beats(args: argparse.Namespace) -> int:
    """``vaescan beats PATH -o beats.npz``."""
    check_output_file(args.output)
    beats = cohort_beats(_cohort(args), _config(args), use_cache=False, jobs=args.jobs, progress=not args.quiet)
    return _report(len(beats.record_ids), beats.skipped, beats.save(args.output))


def cmd_features(args: argparse.Namespace) -> int:
    """``vaescan features PATH -o features.csv``."""
    out = check_output_file(args.output)
    table, result = cohort_features(_cohort(args), _config(args), jobs=args.jobs, progress=not args.quiet)
    with atomic_path(out) as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    return _report(len(result.done), [(str(item[0]), why) for item, why in result.skipped], out)

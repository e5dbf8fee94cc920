"""Subcommand of the analysis stage: ``disentangle`` (MIG, DCI, SAP of any model's latents)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from vaescan.cli.options import add_jobs
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path, write_json

ID_COLUMN = "record_id"


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``disentangle``."""
    p = sub.add_parser(
        "disentangle", help="score latents against known factors (MIG, DCI, SAP) as JSON",
        description="Score a representation against known generative factors: MIG (Chen et al. 2018), "
        "DCI (Eastwood & Williams 2018) and SAP (Kumar et al. 2018), with per-factor details. Both inputs "
        f"are CSV files with one row per sample; rows are matched on '{ID_COLUMN}' (see --on) when both "
        "files have it, else by order. Factors with two distinct values are treated as binary. Only "
        "meaningful where the factors are truly known (a synthetic cohort); compare over training seeds.")
    p.add_argument("latents", help="CSV of latent values, one column per latent unit")
    p.add_argument("factors", help="CSV of ground-truth factor values, one column per factor")
    p.add_argument("-o", "--output", default="disentanglement.json",
                   help="report file (default disentanglement.json)")
    p.add_argument("--on", default=ID_COLUMN, metavar="COLUMN",
                   help=f"id column to match rows on when both files have it (default {ID_COLUMN})")
    p.add_argument("--latent-columns", metavar="A,B,...", help="latent columns to use (default: all but the id)")
    p.add_argument("--factor-columns", metavar="A,B,...", help="factor columns to use (default: all but the id)")
    p.add_argument("--seed", type=int, default=0, help="seed of the train/test split and forests (default 0)")
    p.add_argument("--bins", type=int, default=20, help="equal-frequency bins for MIG (default 20)")
    p.add_argument("--trees", type=int, default=100, help="trees per DCI random forest (default 100)")
    p.add_argument("--test-size", type=float, default=0.3,
                   help="held-out fraction for DCI informativeness and SAP (default 0.3)")
    add_jobs(p, "the forests")
    p.add_argument("--plot", metavar="PNG", help="also save a heatmap of the normalised mutual information")
    p.set_defaults(func=cmd_disentangle)


def _read_table(path: str) -> pd.DataFrame:
    if not Path(path).is_file():
        raise VaescanInputError(path, "file not found")
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise VaescanInputError(path, f"unreadable CSV ({exc})") from None
    if table.empty:
        raise VaescanInputError(path, "no rows")
    return table


def _columns(table: pd.DataFrame, path: str, wanted: str | None, id_column: str) -> pd.DataFrame:
    names = [c.strip() for c in wanted.split(",")] if wanted else [c for c in table.columns if c != id_column]
    missing = [c for c in names if c not in table.columns]
    if missing:
        raise VaescanInputError(path, f"no column(s) {missing} (columns: {list(table.columns)})")
    chosen = table[names]
    text = [c for c in names if not pd.api.types.is_numeric_dtype(chosen[c])]
    if text:
        raise VaescanInputError(path, f"column(s) {text} are not numeric; choose columns with "
                                "--latent-columns/--factor-columns")
    bad = ~np.isfinite(chosen.to_numpy(dtype=np.float64, na_value=np.nan))
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        raise VaescanInputError(path, f"{len(rows)} row(s) hold empty or non-finite values "
                                f"(first: data row {rows[0] + 1}); drop or impute them first")
    return chosen


def _align(latents: pd.DataFrame, factors: pd.DataFrame,
           args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame]:
    key = args.on
    if key in latents.columns and key in factors.columns:
        for table, path in ((latents, args.latents), (factors, args.factors)):
            repeated = table[key][table[key].duplicated()]
            if len(repeated):
                raise VaescanInputError(path, f"{key} values repeat, e.g. {repeated.iloc[0]}")
        lat_ids, fac_ids = latents[key].astype(str), factors[key].astype(str)
        only = sorted(set(lat_ids) - set(fac_ids))
        if only:
            raise VaescanInputError(args.factors, f"{len(only)} {key}(s) of the latents have no factor row, "
                                    f"e.g. {only[:3]}")
        factors = factors.set_index(fac_ids).loc[lat_ids].reset_index(drop=True)
        return latents.reset_index(drop=True), factors
    if len(latents) != len(factors):
        raise VaescanInputError(args.factors, f"{len(factors)} rows but the latents have {len(latents)}, and "
                                f"no shared '{key}' column to match them on (see --on)")
    return latents, factors


def cmd_disentangle(args: argparse.Namespace) -> int:
    """``vaescan disentangle LATENTS.csv FACTORS.csv -o report.json``."""
    from vaescan.report.heatmap import plot_heatmap  # seaborn: imported only when used
    from vaescan.stats.disentangle import disentanglement_report

    latents, factors = _align(_read_table(args.latents), _read_table(args.factors), args)
    z = _columns(latents, args.latents, args.latent_columns, args.on)
    f = _columns(factors, args.factors, args.factor_columns, args.on)
    try:
        report = disentanglement_report(
            z.to_numpy(np.float64), f.to_numpy(np.float64), list(f.columns), seed=args.seed,
            latent_names=list(z.columns), n_bins=args.bins, test_size=args.test_size,
            n_estimators=args.trees, n_jobs=args.jobs, progress=not args.quiet)
    except ValueError as exc:
        raise VaescanInputError(f"{args.latents} + {args.factors}", str(exc)) from None
    report["inputs"] = {"latents": str(args.latents), "factors": str(args.factors)}
    out = write_json(args.output, report)
    dci = report["dci"]
    print(f"MIG {report['mig']:.3f}  SAP {report['sap']:.3f}  DCI disentanglement {dci['disentanglement']:.3f} "
          f"completeness {dci['completeness']:.3f} informativeness (NRMSE) {dci['informativeness_nrmse']:.3f} "
          f"[{report['n_samples']} samples, {report['n_latents']} latents, {report['n_factors']} factors]; "
          f"wrote {out}")
    if args.plot:
        table = pd.DataFrame(report["normalized_mi"], index=report["latent_names"], columns=report["factor_names"])
        fig = plot_heatmap(table, title="I(latent; factor) / H(factor)", center=None, cmap="rocket_r", vmin=0,
                           vmax=1, cbar_label="normalised mutual information")
        with atomic_path(args.plot) as tmp:
            fig.savefig(tmp, format="png", dpi=120)
        print(f"wrote {args.plot}")
    return 0

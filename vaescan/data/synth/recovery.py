"""How well measured features recover a synthetic cohort's ground truth (the engineered baseline's check).

:func:`feature_recovery` compares a ``vaescan features`` table with the cohort's
``metadata.csv``: absolute errors per quantity, overall and per label, the P
waves missed in sinus rhythm or invented in atrial fibrillation, and the
targets of the cohort issue (MAE <= 10 ms for QRS, <= 20 ms for PR and QT,
<= 2 bpm for HR). ST truth is per territory, so the measured per-lead ST levels
are averaged over the territory's leads first; axis errors wrap at +-180 deg.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaescan.data.leads import TERRITORIES
from vaescan.data.synth.clinical import LABELS

RECOVERY_TARGETS: dict[str, float] = {"qrs_ms": 10.0, "pr_ms": 20.0, "qt_ms": 20.0, "hr_bpm": 2.0}
"""Largest acceptable mean absolute error per quantity (ms, bpm)."""

COMPARED: tuple[str, ...] = ("hr_bpm", "rr_irregularity", "pr_ms", "qrs_ms", "qt_ms", "qtc_fridericia_ms",
                             "axis_deg", "st_mv_anterior", "st_mv_inferior", "st_mv_lateral")
"""Ground-truth columns that have a measured counterpart."""


def feature_errors(truth: pd.DataFrame, measured: pd.DataFrame) -> pd.DataFrame:
    """Signed error (measured - truth) per record and quantity, on rows aligned by index.

    Example
    -------
    >>> truth = pd.DataFrame({"qrs_ms": [100.0], "axis_deg": [179.0]})
    >>> measured = pd.DataFrame({"qrs_ms": [104.0], "axis_deg": [-179.0]})
    >>> feature_errors(truth, measured).round(6).to_dict("records")
    [{'qrs_ms': 4.0, 'axis_deg': 2.0}]
    """
    out = {}
    for name in COMPARED:
        if name not in truth:
            continue
        if name.startswith("st_mv_"):
            est = measured[[f"st_mv_{lead}" for lead in TERRITORIES[name[len("st_mv_"):]]]].mean(axis=1)
        else:
            est = measured[name]
        err = est - truth[name]
        out[name] = (err + 180.0) % 360.0 - 180.0 if name == "axis_deg" else err
    return pd.DataFrame(out)


def _summary(err: pd.Series) -> dict[str, float]:
    a = err.dropna().abs()
    if a.empty:
        return {"n": 0}
    return {"n": int(a.size), "mae": float(a.mean()), "bias": float(err.dropna().mean()),
            "median_ae": float(a.median()), "p95_ae": float(a.quantile(0.95)), "max_ae": float(a.max())}


def feature_recovery(truth: pd.DataFrame, measured: pd.DataFrame) -> dict:
    """Recovery report of measured features against a synthetic cohort's truth, both indexed by record id.

    Returns a JSON-ready dict: ``overall`` and ``per_label`` error summaries (n,
    mae, bias, median_ae, p95_ae, max_ae), ``p_wave`` counts and ``targets``
    (:data:`RECOVERY_TARGETS`, with ``met``). Records missing from ``measured``
    (skipped by the extractor) are left out and counted in ``n_measured``.

    Example
    -------
    >>> truth = pd.DataFrame({"NORM": [1, 1], "qrs_ms": [90.0, 100.0], "pr_ms": [150.0, 160.0]},
    ...                      index=["a", "b"])
    >>> measured = pd.DataFrame({"qrs_ms": [93.0, 101.0], "pr_ms": [150.0, np.nan]}, index=["a", "b"])
    >>> report = feature_recovery(truth, measured)
    >>> report["targets"]["qrs_ms"], report["p_wave"]["sinus_p_missed"]
    ({'target_mae': 10.0, 'mae': 2.0, 'met': True}, 1)
    """
    truth = truth.loc[measured.index]
    errors = feature_errors(truth, measured)
    result = {"n_records": int(len(truth)), "n_measured": int(len(measured)),
              "overall": {k: _summary(e) for k, e in errors.items()}, "per_label": {}}
    for label in LABELS:
        if label in truth:
            mask = truth[label] == 1
            result["per_label"][label] = {"n": int(mask.sum()),
                                          **{k: _summary(e[mask]) for k, e in errors.items()}}
    if "pr_ms" in truth:
        sinus = truth["pr_ms"].notna()
        result["p_wave"] = {
            "sinus_records": int(sinus.sum()),
            "sinus_p_missed": int((sinus & measured["pr_ms"].isna()).sum()),
            "af_records": int((~sinus).sum()),
            "af_p_invented": int((~sinus & measured["pr_ms"].notna()).sum()),
        }
    result["targets"] = {k: {"target_mae": v, "mae": result["overall"][k].get("mae"),
                             "met": bool(result["overall"][k].get("mae", np.inf) <= v)}
                         for k, v in RECOVERY_TARGETS.items() if k in result["overall"]}
    return result

"""What explainability costs: the same tasks, the same test records, scored for every representation.

Each representation (engineered features + a linear model, VAE-SCAN factors + the
linear SCAN head, VAE factors + a non-linear head, black-box CNNs) gives one
prediction table (``record_id``, ``prob_<label>``, ``pred_<variable>``, as
``vaescan predict`` writes it). :func:`tradeoff_analysis` scores them against the
truth table with percentile bootstrap 95% intervals (records resampled, seeded):

- per label: AUROC, AUPRC and the expected calibration error (:func:`expected_calibration_error`);
- per continuous variable (age): R2 and MAE (years);
- per representation: the macro AUROC over the labels every representation predicts, and a paired
  bootstrap test of its gap to the best one (:func:`paired_auroc_gap`: both scored on the same resampled
  records).

Every representation carries an explainability level (:data:`EXPLAINABILITY_LEVELS`, 1 = most explainable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from vaescan.stats.associations import bootstrap_ci, bootstrap_samples

EXPLAINABILITY_LEVELS: dict[int, str] = {
    1: "engineered features + linear model",
    2: "VAE-SCAN factors + linear SCAN head",
    3: "VAE factors + non-linear head",
    4: "black-box CNN on signals",
    5: "black-box CNN on page images",
    6: "photographed path: page photo -> digitiser -> levels 1-4",
}
"""Explainability level -> what the representation is; 1 is the most explainable."""


@dataclass
class TradeoffResult:
    """Scores of every representation: ``table`` one row per representation x task (metrics, intervals, ECE),
    ``summary`` one row per representation (macro AUROC, its interval, the paired gap to the best and its p),
    ``macro_labels`` the labels the macro AUROC averages, ``best`` the representation with the highest one,
    ``anchoring`` one row per anchored x unanchored pair of the same level (:data:`ANCHORING_COLUMNS`: the paired
    macro AUROC gap anchored - unanchored, its interval and p), ``black_box`` one row per explainable level: its
    best representation against the best black box (:func:`black_box_gaps`, :data:`BLACK_BOX_COLUMNS`)."""

    table: pd.DataFrame
    summary: pd.DataFrame
    macro_labels: list[str]
    best: str | None
    anchoring: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ANCHORING_COLUMNS))
    black_box: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=BLACK_BOX_COLUMNS))


def expected_calibration_error(y_true: np.ndarray, prob: np.ndarray, n_bins: int = 10) -> float:
    """Expected calibration error: over ``n_bins`` equal-width bins of the predicted probability, the
    record-weighted mean of |observed rate - mean predicted probability| (0 = calibrated, in probability units).

    Example
    -------
    >>> expected_calibration_error(np.array([0, 1, 0, 1]), np.array([0.5, 0.5, 0.5, 0.5]))
    0.0
    >>> expected_calibration_error(np.array([0, 0, 0, 0]), np.array([0.8, 0.8, 0.2, 0.2]))
    0.5
    """
    y, p = np.asarray(y_true, dtype=np.float64), np.asarray(prob, dtype=np.float64)
    bins = np.clip((p * n_bins).astype(int), 0, n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    gaps = np.abs(np.bincount(bins, y, n_bins) - np.bincount(bins, p, n_bins))
    return float(gaps.sum() / max(counts.sum(), 1))


def auroc(y_true: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve from ranks (Mann-Whitney U; ties count one half): the value of scikit-learn's
    ``roc_auc_score`` without its input checks, fast enough for thousands of bootstrap resamples.
    ValueError if ``y_true`` holds one class.

    Example
    -------
    >>> auroc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    y = np.asarray(y_true) == 1
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        raise ValueError("AUROC needs both classes")
    ranks = rankdata(score)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def auprc(y_true: np.ndarray, score: np.ndarray) -> float:
    """Average precision (area under the precision-recall curve as a step sum over distinct thresholds): the
    value of scikit-learn's ``average_precision_score``, fast. ValueError without a positive.

    Example
    -------
    >>> auprc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.8333333333333333
    """
    y = np.asarray(y_true) == 1
    if not y.any():
        raise ValueError("AUPRC needs a positive")
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="mergesort")
    s, hits = np.asarray(score)[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]  # the last record of each distinct score
    tps = np.cumsum(hits)[last]
    precision, recall = tps / (last + 1), tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def r2(y_true: np.ndarray, pred: np.ndarray) -> float:
    """Coefficient of determination, 1 - SSE / SST (NaN for a constant ``y_true``).

    Example
    -------
    >>> r2(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))
    0.5
    """
    sst = float(np.sum((y_true - np.mean(y_true)) ** 2))
    return 1.0 - float(np.sum((y_true - pred) ** 2)) / sst if sst > 0 else float("nan")


def mae(y_true: np.ndarray, pred: np.ndarray) -> float:
    """Mean absolute error (in the units of ``y_true``, e.g. years).

    Example
    -------
    >>> mae(np.array([40.0, 60.0]), np.array([43.0, 59.0]))
    2.0
    """
    return float(np.mean(np.abs(y_true - pred)))


def macro_auroc(y_true: np.ndarray, prob: np.ndarray) -> float:
    """Mean AUROC over the columns of ``y_true`` and ``prob`` (records x labels, no NaN); ValueError if a
    column has one class.

    Example
    -------
    >>> y = np.array([[0, 1], [1, 0], [0, 1], [1, 0]])
    >>> macro_auroc(y, np.array([[0.1, 0.9], [0.9, 0.2], [0.2, 0.4], [0.3, 0.8]]))
    0.875
    """
    return float(np.mean([auroc(y_true[:, j], prob[:, j]) for j in range(y_true.shape[1])]))


def _auroc_gap(y_true: np.ndarray, probs: np.ndarray) -> float:
    """Macro AUROC of ``probs[..., 0]`` minus that of ``probs[..., 1]`` (records x labels x 2)."""
    return macro_auroc(y_true, probs[..., 0]) - macro_auroc(y_true, probs[..., 1])


def paired_auroc_gap(y_true: np.ndarray, prob: np.ndarray, prob_ref: np.ndarray, n_boot: int = 1000,
                     seed: int = 0) -> dict[str, float]:
    """Paired bootstrap test of macro AUROC(``prob``) - macro AUROC(``prob_ref``) on the same records.

    Both are scored on the same resampled records; returns the ``gap``, its percentile 95% interval
    (``low``, ``high``) and a two-sided ``p`` (twice the smaller share of resampled gaps on either
    side of 0, with the +1 correction; 1.0 for identical predictions).

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, (300, 2))
    >>> good, bad = y + rng.normal(0, 0.5, y.shape), y + rng.normal(0, 2.0, y.shape)
    >>> test = paired_auroc_gap(y, bad, good, n_boot=200)
    >>> bool(test["high"] < 0), test["p"] < 0.05
    (True, True)
    """
    estimate, gaps = bootstrap_samples(_auroc_gap, y_true, np.stack([prob, prob_ref], axis=-1), n_boot, seed)
    low, high = np.percentile(gaps, [2.5, 97.5])
    tail = min(int((gaps <= 0).sum()), int((gaps >= 0).sum()))
    return {"gap": estimate, "low": float(low), "high": float(high),
            "p": float(min(1.0, 2 * (tail + 1) / (len(gaps) + 1)))}


def _aligned(pred: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """``pred`` rows in the order of ``truth.record_id`` (records it lacks as NaN)."""
    pred = pred.drop_duplicates("record_id")
    pred = pred.set_index(pred["record_id"].astype(str).to_numpy())
    return pred.reindex(truth["record_id"].astype(str).to_numpy()).reset_index(drop=True)


def _task_scores(y: np.ndarray, p: np.ndarray, kind: str, n_boot: int, seed: int) -> dict[str, float]:
    """Metrics of one task on the records where truth and prediction are known."""
    keep = np.isfinite(y) & np.isfinite(p)
    y, p = y[keep], p[keep]
    out: dict[str, float] = {"n": int(keep.sum())}
    if kind == "binary":
        if len(np.unique(y)) < 2:
            return out
        for name, fn in (("auroc", auroc), ("auprc", auprc)):
            out[name], out[f"{name}_low"], out[f"{name}_high"] = bootstrap_ci(fn, y, p, n_boot, seed, stratify=y)
        out["ece"] = expected_calibration_error(y, p)
        out["prevalence"] = float(y.mean())
    elif len(y) >= 3:
        for name, fn in (("r2", r2), ("mae", mae)):
            out[name], out[f"{name}_low"], out[f"{name}_high"] = bootstrap_ci(fn, y, p, n_boot, seed)
    return out


TABLE_COLUMNS = ["representation", "level", "task", "kind", "n", "prevalence", "auroc", "auroc_low", "auroc_high",
                 "auprc", "auprc_low", "auprc_high", "ece", "r2", "r2_low", "r2_high", "mae", "mae_low", "mae_high"]
SUMMARY_COLUMNS = ["representation", "level", "anchoring", "explanation", "n", "macro_auroc", "macro_auroc_low",
                   "macro_auroc_high", "gap_to_best", "gap_low", "gap_high", "p_gap"]
ANCHORING_COLUMNS = ["level", "anchored", "unanchored", "n", "gap", "gap_low", "gap_high", "p"]
BLACK_BOX_COLUMNS = ["level", "explainable", "black_box", "n", "gap", "gap_low", "gap_high", "p"]
EXPLAINABLE_LEVELS = (1, 2, 3)
"""The levels whose representations explain themselves (coefficients, factors); 4 and 5 are the black boxes."""
BLACK_BOX_LEVELS = (4, 5)
"""The black boxes' levels (level 6, the photographed path, is scored on other records and compared with neither)."""


def tradeoff_analysis(predictions: Mapping[str, pd.DataFrame], truth: pd.DataFrame, levels: Mapping[str, int], *,
                      binary: Sequence[str], continuous: Sequence[str] = ("age",), n_boot: int = 1000,
                      seed: int = 0, min_per_class: int = 5,
                      anchoring: Mapping[str, str] | None = None) -> TradeoffResult:
    """Score every representation's predictions against ``truth`` (``record_id`` + the task columns; the test
    split) on the same records: see the module docstring. ``levels`` gives each representation's
    explainability level (:data:`EXPLAINABILITY_LEVELS`). A task a representation does not predict (no
    ``prob_<label>`` / ``pred_<variable>`` column) is left out of its rows; the macro AUROC averages the labels
    that every representation predicts and that have at least ``min_per_class`` test records in each class
    (rarer labels would leave many resamples without a positive; they keep their own rows in ``table``).
    ``anchoring`` labels VAE-based representations ``anchored`` or ``unanchored``: every anchored one is compared
    with every unanchored one of the same level (:func:`anchoring_gaps`).

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> truth = pd.DataFrame({"record_id": [f"r{i}" for i in range(200)], "A": rng.integers(0, 2, 200),
    ...                       "age": rng.normal(60, 10, 200)})
    >>> good = pd.DataFrame({"record_id": truth.record_id, "prob_A": 0.2 + 0.6 * truth.A,
    ...                      "pred_age": truth.age + rng.normal(0, 5, 200)})
    >>> noisy = good.assign(prob_A=rng.uniform(size=200))
    >>> result = tradeoff_analysis({"features": noisy, "cnn": good}, truth, {"features": 1, "cnn": 4},
    ...                            binary=["A"], n_boot=50)
    >>> result.best, float(result.summary.set_index("representation").loc["cnn", "macro_auroc"])
    ('cnn', 1.0)
    >>> round(float(result.table.set_index(["representation", "task"]).loc[("cnn", "A"), "ece"]), 6)
    0.2
    """
    unknown = sorted(set(predictions) - set(levels))
    if unknown:
        raise ValueError(f"no explainability level for {unknown}")
    aligned = {name: _aligned(pred, truth) for name, pred in predictions.items()}
    rows = []
    for name, pred in aligned.items():
        for kind, tasks, prefix in (("binary", binary, "prob_"), ("continuous", continuous, "pred_")):
            for task in tasks:
                if f"{prefix}{task}" not in pred.columns or task not in truth.columns:
                    continue
                y = truth[task].to_numpy(dtype=np.float64)
                p = pred[f"{prefix}{task}"].to_numpy(dtype=np.float64)
                rows.append({"representation": name, "level": int(levels[name]), "task": task, "kind": kind,
                             **_task_scores(y, p, kind, n_boot, seed)})
    table = pd.DataFrame(rows).reindex(columns=TABLE_COLUMNS)
    counts = {t: truth[t].dropna().value_counts() for t in binary if t in truth.columns}
    labels = [t for t, c in counts.items() if len(c) == 2 and c.min() >= min_per_class
              and all(f"prob_{t}" in pred.columns for pred in aligned.values())]
    summary = _summary(aligned, truth, levels, labels, n_boot, seed)
    summary["anchoring"] = [(anchoring or {}).get(name, "") for name in summary["representation"]]
    best = None if summary["macro_auroc"].isna().all() else str(
        summary.loc[summary["macro_auroc"].idxmax(), "representation"])
    return TradeoffResult(table, summary, labels, best,
                          anchoring_gaps(aligned, truth, levels, anchoring or {}, labels, n_boot, seed),
                          black_box_gaps(aligned, truth, summary, labels, n_boot, seed))


def _paired_row(y: np.ndarray, pa: np.ndarray, pb: np.ndarray, n_boot: int, seed: int) -> dict[str, float]:
    """n, gap, gap_low, gap_high, p of macro AUROC(pa) - macro AUROC(pb) on the records both predict (no gap
    where a label has one class among them)."""
    keep = np.isfinite(y).all(1) & np.isfinite(pa).all(1) & np.isfinite(pb).all(1)
    row: dict[str, float] = {"n": int(keep.sum())}
    try:
        test = paired_auroc_gap(y[keep], pa[keep], pb[keep], n_boot, seed)
        row.update(gap=test["gap"], gap_low=test["low"], gap_high=test["high"], p=test["p"])
    except ValueError:  # a label with one class among the shared records
        pass
    return row


def black_box_gaps(aligned: Mapping[str, pd.DataFrame], truth: pd.DataFrame, summary: pd.DataFrame,
                   labels: list[str], n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """What explainability costs against the black box: for each explainable level (:data:`EXPLAINABLE_LEVELS`)
    its representation with the highest macro AUROC in ``summary``, against the black box (:data:`BLACK_BOX_LEVELS`)
    with the highest, the macro AUROC gap explainable - black box over ``labels`` on the records both predict, with
    its paired bootstrap interval and p (:func:`paired_auroc_gap`). Empty without a scored black box.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> truth = pd.DataFrame({"record_id": [str(i) for i in range(200)], "A": rng.integers(0, 2, 200)})
    >>> good = pd.DataFrame({"prob_A": truth.A + rng.normal(0, 0.5, 200)})
    >>> bad = pd.DataFrame({"prob_A": truth.A + rng.normal(0, 3, 200)})
    >>> summary = pd.DataFrame({"representation": ["lin", "cnn"], "level": [1, 4], "macro_auroc": [0.6, 0.9]})
    >>> gaps = black_box_gaps({"lin": bad, "cnn": good}, truth, summary, ["A"], n_boot=100)
    >>> gaps[["level", "explainable", "black_box"]].values.tolist(), bool(gaps.gap_high.iloc[0] < 0)
    ([[1, 'lin', 'cnn']], True)
    """
    scored = summary[np.isfinite(summary["macro_auroc"].to_numpy(dtype=float))]
    boxes = scored[scored["level"].isin(BLACK_BOX_LEVELS)]
    rows = []
    if labels and len(boxes):
        box = str(boxes.loc[boxes["macro_auroc"].idxmax(), "representation"])
        y = truth[labels].to_numpy(dtype=np.float64)
        columns = [f"prob_{t}" for t in labels]
        for level in EXPLAINABLE_LEVELS:
            at = scored[scored["level"] == level]
            if not len(at):
                continue
            name = str(at.loc[at["macro_auroc"].idxmax(), "representation"])
            rows.append({"level": level, "explainable": name, "black_box": box,
                         **_paired_row(y, aligned[name][columns].to_numpy(dtype=np.float64),
                                       aligned[box][columns].to_numpy(dtype=np.float64), n_boot, seed)})
    return pd.DataFrame(rows).reindex(columns=BLACK_BOX_COLUMNS)


def anchoring_gaps(aligned: Mapping[str, pd.DataFrame], truth: pd.DataFrame, levels: Mapping[str, int],
                   anchoring: Mapping[str, str], labels: list[str], n_boot: int = 1000,
                   seed: int = 0) -> pd.DataFrame:
    """What anchoring cost or gained: for each level, every ``anchored`` representation against every
    ``unanchored`` one (``anchoring``: name -> label), the macro AUROC gap anchored - unanchored over ``labels``
    on the records both predict, with its paired bootstrap interval and p (:func:`paired_auroc_gap`).
    ``aligned`` holds each representation's predictions in the order of ``truth``'s records.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> truth = pd.DataFrame({"record_id": [str(i) for i in range(200)], "A": rng.integers(0, 2, 200)})
    >>> good = pd.DataFrame({"prob_A": truth.A + rng.normal(0, 0.5, 200)})
    >>> bad = pd.DataFrame({"prob_A": truth.A + rng.normal(0, 3, 200)})
    >>> gaps = anchoring_gaps({"a": good, "b": bad}, truth, {"a": 2, "b": 2}, {"a": "anchored", "b": "unanchored"},
    ...                       ["A"], n_boot=100)
    >>> gaps[["anchored", "unanchored"]].values.tolist(), bool(gaps.gap_low.iloc[0] > 0)
    ([['a', 'b']], True)
    """
    rows = []
    y = truth[labels].to_numpy(dtype=np.float64)
    for a, label_a in anchoring.items():
        for b, label_b in anchoring.items():
            if label_a != "anchored" or label_b != "unanchored" or levels[a] != levels[b] or not labels:
                continue
            pa, pb = (aligned[k][[f"prob_{t}" for t in labels]].to_numpy(dtype=np.float64) for k in (a, b))
            rows.append({"level": int(levels[a]), "anchored": a, "unanchored": b,
                         **_paired_row(y, pa, pb, n_boot, seed)})
    return pd.DataFrame(rows).reindex(columns=ANCHORING_COLUMNS)


def _summary(aligned: Mapping[str, pd.DataFrame], truth: pd.DataFrame, levels: Mapping[str, int],
             labels: list[str], n_boot: int, seed: int) -> pd.DataFrame:
    """One row per representation: macro AUROC with its interval, and the paired gap to the best."""
    y = truth[labels].to_numpy(dtype=np.float64)
    probs = {name: pred[[f"prob_{t}" for t in labels]].to_numpy(dtype=np.float64) if labels else
             np.zeros((len(truth), 0)) for name, pred in aligned.items()}
    rows = []
    for name, p in probs.items():
        keep = np.isfinite(y).all(1) & np.isfinite(p).all(1)
        row = {"representation": name, "level": int(levels[name]),
               "explanation": EXPLAINABILITY_LEVELS.get(int(levels[name]), ""), "n": int(keep.sum())}
        if labels and keep.sum() >= 2:
            try:
                est, low, high = bootstrap_ci(macro_auroc, y[keep], p[keep], n_boot, seed)
                row.update(macro_auroc=est, macro_auroc_low=low, macro_auroc_high=high)
            except ValueError:  # a label with one class among this representation's records
                pass
        rows.append(row)
    summary = pd.DataFrame(rows).reindex(columns=SUMMARY_COLUMNS)
    if summary["macro_auroc"].notna().any():
        best = str(summary.loc[summary["macro_auroc"].idxmax(), "representation"])
        for i, name in enumerate(summary["representation"]):
            keep = np.isfinite(y).all(1) & np.isfinite(probs[name]).all(1) & np.isfinite(probs[best]).all(1)
            if name == best:
                summary.loc[i, ["gap_to_best", "gap_low", "gap_high", "p_gap"]] = [0.0, 0.0, 0.0, 1.0]
            elif keep.sum() >= 2 and np.isfinite(summary.loc[i, "macro_auroc"]):
                test = paired_auroc_gap(y[keep], probs[name][keep], probs[best][keep], n_boot, seed)
                summary.loc[i, ["gap_to_best", "gap_low", "gap_high", "p_gap"]] = [
                    test["gap"], test["low"], test["high"], test["p"]]
    return summary.sort_values(["level", "representation"], kind="stable").reset_index(drop=True)

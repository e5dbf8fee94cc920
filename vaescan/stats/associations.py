"""Associations between latent factors and clinical variables, with confidence intervals.

Unlike :mod:`vaescan.stats.disentangle`, nothing here needs known generative
factors: these are the read-outs used on real cohorts (PTB-XL labels, age,
measured intervals).

- :func:`spearman_matrix`: monotonic association of every latent with every column (Spearman rho).
- :func:`single_factor_scores`: how well one latent alone predicts one variable
  (AUROC for binary variables, R2 of a linear fit for continuous ones).
- :func:`bootstrap_ci`: a percentile bootstrap interval for any metric (:func:`bootstrap_samples`: the resampled
  values themselves, e.g. for a paired test).

Their heatmaps are drawn by :func:`vaescan.report.heatmap.plot_heatmap`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score, roc_auc_score

from vaescan.stats.disentangle import _as_matrix

log = logging.getLogger("vaescan")

MIN_PAIRS = 3


def _latent_matrix(latents: Any, n_rows: int, latent_names: Sequence[str] | None) -> tuple[np.ndarray, list[str]]:
    """Validated latents and their names (given, a DataFrame's columns, or z0, z1, ...)."""
    if latent_names is None and isinstance(latents, pd.DataFrame):
        latent_names = list(latents.columns)
    z = _as_matrix(latents, "latents", "latent units")
    if z.shape[0] != n_rows:
        raise ValueError(f"latents have {z.shape[0]} rows but the table has {n_rows}")
    names = [f"z{i}" for i in range(z.shape[1])] if latent_names is None else [str(n) for n in latent_names]
    if len(names) != z.shape[1]:
        raise ValueError(f"{len(names)} latent names given for {z.shape[1]} latent units")
    return z, names


def _numeric_column(table: pd.DataFrame, name: str) -> np.ndarray:
    if name not in table.columns:
        raise ValueError(f"column {name!r} is not in the table (columns: {list(table.columns)})")
    col = table[name]
    if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
        raise ValueError(f"column {name!r} is not numeric (dtype {col.dtype})")
    values = col.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    values[~np.isfinite(values)] = np.nan
    return values


def spearman_matrix(
    latents: np.ndarray,
    table: pd.DataFrame,
    latent_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Spearman rank correlation of every latent (rows) with every table column (columns).

    Rows where a column is NaN are left out for that column only (pairwise).
    rho is NaN where it is undefined: a column with fewer than 3 values, or a
    latent or column that is constant on the rows used. Every column must be
    numeric (0/1 labels are fine; rho is then a rank-biserial-type correlation).

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(200, 2))
    >>> table = pd.DataFrame({"age": 50 + 10 * np.exp(z[:, 1]), "hr_bpm": 70 - 5 * z[:, 0] ** 3})
    >>> table.loc[:9, "age"] = np.nan
    >>> spearman_matrix(z, table).round(2)
         age  hr_bpm
    z0  0.04   -1.00
    z1  1.00   -0.06
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    z, names = _latent_matrix(latents, len(table), latent_names)
    out = pd.DataFrame(np.nan, index=names, columns=list(table.columns), dtype=np.float64)
    for name in table.columns:
        y = _numeric_column(table, name)
        rows = ~np.isnan(y)
        if rows.sum() < MIN_PAIRS or np.ptp(y[rows]) == 0:
            continue
        zr = z[rows]
        varying = np.ptp(zr, axis=0) > 0
        for i in np.flatnonzero(varying):
            out.iloc[i, out.columns.get_loc(name)] = spearmanr(zr[:, i], y[rows]).statistic
    return out


def single_factor_scores(
    latents: np.ndarray,
    table: pd.DataFrame,
    binary: Sequence[str] = (),
    continuous: Sequence[str] = (),
    latent_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """How well each latent alone predicts each variable, in long format (one row per latent and variable).

    Columns: ``latent``, ``variable``, ``kind`` (``binary``/``continuous``),
    ``metric`` (``auroc``/``r2``), ``score`` and ``n`` (rows used; rows where the
    variable is NaN are left out).

    - Binary variables (exactly two values; the higher one is the positive
      class): AUROC of the latent as a score, as is. 1 = higher latent values
      mean the positive class, 0.5 = no association, below 0.5 = inverse
      association (1 - AUROC is the AUROC of the negated latent).
    - Continuous variables: R2 of a univariate linear fit, in-sample (the
      squared Pearson correlation; carries no sign, see :func:`spearman_matrix`).

    A wide table for :func:`plot_heatmap`:
    ``scores.pivot(index="latent", columns="variable", values="score")``.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(300, 2))
    >>> table = pd.DataFrame({"lbbb": (z[:, 0] > 0.5).astype(int), "qrs_ms": 100 + 20 * z[:, 1]})
    >>> scores = single_factor_scores(z, table, binary=["lbbb"], continuous=["qrs_ms"])
    >>> scores.round(2)
      latent variable        kind metric  score    n
    0     z0     lbbb      binary  auroc   1.00  300
    1     z1     lbbb      binary  auroc   0.52  300
    2     z0   qrs_ms  continuous     r2   0.00  300
    3     z1   qrs_ms  continuous     r2   1.00  300
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table must be a pandas DataFrame, got {type(table).__name__}")
    both = set(binary) & set(continuous)
    if both:
        raise ValueError(f"variable(s) {sorted(both)} listed as both binary and continuous")
    if not binary and not continuous:
        raise ValueError("name at least one binary or continuous variable")
    z, names = _latent_matrix(latents, len(table), latent_names)
    rows = []
    for kind, variables in (("binary", binary), ("continuous", continuous)):
        for var in variables:
            y = _numeric_column(table, var)
            keep = ~np.isnan(y)
            y, zk = y[keep], z[keep]
            values = np.unique(y)
            if kind == "binary" and values.size != 2:
                raise ValueError(f"binary variable {var!r} has {values.size} distinct value(s) "
                                 f"{values[:5].tolist()}, expected 2")
            if kind == "continuous" and values.size < 2:
                raise ValueError(f"continuous variable {var!r} is constant or empty; R2 is undefined")
            for i, name in enumerate(names):
                if kind == "binary":
                    metric, score = "auroc", roc_auc_score(y == values[1], zk[:, i])
                else:
                    pred = LinearRegression().fit(zk[:, i:i + 1], y).predict(zk[:, i:i + 1])
                    metric, score = "r2", r2_score(y, pred)
                rows.append({"latent": name, "variable": var, "kind": kind, "metric": metric,
                             "score": float(score), "n": int(keep.sum())})
    return pd.DataFrame(rows, columns=["latent", "variable", "kind", "metric", "score", "n"])


def bootstrap_samples(
    metric_fn: Callable[[np.ndarray, np.ndarray], float],
    y_true: Any,
    y_score: Any,
    n_boot: int = 1000,
    seed: int = 0,
    *,
    stratify: Any = None,
) -> tuple[float, np.ndarray]:
    """The metric on all rows and its values over ``n_boot`` resamples of the rows (with replacement).

    Rows of ``y_true`` and ``y_score`` are resampled together (they may be
    2-D: e.g. several labels or several models' scores per record, so two
    models are compared on the same resampled records). ``stratify`` (e.g.
    the class labels) resamples within each group, keeping group sizes. A
    resample on which the metric fails (``ValueError``) or is not finite is
    dropped, and the count is logged as one warning; more than half dropped
    raises ``ValueError``. Same ``seed``, same resamples.

    Example
    -------
    >>> y = np.arange(10.0)
    >>> est, values = bootstrap_samples(lambda t, s: float(np.mean(s)), y, y, n_boot=200)
    >>> est, values.shape, bool(3 < values.mean() < 6)
    (4.5, (200,), True)
    """
    y_true, y_score = np.asarray(y_true), np.asarray(y_score)
    n = len(y_true)
    if len(y_score) != n:
        raise ValueError(f"y_true and y_score differ in length ({n} and {len(y_score)})")
    if n < 2:
        raise ValueError(f"need at least 2 samples, got {n}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}")
    if stratify is None:
        groups = [np.arange(n)]
    else:
        strata = np.asarray(stratify)
        if len(strata) != n:
            raise ValueError(f"stratify has {len(strata)} entries for {n} samples")
        groups = [np.flatnonzero(strata == g) for g in np.unique(strata)]
    estimate = float(metric_fn(y_true, y_score))
    rng = np.random.default_rng(seed)
    stats = []
    for _ in range(n_boot):
        idx = np.concatenate([rng.choice(g, size=g.size, replace=True) for g in groups])
        try:
            with warnings.catch_warnings():  # undefined resamples are counted and reported below
                warnings.simplefilter("ignore")
                value = float(metric_fn(y_true[idx], y_score[idx]))
        except ValueError:
            continue
        if np.isfinite(value):
            stats.append(value)
    dropped = n_boot - len(stats)
    if dropped > n_boot / 2:
        raise ValueError(f"the metric failed on {dropped} of {n_boot} resamples; "
                         "too few samples (try stratify= with the class labels)")
    if dropped:
        log.warning("bootstrap: metric undefined on %d of %d resamples, dropped", dropped, n_boot)
    return estimate, np.asarray(stats)


def bootstrap_ci(
    metric_fn: Callable[[np.ndarray, np.ndarray], float],
    y_true: Any,
    y_score: Any,
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    *,
    stratify: Any = None,
) -> tuple[float, float, float]:
    """Percentile bootstrap confidence interval of ``metric_fn(y_true, y_score)``.

    Returns ``(estimate, low, high)``: the metric on all samples and the
    ``alpha / 2`` and ``1 - alpha / 2`` percentiles of the metric over
    ``n_boot`` resamples of the rows (with replacement), drawn by
    :func:`bootstrap_samples` (``stratify``, dropped resamples: see there).
    ``stratify`` (e.g. the class labels) keeps every resample with both classes.

    Example
    -------
    >>> from sklearn.metrics import roc_auc_score
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 400)
    >>> score = y + rng.normal(size=400)
    >>> est, low, high = bootstrap_ci(roc_auc_score, y, score, n_boot=100, stratify=y)
    >>> bool(low < est < high), round(high - low, 2)
    (True, 0.08)
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
    estimate, stats = bootstrap_samples(metric_fn, y_true, y_score, n_boot, seed, stratify=stratify)
    low, high = np.percentile(stats, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    return estimate, float(low), float(high)

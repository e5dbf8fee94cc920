"""Disentanglement metrics: how well latent units line up with known generative factors.

Three standard scores, each comparing a representation ``latents`` (samples x
k latent units) with ground-truth ``factors`` (samples x m factors):

- :func:`mutual_info_gap` (MIG, Chen et al. 2018): per factor, the gap in
  mutual information between the most and second-most informative latent,
  normalised by the factor's entropy.
- :func:`dci_scores` (Eastwood & Williams 2018): disentanglement, completeness
  and informativeness from the feature importances of one random forest per factor.
- :func:`sap_score` (SAP, Kumar et al. 2018): per factor, the gap between the
  best and second-best single-latent predictor.

:func:`disentanglement_report` runs all three and adds per-factor details.

Factors may mix **binary** columns (exactly two distinct values, coded 0 for
the lower and 1 for the higher) and **continuous** columns (anything else).
These scores are only meaningful against factors that are truly known (a
synthetic cohort), and should be compared over several training seeds
(Locatello et al. 2019); see ``docs/analysis.md`` for formulas and caveats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import entropy
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression
from sklearn.metrics import balanced_accuracy_score, mean_squared_error, mutual_info_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.tree import DecisionTreeClassifier
from tqdm.auto import tqdm

BINARY = "binary"
CONTINUOUS = "continuous"
MIN_SAMPLES = 10


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Inputs:
    """Validated inputs: float latents, factors recoded (binary as 0/1), each factor's kind and name."""

    latents: np.ndarray
    factors: np.ndarray
    kinds: tuple[str, ...]
    names: tuple[str, ...]


def _as_matrix(x: Any, what: str, columns: str) -> np.ndarray:
    """A finite float64 2-D array from an array, a DataFrame or a torch tensor (on any device)."""
    if hasattr(x, "detach"):  # torch tensor, possibly on the GPU or requiring grad
        x = x.detach().cpu().numpy()
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be numeric") from None
    if arr.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array (samples x {columns}), got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise ValueError(f"{what} has no columns")
    bad = ~np.isfinite(arr)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise ValueError(f"{what} holds {bad.sum()} NaN or infinite value(s), first at row {rows[0]}, "
                         f"column {cols[0]}; drop or impute them first")
    return arr


def factor_kinds(factors: Any) -> list[str]:
    """Kind of each factor column: ``'binary'`` (exactly two distinct values) or ``'continuous'``.

    Example
    -------
    >>> factor_kinds([[0.0, 1.2], [1.0, 3.4], [0.0, 2.2]])
    ['binary', 'continuous']
    """
    arr = _as_matrix(factors, "factors", "factors")
    return [BINARY if np.unique(col).size == 2 else CONTINUOUS for col in arr.T]


def _names(names: Sequence[str] | None, count: int, prefix: str, what: str) -> list[str]:
    if names is None:
        return [f"{prefix}{i}" for i in range(count)]
    names = [str(n) for n in names]
    if len(names) != count:
        raise ValueError(f"{len(names)} {what} names given for {count} columns")
    if len(set(names)) != count:
        raise ValueError(f"{what} names are not unique: {names}")
    return names


def _check(latents: Any, factors: Any, factor_names: Sequence[str] | None = None) -> _Inputs:
    z = _as_matrix(latents, "latents", "latent units")
    f = _as_matrix(factors, "factors", "factors")
    if z.shape[0] != f.shape[0]:
        raise ValueError(f"latents and factors must have the same number of rows (samples), "
                         f"got {z.shape[0]} and {f.shape[0]}")
    if z.shape[0] < MIN_SAMPLES:
        raise ValueError(f"need at least {MIN_SAMPLES} samples, got {z.shape[0]}")
    if z.shape[1] < 2:
        raise ValueError("need at least 2 latent units: every score compares the best latent with the others")
    names = _names(factor_names, f.shape[1], "f", "factor")
    kinds = []
    coded = np.empty_like(f)
    for j, col in enumerate(f.T):
        values = np.unique(col)
        if values.size < 2:
            raise ValueError(f"factor {names[j]!r} is constant ({values[0]:g}); no score is defined for it")
        kinds.append(BINARY if values.size == 2 else CONTINUOUS)
        coded[:, j] = (col == values[1]).astype(np.float64) if values.size == 2 else col
    return _Inputs(z, coded, tuple(kinds), tuple(names))


def _split(inputs: _Inputs, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One shuffled train/test split shared by every factor; each factor must vary on both sides."""
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    n = inputs.latents.shape[0]
    train, test = train_test_split(np.arange(n), test_size=test_size, random_state=seed)
    for j in range(inputs.factors.shape[1]):
        for part, rows in (("training", train), ("held-out", test)):
            if np.unique(inputs.factors[rows, j]).size < 2:
                raise ValueError(f"factor {inputs.names[j]!r} is constant in the {part} part "
                                 f"(test_size={test_size}); it needs more samples of its rarer value(s)")
    return train, test


def _gaps(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column of ``scores`` (latents x factors): the best minus the second-best value, and the order."""
    order = np.argsort(-scores, axis=0, kind="stable")
    top = np.take_along_axis(scores, order[:2], axis=0)
    return top[0] - top[1], order


# --------------------------------------------------------------------------- MIG


def discretize(x: np.ndarray, n_bins: int = 20) -> np.ndarray:
    """Equal-frequency bin codes (0..n_bins-1) of a 1-D array; ties stay in one bin.

    A constant array gets a single bin; a variable with fewer distinct values than
    bins keeps (at most) one bin per value.

    Example
    -------
    >>> discretize(np.array([0.1, 5.0, 0.3, 7.0, 2.0, 9.0]), n_bins=3).tolist()
    [0, 1, 0, 2, 1, 2]
    """
    if n_bins < 2:
        raise ValueError(f"n_bins must be at least 2, got {n_bins}")
    edges = np.unique(np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1]))
    return np.searchsorted(edges, x, side="left")


def _mutual_info(inputs: _Inputs, n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mutual information (nats) of every discretised latent with every factor (k x m), H(factor), and
    the expected normalised MI of an unrelated latent with each factor (the plug-in estimator's bias)."""
    z_codes = [discretize(col, n_bins) for col in inputs.latents.T]
    f_codes = [col.astype(int) if kind == BINARY else discretize(col, n_bins)
               for col, kind in zip(inputs.factors.T, inputs.kinds)]
    mi = np.array([[mutual_info_score(fc, zc) for fc in f_codes] for zc in z_codes])
    h = np.array([mutual_info_score(fc, fc) for fc in f_codes])
    # Miller-Madow: independent variables with a and b bins show I ~ (a - 1)(b - 1) / (2 n) nats
    n_z = max(np.unique(zc).size for zc in z_codes)
    chance = np.array([(n_z - 1) * (np.unique(fc).size - 1) for fc in f_codes]) / (2 * len(f_codes[0])) / h
    return mi, h, chance


def mutual_info_gap(latents: np.ndarray, factors: np.ndarray, n_bins: int = 20) -> float:
    """Mutual information gap (MIG, Chen et al. 2018), in [0, 1]; 1 = each factor captured by one latent alone.

    Per factor: ``(I(z_best; v) - I(z_second; v)) / H(v)``, averaged over
    factors. Latents and continuous factors are discretised into ``n_bins``
    equal-frequency bins; binary factors stay binary. Computed on all samples.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.normal(size=(2000, 2))
    >>> latents = np.column_stack([factors[:, 1], rng.normal(size=2000), 3 * factors[:, 0]])
    >>> round(mutual_info_gap(latents, factors), 2)  # 1 minus the plug-in estimator's bias
    0.97
    >>> round(mutual_info_gap(rng.normal(size=(2000, 3)), factors), 1)
    0.0
    """
    inputs = _check(latents, factors)
    mi, h, _ = _mutual_info(inputs, n_bins)
    gap, _ = _gaps(mi)
    return float(np.mean(gap / h))


# --------------------------------------------------------------------------- DCI


@dataclass(frozen=True)
class DCIScores:
    """Eastwood & Williams (2018) scores of a representation against known factors.

    ``disentanglement`` and ``completeness`` lie in [0, 1] (1 = best).
    ``informativeness`` is an *error* (lower is better): the held-out
    normalised RMSE, ``RMSE / std(factor)``, averaged over factors; 0 = perfect,
    about 1 = no better than predicting the mean. ``informativeness_r2`` is the
    matching held-out R2 (``1 - MSE / Var``). For binary factors the prediction
    is the forest's probability of class 1, so the R2 is a Brier skill score.
    ``importance`` is the k x m matrix R (latents x factors).
    """

    disentanglement: float
    completeness: float
    informativeness: float
    importance: np.ndarray
    informativeness_r2: float
    latent_disentanglement: np.ndarray
    latent_weight: np.ndarray
    factor_completeness: np.ndarray
    factor_nrmse: np.ndarray
    factor_r2: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """The scores as plain Python values (lists for arrays), ready for JSON.

        Example
        -------
        >>> rng = np.random.default_rng(0)
        >>> f = rng.normal(size=(300, 2))
        >>> sorted(dci_scores(f, f, n_estimators=10).to_dict())[:3]
        ['completeness', 'disentanglement', 'factor_completeness']
        """
        return {k: (v.tolist() if isinstance(v, np.ndarray) else float(v)) for k, v in self.__dict__.items()}


def _one_minus_entropy(p: np.ndarray, base: int) -> np.ndarray:
    """``1 - H_base(p)`` for each column of non-negative weights; a column of zeros scores 0."""
    total = p.sum(axis=0)
    out = np.zeros(p.shape[1])
    used = total > 0
    if used.any():
        out[used] = 1.0 - entropy(p[:, used] / total[used], base=base, axis=0)
    return out


def _forest(kind: str, n_estimators: int, min_samples_leaf: int, seed: int, n_jobs: int):
    cls = RandomForestClassifier if kind == BINARY else RandomForestRegressor
    # every split may use every latent, so importance goes to the latent that explains the factor
    return cls(n_estimators=n_estimators, min_samples_leaf=min_samples_leaf, max_features=None,
               random_state=seed, n_jobs=n_jobs)


def dci_scores(
    latents: np.ndarray,
    factors: np.ndarray,
    *,
    n_estimators: int = 100,
    min_samples_leaf: int = 5,
    test_size: float = 0.3,
    seed: int = 0,
    n_jobs: int = 1,
    progress: bool = False,
) -> DCIScores:
    """DCI (Eastwood & Williams 2018): disentanglement, completeness, informativeness from random forests.

    One random forest per factor predicts it from all latents (a regressor for
    continuous factors, a classifier for binary ones) on a shuffled training
    part (``1 - test_size``); its impurity importances form column j of the
    importance matrix R (k latents x m factors). With ``P_ij = R_ij / sum_j R_ij``
    and ``Q_ij = R_ij / sum_i R_ij``:

    - disentanglement = ``sum_i w_i (1 - H_m(P_i.))`` with ``w_i = sum_j R_ij / sum R``;
      NaN when there is a single factor (nothing to be disentangled from);
    - completeness = mean over factors of ``1 - H_k(Q_.j)``;
    - informativeness = mean held-out normalised RMSE (see :class:`DCIScores`).

    Collapsed (constant) latents get zero importance and zero weight. Forests
    use ``n_jobs`` workers (joblib); ``progress`` shows a bar over factors.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> factors = rng.normal(size=(400, 2))
    >>> scores = dci_scores(factors[:, ::-1], factors, n_estimators=20)
    >>> round(scores.disentanglement, 1), round(scores.completeness, 1), scores.informativeness < 0.2
    (1.0, 1.0, True)
    >>> scores.importance.argmax(axis=0).tolist()  # latent 1 explains factor 0
    [1, 0]
    """
    inputs = _check(latents, factors)
    train, test = _split(inputs, test_size, seed)
    z, f = inputs.latents, inputs.factors
    k, m = z.shape[1], f.shape[1]
    importance = np.zeros((k, m))
    nrmse, r2 = np.zeros(m), np.zeros(m)
    for j, kind in enumerate(tqdm(inputs.kinds, desc="DCI forests", unit="factor", disable=not progress)):
        model = _forest(kind, n_estimators, min_samples_leaf, seed, n_jobs).fit(z[train], f[train, j])
        importance[:, j] = model.feature_importances_
        pred = model.predict_proba(z[test])[:, 1] if kind == BINARY else model.predict(z[test])
        truth = f[test, j]
        nrmse[j] = np.sqrt(mean_squared_error(truth, pred)) / truth.std()
        r2[j] = r2_score(truth, pred)
    latent_d = _one_minus_entropy(importance.T, base=m) if m > 1 else np.full(k, np.nan)
    weight = importance.sum(axis=1) / importance.sum() if importance.sum() > 0 else np.zeros(k)
    completeness = _one_minus_entropy(importance, base=k)
    return DCIScores(
        disentanglement=float(np.sum(weight * latent_d)) if m > 1 else float("nan"),
        completeness=float(completeness.mean()),
        informativeness=float(nrmse.mean()),
        importance=importance,
        informativeness_r2=float(r2.mean()),
        latent_disentanglement=latent_d,
        latent_weight=weight,
        factor_completeness=completeness,
        factor_nrmse=nrmse,
        factor_r2=r2,
    )


# --------------------------------------------------------------------------- SAP


def _sap_matrix(inputs: _Inputs, test_size: float, seed: int) -> np.ndarray:
    """Held-out score of every single-latent predictor of every factor (k x m), in [0, 1].

    Continuous factor: R2 of a linear fit on one latent. Binary factor: balanced
    accuracy of a one-threshold classifier (a depth-1 tree), adjusted for chance
    (``2 * BA - 1``) so that, like R2, 0 means no information and 1 perfect.
    Scores below 0 (worse than chance on held-out data) count as 0.
    """
    train, test = _split(inputs, test_size, seed)
    z, f = inputs.latents, inputs.factors
    scores = np.zeros((z.shape[1], f.shape[1]))
    for i in range(z.shape[1]):
        zi_train, zi_test = z[train, i:i + 1], z[test, i:i + 1]
        for j, kind in enumerate(inputs.kinds):
            if kind == BINARY:
                stump = DecisionTreeClassifier(max_depth=1, class_weight="balanced", random_state=seed)
                pred = stump.fit(zi_train, f[train, j]).predict(zi_test)
                scores[i, j] = balanced_accuracy_score(f[test, j], pred, adjusted=True)
            else:
                pred = LinearRegression().fit(zi_train, f[train, j]).predict(zi_test)
                scores[i, j] = r2_score(f[test, j], pred)
    return np.clip(scores, 0.0, 1.0)


def sap_score(latents: np.ndarray, factors: np.ndarray, *, test_size: float = 0.3, seed: int = 0) -> float:
    """Separated attribute predictability (SAP, Kumar et al. 2018), in [0, 1]; 1 = one latent per factor.

    Per factor: the held-out score of the best single-latent predictor minus that
    of the second best, averaged over factors. Scores are the R2 of a linear fit
    (continuous factors) or the chance-adjusted balanced accuracy of a threshold
    on the latent (binary factors), both fitted on the training part.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> v = rng.normal(size=(1000, 1))
    >>> factors = np.column_stack([v[:, 0], (rng.normal(size=1000) > 0)])
    >>> latents = np.column_stack([factors[:, 1] + 0.1 * rng.normal(size=1000), v[:, 0], rng.normal(size=1000)])
    >>> round(sap_score(latents, factors), 1)
    1.0
    """
    inputs = _check(latents, factors)
    gap, _ = _gaps(_sap_matrix(inputs, test_size, seed))
    return float(gap.mean())


# --------------------------------------------------------------------------- report


def disentanglement_report(
    latents: np.ndarray,
    factors: np.ndarray,
    factor_names: Sequence[str] | None = None,
    seed: int = 0,
    *,
    latent_names: Sequence[str] | None = None,
    n_bins: int = 20,
    test_size: float = 0.3,
    n_estimators: int = 100,
    min_samples_leaf: int = 5,
    n_jobs: int = 1,
    progress: bool = False,
) -> dict[str, Any]:
    """MIG, DCI and SAP with per-factor and per-latent details, as a JSON-ready dict.

    Per factor (``report["factors"]``): its kind; for MIG the most and
    second-most informative latents and their normalised mutual information
    ``I(z; v) / H(v)``, and ``chance_normalized_mi``, the value an unrelated
    latent shows through the estimator's bias (``(B_z - 1)(B_v - 1) / (2 n H(v))``
    for B_z and B_v bins; read normalised MI above it only); for SAP the best and second-best single-latent
    predictors and their scores; for DCI the completeness, the held-out NRMSE
    and R2, and the latent with the largest importance share. Per latent
    (``report["latents"]``): its DCI disentanglement and weight, and whether it
    is active (not constant). The full k x m matrices are in
    ``report["normalized_mi"]`` (``I(z_i; v_j) / H(v_j)``), ``report["sap_scores"]``
    and ``report["dci"]["importance"]``. Names default to ``z0, z1, ...`` and
    ``f0, f1, ...``; ``progress`` shows a bar over the DCI forests.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> factors = np.column_stack([rng.normal(size=600), rng.integers(0, 2, 600)])
    >>> latents = np.column_stack([rng.normal(size=600), factors[:, 1], factors[:, 0] ** 3])
    >>> rep = disentanglement_report(latents, factors, ["qrs_width", "lbbb"], n_estimators=20)
    >>> [(f["name"], f["mig"]["best_latent"]) for f in rep["factors"]]
    [('qrs_width', 'z2'), ('lbbb', 'z1')]
    >>> rep["mig"] > 0.8, rep["dci"]["completeness"] > 0.9
    (True, True)
    """
    inputs = _check(latents, factors, factor_names)
    k, m = inputs.latents.shape[1], inputs.factors.shape[1]
    fnames = list(inputs.names)
    znames = _names(latent_names, k, "z", "latent")

    mi, h, chance = _mutual_info(inputs, n_bins)
    mig_gap, mig_order = _gaps(mi)
    sap = _sap_matrix(inputs, test_size, seed)
    sap_gap, sap_order = _gaps(sap)
    dci = dci_scores(inputs.latents, inputs.factors, n_estimators=n_estimators,
                     min_samples_leaf=min_samples_leaf, test_size=test_size, seed=seed, n_jobs=n_jobs,
                     progress=progress)
    share = dci.importance / np.where(dci.importance.sum(axis=0) > 0, dci.importance.sum(axis=0), 1.0)

    per_factor = []
    for j in range(m):
        b, s = mig_order[0, j], mig_order[1, j]
        sb, ss = sap_order[0, j], sap_order[1, j]
        top = int(np.argmax(share[:, j]))
        per_factor.append({
            "name": fnames[j],
            "kind": inputs.kinds[j],
            "mig": {"gap": float(mig_gap[j] / h[j]), "entropy_nats": float(h[j]),
                    "chance_normalized_mi": float(chance[j]),
                    "best_latent": znames[b], "best_normalized_mi": float(mi[b, j] / h[j]),
                    "second_latent": znames[s], "second_normalized_mi": float(mi[s, j] / h[j])},
            "sap": {"gap": float(sap_gap[j]), "best_latent": znames[sb], "best_score": float(sap[sb, j]),
                    "second_latent": znames[ss], "second_score": float(sap[ss, j])},
            "dci": {"completeness": float(dci.factor_completeness[j]), "nrmse": float(dci.factor_nrmse[j]),
                    "r2": float(dci.factor_r2[j]), "top_latent": znames[top],
                    "top_importance_share": float(share[top, j])},
        })
    active = inputs.latents.std(axis=0) > 0
    per_latent = [{"name": znames[i], "active": bool(active[i]),
                   "dci_disentanglement": float(dci.latent_disentanglement[i]),
                   "dci_weight": float(dci.latent_weight[i])} for i in range(k)]
    return {
        "n_samples": int(inputs.latents.shape[0]),
        "n_latents": k,
        "n_active_latents": int(active.sum()),
        "n_factors": m,
        "settings": {"seed": seed, "n_bins": n_bins, "test_size": test_size,
                     "n_estimators": n_estimators, "min_samples_leaf": min_samples_leaf},
        "mig": float(np.mean(mig_gap / h)),
        "sap": float(sap_gap.mean()),
        "dci": {"disentanglement": dci.disentanglement, "completeness": dci.completeness,
                "informativeness_nrmse": dci.informativeness, "informativeness_r2": dci.informativeness_r2,
                "importance": dci.importance.tolist()},
        "normalized_mi": (mi / h).tolist(),
        "sap_scores": sap.tolist(),
        "factors": per_factor,
        "latents": per_latent,
        "latent_names": znames,
        "factor_names": fnames,
        "note": "scores against known factors only; compare them over several training seeds "
                "(Locatello et al. 2019)",
    }

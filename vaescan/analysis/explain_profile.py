"""The explainability profile of a representation: what its explanation is, how faithful it is to the model,
whether it points at the known cause, and whether it survives another training seed.

One row per representation (:data:`PROFILE_COLUMNS`):

- **explanation** (:data:`EXPLANATIONS`): coefficients x standardised feature values (level 1), factor
  traversals + SCAN weights x factor values (level 2), factor traversals only (level 3, the boosted head has no
  per-record attribution here), Jacobian maps (levels 4-5).
- **faithfulness** (:func:`deletion_profile`, :func:`linear_faithfulness`): the deletion curve of
  :func:`vaescan.explain.faithfulness.faithfulness` on the predicted *probability* of each record's true label:
  its inputs (features, factors, samples or pixels) are replaced by a baseline, most attributed first (positive
  evidence first, the order the Jacobian maps are measured in), against a seeded random order. ``deletion_auc``
  and ``deletion_auc_random`` are the areas under the mean curves (probability x fraction deleted, lower = faster
  fall), ``deletion_ratio`` their ratio (1 = no better than random, lower = more faithful); ``deletion_score`` is
  ``vaescan explain``'s score: how many times less probability above the fully deleted value the attribution
  order leaves than the random order (>= 2: "twice as good as random"; infinite when the attribution order
  overshoots below that value, as deleting a linear model's evidence for first does).
- **localisation** (:func:`vaescan.analysis.localisation.input_localisation` and
  :func:`~vaescan.analysis.localisation.explanation_localisation`): the share of true positives whose top
  attributed input lies on the label's known cause (synthetic cohort only).
- **stability** (:func:`factor_stability`, :func:`vaescan.explain.faithfulness.rank_correlation`): the rank
  correlation of the same records' attributions from two runs of the same kind (1 = the same ranking).

A measure that cannot be made is NaN with the reason in its ``*_note`` column, never a made-up value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from scipy.optimize import linear_sum_assignment

from vaescan.explain.base import ForwardFunc
from vaescan.explain.faithfulness import DEFAULT_FRACTIONS, Faithfulness, faithfulness, rank_correlation

EXPLANATIONS: dict[int, str] = {
    1: "coefficients: coefficient x standardised feature value per record",
    2: "factor traversals + SCAN weights: weight x factor value per record",
    3: "factor traversals + the boosted head's factor ablations (its probability with each factor at 0) per record",
    4: "Jacobian maps (SmoothGrad x input) per sample, summed per lead x wave",
    5: "Jacobian maps (Jacobian x input) per pixel, summed per lead x wave",
}
"""Explainability level -> what its explanation is, in the report's words."""

PROFILE_COLUMNS = ["representation", "level", "anchoring", "explanation", "faithfulness_n", "deletion_auc",
                   "deletion_auc_random", "deletion_ratio", "deletion_score", "faithfulness_note", "localisation_n",
                   "localisation_top_hit", "localisation_note", "stability", "stability_with", "stability_note"]
"""The profile table's columns (CSV ``profile.csv``)."""


def deletion_profile(forward_func: ForwardFunc, inputs: torch.Tensor, attributions: torch.Tensor,
                     targets: Sequence[int], *, baseline: float | torch.Tensor = 0.0,
                     fractions: Sequence[float] = DEFAULT_FRACTIONS, seed: int = 0) -> Faithfulness:
    """Deletion curves of each record's own target output, averaged over records:
    :func:`vaescan.explain.faithfulness.faithfulness` run once per target on the records with that target
    (``attributions`` shaped like ``inputs``, each record's for its target), the mean curves weighted by records
    (insertion curves not computed: NaN).

    Example
    -------
    >>> w = torch.tensor([[5.0, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 5.0]])  # output 0 reads input 0, output 1 input 3
    >>> x = torch.ones(4, 4)
    >>> f = deletion_profile(lambda v: v @ w.T, x, x * w[[0, 0, 1, 1]], [0, 0, 1, 1], fractions=[0, 0.25, 1])
    >>> f.deletion.round(2).tolist(), bool(f.deletion_auc < f.deletion_random_auc)
    ([5.3, 0.3, 0.0], True)
    """
    targets = np.asarray(targets, dtype=int)
    if len(targets) != len(inputs) or not len(targets):
        raise ValueError(f"one target per record needed: {len(targets)} targets for {len(inputs)} records")
    curves: dict[str, np.ndarray] = {}
    for target in np.unique(targets):
        rows = torch.as_tensor(np.flatnonzero(targets == target))
        base = baseline[rows] if isinstance(baseline, torch.Tensor) and baseline.ndim == inputs.ndim else baseline
        f = faithfulness(forward_func, inputs[rows], attributions[rows], int(target), baseline=base,
                         fractions=fractions, seed=seed + int(target), insertion=False)
        for name in ("deletion", "deletion_random", "insertion", "insertion_random"):
            curves[name] = curves.get(name, 0.0) + getattr(f, name) * len(rows) / len(targets)
    return Faithfulness(fractions=np.asarray(fractions, dtype=float), **curves)


def linear_faithfulness(x: np.ndarray, weights: np.ndarray, intercepts: np.ndarray, targets: Sequence[int], *,
                        seed: int = 0, fractions: Sequence[float] = DEFAULT_FRACTIONS) -> Faithfulness:
    """Deletion curves of a logistic model p = sigmoid(x W^T + b) on the probability of each record's target
    output, its inputs deleted (set to 0, the training mean of standardised features or the prior mean of
    factors) in the order of their contributions ``W[target] * x`` (largest first), against a random order.

    ``x`` (records, inputs), ``weights`` (outputs, inputs), ``intercepts`` (outputs,); returns
    :class:`~vaescan.explain.faithfulness.Faithfulness` (curves in probability units).

    Example
    -------
    >>> x = np.array([[2.0, 1.0, -1.0]] * 3)
    >>> f = linear_faithfulness(x, np.array([[1.0, 1.0, 1.0]]), np.zeros(1), [0, 0, 0], fractions=[0, 1/3, 2/3, 1])
    >>> f.deletion.round(3).tolist()       # deletes 2 (logit 2 -> 0), then 1 (-> -1), then -1 (-> 0)
    [0.881, 0.5, 0.269, 0.5]
    """
    w = torch.as_tensor(np.array(weights, dtype=np.float64))
    b = torch.as_tensor(np.array(intercepts, dtype=np.float64))
    xt = torch.as_tensor(np.array(x, dtype=np.float64))
    targets = np.asarray(targets, dtype=int)
    return deletion_profile(lambda v: torch.sigmoid(v @ w.T + b), xt, xt * w[targets], targets, seed=seed,
                            fractions=fractions)


def factor_ablation(forward, z: np.ndarray, outputs: Sequence[int]) -> np.ndarray:
    """Each factor's attribution for each record's own output: ``forward(z)`` less ``forward`` of ``z`` with that
    factor set to 0, the prior mean (what captum's ``FeatureAblation`` gives with a baseline of 0).

    ``forward``: (records, factors) -> (records, outputs) probabilities; returns (records, factors).

    Example
    -------
    >>> forward = lambda z: np.stack([z[:, 0] * z[:, 1], z[:, 1]], axis=1)
    >>> factor_ablation(forward, np.array([[2.0, 3.0], [1.0, 1.0]]), [0, 1]).tolist()
    [[6.0, 6.0], [0.0, 1.0]]
    """
    z = np.asarray(z, dtype=np.float64)
    rows = np.arange(len(z))
    full = forward(z)[rows, outputs]
    out = np.empty_like(z)
    for j in range(z.shape[1]):
        ablated = z.copy()
        ablated[:, j] = 0.0
        out[:, j] = full - forward(ablated)[rows, outputs]
    return out


def faithfulness_numbers(f: Faithfulness | None, n: int, note: str = "") -> dict:
    """The profile's faithfulness columns from a :class:`Faithfulness` (``None``: not measured, ``note`` says why).

    Example
    -------
    >>> faithfulness_numbers(None, 0, "no per-record attribution")["faithfulness_note"]
    'no per-record attribution'
    """
    if f is None:
        return {"faithfulness_n": n, "deletion_auc": np.nan, "deletion_auc_random": np.nan, "deletion_ratio": np.nan,
                "deletion_score": np.nan, "faithfulness_note": note or "not measured"}
    ratio = f.deletion_auc / f.deletion_random_auc if f.deletion_random_auc > 0 else np.nan
    return {"faithfulness_n": n, "deletion_auc": f.deletion_auc, "deletion_auc_random": f.deletion_random_auc,
            "deletion_ratio": ratio, "deletion_score": f.deletion_score, "faithfulness_note": note}


def matched_factors(z_a: np.ndarray, z_b: np.ndarray) -> np.ndarray:
    """For each factor of run A, the factor of run B that encodes the same thing: the one-to-one assignment
    (Hungarian) maximising the summed |Pearson correlation| of the two runs' factor values over the same records
    (records, factors each). Two VAEs trained apart number (and sign) their factors arbitrarily.

    Example
    -------
    >>> z = np.random.default_rng(0).normal(size=(50, 3))
    >>> matched_factors(z, -z[:, [2, 0, 1]]).tolist()
    [1, 2, 0]
    """
    a = (z_a - z_a.mean(0)) / np.where(z_a.std(0) > 0, z_a.std(0), 1.0)
    b = (z_b - z_b.mean(0)) / np.where(z_b.std(0) > 0, z_b.std(0), 1.0)
    corr = np.abs(a.T @ b) / len(a)
    _, columns = linear_sum_assignment(-corr)
    return columns


def factor_stability(contrib_a: np.ndarray, contrib_b: np.ndarray, z_a: np.ndarray, z_b: np.ndarray) -> float:
    """Rank correlation of two runs' per-record factor contributions (records, factors) after matching run B's
    factors to run A's (:func:`matched_factors` on the factor values ``z_a``, ``z_b``). A contribution
    weight x factor does not change when a factor and its weight both flip sign, so no sign is matched.
    1 for identical runs.

    Example
    -------
    >>> z = np.random.default_rng(1).normal(size=(40, 4)); w = np.array([2.0, -1.0, 0.5, 0.1])
    >>> factor_stability(z * w, (-z * -w)[:, ::-1], z, -z[:, ::-1])
    1.0
    """
    columns = matched_factors(z_a, z_b)
    return rank_correlation(np.asarray(contrib_a), np.asarray(contrib_b)[:, columns])


def profile_table(rows: Sequence[dict]) -> pd.DataFrame:
    """The profile rows (dicts with :data:`PROFILE_COLUMNS` keys; missing = not measured) as a table sorted by
    level, every unmeasured number NaN with a note.

    Example
    -------
    >>> t = profile_table([{"representation": "cnn", "level": 4}, {"representation": "features", "level": 1}])
    >>> t.representation.tolist(), t.stability_note.tolist()
    (['features', 'cnn'], ['not measured', 'not measured'])
    """
    table = pd.DataFrame(list(rows)).reindex(columns=PROFILE_COLUMNS)
    text = ["faithfulness_note", "localisation_note", "stability_note", "anchoring", "stability_with", "explanation"]
    table[text] = table[text].astype(object)
    for column, value in (("faithfulness_note", "deletion_auc"), ("localisation_note", "localisation_top_hit"),
                          ("stability_note", "stability")):
        missing = table[value].isna() & (table[column].isna() | (table[column] == ""))
        table.loc[missing, column] = "not measured"
    table["explanation"] = [e if isinstance(e, str) else EXPLANATIONS.get(int(lv), "")
                            for e, lv in zip(table["explanation"], table["level"])]
    table[text] = table[text].fillna("")
    return table.sort_values(["level", "representation"], kind="stable").reset_index(drop=True)

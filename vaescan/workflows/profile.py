"""The trade-off report's explainability profile: each representation's attributions on a subset of test records,
measured for faithfulness, localisation and stability (:mod:`vaescan.analysis.explain_profile`).

The records (:func:`profile_records`): the first ``n`` test records (cohort order) that truly have a label whose
cause is known (:data:`vaescan.analysis.localisation.DEFINING`; on a cohort without such labels, any label
other than NORM, else any label). Each record is explained for its first such label (the *target*), the same
records for every representation:

- features + linear: contributions coefficient x standardised value (:func:`feature_profile`);
- SCAN: weight x factor value (:func:`scan_profile`); localisation only over anchored factors;
- VAE + boosting: each factor's ablation, the target's probability less that with the factor at 0 (the prior
  mean) (:func:`boosted_profile`); localisation only over anchored factors;
- CNNs: the Jacobian maps of ``vaescan explain`` (its default settings; :func:`blackbox_profile`).

Stability (:func:`stability_rows`): two runs of the same kind (SCAN anchored, SCAN unanchored, each one's boosted
head, CNN signal, CNN image) given to the same report are compared on the same records and targets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from vaescan.analysis.explain_profile import (
    deletion_profile,
    factor_ablation,
    factor_stability,
    faithfulness_numbers,
    linear_faithfulness,
)
from vaescan.analysis.localisation import DEFINING, explanation_localisation, input_localisation
from vaescan.data.beats import BeatSet
from vaescan.data.cohort import Cohort
from vaescan.data.features import feature_names
from vaescan.explain.faithfulness import rank_correlation
from vaescan.models.blackbox import BlackBox
from vaescan.models.run_configs import BlackBoxRunConfig
from vaescan.models.scan import SCAN
from vaescan.workflows.explain import ExplainSettings, iter_evidence

PROFILE_RECORDS = 20
"""Test records explained per representation for the profile (the Jacobian maps are the slow part)."""


@dataclass
class Attributions:
    """What a representation's stability is computed from: per (record id, target label), its attributions
    (``values``: key -> 1-D array) and, for factor models, the factor values (``factors``, to match factors)."""

    kind: str
    values: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    factors: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)


def profile_records(cohort: Cohort, n: int = PROFILE_RECORDS) -> pd.DataFrame:
    """The profile's records: ``record_id`` and ``labels`` (the labels it truly has, in the cohort's order, among
    those with a known cause, else every label but NORM, else every label), the first ``n`` test records with one.

    Example
    -------
    >>> meta = pd.DataFrame({"record_id": ["a", "b", "c"], "split": ["test", "test", "train"], "NORM": [1, 0, 0],
    ...                      "LBBB": [0, 1, 1], "AVB1": [0, 1, 0]})
    >>> profile_records(Cohort(".", meta, label_names=["NORM", "LBBB", "AVB1"])).to_dict("records")
    [{'record_id': 'b', 'labels': ['LBBB', 'AVB1']}]
    """
    names = list(cohort.label_names)
    labels = [lab for lab in names if lab in DEFINING] or [lab for lab in names if lab != "NORM"] or names
    test = cohort.metadata[cohort.metadata["split"] == "test"]
    rows = []
    for _, row in test.iterrows():
        true = [lab for lab in labels if row.get(lab) == 1]
        if true:
            rows.append({"record_id": str(row["record_id"]), "labels": true})
        if len(rows) >= n:
            break
    return pd.DataFrame(rows, columns=["record_id", "labels"])


def _targets(records: pd.DataFrame, outputs: Sequence[str], known: Sequence[str]) -> list[tuple[int, str, str]]:
    """(row in ``known``, record id, target label) for each profile record the representation can explain."""
    index = {rid: i for i, rid in enumerate(known)}
    out = []
    for rid, labels in zip(records["record_id"], records["labels"]):
        label = next((lab for lab in labels if lab in outputs), None)
        if label is not None and rid in index:
            out.append((index[rid], rid, label))
    return out


def _localisation_numbers(per: pd.DataFrame, note: str = "") -> dict:
    if not len(per):
        return {"localisation_n": 0, "localisation_note": note or "no record with a label of known cause"}
    return {"localisation_n": len(per), "localisation_top_hit": float(per["hit"].mean()), "localisation_note": note}


def linear_profile(x: np.ndarray, weights: pd.DataFrame, intercepts: pd.Series, ids: Sequence[str],
                   records: pd.DataFrame, metadata: pd.DataFrame, kind: str, *, localise: bool = True,
                   seed: int = 0) -> tuple[dict, Attributions]:
    """Faithfulness and localisation columns of a linear model over named inputs (rows of ``x`` are ``ids``;
    ``weights`` outputs x inputs, columns the input names), and its attributions for stability.

    Example
    -------
    >>> meta = pd.DataFrame({"record_id": ["a", "b"], "LBBB": [1, 1]})
    >>> w = pd.DataFrame([[2.0, 0.1]], index=["LBBB"], columns=["qrs_ms", "pr_ms"])
    >>> row, _ = linear_profile(np.array([[1.0, 1.0], [2.0, -1.0]]), w, pd.Series([0.0], index=["LBBB"]),
    ...                         ["a", "b"], pd.DataFrame({"record_id": ["a", "b"], "labels": [["LBBB"]] * 2}),
    ...                         meta, "features")
    >>> row["faithfulness_n"], row["localisation_top_hit"], bool(row["deletion_score"] > 1)
    (2, 1.0, True)
    """
    targets = _targets(records, list(weights.index), list(ids))
    attributions = Attributions(kind)
    if not targets:
        return {**faithfulness_numbers(None, 0, "no profile record this model predicts"),
                **_localisation_numbers(pd.DataFrame())}, attributions
    rows = [i for i, _, _ in targets]
    outputs = [list(weights.index).index(lab) for _, _, lab in targets]
    xs = np.nan_to_num(np.asarray(x, dtype=np.float64)[rows])
    w = weights.to_numpy(dtype=np.float64)
    contributions = xs * w[outputs]
    f = linear_faithfulness(xs, w, intercepts.to_numpy(dtype=np.float64), outputs, seed=seed)
    return _attributed(targets, xs, contributions, f, list(weights.columns), metadata, attributions, localise)


def _attributed(targets: list[tuple[int, str, str]], xs: np.ndarray, contributions: np.ndarray, f, names: list[str],
                metadata: pd.DataFrame, attributions: Attributions, localise: bool) -> tuple[dict, Attributions]:
    """The profile row of a model over named inputs from its per-record ``contributions`` (records x inputs, for
    each record's target) and deletion curves ``f``; the inputs ``xs`` are kept to match factors for stability."""
    for (_, rid, lab), c, z in zip(targets, contributions, xs):
        attributions.values[(rid, lab)] = c
        attributions.factors[(rid, lab)] = z
    row = faithfulness_numbers(f, len(targets))
    if localise:
        known = [j for j, (_, _, lab) in enumerate(targets) if lab in DEFINING]
        per = input_localisation(contributions[known], names, [targets[j][1] for j in known],
                                 [targets[j][2] for j in known], metadata)
        row.update(_localisation_numbers(per))
    else:
        row.update(localisation_note="no factor has a known meaning (unanchored VAE)")
    return row, attributions


def boosted_profile(boosters: dict, scan: SCAN, beats: BeatSet, records: pd.DataFrame, metadata: pd.DataFrame,
                    anchoring: str, seed: int = 0) -> tuple[dict, Attributions]:
    """Level 3: the boosted heads (label -> classifier over the VAE factors, as fitted by the report) explained by
    :func:`factor_ablation`; deletion of factors to 0 in that order against a random order; localisation over
    the anchored factors only; the factors kept for stability (:func:`stability_rows`).

    Example
    -------
    >>> row, attributions = boosted_profile(boosters, scan, test_beats, records, cohort.metadata,
    ...                                     "anchored")  # doctest: +SKIP
    """
    labels = [lab for lab, m in boosters.items() if hasattr(m, "predict_proba")]
    z = scan.vae.transform(beats)
    targets = _targets(records, labels, list(beats.record_ids))
    attributions = Attributions(f"boosting {anchoring}")
    if not targets:
        return {**faithfulness_numbers(None, 0, "no profile record this model predicts"),
                **_localisation_numbers(pd.DataFrame())}, attributions

    def forward(v: np.ndarray) -> np.ndarray:
        return np.stack([boosters[lab].predict_proba(v)[:, 1] for lab in labels], axis=1)

    xs = np.nan_to_num(np.asarray(z, dtype=np.float64)[[i for i, _, _ in targets]])
    outputs = [labels.index(lab) for _, _, lab in targets]
    contributions = factor_ablation(forward, xs, outputs)
    f = deletion_profile(lambda v: torch.as_tensor(forward(v.detach().numpy())), torch.as_tensor(xs),
                         torch.as_tensor(contributions), outputs, seed=seed)
    return _attributed(targets, xs, contributions, f, list(scan.vae.factor_names_), metadata, attributions,
                       anchoring == "anchored")


def feature_profile(models: dict, x_test: np.ndarray, ids: Sequence[str], records: pd.DataFrame,
                    metadata: pd.DataFrame, seed: int = 0) -> tuple[dict, Attributions]:
    """Level 1: each label's logistic model on the standardised features (median-imputed as fitted), its
    coefficients as the weights (:func:`linear_profile`); stability not measured (one deterministic fit).

    Example
    -------
    >>> fit = feature_fit(cohort, ["LBBB"], ["age"])  # doctest: +SKIP
    >>> records = profile_records(cohort)  # doctest: +SKIP
    >>> row, _ = feature_profile(fit.models, fit.x_test, fit.test_ids, records, cohort.metadata)  # doctest: +SKIP
    """
    labels = [lab for lab, m in models.items() if hasattr(m[-1], "predict_proba")]
    if labels:                      # one standardisation for all: the labels fitted on the same train rows
        mean = models[labels[0]][-2].mean_
        labels = [lab for lab in labels if np.allclose(models[lab][-2].mean_, mean, equal_nan=True)]
    if not labels:
        return {**faithfulness_numbers(None, 0, "no fitted label model")}, Attributions("features")
    xs = models[labels[0]][:-1].transform(x_test)          # the imputer and scaler are fitted on the same rows
    weights = pd.DataFrame([models[lab][-1].coef_[0] for lab in labels], index=labels, columns=feature_names())
    intercepts = pd.Series([float(models[lab][-1].intercept_[0]) for lab in labels], index=labels)
    row, attributions = linear_profile(xs, weights, intercepts, ids, records, metadata, "features", seed=seed)
    row.update(stability_note="one deterministic fit (no training seed)")
    return row, attributions


def scan_profile(scan: SCAN, beats: BeatSet, records: pd.DataFrame, metadata: pd.DataFrame, anchoring: str,
                 seed: int = 0) -> tuple[dict, Attributions]:
    """Level 2: SCAN's p(y|z) weights over the VAE factors of the test beats (:func:`linear_profile`; factors
    deleted to 0, the prior mean); localisation over the anchored factors only (an unanchored VAE: not measured).

    Example
    -------
    >>> scan = SCAN.load("runs/scan")  # doctest: +SKIP
    >>> row, attributions = scan_profile(scan, test_beats, records, cohort.metadata, "anchored")  # doctest: +SKIP
    """
    w = scan.weights()
    binary = list(scan.binary_names_)
    weights = pd.DataFrame(w.loc[binary].drop(columns="intercept").to_numpy(), index=binary,
                           columns=scan.vae.factor_names_)
    z = scan.vae.transform(beats)
    return linear_profile(z, weights, w.loc[binary, "intercept"], beats.record_ids, records, metadata,
                          f"scan {anchoring}", localise=anchoring == "anchored", seed=seed)


def blackbox_profile(model: BlackBox, config: BlackBoxRunConfig, cohort: Cohort, records: pd.DataFrame, *,
                     jobs: int = 1, progress: bool = True, seed: int = 0) -> tuple[dict, Attributions]:
    """Levels 4-5: the Jacobian maps of ``vaescan explain`` (:func:`vaescan.workflows.explain.iter_evidence`,
    default settings) of the profile records; deletion of samples (to 0 mV) or pixels (to the page's median)
    on the target's predicted probability; localisation of the top lead x wave cell.

    Example
    -------
    >>> row, attributions = blackbox_profile(model, config, cohort, profile_records(cohort))  # doctest: +SKIP
    """
    index = {rid: i for i, rid in enumerate(cohort.metadata["record_id"].astype(str))}
    targets = _targets(records, list(model.binary_names_), list(records["record_id"]))
    attributions = Attributions(f"cnn {config.input}")
    if not targets:
        return faithfulness_numbers(None, 0, "no profile record this model predicts"), attributions
    items = [("record", cohort.record_path(index[rid]), rid) for _, rid, _ in targets]
    label_of = {rid: lab for _, rid, lab in targets}
    evidence = list(iter_evidence(model, config, items, ExplainSettings(jobs=jobs), progress=progress))
    if not evidence:
        return faithfulness_numbers(None, 0, "no profile record could be explained"), attributions
    outputs = [list(model.output_names_).index(label_of[ev.item.record_id]) for ev in evidence]
    x = torch.as_tensor(np.stack([ev.item.inputs for ev in evidence]), dtype=torch.float32)
    maps = torch.as_tensor(np.stack([ev.maps[k] for ev, k in zip(evidence, outputs)]), dtype=torch.float32)
    if config.input == "image":
        baseline: float | torch.Tensor = torch.stack([torch.full_like(x[i], float(x[i].median()))
                                                      for i in range(len(x))])
    else:
        baseline = 0.0
    forward = model.output_module()
    f = deletion_profile(lambda v: torch.sigmoid(forward(v)), x, maps, outputs, baseline=baseline, seed=seed)
    row = faithfulness_numbers(f, len(evidence))
    tables = [ev.table(model.output_names_) for ev in evidence]
    table = pd.concat([t[t["output"] == label_of[ev.item.record_id]] for t, ev in zip(tables, evidence)],
                      ignore_index=True)
    per = explanation_localisation(table, cohort.metadata, sorted(set(label_of.values()) & set(DEFINING)))
    row.update(_localisation_numbers(per))
    for ev, k in zip(evidence, outputs):
        attributions.values[(ev.item.record_id, label_of[ev.item.record_id])] = ev.sums[k].ravel()
    return row, attributions


def stability_rows(attributions: dict[str, Attributions]) -> dict[str, dict]:
    """Stability columns per representation (name -> :class:`Attributions`): the first two of each kind are
    compared on their shared (record, target) pairs, by rank correlation of the attributions (per record, then
    averaged; factor models after :func:`vaescan.analysis.explain_profile.matched_factors`); a kind given once
    is not measured.

    Example
    -------
    >>> a = Attributions("cnn signal", {("r1", "LBBB"): np.array([1.0, 2.0, 3.0])})
    >>> b = Attributions("cnn signal", {("r1", "LBBB"): np.array([1.0, 3.0, 2.0])})
    >>> stability_rows({"A": a, "B": b})["A"]["stability"]
    0.5
    """
    out: dict[str, dict] = {}
    by_kind: dict[str, list[str]] = {}
    for name, attr in attributions.items():
        by_kind.setdefault(attr.kind, []).append(name)
    for kind, names in by_kind.items():
        if kind == "features":
            continue
        if len(names) < 2:
            out[names[0]] = {"stability_note": f"one {kind} run given; give two to measure"}
            continue
        a, b = attributions[names[0]], attributions[names[1]]
        keys = [k for k in a.values if k in b.values]
        if not keys:
            note = {"stability_note": "the two runs share no explained record"}
            out.update({n: note for n in names})
            continue
        va, vb = np.stack([a.values[k] for k in keys]), np.stack([b.values[k] for k in keys])
        if a.factors:
            value = factor_stability(va, vb, np.stack([a.factors[k] for k in keys]),
                                     np.stack([b.factors[k] for k in keys]))
        else:
            value = rank_correlation(va, vb)
        out[names[0]] = {"stability": value, "stability_with": names[1]}
        out[names[1]] = {"stability": value, "stability_with": names[0]}
        for other in names[2:]:
            out[other] = {"stability_note": f"compared only the first two {kind} runs"}
    return out

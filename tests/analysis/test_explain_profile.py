"""The explainability profile against analytic answers: a logistic model's deletion curve deletes its inputs in the
order of their contributions coefficient x value (computed by hand), falls faster than a random order's; factor
stability is 1 for the same run however its factors are numbered and signed, and low for unrelated runs."""

import numpy as np
import pandas as pd
import pytest
import torch

from vaescan.analysis.explain_profile import (
    deletion_profile,
    factor_ablation,
    factor_stability,
    linear_faithfulness,
    matched_factors,
    profile_table,
)
from vaescan.analysis.localisation import input_cells, input_localisation
from vaescan.explain.faithfulness import faithfulness


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_linear_deletion_follows_the_contribution_order_and_beats_random():
    rng = np.random.default_rng(0)
    n, k = 200, 8
    x = rng.normal(size=(n, k))
    w = np.stack([rng.normal(0, 1.5, k), rng.normal(0, 1.5, k)])
    b = np.array([0.3, -0.2])
    logit = x @ w.T + b
    x, targets = x[logit.max(1) > 0], logit.argmax(1)[logit.max(1) > 0]   # each record's positive output
    n = len(x)
    fractions = np.arange(k + 1) / k                              # one input deleted per step
    f = linear_faithfulness(x, w, b, targets, fractions=fractions)
    # by hand: each record deletes its inputs by decreasing w[target] * x, the logit loses them one by one
    contrib = x * w[targets]
    ordered = -np.sort(-contrib, axis=1)
    logits = b[targets][:, None] + contrib.sum(1, keepdims=True) - np.c_[np.zeros(n), np.cumsum(ordered, 1)]
    np.testing.assert_allclose(f.deletion, _sigmoid(logits).mean(0), atol=1e-9)
    assert f.deletion[0] == pytest.approx(_sigmoid(b[targets] + contrib.sum(1)).mean())
    # deleting by |w x| (evidence against deleted with evidence for) is slower than by w x, and random slower still
    by_abs = np.argsort(-np.abs(contrib), axis=1, kind="stable")
    abs_logits = b[targets][:, None] + contrib.sum(1, keepdims=True) - np.c_[
        np.zeros(n), np.cumsum(np.take_along_axis(contrib, by_abs, 1), 1)]
    abs_auc = np.trapezoid(_sigmoid(abs_logits).mean(0), fractions)
    assert f.deletion_auc < abs_auc < f.deletion_random_auc
    assert f.deletion_auc < 0.6 * f.deletion_random_auc          # measured: 0.33 against 0.75 (166 records)


def test_a_random_attribution_is_no_better_than_the_random_order():
    rng = np.random.default_rng(1)
    x = torch.as_tensor(rng.normal(size=(600, 10)))
    w = torch.as_tensor(rng.normal(size=(1, 10)))
    x = x[(x @ w.T)[:, 0] > 0]                                     # records the model calls positive
    forward = lambda v: torch.sigmoid(v @ w.T)                   # noqa: E731
    f = deletion_profile(forward, x, torch.as_tensor(rng.normal(size=tuple(x.shape))), [0] * len(x))
    assert 0.9 < f.deletion_auc / f.deletion_random_auc < 1.1    # measured: 0.99 (0.689 against 0.699)
    assert 0.8 < f.deletion_score < 1.25                          # measured: 1.05


def test_deletion_profile_weights_each_targets_records():
    rng = np.random.default_rng(2)
    x = torch.as_tensor(rng.normal(size=(30, 5)))
    w = torch.as_tensor(rng.normal(size=(2, 5)))
    targets = np.r_[np.zeros(10, int), np.ones(20, int)]
    attr = x * w[targets]
    f = deletion_profile(lambda v: v @ w.T, x, attr, targets, seed=3)
    f0 = faithfulness(lambda v: v @ w.T, x[:10], attr[:10], 0, seed=3)
    f1 = faithfulness(lambda v: v @ w.T, x[10:], attr[10:], 1, seed=4)
    np.testing.assert_allclose(f.deletion, (f0.deletion + 2 * f1.deletion) / 3)
    np.testing.assert_allclose(f.deletion_random, (f0.deletion_random + 2 * f1.deletion_random) / 3)
    assert np.isnan(f.insertion).all() and not np.isnan(f0.insertion).any()   # deletion only: half the passes


def test_factor_stability_of_the_same_run_is_one_and_of_unrelated_runs_low():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(60, 6))
    w = rng.normal(size=6)
    contrib = z * w
    assert factor_stability(contrib, contrib, z, z) == pytest.approx(1.0)
    order = rng.permutation(6)
    signs = np.array([1, -1, 1, -1, -1, 1])
    z2 = (z * signs)[:, order]                                     # the same factors, renumbered and flipped
    assert factor_stability(contrib, (z2 * (w * signs)[order]), z, z2) == pytest.approx(1.0)
    assert matched_factors(z, z2).tolist() == np.argsort(order).tolist()
    z3 = rng.normal(size=(60, 6))
    unrelated = factor_stability(contrib, z3 * rng.normal(size=6), z, z3)
    assert abs(unrelated) < 0.3                                    # measured: 0.0


def test_input_localisation_maps_features_and_anchored_factors_to_their_waves():
    assert input_cells("qrs_ms") == {(lead, "QRS") for lead, _ in input_cells("qrs_ms")}
    assert input_cells("t_amp_mv_V2") == {("V2", "T")} and input_cells("z1 st_mv_anterior") == {
        ("V1", "ST"), ("V2", "ST"), ("V3", "ST"), ("V4", "ST")}
    assert input_cells("z4") == set() and input_cells("unknown") == set()
    meta = pd.DataFrame({"record_id": ["a", "b", "c"], "MI_ANT": [1, 1, 0], "AVB1": [0, 0, 1]})
    names = ["st_mv_V2", "st_mv_II", "pr_ms", "z3"]
    contrib = np.array([[2.0, 1.0, 0.0, 0.5], [0.1, 3.0, 0.0, 0.2], [0.0, 0.0, 0.0, 1.0]])
    per = input_localisation(contrib, names, ["a", "b", "c"], ["MI_ANT", "MI_ANT", "AVB1"], meta)
    assert per.hit.tolist() == [True, False, False]               # V2 ST anterior; II ST is inferior; z3 unknown
    assert per.defining_share.round(3).tolist() == [0.571, 0.030, 0.0]


def test_the_profile_table_says_not_measured_instead_of_a_number():
    table = profile_table([{"representation": "cnn", "level": 4, "deletion_auc": 0.2, "deletion_score": 3.0},
                           {"representation": "boost", "level": 3, "faithfulness_note": "no attribution"}])
    assert table.representation.tolist() == ["boost", "cnn"]
    assert table.faithfulness_note.tolist() == ["no attribution", ""]
    assert table.stability_note.tolist() == ["not measured", "not measured"]
    assert np.isnan(table.loc[0, "deletion_auc"]) and np.isnan(table.loc[1, "stability"])


def test_factor_ablation_equals_captums_feature_ablation():
    from captum.attr import FeatureAblation

    w = torch.tensor([[1.5, -2.0, 0.5], [0.2, 0.0, 3.0]], dtype=torch.float64)

    def forward(v: torch.Tensor) -> torch.Tensor:        # an interaction, so ablation is not weight x value
        return torch.sigmoid(v @ w.T + v[:, :1] * v[:, 2:3])

    z = torch.as_tensor(np.random.default_rng(0).normal(size=(6, 3)))
    outputs = [0, 1, 0, 1, 1, 0]
    ours = factor_ablation(lambda v: forward(torch.as_tensor(v)).numpy(), z.numpy(), outputs)
    reference = FeatureAblation(forward).attribute(z, target=outputs, baselines=0.0)
    np.testing.assert_allclose(ours, reference.numpy(), atol=1e-12)

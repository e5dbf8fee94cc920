"""Trade-off scores against hand-computed and analytic values; the paired test on clearly different and identical
predictors."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, r2_score, roc_auc_score

from vaescan.analysis.tradeoff import auprc, auroc, expected_calibration_error, paired_auroc_gap, r2, tradeoff_analysis


def _cohort(n: int, seed: int = 0, noise: float = 1.0):
    rng = np.random.default_rng(seed)
    truth = pd.DataFrame({"record_id": [f"r{i}" for i in range(n)], "A": rng.integers(0, 2, n),
                          "B": rng.integers(0, 2, n), "age": rng.normal(60, 10, n)})
    pred = pd.DataFrame({"record_id": truth.record_id,
                         "prob_A": 1 / (1 + np.exp(-(2 * truth.A - 1 + rng.normal(0, noise, n)))),
                         "prob_B": 1 / (1 + np.exp(-(2 * truth.B - 1 + rng.normal(0, noise, n)))),
                         "pred_age": truth.age + rng.normal(0, 6, n)})
    return truth, pred


def test_scores_match_sklearn_on_the_records_both_know_in_the_truth_order():
    truth, pred = _cohort(300)
    shuffled = pred.sample(frac=1.0, random_state=1).iloc[:-10]  # rows out of order, 10 records missing
    repeated = pd.concat([shuffled, shuffled.iloc[:3]])  # and 3 listed twice: counted once
    result = tradeoff_analysis({"m": repeated}, truth, {"m": 1}, binary=["A", "B"], n_boot=50)
    rows = result.table.set_index("task")
    known = truth.record_id.isin(shuffled.record_id)
    t, p = truth[known], pred[known]
    assert rows.loc["A", "n"] == 290
    assert rows.loc["A", "auroc"] == pytest.approx(roc_auc_score(t.A, p.prob_A))
    assert rows.loc["B", "auprc"] == pytest.approx(average_precision_score(t.B, p.prob_B))
    assert rows.loc["age", "r2"] == pytest.approx(r2_score(t.age, p.pred_age))
    assert rows.loc["age", "mae"] == pytest.approx(np.mean(np.abs(t.age - p.pred_age)))
    macro = result.summary.macro_auroc.iloc[0]
    assert macro == pytest.approx((roc_auc_score(t.A, p.prob_A) + roc_auc_score(t.B, p.prob_B)) / 2)


@pytest.mark.parametrize("seed", range(5))
def test_fast_metrics_equal_sklearn_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 200)
    score = np.round(y * 0.3 + rng.uniform(size=200), 1)  # many ties
    assert auroc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert auprc(y, score) == pytest.approx(average_precision_score(y, score), abs=1e-12)
    age = rng.normal(60, 10, 200)
    pred = age + rng.normal(0, 5, 200)
    assert r2(age, pred) == pytest.approx(r2_score(age, pred), abs=1e-12)
    with pytest.raises(ValueError):
        auroc(np.zeros(5), score[:5])


def test_intervals_cover_the_estimate_and_narrow_with_more_records():
    widths = []
    for n in (100, 1600):
        truth, pred = _cohort(n, seed=3)
        table = tradeoff_analysis({"m": pred}, truth, {"m": 1}, binary=["A"], n_boot=200).table.set_index("task")
        for metric in ("auroc", "auprc", "r2", "mae"):
            row = table.loc["age" if metric in ("r2", "mae") else "A"]
            assert row[f"{metric}_low"] <= row[metric] <= row[f"{metric}_high"]
        widths.append(table.loc["A", "auroc_high"] - table.loc["A", "auroc_low"])
    # 16 times the records: about a quarter of the width (1 / sqrt(16))
    assert 0.15 < widths[1] / widths[0] < 0.4


@pytest.mark.parametrize("a, b", [(1.0, 1.0), (0.5, 2.0)])
def test_ece_is_near_zero_when_calibrated_and_the_analytic_value_when_halved(a, b):
    rng = np.random.default_rng(0)
    p = rng.beta(a, b, size=40_000)  # uniform, and skewed to low risks (most bins nearly empty)
    y = (rng.uniform(size=p.size) < p).astype(float)
    assert expected_calibration_error(y, p) < 0.01
    # predicting p / 2 when the rate is p: every bin is off by its mean p / 2, so ECE = E[p] / 2 = a / (a + b) / 2
    assert expected_calibration_error(y, p / 2) == pytest.approx(a / (a + b) / 2, abs=0.01)


def test_paired_test_separates_a_clearly_better_predictor_and_not_identical_ones():
    truth, good = _cohort(400, seed=5, noise=0.7)
    _, bad = _cohort(400, seed=6, noise=3.0)
    bad["record_id"] = truth.record_id
    y = truth[["A", "B"]].to_numpy()
    p_good, p_bad = good[["prob_A", "prob_B"]].to_numpy(), bad[["prob_A", "prob_B"]].to_numpy()
    test = paired_auroc_gap(y, p_bad, p_good, n_boot=300)
    assert test["p"] < 0.05 and test["low"] <= test["gap"] <= test["high"] < 0
    assert test["gap"] == pytest.approx(np.mean([roc_auc_score(y[:, j], p_bad[:, j]) for j in range(2)])
                                        - np.mean([roc_auc_score(y[:, j], p_good[:, j]) for j in range(2)]))
    same = paired_auroc_gap(y, p_good, p_good.copy(), n_boot=300)
    assert same["gap"] == 0 and same["p"] == 1.0
    # a slightly noisier copy: a small gap, not significant
    near = paired_auroc_gap(y, p_good + np.random.default_rng(1).normal(0, 1e-3, p_good.shape), p_good, n_boot=300)
    assert near["p"] > 0.2


def test_summary_names_the_best_and_tests_the_others_against_it():
    truth, good = _cohort(400, seed=5, noise=0.7)
    _, bad = _cohort(400, seed=6, noise=3.0)
    bad["record_id"] = truth.record_id
    result = tradeoff_analysis({"features": bad, "cnn": good}, truth, {"features": 1, "cnn": 4},
                               binary=["A", "B"], n_boot=200)
    s = result.summary.set_index("representation")
    assert result.best == "cnn" and result.macro_labels == ["A", "B"]
    assert s.loc["cnn", "p_gap"] == 1.0 and s.loc["features", "p_gap"] < 0.05
    assert s.loc["features", "gap_to_best"] == pytest.approx(s.loc["features", "macro_auroc"]
                                                             - s.loc["cnn", "macro_auroc"])
    assert s.index.tolist() == ["features", "cnn"] and s.level.tolist() == [1, 4]


def test_macro_auroc_uses_only_labels_every_representation_predicts():
    truth, pred = _cohort(200)
    result = tradeoff_analysis({"all": pred, "onlyA": pred.drop(columns=["prob_B"])}, truth,
                               {"all": 1, "onlyA": 4}, binary=["A", "B"], n_boot=50)
    assert result.macro_labels == ["A"]
    assert set(result.table[result.table.representation == "onlyA"].task) == {"A", "age"}
    # a label with 3 positives in 200 records keeps its row but stays out of the macro AUROC
    rare = truth.assign(B=(np.arange(200) < 3).astype(int))
    result = tradeoff_analysis({"all": pred}, rare, {"all": 1}, binary=["A", "B"], n_boot=50)
    assert result.macro_labels == ["A"] and result.table.set_index("task").loc["B", "n"] == 200
    assert tradeoff_analysis({"all": pred}, rare, {"all": 1}, binary=["A", "B"], n_boot=50,
                             min_per_class=3).macro_labels == ["A", "B"]
    with pytest.raises(ValueError, match="no explainability level"):
        tradeoff_analysis({"x": pred}, truth, {}, binary=["A"])

"""The published magnitudes are set beside ours: the right pairs of representations, our paired gap, and a verdict
that follows the numbers either way (issue 17)."""

import numpy as np
import pandas as pd
import pytest

from vaescan.analysis.tradeoff import TradeoffResult, macro_auroc, tradeoff_analysis
from vaescan.report.published import PUBLISHED, auroc_verdict, published_comparison, published_sentences, r2_verdict


@pytest.mark.parametrize("gap, low, high, p, verdict", [
    (-0.03, -0.05, -0.01, 0.002, "agrees: the black box is ahead here too, by 0.030, of the published size"),
    (-0.10, -0.15, -0.07, 0.002, "agrees: the black box is ahead here too, by 0.100, larger than the published 0.020"),
    (-0.005, -0.008, -0.002, 0.01, "agrees: the black box is ahead here too, by 0.005, smaller than the published"),
    (0.06, 0.02, 0.10, 0.004, "differs: here the explainable representation is ahead, by 0.060"),
    (-0.01, -0.04, 0.02, 0.4, "undecided: our interval holds both no gap and the published -0.020"),
    (0.01, -0.01, 0.03, 0.3, "differs: no measurable gap here"),
    (-0.03, -0.05, -0.01, 0.08, "undecided"),                     # interval below 0 but p >= 0.05: not "ahead"
])
def test_the_auroc_verdict_follows_the_interval_and_the_published_gap(gap, low, high, p, verdict):
    assert auroc_verdict(-0.02, gap, low, high, p).startswith(verdict)


def test_the_age_verdict_says_order_and_level():
    assert r2_verdict((0.52, 0.45, 0.58), (0.70, 0.66, 0.74)) == (
        "agrees in direction: the non-linear model is ahead (intervals apart), by 0.18 (published 0.12-0.21); our R2 "
        "lie within the published ranges (linear 0.52 vs 0.49-0.57, non-linear 0.70 vs 0.69-0.70)")
    assert r2_verdict((0.30, 0.20, 0.40), (0.10, 0.0, 0.18)).startswith("differs: the linear model is ahead")
    overlap = r2_verdict((0.30, 0.20, 0.40), (0.35, 0.25, 0.45))
    assert overlap.startswith("differs: no difference shown (the intervals overlap; non-linear minus linear +0.05)")
    assert "our R2 are lower than published" in overlap


@pytest.fixture(scope="module")
def scored():
    """Four representations of known quality on 300 records: a weak linear one (level 1), a fair SCAN (2), a strong
    signal CNN (4), a weaker image CNN (5), and a perfect level-6 row, which no comparison may take as a black box."""
    rng = np.random.default_rng(0)
    n = 300
    truth = pd.DataFrame({"record_id": [f"r{i}" for i in range(n)], "A": rng.integers(0, 2, n),
                          "B": rng.integers(0, 2, n), "age": rng.normal(60, 15, n)})

    def rep(noise: float, age_noise: float) -> pd.DataFrame:
        return pd.DataFrame({"record_id": truth.record_id, "prob_A": 1 / (1 + np.exp(-(truth.A - 0.5 + rng.normal(
            0, noise, n)))), "prob_B": 1 / (1 + np.exp(-(truth.B - 0.5 + rng.normal(0, noise, n)))),
            "pred_age": truth.age + rng.normal(0, age_noise, n)})
    preds = {"features": rep(1.2, 14), "scan": rep(0.8, 30), "cnn": rep(0.3, 8), "image": rep(0.6, 12),
             "paper": rep(0.01, 1)}
    levels = {"features": 1, "scan": 2, "cnn": 4, "image": 5, "paper": 6}
    result = tradeoff_analysis(preds, truth, levels, binary=["A", "B"], n_boot=200)
    return truth, preds, result


def test_each_published_row_is_paired_with_the_matching_level_against_the_best_black_box(scored):
    truth, preds, result = scored
    comparison = published_comparison(result).set_index("study")
    assert list(comparison.index) == list(PUBLISHED.study)
    factor, harvey, strodthoff, age = (comparison.loc[s] for s in PUBLISHED.study)
    assert (factor.ours_explainable, factor.ours_black_box) == ("scan", "cnn")
    assert (strodthoff.ours_explainable, strodthoff.ours_black_box) == ("features", "cnn")
    assert harvey.verdict.startswith("not compared: no representation of level 3")
    y = truth[["A", "B"]].to_numpy()
    expected = macro_auroc(y, preds["features"][["prob_A", "prob_B"]].to_numpy()) - macro_auroc(
        y, preds["cnn"][["prob_A", "prob_B"]].to_numpy())
    assert strodthoff.ours_gap == pytest.approx(expected) and strodthoff.ours_gap < -0.1
    assert strodthoff.ours_gap_low <= strodthoff.ours_gap <= strodthoff.ours_gap_high < 0
    assert strodthoff.published_gap == pytest.approx(-0.056)
    assert strodthoff.verdict.startswith("agrees: the black box is ahead here too") and "larger than" in \
        strodthoff.verdict
    # age: the linear features model against the best non-linear representation (the CNN; not the level-6 row)
    assert (age.ours_explainable, age.ours_black_box) == ("features", "cnn")
    r2 = result.table.set_index(["representation", "task"]).r2
    assert age.ours_explainable_value == pytest.approx(r2["features", "age"])
    assert age.ours_black_box_value == pytest.approx(r2["cnn", "age"]) and age.verdict.startswith("agrees")


def test_the_verdict_turns_when_the_explainable_representation_is_ahead(scored):
    truth, preds, _ = scored
    swapped = {**preds, "features": preds["cnn"], "cnn": preds["features"]}
    result = tradeoff_analysis(swapped, truth, {"features": 1, "scan": 2, "cnn": 4, "image": 5, "paper": 6},
                               binary=["A", "B"], n_boot=200)
    row = published_comparison(result).iloc[2]
    assert row.ours_black_box == "image"                      # the best black box is now the image CNN
    assert row.verdict.startswith("differs: here the explainable representation is ahead")


def test_the_sentences_and_the_report_carry_ours_beside_theirs(scored):
    from vaescan.report.tradeoff import render_html, render_markdown, summary_sentences

    _, _, result = scored
    sentences = published_sentences(published_comparison(result))
    assert len(sentences) == 4
    assert sentences[2].startswith("Strodthoff et al. 2021 (PTB-XL benchmark): 0.874 vs 0.93 (macro AUROC). Ours, "
                                   "macro AUROC on 300 test records: features ")
    md = render_markdown(result, "tradeoff.png", {"cohort": "c"})
    published = md.split("## Published magnitudes")[1]
    assert all(s in published for s in sentences) and "| our gap [95% CI] |" in published
    page = render_html(result, "iVBORw0KGgo=", {"cohort": "c"})
    assert "our gap [95% CI]" in page.split("<h2>Published magnitudes</h2>")[1]
    assert "Strodthoff et al. 2021: agrees" in summary_sentences(result)[-1]
    age = [s for s in summary_sentences(result) if s.startswith("Age (R2")]
    assert len(age) == 1 and "cnn" in age[0] and "paper" not in age[0]    # level 6 has its own section


def test_nothing_is_compared_without_a_black_box():
    summary = pd.DataFrame({"representation": ["features"], "level": [1], "macro_auroc": [0.8],
                            "macro_auroc_low": [0.7], "macro_auroc_high": [0.9]})
    comparison = published_comparison(TradeoffResult(pd.DataFrame(), summary, ["A"], "features"))
    assert comparison.verdict.str.startswith("not compared").all() and comparison.ours_gap.isna().all()

"""The trade-off summary states the verdict the numbers give, either way; the figure has labelled axes."""

import numpy as np
import pandas as pd

from vaescan.analysis.tradeoff import TradeoffResult
from vaescan.report.tradeoff import plot_tradeoff, summary_sentences


def _result(gap: float, low: float, high: float, p: float) -> TradeoffResult:
    summary = pd.DataFrame({
        "representation": ["features", "cnn"], "level": [1, 4], "n": [100, 100],
        "macro_auroc": [0.9 + gap, 0.9], "macro_auroc_low": [0.85 + gap, 0.85], "macro_auroc_high": [0.95 + gap, 0.95],
        "gap_to_best": [gap, 0.0], "gap_low": [low, 0.0], "gap_high": [high, 0.0], "p_gap": [p, 1.0]})
    table = pd.DataFrame({"representation": ["features", "cnn"], "task": ["AF", "AF"], "kind": ["binary"] * 2})
    black_box = pd.DataFrame({"level": [1], "explainable": ["features"], "black_box": ["cnn"], "n": [100],
                              "gap": [gap], "gap_low": [low], "gap_high": [high], "p": [p]})
    return TradeoffResult(table, summary, ["AF"], "cnn", black_box=black_box)


def test_a_significant_gap_is_called_a_cost_and_an_uncertain_one_is_not():
    cost = summary_sentences(_result(-0.08, -0.12, -0.04, 0.002))[1]
    assert "here explainability cost performance" in cost and "-0.080 [-0.120, -0.040]" in cost and "p = 0.002" in cost
    unsure = summary_sentences(_result(-0.01, -0.03, 0.01, 0.4))[1]
    assert "do not show that explainability cost performance" in unsure and "p = 0.4" in unsure
    assert "Strodthoff et al. 2021: agrees: the black box is ahead here too, by 0.080, of the published size" in \
        summary_sentences(_result(-0.08, -0.12, -0.04, 0.002))[-1]


def test_the_most_explainable_best_is_said_to_cost_nothing():
    result = _result(-0.05, -0.08, -0.02, 0.002)
    result.summary.loc[0, ["macro_auroc", "gap_to_best", "p_gap"]] = [0.97, 0.0, 1.0]
    result.summary.loc[1, ["gap_to_best", "gap_low", "gap_high", "p_gap"]] = [-0.07, -0.1, -0.04, 0.002]
    result.best = "features"
    sentences = summary_sentences(result)
    assert "is also the best: here explainability cost no measurable performance" in sentences[1]
    assert "cnn (level 4) -0.070 [-0.100, -0.040], p = 0.002" in sentences[2]
    result.black_box.loc[0, ["gap", "gap_low", "gap_high", "p"]] = [0.07, 0.04, 0.1, 0.002]
    assert "Strodthoff et al. 2021: differs: here the explainable representation is ahead, by 0.070" in \
        summary_sentences(result)[-1]


def test_the_figure_has_labelled_axes_and_one_point_per_scored_representation():
    result = _result(-0.08, -0.12, -0.04, 0.002)
    fig = plot_tradeoff(result.summary, ["AF"])
    ax = fig.axes[0]
    assert ax.get_xlabel() and "macro AUROC over 1 labels" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["features", "cnn"]
    result.summary.loc[1, "macro_auroc"] = np.nan
    assert len(plot_tradeoff(result.summary).axes[0].get_legend().get_texts()) == 1


def _anchoring(gap, low, high, p):
    return pd.DataFrame({"level": [2], "anchored": ["SCAN (a)"], "unanchored": ["SCAN (b)"], "n": [120],
                         "gap": [gap], "gap_low": [low], "gap_high": [high], "p": [p]})


def test_anchoring_is_said_to_gain_cost_or_not_differ_as_its_interval_says():
    from vaescan.report.tradeoff import anchoring_sentences

    assert anchoring_sentences(_anchoring(0.05, 0.02, 0.08, 0.004))[0].endswith("anchoring gained performance.")
    assert "+0.050 [+0.020, +0.080] on 120 shared test records" in anchoring_sentences(_anchoring(
        0.05, 0.02, 0.08, 0.004))[0]
    assert anchoring_sentences(_anchoring(-0.05, -0.08, -0.02, 0.004))[0].endswith("anchoring cost performance.")
    assert "no measurable difference" in anchoring_sentences(_anchoring(0.01, -0.02, 0.04, 0.5))[0]
    result = _result(-0.08, -0.12, -0.04, 0.002)
    result.anchoring = _anchoring(-0.05, -0.08, -0.02, 0.004)
    assert any(s.startswith("Anchoring (level 2): SCAN (a) minus SCAN (b)") for s in summary_sentences(result))


def _profile():
    from vaescan.analysis.explain_profile import profile_table

    return profile_table([
        {"representation": "features", "level": 1, "faithfulness_n": 12, "deletion_auc": 0.05,
         "deletion_auc_random": 0.5, "deletion_ratio": 0.1, "deletion_score": np.inf, "localisation_n": 12,
         "localisation_top_hit": 0.25, "stability_note": "one deterministic fit (no training seed)"},
        {"representation": "cnn", "level": 4, "faithfulness_n": 12, "deletion_auc": 0.06, "deletion_auc_random": 0.2,
         "deletion_ratio": 0.3, "deletion_score": 4.2, "localisation_n": 12, "localisation_top_hit": 0.5,
         "stability": 0.41, "stability_with": "cnn2"}])


def test_the_profile_table_shows_numbers_where_measured_and_reasons_where_not():
    from vaescan.report.tradeoff import render_html, render_markdown

    result = _result(-0.08, -0.12, -0.04, 0.002)
    result.summary["explanation"] = ""
    result.table = pd.DataFrame()
    md = render_markdown(result, "tradeoff.png", {"cohort": "c"}, profile=_profile())
    assert "## Explainability profile" in md
    rows = {line.split(" | ")[0].strip("| "): line for line in md.splitlines() if line.startswith("| features |")
            or line.startswith("| cnn |")}
    assert "0.050 vs 0.500 | 0.10 | 25% of 12 | one deterministic fit (no training seed)" in rows["features"]
    assert "0.060 vs 0.200 | 0.30 | 50% of 12 | 0.41 (with cnn2)" in rows["cnn"]
    page = render_html(result, "iVBORw0KGgo=", {"cohort": "c"}, profile=_profile())
    assert "<h2>Explainability profile</h2>" in page and "0.41 (with cnn2)" in page
    assert "Explainability profile" not in render_markdown(result, "tradeoff.png", {"cohort": "c"})


def test_the_figure_annotates_each_point_with_its_profile():
    result = _result(-0.08, -0.12, -0.04, 0.002)
    texts = [t.get_text() for t in plot_tradeoff(result.summary, ["AF"], _profile()).axes[0].texts]
    assert texts == ["deletion 0.10x random, top on cause 25%", "deletion 0.30x random, top on cause 50%"]

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
    return TradeoffResult(table, summary, ["AF"], "cnn")


def test_a_significant_gap_is_called_a_cost_and_an_uncertain_one_is_not():
    cost = summary_sentences(_result(-0.08, -0.12, -0.04, 0.002))[1]
    assert "here explainability cost performance" in cost and "-0.080 [-0.120, -0.040]" in cost and "p = 0.002" in cost
    unsure = summary_sentences(_result(-0.01, -0.03, 0.01, 0.4))[1]
    assert "do not show that explainability cost performance" in unsure and "p = 0.4" in unsure
    assert "features 0.820 vs cnn 0.900 (-0.080), which agrees in direction" in summary_sentences(
        _result(-0.08, -0.12, -0.04, 0.002))[-1]


def test_the_most_explainable_best_is_said_to_cost_nothing():
    result = _result(-0.05, -0.08, -0.02, 0.002)
    result.summary.loc[0, ["macro_auroc", "gap_to_best", "p_gap"]] = [0.97, 0.0, 1.0]
    result.summary.loc[1, ["gap_to_best", "gap_low", "gap_high", "p_gap"]] = [-0.07, -0.1, -0.04, 0.002]
    result.best = "features"
    sentences = summary_sentences(result)
    assert "is also the best: here explainability cost no measurable performance" in sentences[1]
    assert "cnn (level 4) -0.070 [-0.100, -0.040], p = 0.002" in sentences[2]
    assert "features 0.970 vs cnn 0.900 (+0.070), which differs" in sentences[-1]


def test_the_figure_has_labelled_axes_and_one_point_per_scored_representation():
    result = _result(-0.08, -0.12, -0.04, 0.002)
    fig = plot_tradeoff(result.summary, ["AF"])
    ax = fig.axes[0]
    assert ax.get_xlabel() and "macro AUROC over 1 labels" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["features", "cnn"]
    result.summary.loc[1, "macro_auroc"] = np.nan
    assert len(plot_tradeoff(result.summary).axes[0].get_legend().get_texts()) == 1

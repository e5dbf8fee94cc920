"""Association read-outs against answers known in closed form."""

import contextlib
import logging

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm, spearmanr
from sklearn.metrics import roc_auc_score

from vaescan.report.heatmap import plot_heatmap
from vaescan.stats.associations import bootstrap_ci, single_factor_scores, spearman_matrix


@pytest.fixture(scope="module")
def latents() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(300, 3))


@pytest.mark.filterwarnings("error")
def test_spearman_of_monotonic_transforms_is_exactly_one(latents):
    table = pd.DataFrame({
        "up": np.exp(2 * latents[:, 0]),            # increasing in z0
        "down": -latents[:, 1] ** 3 + 7,            # decreasing in z1
        "flat": np.ones(300),                        # constant: rho undefined
        "label": (latents[:, 2] > 0).astype(int),    # a 0/1 column
    })
    rho = spearman_matrix(latents, table, latent_names=["a", "b", "c"])
    assert rho.index.tolist() == ["a", "b", "c"] and rho.columns.tolist() == ["up", "down", "flat", "label"]
    assert rho.at["a", "up"] == pytest.approx(1.0, abs=1e-12)
    assert rho.at["b", "down"] == pytest.approx(-1.0, abs=1e-12)
    assert rho["flat"].isna().all()
    assert rho.at["c", "label"] > 0.8 and abs(rho.at["a", "label"]) < 0.2


def test_spearman_ignores_nan_rows_pairwise(latents):
    y = latents[:, 0] + 0.5 * latents[:, 1]
    table = pd.DataFrame({"partial": y, "full": y})
    table.loc[::3, "partial"] = np.nan
    rho = spearman_matrix(latents, table)
    keep = table["partial"].notna().to_numpy()
    expected = spearmanr(latents[keep, 1], y[keep]).statistic
    assert rho.at["z1", "partial"] == pytest.approx(expected, abs=1e-12)
    assert rho.at["z1", "full"] == pytest.approx(spearmanr(latents[:, 1], y).statistic, abs=1e-12)
    assert rho.at["z1", "partial"] != pytest.approx(rho.at["z1", "full"], abs=1e-6)


@pytest.mark.filterwarnings("error")
def test_spearman_of_a_constant_latent_is_nan_without_warning(latents):
    z = np.column_stack([latents[:, 0], np.zeros(300)])
    rho = spearman_matrix(z, pd.DataFrame({"y": latents[:, 0] ** 3}))
    assert rho.at["z0", "y"] == pytest.approx(1.0) and np.isnan(rho.at["z1", "y"])


def test_spearman_rejects_text_columns_and_row_mismatch(latents):
    with pytest.raises(ValueError, match="column 'split' is not numeric"):
        spearman_matrix(latents, pd.DataFrame({"split": ["train"] * 300}))
    with pytest.raises(ValueError, match="latents have 300 rows but the table has 10"):
        spearman_matrix(latents, pd.DataFrame({"age": np.arange(10.0)}))


def test_single_factor_scores_auroc_and_r2(latents):
    table = pd.DataFrame({
        "lbbb": np.where(latents[:, 0] > 0.3, "yes", "no") == "yes",   # perfectly separated by z0 (bool)
        "age": 60 + 8 * latents[:, 1],                                   # exact linear function of z1
        "qrs_ms": 100 + 10 * latents[:, 2] + 10 * latents[:, 1],         # half of its variance in z2
    })
    table.loc[:49, "qrs_ms"] = np.nan
    z = np.column_stack([latents, -latents[:, 0]])
    scores = single_factor_scores(z, table, binary=["lbbb"], continuous=["age", "qrs_ms"])
    assert list(scores.columns) == ["latent", "variable", "kind", "metric", "score", "n"]
    wide = scores.pivot(index="latent", columns="variable", values="score")
    assert wide.at["z0", "lbbb"] == 1.0 and wide.at["z3", "lbbb"] == 0.0  # a latent and its negation
    assert wide.at["z1", "age"] == pytest.approx(1.0, abs=1e-12)
    rows = table["qrs_ms"].notna().to_numpy()
    r = np.corrcoef(latents[rows, 2], table["qrs_ms"][rows])[0, 1]
    assert wide.at["z2", "qrs_ms"] == pytest.approx(r ** 2, abs=1e-12)  # univariate R2 = squared Pearson r
    assert wide.at["z2", "qrs_ms"] == pytest.approx(0.5, abs=0.15)
    assert set(scores.loc[scores.variable == "qrs_ms", "n"]) == {250}
    assert set(scores.loc[scores.variable == "lbbb", "metric"]) == {"auroc"}


def test_single_factor_scores_rejects_bad_variables(latents):
    table = pd.DataFrame({"three": np.arange(300) % 3, "const": np.ones(300)})
    with pytest.raises(ValueError, match="binary variable 'three' has 3 distinct value"):
        single_factor_scores(latents, table, binary=["three"])
    with pytest.raises(ValueError, match="continuous variable 'const' is constant"):
        single_factor_scores(latents, table, continuous=["const"])
    with pytest.raises(ValueError, match="both binary and continuous"):
        single_factor_scores(latents, table, binary=["three"], continuous=["three"])
    with pytest.raises(ValueError, match="'missing' is not in the table"):
        single_factor_scores(latents, table, binary=["missing"])


def _mean_error(y_true, y_score):
    return float(np.mean(y_score - y_true))


def test_bootstrap_ci_covers_the_truth_at_the_nominal_rate_with_the_right_width():
    rng = np.random.default_rng(0)
    sigma, true_mean, covered, widths = 2.0, 0.7, 0, {100: [], 400: []}
    for rep in range(100):
        for n in widths:
            y_score = true_mean + sigma * rng.normal(size=n)
            est, low, high = bootstrap_ci(_mean_error, np.zeros(n), y_score, n_boot=200, seed=rep)
            assert low < est < high
            widths[n].append(high - low)
            covered += (n == 100) and (low <= true_mean <= high)
    assert 0.85 <= covered / 100 <= 1.0
    # a normal-theory 95 % interval of a mean is 2 * 1.96 * sigma / sqrt(n) wide
    for n, w in widths.items():
        assert np.mean(w) == pytest.approx(2 * 1.96 * sigma / np.sqrt(n), rel=0.1)
    assert np.mean(widths[100]) / np.mean(widths[400]) == pytest.approx(2.0, rel=0.1)


def test_bootstrap_ci_of_auroc_covers_the_binormal_value():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], 500)
    score = y + rng.normal(size=1000)                 # unit shift between unit normals
    true_auc = norm.cdf(1 / np.sqrt(2))               # 0.760
    est, low, high = bootstrap_ci(roc_auc_score, y, score, n_boot=300, stratify=y)
    assert est == roc_auc_score(y, score)
    assert low <= true_auc <= high
    assert 0.03 < high - low < 0.08                   # SE of an AUROC at 500 + 500 is ~0.015


@pytest.mark.filterwarnings("error")
def test_bootstrap_stratify_keeps_group_sizes_and_failed_resamples_are_reported(caplog):
    y = np.array([0] * 18 + [1] * 2)
    positives = lambda t, s: float(t.sum())  # noqa: E731
    assert bootstrap_ci(positives, y, y, n_boot=50, stratify=y) == (2.0, 2.0, 2.0)
    with caplog.at_level(logging.WARNING, logger="vaescan"):
        est, low, high = bootstrap_ci(roc_auc_score, y, y + 0.0, n_boot=200)
    assert (est, low, high) == (1.0, 1.0, 1.0)
    assert "metric undefined on" in caplog.text  # resamples with no positive case were dropped

    def needs_both_positives(t, s):
        if t.sum() != 2:
            raise ValueError("a positive case is missing or repeated")
        return 0.0

    # an unstratified resample keeps exactly 2 positives of 20 only ~28 % of the time
    with pytest.raises(ValueError, match="the metric failed on"):
        bootstrap_ci(needs_both_positives, y, y, n_boot=100)
    assert bootstrap_ci(needs_both_positives, y, y, n_boot=100, stratify=y) == (0.0, 0.0, 0.0)


def test_plot_heatmap_annotates_values_and_centres_the_palette(tmp_path):
    table = pd.DataFrame({"NORM": [0.91, 0.5, np.nan], "MI": [0.3, 0.62, 0.55]}, index=["z0", "z1", "z2"])
    open_before = plt.get_fignums()
    fig = plot_heatmap(table, title="AUROC", center=0.5, fmt=".2f")
    assert plt.get_fignums() == open_before  # built without pyplot: no global figure left open
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["0.91", "0.30", "0.50", "0.62", "0.55"]  # NaN left blank
    mesh = ax.collections[0]
    assert (mesh.norm.vmin, mesh.norm.vmax) == pytest.approx((0.09, 0.91))
    assert ax.get_title() == "AUROC"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["z0", "z1", "z2"]
    out = tmp_path / "auroc.png"
    fig.savefig(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    blank = plot_heatmap(table * np.nan, center=0)  # e.g. no rho defined anywhere: a blank map, no error
    assert len(blank.axes[0].texts) == 0 and blank.axes[0].collections[0].norm.vmin == -1.0
    with pytest.raises(ValueError, match="numeric table"):
        plot_heatmap(pd.DataFrame({"a": ["x", "y"]}))


def test_latents_may_be_a_dataframe_or_a_torch_tensor(latents):
    import torch

    table = pd.DataFrame({"y": np.exp(latents[:, 2])})
    named = spearman_matrix(pd.DataFrame(latents, columns=["qrs", "t", "st"]), table)
    assert named.index.tolist() == ["qrs", "t", "st"] and named.at["st", "y"] == pytest.approx(1.0)
    tensor = torch.tensor(latents, requires_grad=True)
    pd.testing.assert_frame_equal(spearman_matrix(tensor, table), spearman_matrix(latents, table))


def test_read_only_tables_are_read_not_written(latents):
    """pandas >= 3 hands out read-only arrays (copy-on-write): the read-out copies before it cleans
    non-finite values, and the caller's table keeps its infinities."""
    up = np.exp(latents[:, 0])
    up[:5] = np.inf
    up.flags.writeable = False
    with pd.option_context("mode.copy_on_write", True) if pd.__version__ < "3" else contextlib.nullcontext():
        table = pd.DataFrame({"up": up}, copy=False)
        rho = spearman_matrix(latents, table)
    assert rho.at["z0", "up"] == pytest.approx(1.0, abs=1e-12)
    assert np.isinf(table["up"].to_numpy()[:5]).all()

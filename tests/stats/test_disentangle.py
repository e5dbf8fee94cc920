"""Disentanglement metrics against representations whose answer is known."""

import json

import numpy as np
import pytest
from scipy.linalg import hadamard

from vaescan.stats.disentangle import (
    dci_scores,
    discretize,
    disentanglement_report,
    factor_kinds,
    mutual_info_gap,
    sap_score,
)

N = 600
TREES = 20  # small forests keep the tests fast; the defaults use 100


@pytest.fixture(scope="module")
def factors() -> np.ndarray:
    """Four independent factors: normal, uniform, binary (coded 2/5 to test recoding), normal."""
    rng = np.random.default_rng(1)
    return np.column_stack([rng.normal(size=N), rng.uniform(size=N), np.where(rng.random(N) < 0.4, 2.0, 5.0),
                            rng.normal(size=N)])


def _all(latents, factors):
    dci = dci_scores(latents, factors, n_estimators=TREES)
    return {"mig": mutual_info_gap(latents, factors), "sap": sap_score(latents, factors),
            "d": dci.disentanglement, "c": dci.completeness, "i": dci.informativeness, "r2": dci.informativeness_r2,
            "dci": dci}


@pytest.fixture(scope="module")
def identity(factors):
    return _all(factors, factors)


def test_identity_latents_score_near_one(factors, identity):
    # MIG stays below 1 at small n: the plug-in MI of two independent 20-bin variables is biased upwards
    # by about 19**2 / (2 n) nats, ~0.1 of H = log 20 here; fewer bins shrink that bias
    assert identity["mig"] > 0.85
    assert mutual_info_gap(factors, factors, n_bins=8) > 0.95
    assert identity["d"] > 0.97 and identity["c"] > 0.97
    assert identity["sap"] > 0.9
    assert identity["i"] < 0.15 and identity["r2"] > 0.97
    assert identity["dci"].importance.argmax(axis=0).tolist() == [0, 1, 2, 3]


def test_mixing_rotation_scores_clearly_lower(factors, identity):
    rotation = hadamard(4) / 2.0  # orthogonal, every latent mixes every factor with equal weight
    standard = (factors - factors.mean(axis=0)) / factors.std(axis=0)
    mixed = _all(standard @ rotation, factors)
    assert mixed["mig"] < 0.3 and mixed["sap"] < 0.3
    assert mixed["d"] < 0.5 and mixed["c"] < 0.5
    for key in ("mig", "sap", "d", "c"):
        assert mixed[key] < identity[key] - 0.5, key
    # the information is still there (a rotation is invertible), only spread out
    assert mixed["r2"] > 0.8


def test_permuting_latents_changes_nothing(factors, identity):
    rng = np.random.default_rng(3)
    rotation = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    latents = factors @ rotation + 0.3 * rng.normal(size=factors.shape)
    order = [2, 0, 3, 1]
    a, b = _all(latents, factors), _all(latents[:, order], factors)
    assert b["mig"] == pytest.approx(a["mig"], abs=1e-12)
    assert b["sap"] == pytest.approx(a["sap"], abs=1e-12)
    # forests break exact ties by feature order, so DCI may move in the third decimal
    for key in ("d", "c", "i"):
        assert b[key] == pytest.approx(a[key], abs=0.01), key
    np.testing.assert_allclose(b["dci"].importance, a["dci"].importance[order], atol=0.02)


def test_duplicated_latent_lowers_completeness_only(factors, identity):
    dup = _all(np.column_stack([factors, factors[:, 0]]), factors)
    # factor 0's importance splits ~evenly over two of 5 latents: 1 - H_5(1/2, 1/2) = 1 - log 2 / log 5
    assert dup["dci"].factor_completeness[0] == pytest.approx(1 - np.log(2) / np.log(5), abs=0.1)
    assert dup["c"] < identity["c"] - 0.05
    assert dup["d"] > 0.97  # each latent still explains a single factor
    rep = disentanglement_report(np.column_stack([factors, factors[:, 0]]), factors, n_estimators=TREES)
    assert rep["factors"][0]["mig"]["gap"] == 0.0  # two equally informative latents: no gap
    assert dup["mig"] == pytest.approx(identity["mig"] * 3 / 4, abs=0.02)


def test_chance_level_predicts_the_mi_of_unrelated_latents(factors):
    rep = disentanglement_report(np.random.default_rng(7).normal(size=(N, 8)), factors, n_estimators=5)
    for f in rep["factors"]:  # the mean normalised MI of 8 noise latents sits at the Miller-Madow bias
        noise_mi = np.mean([row[rep["factor_names"].index(f["name"])] for row in rep["normalized_mi"]])
        assert noise_mi == pytest.approx(f["mig"]["chance_normalized_mi"], rel=0.25), f["name"]
    assert rep["factors"][0]["mig"]["chance_normalized_mi"] == pytest.approx(19 * 19 / (2 * N) / np.log(20))


def test_pure_noise_scores_near_zero_and_is_uninformative(factors):
    noise = _all(np.random.default_rng(4).normal(size=(N, 4)), factors)
    assert noise["mig"] < 0.05 and noise["sap"] < 0.05
    assert noise["i"] > 0.9 and noise["r2"] < 0.1


def test_mig_matches_the_analytic_value_for_a_noisy_binary_code():
    # a balanced binary factor read by a latent that flips exactly 10 % of each class:
    # I(z; v) = log 2 - h(0.1) exactly on this sample, and a constant latent has I = 0
    v = np.repeat([0.0, 1.0], 500)
    z = v.copy()
    z[:50], z[500:550] = 1.0, 0.0
    latents = np.column_stack([z, np.zeros_like(z)])
    h = -(0.1 * np.log(0.1) + 0.9 * np.log(0.9))
    assert mutual_info_gap(latents, v[:, None]) == pytest.approx(1 - h / np.log(2), abs=1e-12)


def test_sap_matches_the_analytic_r2_of_a_noisy_latent():
    rng = np.random.default_rng(5)
    v = rng.normal(size=(2000, 1))
    latents = np.column_stack([v[:, 0] + rng.normal(size=2000), rng.normal(size=2000)])
    # R2 of v on v + unit noise is 1 / (1 + 1); the noise latent scores ~0
    assert sap_score(latents, v) == pytest.approx(0.5, abs=0.06)
    scores = dci_scores(latents, v, n_estimators=TREES)
    assert np.isnan(scores.disentanglement)  # undefined with a single factor
    assert scores.informativeness_r2 == pytest.approx(0.5, abs=0.1)


@pytest.mark.filterwarnings("error")
def test_collapsed_latents_are_harmless(factors, identity):
    latents = np.column_stack([factors, np.zeros(N), np.full(N, 3.0)])
    scores = _all(latents, factors)
    assert scores["mig"] == pytest.approx(identity["mig"], abs=1e-12)
    assert scores["sap"] == pytest.approx(identity["sap"], abs=1e-12)
    assert np.all(scores["dci"].importance[4:] == 0) and np.all(scores["dci"].latent_weight[4:] == 0)
    assert scores["d"] > 0.97
    rep = disentanglement_report(latents, factors, n_estimators=TREES)
    assert [lat["active"] for lat in rep["latents"]] == [True] * 4 + [False] * 2
    assert rep["n_active_latents"] == 4
    # every latent constant: nothing is explained, and still no warning
    flat = dci_scores(np.zeros((N, 3)), factors, n_estimators=TREES)
    assert flat.completeness == 0.0 and flat.disentanglement == 0.0 and flat.informativeness > 0.95


def test_report_collects_consistent_details(factors, identity):
    rng = np.random.default_rng(6)
    latents = np.column_stack([rng.normal(size=N), factors[:, 2], np.exp(factors[:, 0]), factors[:, 1],
                               factors[:, 3]])
    rep = disentanglement_report(latents, factors, ["hr", "qrs", "lbbb", "st"], seed=0, n_estimators=TREES,
                                 latent_names=[f"u{i}" for i in range(5)])
    json.dumps(rep)  # plain Python values only
    assert rep["mig"] == pytest.approx(mutual_info_gap(latents, factors))
    assert rep["sap"] == pytest.approx(sap_score(latents, factors))
    dci = dci_scores(latents, factors, n_estimators=TREES)
    assert rep["dci"]["completeness"] == pytest.approx(dci.completeness)
    assert rep["dci"]["informativeness_nrmse"] == pytest.approx(dci.informativeness)
    by_name = {f["name"]: f for f in rep["factors"]}
    assert [f["kind"] for f in rep["factors"]] == ["continuous", "continuous", "binary", "continuous"]
    assert {n: f["mig"]["best_latent"] for n, f in by_name.items()} == {"hr": "u2", "qrs": "u3", "lbbb": "u1",
                                                                        "st": "u4"}
    assert {n: f["dci"]["top_latent"] for n, f in by_name.items()} == {"hr": "u2", "qrs": "u3", "lbbb": "u1",
                                                                       "st": "u4"}
    assert by_name["lbbb"]["sap"]["best_latent"] == "u1" and by_name["lbbb"]["sap"]["best_score"] == 1.0
    # exp() is monotonic: MI and importance do not care, the linear SAP predictor does
    assert by_name["hr"]["mig"]["best_normalized_mi"] == pytest.approx(by_name["st"]["mig"]["best_normalized_mi"])
    assert by_name["hr"]["sap"]["best_score"] < 0.9 < by_name["st"]["sap"]["best_score"]
    assert rep["latents"][0]["dci_weight"] < 0.05


def test_factor_kinds_and_discretize():
    assert factor_kinds(np.array([[2.0, 0.1, 1], [5.0, 0.2, 1], [2.0, 0.3, 2]])) == ["binary", "continuous",
                                                                                        "binary"]
    codes = discretize(np.arange(100.0), n_bins=4)
    assert np.bincount(codes).tolist() == [25, 25, 25, 25]
    assert discretize(np.zeros(10)).tolist() == [0] * 10
    assert sorted(set(discretize(np.repeat([1.0, 2.0, 3.0], 10)).tolist())) == [0, 1, 2]


@pytest.mark.parametrize("latents, factors, message", [
    (np.zeros((50, 2)), np.zeros((40, 1)), "same number of rows"),
    (np.zeros(50), np.zeros((50, 1)), "2-D array"),
    (np.ones((50, 1)), np.arange(50.0)[:, None], "at least 2 latent units"),
    (np.ones((5, 2)), np.arange(5.0)[:, None], "at least 10 samples"),
    (np.ones((50, 2)), np.ones((50, 1)), "factor 'f0' is constant"),
    (np.full((50, 2), np.nan), np.arange(50.0)[:, None], "NaN or infinite"),
    (np.ones((50, 2)), np.array([["a"]] * 50), "must be numeric"),
    (np.ones((50, 2)), np.r_[np.zeros(49), 1.0][:, None], "constant in the"),
])
def test_bad_inputs_raise_clear_errors(latents, factors, message):
    with pytest.raises(ValueError, match=message):
        disentanglement_report(latents, factors)


def test_report_rejects_wrong_names(factors):
    with pytest.raises(ValueError, match="3 factor names given for 4 columns"):
        disentanglement_report(factors, factors, ["a", "b", "c"])
    with pytest.raises(ValueError, match="not unique"):
        disentanglement_report(factors, factors, ["a", "a", "b", "c"])


def test_torch_latents_give_the_same_scores(factors, identity):
    import torch

    latents = torch.tensor(factors, dtype=torch.float64, requires_grad=True)
    assert mutual_info_gap(latents, factors) == pytest.approx(identity["mig"], abs=1e-12)

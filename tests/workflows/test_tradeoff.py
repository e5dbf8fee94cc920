"""The trade-off adapters on the tiny toy cohort: engineered features, a SCAN run's linear head and boosted VAE
factors, each predicting the test split only (seconds)."""

import shutil

import numpy as np
import pandas as pd
import pytest

from tests.cli.test_models import SMALL_VAE
from tests.conftest import write_toy_cohort
from vaescan.analysis.tradeoff import auroc, r2
from vaescan.cli.main import main
from vaescan.data.beats import BeatConfig
from vaescan.data.cohort_beats import cohort_beats
from vaescan.data.sources import load_cohort
from vaescan.models.scan import SCAN
from vaescan.workflows.tradeoff import clinical_tasks, collect_representations, feature_predictions, tradeoff_report


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp("tradeoff")
    write_toy_cohort(root / "cohort", n=60, flat=17)  # r017 is a test record without a usable lead V3
    (root / "vae.yaml").write_text(SMALL_VAE)
    assert main(["-q", "train-vae", "--config", str(root / "vae.yaml"), "--data", str(root / "cohort"),
                 "-o", str(root / "vae"), "--cache-dir", str(root / "cache")]) == 0
    assert main(["-q", "train-scan", "--vae", str(root / "vae"), "-o", str(root / "scan"), "--epochs", "20",
                 "--cache-dir", str(root / "cache")]) == 0
    return root


def _test_ids(cohort):
    return cohort.metadata.record_id[cohort.metadata.split == "test"].tolist()


def test_features_predict_the_test_split_and_list_the_unmeasurable_record(toy):
    cohort = load_cohort(toy / "cohort")
    binary, continuous = clinical_tasks(cohort)
    assert (binary, continuous) == (["NORM", "WIDE", "sex"], ["age"])
    pred = feature_predictions(cohort, binary, continuous, progress=False)
    assert sorted(pred.record_id) == sorted(_test_ids(cohort))
    assert pred.columns.tolist() == ["record_id", "prob_NORM", "prob_WIDE", "prob_sex", "pred_age", "skipped"]
    flat = pred.set_index("record_id").loc["r017"]
    assert "flat" in flat.skipped and np.isnan(flat.prob_WIDE)
    # WIDE is QRS >= 120 ms and QRS duration is a feature: the linear model separates the test records
    truth = cohort.metadata.set_index("record_id").loc[pred.record_id]
    ok = pred.prob_WIDE.notna().to_numpy()
    assert auroc(truth.WIDE.to_numpy()[ok], pred.prob_WIDE.to_numpy()[ok]) >= 0.95
    # age from 57 features on 42 train records: the ridge penalty keeps the fit general (measured R2 0.98 on the
    # 8 measurable test records; unpenalised least squares 0.92)
    ok = pred.pred_age.notna().to_numpy()
    assert r2(truth.age.to_numpy()[ok], pred.pred_age.to_numpy()[ok]) >= 0.95


def test_a_scan_run_gives_its_linear_head_and_boosted_factors_on_the_test_beats(toy):
    cohort = load_cohort(toy / "cohort")
    reps = collect_representations([toy / "scan"], cohort, features=False, cache_dir=str(toy / "cache"),
                                   progress=False)
    assert {name: level for name, (level, _) in reps.items()} == {"SCAN (scan)": 2, "VAE + boosting (scan)": 3}
    linear, boosted = reps["SCAN (scan)"][1], reps["VAE + boosting (scan)"][1]
    expected_ids = [r for r in _test_ids(cohort) if r != "r017"]
    assert linear.record_id.tolist() == boosted.record_id.tolist() == expected_ids
    # the linear head's numbers are the SCAN run's own predictions on those beats
    test = cohort.subset(cohort.metadata.record_id.isin(expected_ids).to_numpy())
    beats = cohort_beats(test, BeatConfig(), use_cache=False, progress=False)
    own = SCAN.load(toy / "scan").predict(beats)
    np.testing.assert_allclose(linear.prob_WIDE, own.WIDE, rtol=1e-5)
    np.testing.assert_allclose(linear.pred_age, own.age, rtol=1e-5)
    # boosting predicts every task, sex too, as probabilities
    assert {"prob_NORM", "prob_WIDE", "prob_sex", "pred_age"} <= set(boosted.columns)
    assert boosted[["prob_NORM", "prob_WIDE", "prob_sex"]].apply(lambda c: c.between(0, 1)).all().all()
    assert pd.api.types.is_float_dtype(boosted.pred_age) and boosted.pred_age.notna().all()


ANCHORED_VAE = SMALL_VAE + "  anchor_features: [qrs_ms]\n  anchor_sd: 0.1\n"


@pytest.fixture(scope="module")
def two_scans(toy):
    """The toy SCAN run (plain VAE) and a second over a VAE whose z0 is anchored to the measured QRS duration."""
    (toy / "vae_anchored.yaml").write_text(ANCHORED_VAE)
    assert main(["-q", "train-vae", "--config", str(toy / "vae_anchored.yaml"), "--data", str(toy / "cohort"),
                 "-o", str(toy / "vae_anchored"), "--cache-dir", str(toy / "cache")]) == 0
    assert main(["-q", "train-scan", "--vae", str(toy / "vae_anchored"), "-o", str(toy / "scan_anchored"),
                 "--epochs", "20", "--cache-dir", str(toy / "cache")]) == 0
    out = toy / "report"
    assert main(["-q", "report", str(toy / "scan_anchored"), str(toy / "scan"), "--data", str(toy / "cohort"),
                 "-o", str(out), "--n-boot", "50", "--min-per-class", "2", "--cache-dir", str(toy / "cache")]) == 0
    return out


def test_anchored_and_plain_runs_are_labelled_and_compared(two_scans):
    summary = pd.read_csv(two_scans / "summary.csv").set_index("representation")
    assert summary.loc["SCAN (scan_anchored)", "anchoring"] == "anchored"
    assert summary.loc["SCAN (scan)", "anchoring"] == "unanchored"
    assert summary.loc["VAE + boosting (scan)", "anchoring"] == "unanchored"
    assert summary.loc["features + linear"].isna()["anchoring"]
    gaps = pd.read_csv(two_scans / "anchoring.csv")
    assert sorted(zip(gaps.level, gaps.anchored, gaps.unanchored)) == [
        (2, "SCAN (scan_anchored)", "SCAN (scan)"), (3, "VAE + boosting (scan_anchored)", "VAE + boosting (scan)")]
    assert np.isfinite(gaps[["gap", "gap_low", "gap_high", "p"]].to_numpy()).all()
    assert (gaps.gap_low <= gaps.gap).all() and (gaps.gap <= gaps.gap_high).all()
    md = (two_scans / "report.md").read_text()
    assert "Anchoring (level 2): SCAN (scan_anchored) minus SCAN (scan), macro AUROC" in md


def test_the_profile_has_measured_numbers_or_says_why_not(two_scans):
    profile = pd.read_csv(two_scans / "profile.csv", keep_default_na=False, na_values=[""])
    rows = profile.set_index("representation")
    assert rows.level.to_dict() == {"features + linear": 1, "SCAN (scan)": 2, "SCAN (scan_anchored)": 2,
                                    "VAE + boosting (scan)": 3, "VAE + boosting (scan_anchored)": 3}
    # the toy's labels have no known cause in the synthetic table: its profile records are those with WIDE
    for name in ("features + linear", "SCAN (scan)", "SCAN (scan_anchored)"):
        row = rows.loc[name]
        assert row.faithfulness_n == 5, name                  # the 5 test records with WIDE (r017 has no beat)
        assert 0 < row.deletion_auc < 1 and 0 < row.deletion_auc_random < 1, name
        assert row.deletion_ratio < 1.05, name                # measured: SCAN 0.95-0.97 (3 factors, 20 epochs)
    assert rows.loc["features + linear", "deletion_ratio"] < 0.5  # measured: 0.28 (0.179 against 0.638)
    # the boosted heads, explained by factor ablation, delete faster than the random order: measured 0.67, 0.73
    for name in ("VAE + boosting (scan)", "VAE + boosting (scan_anchored)"):
        row = rows.loc[name]
        assert row.faithfulness_n == 5 and 0 < row.deletion_auc < 1 and row.deletion_ratio < 0.85, name
    assert "unanchored VAE" in rows.loc["VAE + boosting (scan)", "localisation_note"]
    assert rows.loc["features + linear", "stability_note"] == "one deterministic fit (no training seed)"
    assert "unanchored VAE" in rows.loc["SCAN (scan)", "localisation_note"]
    # one SCAN run of each anchoring: its stability is not measured, and says so
    assert rows.loc["SCAN (scan)", "stability_note"] == "one scan unanchored run given; give two to measure"
    for name in ("features + linear", "SCAN (scan)"):
        assert np.isnan(rows.loc[name, "stability"])
    md, page = (two_scans / "report.md").read_text(), (two_scans / "report.html").read_text()
    assert "## Explainability profile" in md and "<h2>Explainability profile</h2>" in page
    line = next(li for li in md.splitlines() if li.startswith("| features + linear | 1 |") and "vs" in li)
    assert f"{rows.loc['features + linear', 'deletion_auc']:.3f} vs" in line


def test_two_runs_of_the_same_kind_are_compared_for_stability(toy, two_scans, tmp_path):
    # the same plain SCAN run given twice (in folders of the same name): identical attributions; unrelated runs
    # score lower (tests/analysis/test_explain_profile.py)
    (tmp_path / "again").mkdir()
    shutil.copytree(toy / "scan", tmp_path / "again" / "scan")
    out = tradeoff_report([toy / "scan", tmp_path / "again" / "scan"], toy / "cohort", tmp_path / "report",
                          features=False, n_boot=20, min_per_class=2, cache_dir=str(toy / "cache"), progress=False)
    rows = pd.read_csv(out / "profile.csv").set_index("representation")
    scan_rows = rows[rows.level == 2]
    assert len(scan_rows) == 2 and np.allclose(scan_rows.stability, 1.0)
    assert set(scan_rows.stability_with) == set(scan_rows.index)

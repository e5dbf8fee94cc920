"""The trade-off adapters on the tiny toy cohort: engineered features, a SCAN run's linear head and boosted VAE
factors, each predicting the test split only (seconds)."""

import numpy as np
import pandas as pd
import pytest

from tests.cli.test_models import SMALL_VAE
from tests.conftest import write_toy_cohort
from vaescan.analysis.tradeoff import auroc
from vaescan.cli.main import main
from vaescan.data.beats import BeatConfig
from vaescan.data.cohort_beats import cohort_beats
from vaescan.data.sources import load_cohort
from vaescan.models.scan import SCAN
from vaescan.workflows.tradeoff import clinical_tasks, collect_representations, feature_predictions


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

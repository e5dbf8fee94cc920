import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from vaescan.data.features import beat_features
from vaescan.errors import VaescanInputError
from vaescan.models.scan import SCAN

from .conftest import COLUMNS


def _qrs_ms(beat: np.ndarray) -> float:
    return beat_features(beat.astype(np.float64), 500.0, 200)["qrs_ms"]


def test_explain_contributions_sum_exactly_to_the_logit(scan, toy_test):
    beats = toy_test[0]
    contributions = scan.explain(beats)
    logits = scan.decision_function(beats)
    np.testing.assert_allclose(contributions.sum(-1), logits, rtol=0, atol=1e-9)
    # ... and the logit is what predict_proba turns into a probability
    np.testing.assert_allclose(1 / (1 + np.exp(-contributions[:, :2].sum(-1))), scan.predict_proba(beats), atol=1e-12)
    # each contribution is that factor's weight times its value
    z = scan.vae.transform(beats)
    w = scan.weights()
    np.testing.assert_allclose(contributions[:, 0, 2], w.loc["WIDE", "z2"] * z[:, 2], atol=1e-12)
    # the continuous output is explained in its own units (years)
    assert abs(np.mean(contributions[:, 2].sum(-1)) - np.mean(toy_test[1].age)) < 10


def test_weights_are_the_networks_own_decoder_in_original_units(scan, toy_test):
    import torch

    beats, truth = toy_test
    z = scan.vae.transform(beats)
    with torch.no_grad():
        logits, mean = scan.net_.decoder(torch.as_tensor(z, dtype=torch.float32))
    scores = scan.decision_function(beats)
    # weights() read against p(y|z) itself: logits as they are, continuous outputs un-standardised
    np.testing.assert_allclose(scores[:, :2], logits.numpy(), rtol=0, atol=1e-4)
    np.testing.assert_allclose(scores[:, 2], scan.y_mean_[0] + scan.y_sd_[0] * mean.numpy()[:, 0], rtol=0, atol=1e-3)
    # ... and in years: age (20-80, sd about 17) is predicted to within a few years
    mae = float(np.mean(np.abs(scan.predict(beats).age - truth.age)))
    assert mae <= 7.0, mae                                                   # years; measured 5.75


def test_predictions_follow_the_clinical_truth(scan, toy_test):
    beats, truth = toy_test
    pred = scan.predict(beats)
    assert roc_auc_score(truth.WIDE, pred.WIDE) > 0.85
    assert roc_auc_score(truth.TALLT, pred.TALLT) > 0.7
    assert np.corrcoef(truth.age, pred.age)[0, 1] > 0.6


def test_generate_responds_in_the_right_direction(scan):
    # WIDE means QRS >= 120 ms; age was built from QT; TALLT from the T amplitude
    wide, narrow = scan.generate(pd.DataFrame({"WIDE": [1.0, 0.0]}))
    assert _qrs_ms(wide) >= 130 and _qrs_ms(narrow) <= 120
    old, young = scan.generate(pd.DataFrame({"age": [75.0, 25.0]}))
    qt = [beat_features(b.astype(np.float64), 500.0, 200)["qt_ms"] for b in (old, young)]
    assert qt[0] > qt[1] + 50
    tall, flat = scan.generate(pd.DataFrame({"TALLT": [1.0, 0.0]}))
    t_peak = slice(250, 420)  # T wave window (100-440 ms after the fiducial)
    assert tall[10, t_peak].max() > flat[10, t_peak].max() + 0.1


def test_clinical_encoder_is_narrow_where_the_variable_decides(scan):
    # unset variables are absent (binary) or at their training mean (continuous)
    loc_default, _ = scan.encode_clinical({})
    loc_explicit, _ = scan.encode_clinical({"WIDE": 0, "TALLT": 0, "age": float(scan.y_mean_[0])})
    np.testing.assert_allclose(loc_default, loc_explicit)


def test_saved_and_loaded_scan_predicts_the_same(scan, toy_test, tmp_path):
    scan.save(tmp_path)
    again = SCAN.load(tmp_path)
    np.testing.assert_array_equal(again.predict_proba(toy_test[0]), scan.predict_proba(toy_test[0]))
    np.testing.assert_array_equal(again.generate({"WIDE": 1}), scan.generate({"WIDE": 1}))
    assert again.output_names_ == COLUMNS


def test_missing_clinical_values_are_left_out(vae, toy_train):
    beats, truth = toy_train
    table = truth[COLUMNS].copy()
    table.loc[::3, "age"] = np.nan
    table.loc[::5, "WIDE"] = np.nan
    model = SCAN(vae, epochs=20).fit(beats, table, progress=False)
    assert np.isfinite(model.net_.decoder.linear.weight.detach().numpy()).all()
    assert abs(model.y_mean_[0] - np.nanmean(table.age)) < 1e-9
    assert model.binary_names_ == ["WIDE", "TALLT"]  # NaN does not make a 0/1 column continuous


def test_bad_clinical_inputs_are_clear_errors(scan, vae, toy_train):
    beats, truth = toy_train
    with pytest.raises(VaescanInputError, match="unknown clinical variable"):
        scan.generate({"LBBB": 1})
    with pytest.raises(VaescanInputError, match="must be 0 or 1"):
        scan.generate({"WIDE": 0.5})
    with pytest.raises(VaescanInputError, match="other than 0/1"):
        SCAN(vae, epochs=1).fit(beats, truth[COLUMNS], binary=["age"], continuous=[], progress=False)
    with pytest.raises(VaescanInputError, match="lacks column"):
        SCAN(vae, epochs=1).fit(beats, truth[COLUMNS], binary=["LBBB"], progress=False)
    with pytest.raises(VaescanInputError, match="clinical rows"):
        SCAN(vae, epochs=1).fit(beats, truth[COLUMNS].iloc[:10], progress=False)
    with pytest.raises(VaescanInputError, match="unknown SCAN setting"):
        SCAN(vae, lambda_=3)

"""The black-box CNN on a tiny synthetic cohort: it learns a label with a strong signature and age, resumes
exactly, saves and loads exactly, and its output module is decision_function, record by record."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

from tests.models.conftest import interrupted_after
from vaescan.data.signals import SignalConfig, cohort_signals
from vaescan.data.synth import simulate_cohort
from vaescan.errors import VaescanInputError
from vaescan.models.blackbox import BlackBox, BlackBoxConfig
from vaescan.models.persist import load_tensors

TINY = dict(stem=(8, 8), widths=(16, 32), kernel=5, dropout=0.0, batch_size=32, lr=5e-3, epochs=12, device="cpu")
"""A tiny ResNet1d on 50 Hz signals that learns LBBB in a few seconds (on the CPU, where resume is exact)."""


@pytest.fixture(scope="module")
def cohort_data(tmp_path_factory):
    cohort = simulate_cohort(400, seed=3, out_dir=tmp_path_factory.mktemp("synth"), progress=False)
    signals = cohort_signals(cohort, SignalConfig(fs=50.0), use_cache=False, progress=False)
    rows = cohort.metadata.reset_index(drop=True)
    train = (rows.split == "train").to_numpy()
    return signals.signals, rows, train, cohort.label_names


CONTINUOUS = ["age", "qrs_ms"]
"""Age (weakly carried by the synthetic ECG: R2 about 0 for SCAN) and the true QRS duration (a known factor)."""


@pytest.fixture(scope="module")
def model(cohort_data):
    x, rows, train, labels = cohort_data
    val = (rows.split == "val").to_numpy()
    return BlackBox(**TINY).fit(x[train], rows[train], binary=labels, continuous=CONTINUOUS,
                                val=(x[val], rows[val]), progress=False)


def test_the_signal_model_learns_lbbb_and_qrs_and_is_no_worse_than_the_mean_on_age(cohort_data, model):
    x, rows, train, labels = cohort_data
    pred = model.predict(x[~train])  # val (used only to calibrate the continuous outputs) and test
    assert pred.columns.tolist() == labels + CONTINUOUS and len(pred) == (~train).sum()
    auroc = roc_auc_score(rows.LBBB[~train], pred.LBBB)
    assert auroc >= 0.95, auroc                                    # measured 1.000 (5 of 120 positives)
    test = (rows[~train].split == "test").to_numpy()
    held, pred = rows[~train][test], pred[test]
    mae = {c: np.abs(pred[c].to_numpy() - held[c].to_numpy()).mean() for c in CONTINUOUS}
    baseline = {c: np.abs(rows[c][train].mean() - held[c].to_numpy()).mean() for c in CONTINUOUS}
    assert mae["qrs_ms"] <= 0.8 * baseline["qrs_ms"], (mae, baseline)    # ms; measured 6.4 vs 9.4
    # years; measured 12.9 vs 12.6: the calibration on val keeps the weak age output near the mean
    assert mae["age"] <= 1.05 * baseline["age"], (mae, baseline)
    assert model.calibration_.shape == (2, 2) and model.calibration_[1, 0] > 0.5  # QRS keeps its slope
    assert model.curves_.val_loss.iloc[-1] < 0.8 * model.curves_.val_loss.iloc[0], model.curves_
    assert model.n_params_ == sum(p.numel() for p in model.network_.parameters())


def test_output_module_is_decision_function_record_by_record(cohort_data, model):
    x = torch.as_tensor(cohort_data[0][:6])
    f = model.output_module()
    assert not f.training
    scores = model.decision_function(x.numpy())
    np.testing.assert_allclose(f(x).detach().numpy(), scores, rtol=1e-5, atol=1e-5)
    # continuous outputs are in years and ms, not standardised; binary ones are logits
    assert 20 < scores[:, -2].mean() < 95 and 60 < scores[:, -1].mean() < 200
    np.testing.assert_allclose(model.predict_proba(x.numpy()).to_numpy(), 1 / (1 + np.exp(-scores[:, :-2])),
                               rtol=1e-6)
    # records are independent: a record alone gives the same outputs, and no gradient crosses records
    np.testing.assert_allclose(f(x[2:3]).detach().numpy(), scores[2:3], rtol=1e-5, atol=1e-5)
    x = x.clone().requires_grad_(True)
    f(x)[0, 1].backward()
    assert x.grad[0].abs().sum() > 0 and x.grad[1:].abs().sum() == 0


def test_resume_after_an_interruption_ends_like_an_uninterrupted_run(cohort_data, tmp_path, monkeypatch):
    x, rows, train, labels = cohort_data
    x, rows = x[train][:96], rows[train][:96]
    settings = dict(TINY, epochs=4, dropout=0.2)  # dropout: the RNG state must be restored too
    full = BlackBox(**settings).fit(x, rows, binary=["LBBB"], continuous=["age"], val=(x, rows), progress=False)
    ckpt = tmp_path / "checkpoint.pt"
    with interrupted_after(monkeypatch, epoch=2):
        BlackBox(**settings).fit(x, rows, binary=["LBBB"], continuous=["age"], checkpoint=ckpt, progress=False)
    assert load_tensors(ckpt)["epoch"] == 2
    torch.manual_seed(123)  # the global RNG state of the resumed process differs: the checkpoint restores it
    resumed = BlackBox(**settings).fit(x, rows, binary=["LBBB"], continuous=["age"], val=(x, rows),
                                       checkpoint=ckpt, resume=True, progress=False)
    assert resumed.curves_.epoch.tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(resumed.curves_.train_loss, full.curves_.train_loss, rtol=1e-6)
    np.testing.assert_allclose(resumed.decision_function(x), full.decision_function(x), rtol=1e-5, atol=1e-6)
    other = dict(settings, widths=(16, 16))
    with pytest.raises(VaescanInputError, match="checkpoint does not match"):
        BlackBox(**other).fit(x, rows, binary=["LBBB"], continuous=["age"], checkpoint=ckpt, resume=True,
                              progress=False)


def test_save_and_load_give_identical_outputs_and_bad_files_one_error(cohort_data, model, tmp_path):
    x = cohort_data[0][:8]
    folder = model.save(tmp_path / "m")
    again = BlackBox.load(folder, device="cpu")
    np.testing.assert_array_equal(again.decision_function(x), model.decision_function(x))
    assert again.output_names_ == model.output_names_ and again.input_shape_ == model.input_shape_
    meta = json.loads((folder / "blackbox.json").read_text())
    (folder / "blackbox.json").write_text(json.dumps({**meta, "input_shape": [12]}))
    with pytest.raises(VaescanInputError, match="not a vaescan BlackBox description .*input_shape"):
        BlackBox.load(folder)
    (folder / "blackbox.json").write_text(json.dumps({**meta, "binary": meta["binary"][:-1]}))
    with pytest.raises(VaescanInputError, match="weights do not match blackbox.json"):
        BlackBox.load(folder)
    (folder / "blackbox.json").write_text(json.dumps({k: v for k, v in meta.items() if k != "y_sd"}))
    with pytest.raises(VaescanInputError, match="no 'y_sd'"):
        BlackBox.load(folder)


def test_bad_inputs_and_targets_are_one_error(cohort_data, model):
    x, rows, train, _ = cohort_data
    with pytest.raises(VaescanInputError, match="do not match the model's"):
        model.decision_function(x[:2, :, :100])
    with pytest.raises(VaescanInputError, match=r"must be \(records, leads, samples\)"):
        model.predict(x[0])
    bad = x[:4].copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(VaescanInputError, match="NaN"):
        model.predict(bad)
    small = BlackBox(**dict(TINY, epochs=1))
    with pytest.raises(VaescanInputError, match="values other than 0/1"):
        small.fit(x[:8], rows[:8], binary=["age"], continuous=[], progress=False)
    with pytest.raises(VaescanInputError, match="lacks column"):
        small.fit(x[:8], rows[:8], binary=["NOPE"], continuous=[], progress=False)
    with pytest.raises(VaescanInputError, match="not fitted"):
        small.output_module()


def test_missing_targets_are_left_out_of_the_loss(cohort_data):
    x, rows, _, _ = cohort_data
    masked = rows[:64].copy()
    masked.loc[:31, "age"] = np.nan
    masked.loc[40:47, "LBBB"] = np.nan
    model = BlackBox(**dict(TINY, epochs=1, continuous_weight=0.5)).fit(x[:64], masked, binary=["LBBB"],
                                                                       continuous=["age"], progress=False)
    assert model.y_mean_[0] == pytest.approx(rows.age[32:64].mean())  # standardised on the known ages only
    y, observed = model._targets(masked)
    out = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
    known_b = masked.LBBB.notna().to_numpy()
    known_a = masked.age.notna().to_numpy()
    z = (masked.age.to_numpy()[known_a] - model.y_mean_[0]) / model.y_sd_[0]
    expected = (torch.nn.functional.binary_cross_entropy_with_logits(
        out[known_b, 0], torch.as_tensor(masked.LBBB.to_numpy()[known_b], dtype=torch.float32), reduction="sum")
        + 0.5 * ((out[known_a, 1] - torch.as_tensor(z, dtype=torch.float32)) ** 2).sum())
    assert float(model._loss(out, y, observed)) == pytest.approx(float(expected), rel=1e-5)
    assert np.isfinite(model.curves_.train_loss).all()


def test_the_image_model_maps_pages_to_outputs():
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, size=(24, 1, 48, 64)).astype(np.float32)
    images[:12, :, 20:28] = 0.0  # a dark band on half the pages
    y = pd.DataFrame({"BAND": [1] * 12 + [0] * 12, "age": np.linspace(30, 80, 24)})
    model = BlackBox(BlackBoxConfig(input="image", stem=(8,), widths=(8, 16), kernel=3, epochs=15, lr=1e-2,
                                    batch_size=8, dropout=0.0))
    model.fit(images, y, binary=["BAND"], continuous=["age"], progress=False)
    p = model.predict_proba(images)
    assert roc_auc_score(y.BAND, p.BAND) > 0.95
    assert type(model.network_).__name__ == "ResNet2d"
    f = model.output_module()
    np.testing.assert_allclose(f(torch.as_tensor(images)).detach().numpy(), model.decision_function(images),
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(VaescanInputError, match=r"must be \(records, channels, height, width\)"):
        model.predict(images[:, 0])

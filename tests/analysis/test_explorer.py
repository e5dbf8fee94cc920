"""The latent explorer's data against the models it comes from: every embedded beat is the decoder's (or SCAN's)
own output at the stated factor values, to the stated rounding; the beat code round-trips any integer."""

import json

import numpy as np
import pandas as pd
import pytest

from vaescan.analysis.explorer import (
    MEASURE_LABELS,
    UNIT_MV,
    beat_decode,
    beat_encode,
    explorer_data,
    profile_table,
)
from vaescan.data.features import beat_summary
from vaescan.data.toy import toy_beats
from vaescan.models.scan import SCAN
from vaescan.models.vae import VAE


@pytest.fixture(scope="module")
def scan():
    beats, truth = toy_beats(96, seed=5)
    vae = VAE(latent_dim=3, epochs=3, batch_size=32, channels=(8, 8), hidden=16, active_kl_nats=0.0,
              downsample=2).fit(beats, progress=False)
    table = truth[["WIDE", "TALLT", "age"]].assign(sex=np.arange(96) % 2)
    return SCAN(vae, epochs=3).fit(beats, table, binary=["WIDE", "TALLT", "sex"], continuous=["age"],
                                   progress=False)


def test_the_beat_code_round_trips_within_half_a_unit():
    rng = np.random.default_rng(0)
    beat = np.concatenate([rng.normal(0, 1, (12, 200)), np.full((12, 1), 40.0), np.full((12, 1), -40.0)], axis=1)
    decoded = beat_decode(beat_encode(beat))
    assert decoded.shape == beat.shape
    assert np.abs(decoded - beat).max() <= UNIT_MV / 2 + 1e-12
    assert beat_encode(np.zeros((2, 5))) == ["AAAAA", "AAAAA"]  # one character per unchanged sample


def test_traversal_beats_are_the_decoders_output_at_each_step(scan):
    vae = scan.vae
    data = explorer_data(scan, steps=5, span=2.0)
    assert data["steps_sd"] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert [f["index"] for f in data["factors"]] == vae.active_units_ and data["inactive"] == data["capped"] == 0
    assert data["fs_hz"] == 250.0 and data["t0_ms"] == -400.0 and len(data["leads"]) == 12
    for factor in data["factors"]:
        i = factor["index"]
        assert factor["name"] == vae.factor_names_[i]
        for step, coded in zip(data["steps_sd"], factor["beats"]):
            z = vae.latent_mean_.copy()
            z[i] += step * vae.latent_sd_[i]
            expected = vae.inverse_transform(z[None])[0][:, ::2]
            np.testing.assert_allclose(beat_decode(coded), expected, atol=UNIT_MV / 2 + 1e-6)
        # the middle step is every factor at its mean
        assert factor["beats"][2] == data["mean_beat"] and factor["measures"][2] == data["mean_measures"]
    # the measures are vaescan's delineation of the beat at the VAE's rate, rounded
    mean_beat = vae.inverse_transform(vae.latent_mean_[None])[0]
    truth = beat_summary(mean_beat, vae.fs_, vae.fiducial_)
    assert len(data["measure_labels"]) == len(MEASURE_LABELS) == len(data["mean_measures"])
    for name, value in zip(MEASURE_LABELS, data["mean_measures"]):
        tolerance = 0.005 if "_mv" in name else 0.5  # rounded to 0.01 mV, whole ms and degrees
        assert value is None and not np.isfinite(truth[name]) or value == pytest.approx(truth[name], abs=tolerance)
    assert len(json.dumps(data)) < 130_000  # 3 factors x 5 steps + 18 profiles, about one character a sample


def test_profiles_are_scans_generated_beats_for_each_label_sex_and_age(scan):
    data = explorer_data(scan, steps=3)
    table = profile_table(scan)
    mean, sd = scan.y_mean_[0], scan.y_sd_[0]
    ages = sorted({float(np.round(mean + k * sd)) for k in (-1, 0, 1)})
    # no NORM among the labels: "no label" is the reference; 3 labels x 2 sexes x 3 ages
    assert table.label.unique().tolist() == ["no label", "WIDE", "TALLT"] and len(table) == 18
    assert sorted(table.age.unique()) == ages and sorted(table.sex.unique()) == [0.0, 1.0]
    wide = table[table.label == "WIDE"]
    assert (wide.WIDE == 1).all() and (wide.TALLT == 0).all()
    items = data["profiles"]["items"]
    assert data["profiles"]["variables"] == ["WIDE", "TALLT", "sex", "age"]
    generated = scan.generate(pd.DataFrame([item["values"] for item in items]))[:, :, ::2]
    for item, beat in zip(items, generated):
        np.testing.assert_allclose(beat_decode(item["beat"]), beat, atol=UNIT_MV / 2 + 1e-6)


def test_max_factors_keeps_the_factors_of_highest_kl(scan):
    data = explorer_data(scan, steps=3, max_factors=1)
    assert [f["index"] for f in data["factors"]] == scan.vae.active_units_[:1]
    assert data["inactive"] == 0 and data["capped"] == 2


def test_measures_keep_hundredths_of_a_millivolt_and_whole_milliseconds(monkeypatch):
    import vaescan.analysis.explorer as explorer

    fake = {name: 0.1234 if "_mv" in name else 105.6 for name in MEASURE_LABELS} | {"pr_ms": float("nan")}
    monkeypatch.setattr(explorer, "beat_summary", lambda beat, fs, fiducial: fake)
    row = explorer.beat_measures(np.zeros((1, 12, 10)), 500.0, 2)[0]
    assert dict(zip(MEASURE_LABELS, row)) == {name: None if name == "pr_ms" else 0.12 if "_mv" in name else 106.0
                                              for name in MEASURE_LABELS}

import numpy as np
import pytest

import vaescan.data.cohort_beats as cb
from tests.conftest import write_toy_cohort
from vaescan.data.beats import BeatConfig, ecg_clean
from vaescan.data.leads import LEADS
from vaescan.data.records import Record
from vaescan.data.signals import SignalConfig, SignalSet, cohort_signals, record_signal
from vaescan.data.sources import load_cohort
from vaescan.errors import VaescanInputError


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return load_cohort(write_toy_cohort(tmp_path_factory.mktemp("cohort"), n=6, flat=2))


def _sines(fs=500.0, seconds=10.0, hz=(1.0, 3.0)):
    t = np.arange(int(seconds * fs)) / fs
    cols = [np.sin(2 * np.pi * hz[j % 2] * t) * (1 + 0.1 * j) for j in range(12)]
    return Record(np.column_stack(cols), fs, list(LEADS), name="sines")


def test_a_record_is_cleaned_like_the_beats_then_resampled_and_cropped():
    rec = _sines()
    x = record_signal(rec, SignalConfig(fs=100.0, duration_s=8.0))
    assert x.shape == (12, 800) and x.dtype == np.float32
    clean = ecg_clean(rec, BeatConfig())[::5][:800].T  # 1 and 3 Hz survive the 0.5 Hz high-pass; 500 -> 100 Hz
    np.testing.assert_allclose(x[:, 50:-50], clean[:, 50:-50], atol=2e-3)
    # the leads keep their own amplitude and order (lead 11 is 2.1 x lead 0)
    assert np.ptp(x[11, 100:700]) / np.ptp(x[0, 100:700]) == pytest.approx(2.1, rel=0.02)


def test_a_short_record_is_zero_padded_and_a_record_at_another_rate_matches():
    short = record_signal(_sines(seconds=6.0), SignalConfig(fs=100.0, duration_s=10.0))
    assert short.shape == (12, 1000) and np.all(short[:, 600:] == 0) and np.ptp(short[0, :600]) > 1.5
    at_250 = record_signal(_sines(fs=250.0), SignalConfig(fs=100.0))
    at_500 = record_signal(_sines(fs=500.0), SignalConfig(fs=100.0))
    np.testing.assert_allclose(at_250[:, 50:-50], at_500[:, 50:-50], atol=1e-2)  # 0.5 % of 2 mV


def test_a_bad_record_is_refused_with_the_beats_reasons():
    rec = _sines()
    rec.signal[:, LEADS.index("V3")] = 0.0
    with pytest.raises(VaescanInputError, match="lead V3 is flat"):
        record_signal(rec)


def test_cohort_signals_are_aligned_cached_and_skip_bad_records(cohort, tmp_path, monkeypatch):
    s = cohort_signals(cohort, SignalConfig(duration_s=6.0), cache_dir=tmp_path, progress=False)
    ids = cohort.metadata.record_id.tolist()
    assert s.record_ids == [r for r in ids if r != "r002"] and s.signals.shape == (5, 12, 600)
    assert [r for r, _ in s.skipped] == ["r002"] and "lead V3 is flat" in s.skipped[0][1]
    assert "r002" in s.skipped[0][1]  # the reason names the record's file
    # row i is the signal of record i (records differ: no two rows are alike)
    for i, rid in enumerate(s.record_ids):
        np.testing.assert_array_equal(s.signals[i], record_signal(cohort.read_record(ids.index(rid)),
                                                                  SignalConfig(duration_s=6.0)))
    assert min(np.abs(s.signals[i] - s.signals[i + 1]).max() for i in range(4)) > 0.1
    assert len(list((tmp_path / "signals").glob("*.npz"))) == 1

    def no_recompute(*args, **kwargs):
        raise AssertionError("recomputed despite the cache")

    monkeypatch.setattr(cb, "run_batch", no_recompute)
    again = cohort_signals(cohort, SignalConfig(duration_s=6.0), cache_dir=tmp_path, progress=False)
    np.testing.assert_array_equal(again.signals, s.signals)
    assert again.skipped == s.skipped and again.fs == 100.0
    with pytest.raises(AssertionError, match="recomputed"):  # other settings, another key
        cohort_signals(cohort, SignalConfig(duration_s=5.0), cache_dir=tmp_path, progress=False)


def test_a_signals_file_of_another_kind_is_one_error(tmp_path):
    path = SignalSet(np.zeros((1, 12, 10), np.float32), ["a"], 100.0).save(tmp_path / "s.npz")
    assert SignalSet.load(path).record_ids == ["a"]
    np.savez(tmp_path / "other.npz", beats=np.zeros(2))
    with pytest.raises(VaescanInputError, match="not a vaescan signals file"):
        SignalSet.load(tmp_path / "other.npz")

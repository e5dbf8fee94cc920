import numpy as np
import pytest

import vaescan.data.cohort_beats as cb
from tests.conftest import write_toy_cohort
from vaescan.data.beats import BeatConfig, BeatSet
from vaescan.data.sources import load_cohort
from vaescan.errors import VaescanInputError


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return load_cohort(write_toy_cohort(tmp_path_factory.mktemp("cohort"), n=8, flat=3))


def test_beats_are_aligned_with_metadata_and_bad_records_listed(cohort, tmp_path):
    beats = cb.cohort_beats(cohort, cache_dir=tmp_path, progress=False)
    assert beats.record_ids == [r for r in cohort.metadata.record_id if r != "r003"]
    assert [r for r, _ in beats.skipped] == ["r003"] and "lead V3 is flat" in beats.skipped[0][1]
    rows = cb.beats_cohort(cohort, beats)
    assert rows.metadata.record_id.tolist() == beats.record_ids
    # row i describes beat i: the widest QRS in the metadata is the widest beat (V5 above half height)
    width = (beats.beats[:, 10] > 0.5 * beats.beats[:, 10].max(axis=1, keepdims=True)).sum(axis=1)
    assert np.argmax(width) == int(np.argmax(rows.metadata.qrs_ms))


def test_cache_is_used_and_invalidated(cohort, tmp_path, monkeypatch):
    first = cb.cohort_beats(cohort, cache_dir=tmp_path, progress=False)
    cached = list((tmp_path / "beats").glob("*.npz"))
    assert len(cached) == 1 and not list(cohort.root.glob("**/*.npz"))  # never inside the dataset

    def no_recompute(*args, **kwargs):
        raise AssertionError("recomputed despite the cache")

    monkeypatch.setattr(cb, "run_batch", no_recompute)
    again = cb.cohort_beats(cohort, cache_dir=tmp_path, progress=False)
    np.testing.assert_array_equal(again.beats, first.beats)
    assert again.skipped == first.skipped
    # another beat setting or a changed record gives another key
    assert cb.cohort_cache_key(cohort, BeatConfig(powerline_hz=60.0)) != cb.cohort_cache_key(cohort)
    key = cb.cohort_cache_key(cohort)
    hea = cohort.record_path(0).with_suffix(".hea")
    hea.write_text(hea.read_text() + "# edited\n")
    assert cb.cohort_cache_key(cohort) != key


def test_default_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VAESCAN_CACHE_DIR", str(tmp_path / "c"))
    assert cb.default_cache_dir() == tmp_path / "c"
    monkeypatch.delenv("VAESCAN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cb.default_cache_dir() == tmp_path / "xdg" / "vaescan"


def test_a_cohort_without_any_usable_record_is_an_error(tmp_path):
    cohort = load_cohort(write_toy_cohort(tmp_path / "bad", n=1, flat=0))
    with pytest.raises(VaescanInputError, match="no record gave a median beat"):
        cb.cohort_beats(cohort, use_cache=False, progress=False)


def test_beats_of_another_cohort_are_refused(cohort):
    other = BeatSet(np.zeros((1, 12, 500), np.float32), ["elsewhere"], 500.0, (-400.0, 600.0))
    with pytest.raises(VaescanInputError, match="not in this cohort"):
        cb.beats_cohort(cohort, other)

"""Sharded on-disk inputs: the same rows as the in-memory arrays, resumable per shard, equal in parallel and serial,
read back exactly by index, and a damaged index refused in one line."""

import functools
import json

import numpy as np
import pytest

from tests.conftest import write_toy_cohort
from vaescan.data.beats import BeatConfig
from vaescan.data.cohort_beats import beat_row, cohort_beats
from vaescan.data.dataset import DataConfig, load_data
from vaescan.data.shards import ShardedArray, write_shards
from vaescan.data.signals import SignalConfig, cohort_signals
from vaescan.data.sources import load_cohort
from vaescan.errors import VaescanInputError

CONFIG = SignalConfig(duration_s=4.0)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return load_cohort(write_toy_cohort(tmp_path_factory.mktemp("cohort"), n=7, flat=2))


def _row(i: int) -> np.ndarray:
    """Row of item i: distinct values, so any misplaced row shows."""
    return (np.arange(6, dtype=np.float32).reshape(2, 3) + 10 * i).astype(np.float32)


def _items(n):
    return [(f"r{i}", i) for i in range(n)]


def _bytes(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix == ".npy"}


def test_sharded_signals_and_beats_equal_the_in_memory_arrays(cohort, tmp_path):
    memory = cohort_signals(cohort, CONFIG, use_cache=False, progress=False)
    sharded = cohort_signals(cohort, CONFIG, cache_dir=tmp_path, shard_size=3, progress=False)
    assert isinstance(sharded.signals, ShardedArray) and sharded.signals.shape == memory.signals.shape == (6, 12, 400)
    assert sharded.record_ids == memory.record_ids and [r for r, _ in sharded.skipped] == ["r002"]
    assert "lead V3 is flat" in sharded.skipped[0][1]
    np.testing.assert_array_equal(np.asarray(sharded.signals), memory.signals)
    folder = next((tmp_path / "signals").iterdir())
    assert folder.name.endswith("-shards3") and len(list(folder.glob("shard-*.npy"))) == 3  # 7 records in 3 shards
    # the median beats of load_data, sharded, equal cohort_beats's
    beats = cohort_beats(cohort, use_cache=False, progress=False)
    data = load_data(DataConfig(path=str(cohort.root), cache_dir=str(tmp_path), shard_size=4), progress=False)
    assert isinstance(data.beats.beats, ShardedArray) and data.beats.record_ids == beats.record_ids
    np.testing.assert_array_equal(np.asarray(data.beats.beats), beats.beats)
    train, rows = data.split("train")  # a split is a view on the shards, aligned with its metadata rows
    assert isinstance(train.beats, ShardedArray) and train.record_ids == rows.record_id.tolist()
    mask = (data.cohort.metadata["split"] == "train").to_numpy()
    np.testing.assert_array_equal(np.asarray(train.beats), beats.beats[mask])


def test_rows_are_read_back_by_any_index(tmp_path):
    x = write_shards(_items(11), _row, tmp_path, shard_size=4, key="k", progress=False)
    full = np.stack([_row(i) for i in range(11)])
    assert x.shape == full.shape and x.dtype == np.float32 and len(x) == 11
    for index in ([10, 0, 5, 4, 3, 10], [], [-1]):  # across shards, unsorted, repeated, empty, negative
        np.testing.assert_array_equal(x[index], full[index])
    np.testing.assert_array_equal(x[3:9:2], full[3:9:2])
    np.testing.assert_array_equal(x[7], full[7])
    mask = np.arange(11) % 3 == 1
    view = x[mask]
    assert view.record_ids == ["r1", "r4", "r7", "r10"]
    np.testing.assert_array_equal(view[[3, 0]], full[mask][[3, 0]])
    np.testing.assert_array_equal(np.concatenate(list(x.chunks(5))), full)
    with pytest.raises(IndexError):
        x[[11]]


class Stop(Exception):
    """Not a vaescan error: it aborts the run, as a kill would."""


def _failing(at: int, calls: list, i: int) -> np.ndarray:
    calls.append(i)
    if i == at:
        raise Stop
    return _row(i)


def test_a_run_stopped_after_two_shards_resumes_with_the_rest(tmp_path):
    whole = write_shards(_items(9), _row, tmp_path / "whole", shard_size=2, key="k", progress=False)
    folder = tmp_path / "stopped"
    calls: list[int] = []
    with pytest.raises(Stop):
        write_shards(_items(9), functools.partial(_failing, 5, calls), folder, shard_size=2, key="k", progress=False)
    assert calls == [0, 1, 2, 3, 4, 5] and not (folder / "index.json").exists()
    assert sorted(p.name for p in folder.glob("shard-*")) == [
        "shard-00000.json", "shard-00000.npy", "shard-00001.json", "shard-00001.npy"]
    (folder / "shard-00003.npy").write_bytes(b"left by a kill before its marker")  # no marker: recomputed
    calls.clear()
    resumed = write_shards(_items(9), functools.partial(_failing, -1, calls), folder, shard_size=2, key="k",
                           progress=False)
    assert calls == [4, 5, 6, 7, 8]  # shards 0 and 1 kept, 2 to 4 computed
    assert _bytes(folder) == _bytes(tmp_path / "whole")
    assert json.loads((folder / "index.json").read_text()) == json.loads((tmp_path / "whole/index.json").read_text())
    np.testing.assert_array_equal(np.asarray(resumed), np.asarray(whole))
    calls.clear()  # finished: read as is, nothing computed
    write_shards(_items(9), functools.partial(_failing, -1, calls), folder, shard_size=2, key="k", progress=False)
    assert calls == []
    # other settings (another key) recompute every shard
    write_shards(_items(9), functools.partial(_failing, -1, calls), folder, shard_size=2, key="k2", progress=False)
    assert calls == list(range(9))


def test_a_failing_worker_leaves_the_other_shards_finished_for_the_rerun(tmp_path):
    whole = write_shards(_items(9), _row, tmp_path / "whole", shard_size=2, key="k", progress=False)
    folder = tmp_path / "stopped"
    with pytest.raises(Stop):  # raised in a worker process, re-raised here
        write_shards(_items(9), functools.partial(_failing, 5, []), folder, shard_size=2, key="k", jobs=2,
                     progress=False)
    assert not (folder / "index.json").exists() and not (folder / "shard-00002.json").exists()
    assert (folder / "shard-00000.json").exists() and (folder / "shard-00004.json").exists()
    calls: list[int] = []
    write_shards(_items(9), functools.partial(_failing, -1, calls), folder, shard_size=2, key="k", progress=False)
    assert calls == [4, 5]  # only the shard that failed
    assert _bytes(folder) == _bytes(tmp_path / "whole") and len(whole) == 9


def test_parallel_workers_write_what_one_process_writes(cohort, tmp_path):
    fn = functools.partial(beat_row, BeatConfig())
    items = [(rid, (rid, cohort.record_path(i))) for i, rid in enumerate(cohort.metadata.record_id)]
    serial = write_shards(items, fn, tmp_path / "serial", shard_size=2, key="k", jobs=1, progress=False)
    parallel = write_shards(items, fn, tmp_path / "parallel", shard_size=2, key="k", jobs=2, progress=False)
    assert _bytes(tmp_path / "serial") == _bytes(tmp_path / "parallel") and len(_bytes(tmp_path / "serial")) == 4
    assert parallel.record_ids == serial.record_ids and parallel.skipped == serial.skipped
    assert [r for r, _ in parallel.skipped] == ["r002"]


def _corrupt_json(folder):
    (folder / "index.json").write_text("{not json")


def _wrong_rows(folder):
    index = json.loads((folder / "index.json").read_text())
    index["shards"][1]["rows"] = 3
    index["shards"][1]["record_ids"].append("x")
    (folder / "index.json").write_text(json.dumps(index))


def _missing_shard(folder):
    (folder / "shard-00001.npy").unlink()


def _truncated_shard(folder):
    (folder / "shard-00000.npy").write_bytes((folder / "shard-00000.npy").read_bytes()[:100])


def _other_format(folder):
    index = json.loads((folder / "index.json").read_text())
    (folder / "index.json").write_text(json.dumps({**index, "format": "zarr"}))


@pytest.mark.parametrize("damage, says", [
    (_corrupt_json, "not valid JSON"), (_wrong_rows, r"shard-00001.npy holds \(2, 2, 3\) float32, the index says"),
    (_missing_shard, "shard file shard-00001.npy is missing"), (_truncated_shard, "corrupt shard index"),
    (_other_format, "not a vaescan-shards index")])
def test_a_damaged_index_or_shard_is_one_line_naming_the_index(tmp_path, damage, says):
    write_shards(_items(5), _row, tmp_path, shard_size=2, key="k", progress=False)
    damage(tmp_path)
    with pytest.raises(VaescanInputError, match=says) as err:
        ShardedArray(tmp_path)
    assert "\n" not in str(err.value) and str(err.value).startswith(str(tmp_path / "index.json"))


def test_a_damaged_cache_is_recomputed_and_no_usable_record_is_an_error(cohort, tmp_path):
    first = cohort_signals(cohort, CONFIG, cache_dir=tmp_path, shard_size=3, progress=False)
    expected = np.asarray(first.signals)
    for damage in (_missing_shard, _truncated_shard):
        damage(first.signals.folder)
        again = cohort_signals(cohort, CONFIG, cache_dir=tmp_path, shard_size=3, progress=False)
        np.testing.assert_array_equal(np.asarray(again.signals), expected)
    with pytest.raises(VaescanInputError, match="no record gave"):
        write_shards(_items(3), functools.partial(_flat, 0), tmp_path / "none", shard_size=2, key="k",
                     progress=False)


def _flat(_: int, i: int) -> np.ndarray:
    raise VaescanInputError(f"r{i}", "lead V3 is flat")

"""Training streamed from shards on disk ends exactly where training on the same rows in memory ends (bit for bit on
the CPU, measured): the black box (also stopped mid-epoch and resumed), the beta-VAE and SCAN over it."""

import numpy as np
import pandas as pd
import pytest
import torch

from tests.models.conftest import COLUMNS, interrupted_after
from vaescan.analysis.model_metrics import reconstruction_rmse_uv
from vaescan.data.beats import BeatSet
from vaescan.data.shards import ShardedArray, write_shards
from vaescan.models.blackbox import BlackBox
from vaescan.models.scan import SCAN
from vaescan.models.train import take_rows
from vaescan.models.vae import VAE

SMALL = dict(stem=(8,), widths=(8, 8), epochs=3, batch_size=12, checkpoint_every=2)


@pytest.fixture(scope="module")
def signals():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(58, 12, 120)).astype(np.float32)
    y = pd.DataFrame({"UP": (x[:, 0].mean(1) > 0).astype(int), "age": 60 + 40 * x[:, 1].mean(1)})
    return x, y


@pytest.fixture(scope="module")
def sharded(signals, tmp_path_factory):
    x = signals[0]
    return write_shards([(f"r{i}", i) for i in range(len(x))], x.__getitem__, tmp_path_factory.mktemp("shards"),
                        shard_size=7, key="k", progress=False)


def _state(model):
    return {k: v.clone() for k, v in model.network_.state_dict().items()}


def _same(a, b):
    pd.testing.assert_frame_equal(a.curves_.drop(columns="seconds"), b.curves_.drop(columns="seconds"),
                                  check_exact=True, check_like=True, check_dtype=False)
    sa, sb = _state(a), _state(b)
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    np.testing.assert_array_equal(a.calibration_, b.calibration_)


def test_batches_from_shards_equal_batches_from_memory(signals, sharded):
    idx = torch.randperm(58, generator=torch.Generator().manual_seed(0))[:12]
    assert torch.equal(take_rows(sharded, idx), take_rows(torch.as_tensor(signals[0]), idx))


def test_a_black_box_streamed_from_shards_equals_one_trained_in_memory(signals, sharded):
    x, y = signals
    split = np.arange(58) < 46
    val_rows = y[~split].reset_index(drop=True)
    memory = BlackBox(**SMALL).fit(x[split], y[split], binary=["UP"], continuous=["age"], val=(x[~split], val_rows),
                                   progress=False)
    streamed = BlackBox(**SMALL).fit(sharded[split], y[split], binary=["UP"], continuous=["age"],
                                     val=(sharded[~split], val_rows), progress=False)
    assert isinstance(sharded[split], ShardedArray)
    _same(streamed, memory)
    assert np.abs(memory.calibration_ - [[1.0, 0.0]]).max() > 1e-3  # the validation split was used
    np.testing.assert_array_equal(streamed.decision_function(sharded), memory.decision_function(x))


def test_a_streamed_run_stopped_mid_epoch_resumes_to_the_in_memory_run(signals, sharded, tmp_path, monkeypatch):
    x, y = signals
    memory = BlackBox(**SMALL).fit(x, y, binary=["UP"], continuous=["age"], progress=False)  # 5 steps per epoch
    ckpt = tmp_path / "checkpoint.pt"
    with interrupted_after(monkeypatch, epoch=1, step=1):  # global step 6
        BlackBox(**SMALL).fit(sharded, y, binary=["UP"], continuous=["age"], checkpoint=ckpt, progress=False)
    torch.manual_seed(99)
    resumed = BlackBox(**SMALL).fit(sharded, y, binary=["UP"], continuous=["age"], checkpoint=ckpt, resume=True,
                                    progress=False)
    _same(resumed, memory)


def test_non_finite_rows_in_shards_are_refused(signals, tmp_path):
    x = signals[0][:10].copy()
    x[7, 3, 5] = np.nan
    bad = write_shards([(f"r{i}", i) for i in range(10)], x.__getitem__, tmp_path, shard_size=4, key="k",
                       progress=False)
    with pytest.raises(Exception, match="NaN or infinite"):
        BlackBox(**SMALL).fit(bad, signals[1][:10], binary=["UP"], continuous=[], progress=False)


VAE_SMALL = dict(latent_dim=3, channels=(8, 16), hidden=32, batch_size=32, epochs=2, downsample=4,
                 anchor_features=("qrs_ms",))


def test_a_vae_and_scan_streamed_from_beat_shards_equal_the_in_memory_ones(toy_train, tmp_path):
    beats, truth = toy_train
    n = 100
    memory = BeatSet(beats.beats[:n], beats.record_ids[:n], beats.fs, beats.window_ms)
    rows = write_shards([(r, i) for i, r in enumerate(memory.record_ids)], memory.beats.__getitem__, tmp_path,
                        shard_size=30, key="k", progress=False)
    streamed = BeatSet(rows, rows.record_ids, beats.fs, beats.window_ms)
    val = np.arange(n) >= 80
    fits = [VAE(**VAE_SMALL).fit(b, BeatSet(b.beats[val], [], b.fs, b.window_ms), progress=False)
            for b in (memory, streamed)]
    cols = ["train_loss", "val_loss", "val_rmse_uv", "anneal"]
    np.testing.assert_array_equal(fits[1].curves_[cols].to_numpy(), fits[0].curves_[cols].to_numpy())
    for name in ("kl_per_unit_", "latent_mean_", "anchor_mean_", "anchor_std_"):
        np.testing.assert_array_equal(getattr(fits[1], name), getattr(fits[0], name))
    np.testing.assert_array_equal(fits[1].transform(streamed), fits[0].transform(memory))
    # a run's reconstruction error, a chunk at a time from the shards (float64 sums): measured 1.4e-8 relative
    assert reconstruction_rmse_uv(fits[0], streamed) == pytest.approx(reconstruction_rmse_uv(fits[0], memory),
                                                                      rel=1e-6)
    table = truth[COLUMNS][:n].reset_index(drop=True)
    scans = [SCAN(fits[0], epochs=2, batch_size=32).fit(b, table, progress=False) for b in (memory, streamed)]
    np.testing.assert_array_equal(scans[1].curves_.train_loss, scans[0].curves_.train_loss)
    np.testing.assert_array_equal(scans[1].predict_proba(streamed), scans[0].predict_proba(memory))

"""Step-level checkpoints: a run stopped mid-epoch resumes from its last step checkpoint and ends exactly where an
uninterrupted run ends (bit for bit on the CPU, measured), for the training loop itself, the beta-VAE, SCAN and the
black box."""

import random

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from tests.models.conftest import COLUMNS, interrupted_after
from vaescan.data.beats import BeatSet
from vaescan.errors import VaescanInputError
from vaescan.models.blackbox import BlackBox
from vaescan.models.persist import load_tensors
from vaescan.models.scan import SCAN
from vaescan.models.train import TrainConfig, train_epochs
from vaescan.models.vae import VAE

SMALL = dict(latent_dim=3, channels=(8, 16), hidden=32, batch_size=32, warmup_epochs=2, downsample=4)


@pytest.fixture(scope="module")
def beats(toy_train):
    b = toy_train[0]
    return BeatSet(b.beats[:96], b.record_ids[:96], b.fs, b.window_ms)


def _noisy_fit(config, checkpoint=None, resume=False):
    """A linear fit whose steps draw from torch's, numpy's and Python's generators (all three must be restored)."""
    torch.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    lin = nn.Linear(3, 1)
    opt = torch.optim.Adam(lin.parameters(), lr=0.05)
    x = torch.linspace(-1, 1, 60).reshape(20, 3)

    def step(batch, weight):
        xb = batch[0] + torch.randn_like(batch[0]) * 0.1 + float(np.random.normal()) * 0.1 + random.random() * 0.1
        opt.zero_grad()
        loss = ((lin(xb) - xb.sum(1, keepdim=True)) ** 2).sum()
        (loss / len(xb)).backward()
        opt.step()
        return float(loss.detach())

    curves = train_epochs(step, {"lin": lin}, opt, [x], config, checkpoint=checkpoint, resume=resume, progress=False)
    return curves, lin.weight.detach().clone()


def test_the_loop_resumes_mid_epoch_with_every_generator(tmp_path, monkeypatch):
    config = TrainConfig(epochs=3, batch_size=4, checkpoint_every=3)  # 5 steps per epoch
    full, w_full = _noisy_fit(config)
    ckpt = tmp_path / "checkpoint.pt"
    with interrupted_after(monkeypatch, epoch=1, step=1):  # global step 6: one batch into epoch 2
        _noisy_fit(config, ckpt)
    state = load_tensors(ckpt)
    assert (state["epoch"], state["step"], state["world_size"]) == (1, 1, 1)
    torch.manual_seed(99), np.random.seed(99), random.seed(99)  # a fresh process: the checkpoint sets them all
    resumed, w = _noisy_fit(config, ckpt, resume=True)
    assert resumed.epoch.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(resumed.train_loss, full.train_loss)
    assert torch.equal(w, w_full)


def test_a_checkpoint_of_two_processes_is_refused_by_one(tmp_path, monkeypatch):
    config = TrainConfig(epochs=2, batch_size=4, checkpoint_every=2)
    ckpt = tmp_path / "checkpoint.pt"
    _noisy_fit(config, ckpt)
    state = load_tensors(ckpt)
    state["ranks"] = state["ranks"] * 2
    torch.save(state, ckpt)
    with pytest.raises(VaescanInputError, match=r"saved by 2 process\(es\), resumed by 1; resume with as many"):
        _noisy_fit(config, ckpt, resume=True)


def test_vae_resumes_mid_epoch_exactly_and_trains_on_to_more_epochs(beats, tmp_path, monkeypatch):
    full = VAE(epochs=4, checkpoint_every=2, **SMALL).fit(beats, beats, progress=False)  # 3 steps per epoch
    ckpt = tmp_path / "checkpoint.pt"
    with interrupted_after(monkeypatch, epoch=1, step=1):  # global step 4
        VAE(epochs=3, checkpoint_every=2, **SMALL).fit(beats, beats, checkpoint=ckpt, progress=False)
    torch.manual_seed(123)
    # resumed with more epochs than it started with (the CLI's --resume --epochs 4)
    resumed = VAE(epochs=4, checkpoint_every=2, **SMALL).fit(beats, beats, checkpoint=ckpt, resume=True,
                                                             progress=False)
    assert resumed.curves_.epoch.tolist() == [1, 2, 3, 4]
    cols = ["train_loss", "val_loss", "val_rmse_uv", "anneal"]
    np.testing.assert_array_equal(resumed.curves_[cols].to_numpy(), full.curves_[cols].to_numpy())
    np.testing.assert_array_equal(resumed.transform(beats), full.transform(beats))


def test_scan_resumes_mid_epoch_exactly(vae, toy_train, tmp_path, monkeypatch):
    beats, truth = toy_train
    table = truth[COLUMNS]
    settings = dict(epochs=3, batch_size=128, checkpoint_every=2)  # 384 beats: 3 steps per epoch
    full = SCAN(vae, **settings).fit(beats, table, progress=False)
    ckpt = tmp_path / "checkpoint.pt"
    with interrupted_after(monkeypatch, epoch=1, step=1):
        SCAN(vae, **settings).fit(beats, table, checkpoint=ckpt, progress=False)
    torch.manual_seed(123)
    resumed = SCAN(vae, **settings).fit(beats, table, checkpoint=ckpt, resume=True, progress=False)
    np.testing.assert_array_equal(resumed.curves_.train_loss, full.curves_.train_loss)
    np.testing.assert_array_equal(resumed.predict_proba(beats), full.predict_proba(beats))


def test_blackbox_resumes_mid_epoch_exactly(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 12, 100)).astype(np.float32)
    y = pd.DataFrame({"UP": (x[:, 0].mean(1) > 0).astype(int), "age": rng.normal(50, 10, 40)})
    settings = dict(stem=(8,), widths=(8,), epochs=3, batch_size=8, checkpoint_every=3, dropout=0.3)

    def fit(**kw):
        return BlackBox(**settings).fit(x, y, binary=["UP"], continuous=["age"], val=(x, y), progress=False, **kw)

    full = fit()
    ckpt = tmp_path / "checkpoint.pt"
    with interrupted_after(monkeypatch, epoch=1, step=4):  # global step 9 of 5 per epoch
        fit(checkpoint=ckpt)
    torch.manual_seed(123)
    resumed = fit(checkpoint=ckpt, resume=True)
    np.testing.assert_array_equal(resumed.curves_.train_loss, full.curves_.train_loss)
    np.testing.assert_array_equal(resumed.decision_function(x), full.decision_function(x))

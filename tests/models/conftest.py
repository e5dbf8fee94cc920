"""Fixtures of the model tests: toy beats with known factors (:func:`vaescan.data.toy.toy_beats`) and a tiny VAE."""

from __future__ import annotations

import contextlib

import pytest
import torch

import vaescan.models.train as train_module
from vaescan.data.toy import toy_beats

VARY = ("qrs_ms", "qt_ms", "t_mv")
"""The factors varied in the shared toy set: those behind WIDE, age and TALLT (R amplitude fixed)."""

COLUMNS = ["WIDE", "TALLT", "age"]

TINY = dict(latent_dim=3, channels=(16, 32), hidden=64, batch_size=64, beta=1.0, warmup_epochs=5, lr=3e-3,
            downsample=4)
"""A tiny beta-VAE (beats at 125 Hz inside the model) that learns the toy factors in seconds."""


@pytest.fixture(scope="session", autouse=True)
def one_thread_per_worker():
    """Model tests run one torch thread per pytest worker: the suite runs with -n 2 on 2 cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def toy_train():
    return toy_beats(384, seed=1, vary=VARY)


@pytest.fixture(scope="session")
def toy_test():
    return toy_beats(96, seed=2, vary=VARY)


@pytest.fixture(scope="session")
def vae(toy_train, toy_test):
    """The tiny VAE trained once per worker (about 10 s) and shared by the VAE and SCAN tests."""
    from vaescan.models.vae import VAE

    return VAE(epochs=40, **TINY).fit(toy_train[0], toy_test[0], progress=False)


@pytest.fixture(scope="session")
def scan(vae, toy_train):
    from vaescan.models.scan import SCAN

    beats, truth = toy_train
    return SCAN(vae, epochs=100, batch_size=64).fit(beats, truth[COLUMNS], progress=False)


@contextlib.contextmanager
def interrupted_after(monkeypatch, epoch: int = 2, step: int = 0):
    """The training inside stops with ``KeyboardInterrupt`` right after a checkpoint is saved: the one at the end
    of ``epoch`` (``step`` 0: a run killed between epochs), or the step checkpoint ``step`` batches into the epoch
    after ``epoch`` finished ones (a run killed mid-epoch). The block must raise it, and checkpoints save normally
    again afterwards."""
    original = train_module._save_checkpoint

    def save_then_stop(path, saved_epoch, *args, **kwargs):
        original(path, saved_epoch, *args, **kwargs)
        if saved_epoch == epoch and kwargs.get("step", 0) == step:
            raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "_save_checkpoint", save_then_stop)
    try:
        with pytest.raises(KeyboardInterrupt):
            yield
    finally:
        monkeypatch.setattr(train_module, "_save_checkpoint", original)

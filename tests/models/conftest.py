"""Toy beats with known factors for the model tests: built from compact waves, no preprocessing needed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from tests.conftest import hann_bump
from vaescan.data.beats import BeatConfig, BeatSet
from vaescan.data.leads import LEADS

# lead gains of a dipole at 45 degrees (frontal) and a typical precordial progression
GAINS = np.array([0.71, 0.97, 0.26, -0.84, 0.22, 0.61, -0.6, -0.3, 0.4, 0.9, 1.0, 0.8])


RANGES = {"qrs_ms": (80.0, 160.0), "qt_ms": (340.0, 480.0), "t_mv": (0.1, 0.6), "r_mv": (0.8, 1.6)}


def toy_beats(n: int, seed: int = 0, noise_mv: float = 0.0,
              vary: tuple[str, ...] = tuple(RANGES)) -> tuple[BeatSet, pd.DataFrame]:
    """``n`` median beats (12 x 500 at 500 Hz, fiducial at index 200) and their true factors.

    Factors (:data:`RANGES`): ``qrs_ms`` (80-160), ``qt_ms`` (340-480), ``t_mv`` (0.1-0.6),
    ``r_mv`` (0.8-1.6), independent and uniform; those not in ``vary`` stay at mid-range.
    Clinical table: ``WIDE`` = QRS >= 120 ms (a bundle-branch-block-like label),
    ``TALLT`` = T >= 0.4 mV, and ``age`` = 20 + 60 * (QT - 340) / 140 years (+ noise).
    """
    rng = np.random.default_rng(seed)
    cfg = BeatConfig()
    t = cfg.window_ms[0] + np.arange(cfg.n_samples) * 1000.0 / cfg.fs
    f = pd.DataFrame({k: rng.uniform(lo, hi, n) if k in vary else np.full(n, (lo + hi) / 2)
                      for k, (lo, hi) in RANGES.items()})
    beats = np.empty((n, len(LEADS), cfg.n_samples), np.float32)
    for i, row in f.iterrows():
        onset = -row.qrs_ms / 2
        p = hann_bump(t, onset - 160.0, 100.0)
        r = hann_bump(t, onset, row.qrs_ms)
        tw = hann_bump(t, onset + row.qt_ms - 0.45 * row.qt_ms, 0.45 * row.qt_ms)
        x = GAINS[:, None] * (0.15 * p + row.r_mv * r) + np.abs(GAINS)[:, None] * row.t_mv * tw
        beats[i] = x + noise_mv * rng.standard_normal(x.shape)
    table = pd.DataFrame({
        "WIDE": (f.qrs_ms >= 120).astype(float), "TALLT": (f.t_mv >= 0.4).astype(float),
        "age": 20 + 60 * (f.qt_ms - 340) / 140 + rng.normal(0, 2, n),
    })
    ids = [f"toy{i:04d}" for i in range(n)]
    return BeatSet(beats, ids, cfg.fs, cfg.window_ms), pd.concat([f, table], axis=1)


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

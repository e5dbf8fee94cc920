"""Toy median beats with known factors, for examples and tests.

Each beat is a sum of compact raised-cosine waves (P, a single-R QRS, T) on
the default beat window (12 leads x 500 samples at 500 Hz, fiducial at index
200), so it needs no preprocessing and its factors (QRS width, QT, T and R
amplitude) are known exactly. A small VAE learns them in seconds; the docstring
examples of the models build their data with :func:`toy_beats`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaescan.data.beats import BeatConfig, BeatSet
from vaescan.data.leads import LEADS

GAINS: np.ndarray = np.array([0.71, 0.97, 0.26, -0.84, 0.22, 0.61, -0.6, -0.3, 0.4, 0.9, 1.0, 0.8])
"""Lead gains (in :data:`~vaescan.data.leads.LEADS` order) of a dipole at 45 degrees (frontal) and a typical
precordial progression."""

RANGES: dict[str, tuple[float, float]] = {
    "qrs_ms": (80.0, 160.0), "qt_ms": (340.0, 480.0), "t_mv": (0.1, 0.6), "r_mv": (0.8, 1.6),
}
"""The toy factors and their uniform ranges (ms, mV)."""


def hann_bump(t_ms: np.ndarray, start_ms: float, width_ms: float) -> np.ndarray:
    """A raised-cosine wave that is exactly zero outside [start, start + width] (ms), peak 1 at its middle.

    Example
    -------
    >>> hann_bump(np.array([0.0, 25.0, 50.0, 75.0, 100.0, 120.0]), 0.0, 100.0).round(2).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.0]
    """
    u = (t_ms - start_ms) / width_ms
    return np.where((u >= 0) & (u <= 1), 0.5 * (1 - np.cos(2 * np.pi * u)), 0.0)


def toy_beats(n: int, seed: int = 0, noise_mv: float = 0.0,
              vary: tuple[str, ...] = tuple(RANGES)) -> tuple[BeatSet, pd.DataFrame]:
    """``n`` median beats (12 x 500 at 500 Hz, fiducial at index 200) and their true factors.

    Factors (:data:`RANGES`): ``qrs_ms`` (80-160), ``qt_ms`` (340-480), ``t_mv`` (0.1-0.6),
    ``r_mv`` (0.8-1.6), independent and uniform; those not in ``vary`` stay at mid-range.
    Clinical table: ``WIDE`` = QRS >= 120 ms (a bundle-branch-block-like label),
    ``TALLT`` = T >= 0.4 mV, and ``age`` = 20 + 60 * (QT - 340) / 140 years (+ noise).
    ``noise_mv`` adds white noise of that standard deviation to every sample.
    Returns the beats (record ids ``toy0000``...) and one table of the factors
    and the clinical columns, one row per beat.

    Example
    -------
    >>> beats, truth = toy_beats(96, seed=5)
    >>> beats.beats.shape, beats.fs, beats.window_ms
    ((96, 12, 500), 500.0, (-400.0, 600.0))
    >>> truth.columns.tolist()
    ['qrs_ms', 'qt_ms', 't_mv', 'r_mv', 'WIDE', 'TALLT', 'age']
    >>> table = truth[["WIDE", "TALLT", "age"]]   # the clinical variables of the SCAN examples
    >>> bool(((truth.qrs_ms >= 120) == (table.WIDE == 1)).all())
    True
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

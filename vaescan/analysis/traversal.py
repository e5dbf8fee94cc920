"""Latent traversals: decode one factor from -3 to +3 sd with the others at their mean, and measure the beats.

A factor becomes nameable when the beats decoded along it change one ECG
feature monotonically (QRS widens, T grows...): :func:`traversal_table`
measures every decoded beat with :func:`vaescan.data.features.beat_features`
and :func:`traversal_spearman` gives, per factor and feature, the Spearman rho
between the step and the feature along the traversal (+1: the feature rises
steadily with the factor).

Steps are in units of the factor's spread over the training beats
(``VAE.latent_sd_`` around ``VAE.latent_mean_``), so +-3 stays inside the range
the decoder has seen.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vaescan.data.features import SUMMARY_FEATURES, beat_summary
from vaescan.models.vae import VAE

VISIBLE_CHANGE: dict[str, float] = {
    "qrs_ms": 10.0, "pr_ms": 10.0, "qt_ms": 10.0, "axis_deg": 10.0, "r_amp_mv": 0.1, "t_amp_mv": 0.05,
    "st_mv_anterior": 0.05, "st_mv_inferior": 0.05, "st_mv_lateral": 0.05,
}
"""Smallest change over a whole traversal that counts as an association: a quarter of a small box
(10 ms) for intervals, 10 degrees of axis, half a small box (0.05 mV) for ST and T, 0.1 mV for R."""


def latent_traversal(vae: VAE, factors: Sequence[int] | None = None, span: float = 3.0,
                     steps: int = 13) -> tuple[pd.DataFrame, np.ndarray]:
    """Decode each factor from ``-span`` to ``+span`` sd (others at their mean).

    Returns a table with one row per decoded beat (``factor``, ``step`` in sd,
    ``z`` the latent value) and the beats (rows, 12, samples) in mV at the
    VAE's sampling rate. ``factors`` defaults to the active ones.

    Example
    -------
    >>> from vaescan.data.toy import toy_beats
    >>> from vaescan.models.vae import VAE
    >>> beats, _ = toy_beats(96, seed=5)
    >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
    >>> steps, decoded = latent_traversal(vae, [0, 3])
    >>> len(steps), decoded.shape, float(steps.step.iloc[0])
    (26, (26, 12, 500), -3.0)
    """
    vae._check_fitted()
    factors = list(vae.active_units_ if factors is None else factors)
    grid = np.linspace(-span, span, steps)
    rows, z = [], []
    for i in factors:
        for s in grid:
            zi = vae.latent_mean_.copy()
            zi[i] += s * vae.latent_sd_[i]
            z.append(zi)
            rows.append({"factor": int(i), "step": float(s), "z": float(zi[i])})
    beats = vae.inverse_transform(np.array(z)) if z else np.zeros((0, vae.n_leads_, vae.n_samples_), np.float32)
    return pd.DataFrame(rows, columns=["factor", "step", "z"]), beats


def traversal_table(vae: VAE, factors: Sequence[int] | None = None, span: float = 3.0,
                    steps: int = 13) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`latent_traversal` plus the :func:`beat_summary` features of every decoded beat (``traversal.csv``).

    Example
    -------
    >>> from vaescan.data.toy import toy_beats
    >>> from vaescan.models.vae import VAE
    >>> beats, _ = toy_beats(96, seed=5)
    >>> vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
    >>> measured, decoded = traversal_table(vae, [0], steps=3)
    >>> measured.columns[:4].tolist(), len(measured)
    (['factor', 'step', 'z', 'qrs_ms'], 3)
    """
    table, beats = latent_traversal(vae, factors, span, steps)
    feats = pd.DataFrame([beat_summary(b, vae.fs_, vae.fiducial_) for b in beats], columns=list(SUMMARY_FEATURES))
    return pd.concat([table, feats], axis=1), beats


def traversal_effects(table: pd.DataFrame) -> pd.DataFrame:
    """Change of each feature from the first to the last step of every factor's traversal (factors x features).

    In the features' units (ms, mV, deg): how much a factor moves a feature over -span..+span.

    Example
    -------
    >>> t = pd.DataFrame({"factor": [0, 0, 0], "step": [-3.0, 0.0, 3.0], "qrs_ms": [90.0, 100.0, 130.0]})
    >>> traversal_effects(t)
        qrs_ms
    z0    40.0
    """
    features = [c for c in table.columns if c not in ("factor", "step", "z")]
    rows = {}
    for factor, part in table.groupby("factor", sort=False):
        part = part.sort_values("step")
        rows[f"z{factor}"] = part[features].iloc[-1] - part[features].iloc[0]
    return pd.DataFrame.from_dict(rows, orient="index", columns=features)


def traversal_spearman(table: pd.DataFrame, min_change: dict[str, float] | None = None) -> pd.DataFrame:
    """Spearman rho between the step and each feature along every factor's traversal (factors x features).

    Decoded beats change smoothly, so even a negligible drift is perfectly
    monotonic; a rho is therefore kept only where the feature changes by at
    least a visible amount over the traversal (``min_change``, default
    :data:`VISIBLE_CHANGE`), and is NaN elsewhere.

    Example
    -------
    >>> t = pd.DataFrame({"factor": [0] * 5 + [1] * 5, "step": list(range(5)) * 2,
    ...                   "qrs_ms": [80, 90, 100, 110, 120, 100, 100.5, 101, 101.5, 102]})
    >>> traversal_spearman(t)
        qrs_ms
    z0     1.0
    z1     NaN
    """
    from vaescan.stats.associations import spearman_matrix

    min_change = VISIBLE_CHANGE if min_change is None else min_change
    features = [c for c in table.columns if c not in ("factor", "step", "z")]
    if table.empty:
        return pd.DataFrame(columns=features, dtype=np.float64)
    parts = []
    for factor, rows in table.groupby("factor", sort=False):
        parts.append(spearman_matrix(rows[["step"]].to_numpy(), rows[features].reset_index(drop=True),
                                     latent_names=[f"z{factor}"]))
    rho = pd.concat(parts)
    effects = traversal_effects(table)
    for feature in features:
        visible = effects[feature].abs() >= min_change.get(feature, 0.0)
        rho.loc[~visible.to_numpy(), feature] = np.nan
    return rho

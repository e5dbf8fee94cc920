"""The latent explorer's data: precomputed traversals and SCAN's beats of clinical profiles, small enough to embed.

The trade-off report's latent explorer (:mod:`vaescan.report.explorer`) redraws
the 12-lead median beat as one factor moves, and shows SCAN's generated beat
for a picked clinical profile, without a server: everything it draws is
computed here, once, and embedded in ``report.html`` as JSON.

- **Traversals** (:func:`explorer_data`): each active factor (the VAE's
  ``active_units_``, by decreasing KL) stepped over ``steps`` values from
  ``-span`` to ``+span`` standard deviations of the factor over the training
  beats, the other factors at their mean (as :func:`vaescan.analysis.traversal.latent_traversal`),
  and each step decoded to a 12-lead beat.
- **Profiles**: every binary label alone (or no label), crossed with ``sex``
  (if SCAN models it) and three values of each continuous variable (the
  training mean and +-1 sd, rounded), each decoded by :meth:`SCAN.generate`.
- **Measures** of every beat (:func:`beat_measures`): intervals, axis and amplitudes as vaescan's
  delineation reads them, so the page can say what a factor changes in clinical units.

Beats are stored at ``fs_hz`` (default 250 Hz, every 2nd sample of the 500 Hz
beat; the synthetic VAE's decoder works at 250 Hz) as integers in units of
``unit_mv`` (0.01 mV, a tenth of a small box on ECG paper), delta-coded along
time per lead and written as one short string per lead (:func:`beat_encode`, about one character per
sample): the drawn beat is the running sum times ``unit_mv``, at ``t0_ms + i * 1000 / fs_hz``. Rounding
error is at most ``unit_mv / 2`` (:func:`beat_decode` is the reader).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from vaescan.data.features import beat_summary
from vaescan.data.leads import LEADS
from vaescan.models.scan import SCAN

UNIT_MV = 0.01
"""Quantum of the stored beats, mV (0.1 mm at 10 mm/mV)."""


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
"""The 64 characters of the beat code (base64url): none needs escaping in JSON or HTML."""


def beat_encode(beat: np.ndarray, unit_mv: float = UNIT_MV) -> list[str]:
    """One beat (leads, samples) in mV -> one string per lead: the samples rounded to ``unit_mv``, delta-coded
    along time (the first value absolute), each delta zigzag-mapped to a natural number (0, -1, 1, -2 ->
    0, 1, 2, 3) and written 5 bits per character, low bits first, +32 on every character but the last
    of a number (``ALPHABET[bits]``): a change of at most 16 units (0.16 mV) between samples takes one character.

    Example
    -------
    >>> beat_encode(np.array([[0.0, 0.1, 0.25, 0.2, 0.0]]))
    ['AUeJnB']
    >>> beat_encode(np.array([[1.0]]))  # 100 units -> 200 = 8 + 32 * 6 -> 'o' (8 + 32), 'G' (6)
    ['oG']
    """
    q = np.rint(np.asarray(beat, dtype=np.float64) / unit_mv).astype(np.int64)
    deltas = np.diff(q, axis=-1, prepend=0)
    out = []
    for lead in np.atleast_2d(deltas):
        chars = []
        for v in lead.tolist():
            u = 2 * v if v >= 0 else -2 * v - 1
            while u >= 32:
                chars.append(ALPHABET[32 + (u & 31)])
                u >>= 5
            chars.append(ALPHABET[u])
        out.append("".join(chars))
    return out


def beat_decode(coded: Sequence[str], unit_mv: float = UNIT_MV) -> np.ndarray:
    """The inverse of :func:`beat_encode` (the page's JavaScript does the same): (leads, samples) in mV.

    Example
    -------
    >>> beat_decode(['AUeJnB']).round(2).tolist()
    [[0.0, 0.1, 0.25, 0.2, 0.0]]
    """
    index = {c: k for k, c in enumerate(ALPHABET)}
    leads = []
    for text in coded:
        values, u, shift = [], 0, 0
        for c in text:
            bits = index[c]
            u |= (bits & 31) << shift
            shift += 5
            if bits < 32:
                values.append(u >> 1 if u % 2 == 0 else -(u + 1) // 2)
                u, shift = 0, 0
        leads.append(np.cumsum(values))
    return np.asarray(leads, dtype=np.float64) * unit_mv


MEASURE_LABELS: dict[str, str] = {
    "qrs_ms": "QRS duration (ms)", "pr_ms": "PR interval (ms)", "qt_ms": "QT interval (ms)",
    "axis_deg": "frontal QRS axis (deg)", "r_amp_mv": "largest R wave (mV)", "t_amp_mv": "largest |T| wave (mV)",
    "st_mv_anterior": "ST level, anterior (mV)", "st_mv_inferior": "ST level, inferior (mV)",
    "st_mv_lateral": "ST level, lateral (mV)",
}
"""What the explorer shows measured on every drawn beat (:func:`vaescan.data.features.beat_summary`)."""


def beat_measures(beats: np.ndarray, fs: float, fiducial: int) -> list[list[float | None]]:
    """:func:`~vaescan.data.features.beat_summary` of each beat (beats, leads, samples; mV at ``fs``), in the order
    of :data:`MEASURE_LABELS`: intervals in whole ms, the axis in whole degrees, amplitudes to 0.01 mV; None where
    the delineation found no value.

    Example
    -------
    >>> t = np.arange(500) * 2.0 - 400
    >>> beat = np.tile(np.exp(-0.5 * (t / 12) ** 2), (12, 1))
    >>> beat_measures(beat[None], 500.0, 200)[0][4]  # the largest R wave, mV
    1.0
    """
    out = []
    for beat in beats:
        summary = beat_summary(beat, fs, fiducial)
        row = []
        for name in MEASURE_LABELS:
            value = float(summary[name])
            row.append(None if not np.isfinite(value) else round(value, 2 if "_mv" in name else 0))
        out.append(row)
    return out


def _resampled(beats: np.ndarray, fs: float, fs_hz: float) -> tuple[np.ndarray, float]:
    """Every k-th sample (k = fs / fs_hz rounded, at least 1) and the rate that gives."""
    k = max(int(round(fs / fs_hz)), 1)
    return beats[..., ::k], fs / k


def profile_table(scan: SCAN, ages: int = 3) -> pd.DataFrame:
    """The explorer's clinical profiles: one column ``label`` (a binary label present alone, or ``no label``),
    then the value of every variable SCAN models: ``sex`` 0 and 1 (if modelled), and for each continuous
    variable the training mean and mean +- 1 sd, rounded to whole units (``ages`` = 1 keeps the mean only).

    Example
    -------
    >>> from vaescan.data.toy import toy_beats
    >>> from vaescan.models.vae import VAE
    >>> beats, truth = toy_beats(64, seed=5)
    >>> vae = VAE(latent_dim=2, epochs=1, channels=(8,), hidden=8).fit(beats, progress=False)
    >>> scan = SCAN(vae, epochs=1).fit(beats, truth[["WIDE", "TALLT", "age"]], progress=False)
    >>> table = profile_table(scan)
    >>> table.label.unique().tolist(), len(table), table.columns.tolist()
    (['no label', 'WIDE', 'TALLT'], 9, ['label', 'WIDE', 'TALLT', 'age'])
    """
    scan._check_fitted()
    labels = [n for n in scan.binary_names_ if n != "sex"]
    choices = ([] if "NORM" in labels else ["no label"]) + labels
    sexes = [0.0, 1.0] if "sex" in scan.binary_names_ else [None]
    offsets = [-1.0, 0.0, 1.0] if ages >= 3 else [0.0]
    continuous = [[float(np.round(m + o * s)) for o in offsets] for m, s in zip(scan.y_mean_, scan.y_sd_)]
    rows = []
    for label, sex, *values in itertools.product(choices, sexes, *continuous):
        row = {"label": label, **{n: float(n == label) for n in labels}}
        if sex is not None:
            row["sex"] = sex
        rows.append({**row, **dict(zip(scan.continuous_names_, values))})
    return pd.DataFrame(rows, columns=["label", *labels, *(["sex"] if sexes[0] is not None else []),
                                       *scan.continuous_names_])


def explorer_data(scan: SCAN, *, name: str = "SCAN", steps: int = 11, span: float = 2.5, fs_hz: float = 250.0,
                  max_factors: int | None = None, unit_mv: float = UNIT_MV) -> dict:
    """Everything the latent explorer draws for one SCAN run (JSON-ready; beats coded by :func:`beat_encode`).

    Keys: ``name``; ``leads``; ``t0_ms`` and ``fs_hz`` (the time axis, ms and Hz); ``unit_mv``;
    ``steps_sd`` (the slider's values, sd of each factor); ``mean_beat`` (every factor at its mean) and
    its ``mean_measures``; ``measure_labels`` (:data:`MEASURE_LABELS`: what every ``measures`` list holds,
    :func:`beat_measures` of the beat at the VAE's rate); ``factors`` (per active factor, by decreasing KL:
    ``index``, ``name``, ``kl_nats``, ``sd`` the factor's sd over the training beats, ``beats`` and
    ``measures`` one per step); ``inactive`` (factors left out for a KL below the VAE's ``active_kl_nats``)
    and ``capped`` (active ones left out beyond ``max_factors``, the lowest KL); ``profiles``
    (``variables`` SCAN models, ``items``: ``label`` and ``values`` of each profile from
    :func:`profile_table`, its generated ``beat`` and its ``measures``).

    Example
    -------
    >>> from vaescan.data.toy import toy_beats
    >>> from vaescan.models.vae import VAE
    >>> beats, truth = toy_beats(64, seed=5)
    >>> vae = VAE(latent_dim=2, epochs=1, channels=(8,), hidden=8, active_kl_nats=0).fit(beats, progress=False)
    >>> scan = SCAN(vae, epochs=1).fit(beats, truth[["WIDE", "age"]], progress=False)
    >>> data = explorer_data(scan, steps=5)
    >>> data["steps_sd"], data["fs_hz"], data["t0_ms"], len(data["factors"]), len(data["profiles"]["items"])
    ([-2.5, -1.25, 0.0, 1.25, 2.5], 250.0, -400.0, 2, 6)
    >>> beat_decode(data["factors"][0]["beats"][0]).shape  # 12 leads x 250 samples (1000 ms at 250 Hz)
    (12, 250)
    """
    vae = scan.vae
    vae._check_fitted()
    active = list(vae.active_units_)
    shown = active if max_factors is None else active[:max_factors]
    grid = np.round(np.linspace(-span, span, steps), 4)
    z = [vae.latent_mean_.copy()]
    for i in shown:
        for s in grid:
            zi = vae.latent_mean_.copy()
            zi[i] += s * vae.latent_sd_[i]
            z.append(zi)
    full = vae.inverse_transform(np.array(z))
    measures = beat_measures(full, vae.fs_, vae.fiducial_)
    decoded, fs = _resampled(full, vae.fs_, fs_hz)
    names = vae.factor_names_
    factors = []
    for k, i in enumerate(shown):
        part = slice(1 + k * steps, 1 + (k + 1) * steps)
        factors.append({"index": int(i), "name": names[i], "kl_nats": round(float(vae.kl_per_unit_[i]), 3),
                        "sd": round(float(vae.latent_sd_[i]), 4),
                        "beats": [beat_encode(b, unit_mv) for b in decoded[part]], "measures": measures[part]})
    table = profile_table(scan)
    generated_full = scan.generate(table.drop(columns="label"))
    generated, _ = _resampled(generated_full, vae.fs_, fs_hz)
    items = [{"label": row["label"], "values": {k: float(v) for k, v in row.items() if k != "label"},
              "beat": beat_encode(b, unit_mv), "measures": m}
             for (_, row), b, m in zip(table.iterrows(), generated,
                                       beat_measures(generated_full, vae.fs_, vae.fiducial_))]
    leads = list(LEADS) if vae.n_leads_ == len(LEADS) else [f"lead {k + 1}" for k in range(vae.n_leads_)]
    return {"name": name, "leads": leads, "t0_ms": float(vae.window_ms_[0]), "fs_hz": float(fs),
            "unit_mv": unit_mv, "steps_sd": [float(s) for s in grid], "mean_beat": beat_encode(decoded[0], unit_mv),
            "mean_measures": measures[0], "measure_labels": list(MEASURE_LABELS.values()),
            "factors": factors, "inactive": vae.config.latent_dim - len(active), "capped": len(active) - len(shown),
            "profiles": {"variables": list(scan.output_names_), "items": items}}

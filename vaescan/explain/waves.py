"""Attributions in the doctor's language: every sample labelled with its wave, maps summed per lead x wave.

A record's beats are found and its median beat delineated as for the
engineered features (:func:`vaescan.data.beats.record_to_beat`,
:func:`vaescan.data.features.ecg_delineate`); the median beat's wave boundaries,
relative to the QRS fiducial, are then laid on every beat of the record. Each
sample gets one of :data:`WAVES`:

====  =================================================================
P     P onset to P end (P end mirrored from the onset about the P peak)
PR    P end to QRS onset (the PR segment)
QRS   QRS onset to QRS end (J point)
ST    J point to T onset (T onset mirrored from the T end about the T peak)
T     T onset to T end
TP    everything else: T end to the next P onset (or QRS onset without a P
      wave, as in atrial fibrillation), and the record's edges
====  =================================================================

Summing a map (outputs, leads, samples) over the samples of each wave gives
(outputs, leads, waves); the sums over waves add up to the whole map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vaescan.data.beats import BeatConfig, record_to_beat
from vaescan.data.features import ecg_delineate
from vaescan.data.leads import LEADS
from vaescan.data.records import Record

WAVES: tuple[str, ...] = ("P", "PR", "QRS", "ST", "T", "TP")
"""Wave names, in the order of a beat; a sample's wave label is its index here."""


@dataclass(frozen=True)
class WaveBounds:
    """Wave boundaries of a record's median beat in ms from the QRS fiducial (NaN P bounds without a P wave)."""

    p_on: float
    p_off: float
    qrs_on: float
    qrs_off: float
    t_on: float
    t_off: float


@dataclass
class WaveLabels:
    """Per-sample wave labels of a record at ``fs`` Hz.

    labels: (samples,) indices into :data:`WAVES`; rpeaks_s: QRS fiducials (s);
    bounds: the median beat's :class:`WaveBounds`.
    """

    labels: np.ndarray
    fs: float
    rpeaks_s: np.ndarray
    bounds: WaveBounds


def wave_bounds(beat: np.ndarray, fs: float, fiducial: int, rr_ms: float | None = None) -> WaveBounds:
    """Wave boundaries (ms from the fiducial) of a median beat (leads, samples in mV) at ``fs`` Hz.

    P end and T onset are not delineated directly: they are mirrored about the
    P and T peaks from the P onset and the T end (symmetric waves), and clipped
    so that the waves keep their order.

    Example
    -------
    >>> from vaescan.data.toy import toy_beats
    >>> beats, _ = toy_beats(1, seed=0)
    >>> b = wave_bounds(beats.beats[0], beats.fs, 200)
    >>> b.p_on < b.p_off <= b.qrs_on < b.qrs_off <= b.t_on < b.t_off
    True
    """
    d = ecg_delineate(beat, fs, fiducial, rr_ms)
    to_ms = 1000.0 / fs

    def ms(i: float) -> float:
        return (i - fiducial) * to_ms

    qrs_on, qrs_off = ms(d.qrs_on), ms(d.qrs_off)
    p_on = p_off = float("nan")
    if np.isfinite(d.p_on) and np.isfinite(d.p_peak):
        p_on = ms(d.p_on)
        p_off = min(ms(2 * d.p_peak - d.p_on), qrs_on)
    t_on, t_off = qrs_off, qrs_off
    if np.isfinite(d.t_end) and np.isfinite(d.t_peak):
        t_off = max(ms(d.t_end), qrs_off)
        t_on = min(max(ms(2 * d.t_peak - d.t_end), qrs_off), t_off)
    return WaveBounds(p_on, p_off, qrs_on, qrs_off, t_on, t_off)


def label_waves(rpeaks_s: np.ndarray, bounds: WaveBounds, n_samples: int, fs: float) -> np.ndarray:
    """Wave label (index into :data:`WAVES`) of each of ``n_samples`` samples at ``fs`` Hz.

    Every beat (QRS fiducial at ``rpeaks_s``, s) gets the same ``bounds``;
    samples in no wave are ``TP``.

    Example
    -------
    >>> b = WaveBounds(-200.0, -120.0, -50.0, 50.0, 150.0, 300.0)
    >>> labels = label_waves(np.array([0.5]), b, 10, 10.0)   # 10 Hz: one sample per 100 ms
    >>> [WAVES[i] for i in labels]
    ['TP', 'TP', 'TP', 'P', 'PR', 'QRS', 'ST', 'T', 'TP', 'TP']
    """
    labels = np.full(n_samples, WAVES.index("TP"), np.int8)
    t_ms = np.arange(n_samples) * 1000.0 / fs
    spans = [("P", bounds.p_on, bounds.p_off), ("PR", bounds.p_off, bounds.qrs_on),
             ("QRS", bounds.qrs_on, bounds.qrs_off), ("ST", bounds.qrs_off, bounds.t_on),
             ("T", bounds.t_on, bounds.t_off)]
    for r_ms in np.asarray(rpeaks_s, float) * 1000.0:
        for wave, start, end in spans:
            if np.isfinite(start) and np.isfinite(end) and end > start:
                lo, hi = np.searchsorted(t_ms, [r_ms + start, r_ms + end])
                labels[lo:hi] = WAVES.index(wave)
    return labels


def ecg_waves(record: Record, fs: float | None = None, n_samples: int | None = None,
              config: BeatConfig = BeatConfig()) -> WaveLabels:
    """Label every sample of ``record`` with its wave, on a grid of ``n_samples`` samples at ``fs`` Hz.

    ``fs`` and ``n_samples`` default to the record's own; give the grid a model
    sees (e.g. 100 Hz, 1000 samples) to label its inputs. Raises
    :class:`~vaescan.errors.VaescanInputError` when the record has too few beats.

    Example
    -------
    >>> from vaescan.data.synth import simulate_records
    >>> record, row = next(simulate_records(1, seed=3))
    >>> w = ecg_waves(record, fs=100.0, n_samples=1000)
    >>> w.labels.shape, round(float(np.mean(w.labels == WAVES.index("QRS"))), 2) > 0.05
    ((1000,), True)
    """
    result = record_to_beat(record, config)
    rr = float(np.median(result.rr_ms)) if len(result.rpeaks) > 1 else None
    bounds = wave_bounds(result.beat, result.fs, config.offset, rr)
    fs = float(record.fs if fs is None else fs)
    n = int(round(record.duration_s * fs)) if n_samples is None else int(n_samples)
    rpeaks_s = np.asarray(result.rpeaks, float) / result.fs
    return WaveLabels(label_waves(rpeaks_s, bounds, n, fs), fs, rpeaks_s, bounds)


def wave_sums(attributions: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Sum a map (..., leads, samples) over the samples of each wave: (..., leads, len(WAVES)).

    The sums over waves add up to the sum over samples (signs kept).

    Example
    -------
    >>> a = np.array([[1.0, -2.0, 3.0, 4.0]])                  # one lead, 4 samples
    >>> wave_sums(a, np.array([2, 2, 4, 5]))                  # QRS, QRS, T, TP
    array([[ 0.,  0., -1.,  0.,  3.,  4.]])
    """
    labels = np.asarray(labels)
    if attributions.shape[-1] != labels.shape[0]:
        raise ValueError(f"map has {attributions.shape[-1]} samples, wave labels {labels.shape[0]}")
    onehot = (labels[:, None] == np.arange(len(WAVES))[None, :]).astype(attributions.dtype)
    return attributions @ onehot


def evidence_table(sums: np.ndarray, outputs: list[str], leads: tuple[str, ...] | list[str] = LEADS) -> pd.DataFrame:
    """Long table of per lead x wave sums (outputs, leads, waves): columns ``output``, ``lead``, ``wave``, ``value``.

    ``value`` is signed: positive is evidence for the output, negative against.

    Example
    -------
    >>> t = evidence_table(np.arange(12.0).reshape(1, 2, 6), ["LBBB"], ["I", "II"])
    >>> t.iloc[8][["lead", "wave", "value"]].tolist()
    ['II', 'QRS', np.float64(8.0)]
    """
    n_out, n_leads, n_waves = sums.shape
    if n_out != len(outputs) or n_leads != len(leads) or n_waves != len(WAVES):
        raise ValueError(f"sums of shape {sums.shape} do not match {len(outputs)} outputs, {len(leads)} leads, "
                         f"{len(WAVES)} waves")
    return pd.DataFrame({
        "output": np.repeat(list(outputs), n_leads * n_waves),
        "lead": np.tile(np.repeat(list(leads), n_waves), n_out),
        "wave": np.tile(list(WAVES), n_out * n_leads),
        "value": sums.reshape(-1),
    })

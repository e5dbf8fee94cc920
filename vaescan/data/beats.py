"""Preprocessing: clean, resample, find R peaks and form a 12-lead median beat per record.

The median beat is the representation the VAE learns from (as in FactorECG):
every lead is cut on the same window around each beat's QRS fiducial and the
sample-wise median over beats is taken, which removes noise and isolated
ectopic beats while keeping morphology.

Window: -400 ms to +600 ms around the fiducial (500 samples at 500 Hz). This
is wider than a minimal -250..+450 ms window on purpose: with PR up to 300 ms
(first-degree AV block) the P wave starts about 350 ms before R, and with QT up
to 600 ms (long QT) the T wave ends about 550 ms after it.

The fiducial is the peak of the spatial magnitude (root sum of squares of the
12 cleaned leads) near each detected QRS (:func:`ecg_rpeaks`), refined by
cross-correlation with a first template, so beats align on the whole QRS rather
than on one lead.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import butter, filtfilt, iirnotch, resample_poly, sosfiltfilt

from vaescan.config import ConfigValueError, Limit, above, at_least, check_limits
from vaescan.data.leads import LEADS
from vaescan.data.records import Record, read_record
from vaescan.errors import VaescanInputError
from vaescan.io import load_npz, save_npz

FS_RANGE_HZ: tuple[float, float] = (100.0, 20_000.0)
"""Sampling rates of records median beats and features are computed from (Hz).

The minimum is measured (``scripts/bench_min_rate.py``: 30 synthetic records decimated from 500 Hz, mean
absolute error against the truth). At 100 Hz every feature is measured as well as at 500 Hz (QRS 3.6 vs
3.1 ms, PR 2.9 vs 2.2, QT 2.7 vs 2.6, axis 1.6 vs 1.5 deg, HR 0.06 bpm): PTB-XL's 100 Hz records are
fully measured. At 50 Hz the intervals fail (QRS 59 ms, p95 98 ms; PR 18; QT 15; axis 4.2 deg) while HR
(0.08 bpm) and ST levels (0.01 mV) would still hold; a feature row is all or nothing, so records below
100 Hz are refused. The maximum keeps the resampling to ``BeatConfig.fs`` a modest polyphase ratio."""
MIN_FS_NOTE = "below 100 Hz QRS, PR and QT cannot be delineated: QRS error 59 ms at 50 Hz, 3.6 ms at 100 Hz"


@dataclass(frozen=True)
class BeatConfig:
    """Settings of median-beat extraction.

    fs: common sampling rate in Hz every record is resampled to.
    window_ms: (start, end) of the beat window around the QRS fiducial, in ms.
    min_beats: fewer complete beats than this and the record is skipped.
    min_duration_s: shorter records are skipped.
    flat_mv: a lead whose peak-to-peak amplitude is below this (mV) is flat.
    powerline_hz: mains frequency removed by the cleaning (50 or 60 Hz).
    """

    fs: float = 500.0
    window_ms: tuple[float, float] = (-400.0, 600.0)
    min_beats: int = 3
    min_duration_s: float = 2.0
    flat_mv: float = 0.02
    powerline_hz: float = 50.0

    LIMITS: ClassVar[dict[str, Limit]] = {
        "fs": at_least(*FS_RANGE_HZ), "window_ms": at_least(-5000, 5000), "min_beats": at_least(1, 10_000),
        "min_duration_s": at_least(0, 86_400), "flat_mv": at_least(0, 100), "powerline_hz": above(0),
    }

    def __post_init__(self) -> None:
        check_limits(self)
        start, end = self.window_ms
        if not start <= 0 < end:
            raise ConfigValueError("window_ms", f"must be (start, end) around the fiducial, start <= 0 < end, got "
                                   f"({start:g}, {end:g})")
        if self.n_samples < 2:
            raise ConfigValueError("window_ms", f"({start:g}, {end:g}) ms holds under 2 samples at {self.fs:g} Hz")

    @property
    def offset(self) -> int:
        """Index of the fiducial within the beat window (samples)."""
        return int(round(-self.window_ms[0] * self.fs / 1000.0))

    @property
    def n_samples(self) -> int:
        """Beat length in samples."""
        return int(round((self.window_ms[1] - self.window_ms[0]) * self.fs / 1000.0))


@dataclass
class BeatResult:
    """One record after preprocessing: the cleaned signal, its beats and the median beat.

    ``beat`` is (leads, samples) in mV; ``rpeaks`` are fiducial sample indices in
    the cleaned signal at ``fs``; ``n_beats`` is how many beats the median used.
    """

    name: str
    cleaned: np.ndarray
    fs: float
    rpeaks: np.ndarray
    beat: np.ndarray
    n_beats: int
    config: BeatConfig = field(default_factory=BeatConfig)

    @property
    def rr_ms(self) -> np.ndarray:
        """RR intervals in ms."""
        return np.diff(self.rpeaks) * 1000.0 / self.fs


def check_signal(record: Record, config: BeatConfig = BeatConfig()) -> None:
    """Raise :class:`~vaescan.errors.VaescanInputError` if ``record`` cannot give a median beat.

    Checks the 12 standard leads are present, no sample is NaN, no lead is
    flat, and the record lasts at least ``config.min_duration_s``.

    Example
    -------
    >>> import numpy as np
    >>> rec = Record(np.zeros((5000, 12)), 500.0, list(LEADS), name="flat")
    >>> check_signal(rec)
    Traceback (most recent call last):
    ...
    vaescan.errors.VaescanInputError: flat: lead I is flat (peak-to-peak 0.000 mV)
    """
    if not FS_RANGE_HZ[0] <= record.fs <= FS_RANGE_HZ[1]:
        raise VaescanInputError(
            record.name, f"sampled at {record.fs:g} Hz; median beats and features need {FS_RANGE_HZ[0]:g} to "
                         f"{FS_RANGE_HZ[1]:g} Hz ({MIN_FS_NOTE})")
    missing = [lead for lead in LEADS if lead not in record.sig_name]
    if missing:
        raise VaescanInputError(record.name, f"missing lead(s) {', '.join(missing)}")
    if record.duration_s < config.min_duration_s:
        raise VaescanInputError(
            record.name, f"record lasts {record.duration_s:.2f} s; need at least {config.min_duration_s:g} s"
        )
    for j, lead in enumerate(record.sig_name):
        x = record.signal[:, j]
        nan = np.isnan(x)
        if nan.any():
            first = int(np.argmax(nan))
            raise VaescanInputError(
                record.name,
                f"lead {lead} has {int(nan.sum())} missing (NaN) samples, the first at {first / record.fs:.2f} s",
            )
        ptp = float(np.ptp(x))
        if ptp < config.flat_mv:
            raise VaescanInputError(record.name, f"lead {lead} is flat (peak-to-peak {ptp:.3f} mV)")


def ecg_clean(record: Record, config: BeatConfig = BeatConfig()) -> np.ndarray:
    """Resample to ``config.fs`` and clean every lead; returns (samples, 12) in mV, leads in standard order.

    Baseline wander: the high-pass neurokit2 uses by default (0.5 Hz
    Butterworth, order 5, zero phase), designed once and run on all leads in one
    call. Mains: a narrow IIR notch (Q = 30) at ``config.powerline_hz``
    rather than neurokit2's default powerline filter, a 20 ms moving average
    run forwards and backwards, which widens a 100 ms QRS by about 16 ms and
    lowers R amplitudes by about 6 % (measured on an analytic ECG,
    ``tests/data/test_beats.py``): morphology is what vaescan measures.

    Example
    -------
    >>> import numpy as np
    >>> t = np.arange(1000) / 100.0
    >>> rec = Record(np.column_stack([np.sin(2 * np.pi * t)] * 12), 100.0, list(LEADS))
    >>> ecg_clean(rec).shape
    (5000, 12)
    """
    signal = record.signal[:, [record.sig_name.index(lead) for lead in LEADS]]
    signal = signal_resample(signal, record.fs, config.fs)
    signal = sosfiltfilt(butterworth(5, 0.5, "highpass", config.fs), signal, axis=0)
    if config.powerline_hz < config.fs / 2:
        b, a = iirnotch(config.powerline_hz, Q=30.0, fs=config.fs)
        signal = filtfilt(b, a, signal, axis=0)
    return signal


@functools.lru_cache(maxsize=32)
def butterworth(order: int, cutoff_hz: float | tuple[float, float], btype: str, fs: float) -> np.ndarray:
    """Second-order sections of a Butterworth filter (cached: records share a few designs).

    Example
    -------
    >>> butterworth(5, 0.5, "highpass", 500.0).shape
    (3, 6)
    """
    return butter(order, cutoff_hz, btype=btype, fs=fs, output="sos")


def signal_resample(signal: np.ndarray, fs_in: float, fs_out: float) -> np.ndarray:
    """Resample (samples, leads) from ``fs_in`` to ``fs_out`` Hz with a polyphase anti-aliasing filter.

    Example
    -------
    >>> signal_resample(np.ones((1000, 12)), 100.0, 500.0).shape
    (5000, 12)
    """
    if abs(fs_in - fs_out) < 1e-9:
        return signal.astype(np.float64, copy=True)
    from fractions import Fraction

    ratio = Fraction(fs_out / fs_in).limit_denominator(1000)
    return resample_poly(signal, ratio.numerator, ratio.denominator, axis=0)


def ecg_rpeaks(cleaned: np.ndarray, fs: float) -> np.ndarray:
    """QRS fiducials (sample indices) of a cleaned multi-lead signal (samples, leads).

    A multi-lead Pan-Tompkins-style detector: every lead is band-passed to
    8-30 Hz (where QRS energy dominates P and T), the squared slopes are summed
    over leads and integrated over 80 ms. Local maxima above a quarter of the
    99th percentile are accepted from the tallest down, at least 250 ms apart;
    a peak 250-450 ms after a beat with under 40 % of its energy is a T wave and
    is dropped, as are peaks within 50 ms of either end (partial complexes).
    Each peak is then moved to the spatial magnitude maximum within +-50 ms (so
    the result does not depend on one lead's polarity) and aligned on the whole
    complex (:func:`align_fiducials`).

    neurokit2's detectors, tried first, missed the first beat of about a third of
    10 s records and took tall peaked T waves for beats (``scripts/bench_features.py``).

    Example
    -------
    >>> import numpy as np
    >>> x = np.zeros((5000, 12)); x[250::500] = 1.0
    >>> ecg_rpeaks(x, 500.0)[:3].tolist()
    [250, 750, 1250]
    """
    n = cleaned.shape[0]
    if n < int(0.5 * fs):
        return np.zeros(0, dtype=np.int64)
    band = sosfiltfilt(butterworth(2, (8.0, min(30.0, 0.45 * fs)), "bandpass", fs), cleaned, axis=0)
    energy = (np.diff(band, axis=0, prepend=band[:1]) ** 2).sum(axis=1)
    width = max(1, int(0.08 * fs))
    energy = np.convolve(energy, np.ones(width) / width, mode="same")
    threshold = 0.25 * float(np.percentile(energy, 99))
    if threshold <= 0:
        return np.zeros(0, dtype=np.int64)
    edge = int(0.05 * fs)
    inner = energy[1:-1]
    cand = np.nonzero((inner > energy[:-2]) & (inner >= energy[2:]) & (inner > threshold))[0] + 1
    cand = cand[(cand >= edge) & (cand < n - edge)]
    refractory, t_wave = int(0.25 * fs), int(0.45 * fs)
    accepted: list[int] = []
    for c in cand[np.argsort(-energy[cand], kind="stable")]:
        gaps = c - np.asarray(accepted, dtype=np.int64)
        if np.any(np.abs(gaps) < refractory):
            continue
        before = np.asarray(accepted, dtype=np.int64)[(gaps > 0) & (gaps <= t_wave)]
        if before.size and energy[c] < 0.4 * energy[before].max():
            continue
        accepted.append(int(c))
    peaks = _drop_t_waves(np.sort(np.asarray(accepted, dtype=np.int64)), cleaned, energy, fs, t_wave)
    magnitude = np.sqrt(np.sum(cleaned**2, axis=1))
    half = int(0.05 * fs)
    refined = [max(p - half, 0) + int(np.argmax(magnitude[max(p - half, 0): p + half + 1])) for p in peaks]
    return np.unique(align_fiducials(cleaned, np.asarray(refined, dtype=np.int64), fs))


def _drop_t_waves(peaks: np.ndarray, cleaned: np.ndarray, energy: np.ndarray, fs: float,
                  t_wave: int) -> np.ndarray:
    """Drop T waves that passed the energy test: of two peaks closer than ``t_wave`` samples whose
    12-lead shapes differ (correlation under 0.5), the one with less 15-40 Hz content is the T wave."""
    if len(peaks) < 2 or fs < 100.0:
        return peaks
    high = sosfiltfilt(butterworth(2, (15.0, min(40.0, 0.45 * fs)), "bandpass", fs), cleaned, axis=0)
    high_energy = (np.diff(high, axis=0, prepend=high[:1]) ** 2).sum(axis=1)
    half = int(0.06 * fs)
    padded = np.pad(cleaned, ((half, half), (0, 0)))
    shapes = np.stack([padded[p: p + 2 * half + 1].ravel() for p in peaks])
    shapes -= shapes.mean(axis=1, keepdims=True)
    shapes /= np.linalg.norm(shapes, axis=1, keepdims=True) + 1e-12
    ratio = np.array([high_energy[max(p - half, 0): p + half + 1].max() / energy[p] for p in peaks])
    keep = np.ones(len(peaks), dtype=bool)
    for i in range(len(peaks)):
        for j in (i - 1, i + 1):
            if (0 <= j < len(peaks) and abs(int(peaks[j]) - int(peaks[i])) <= t_wave
                    and float(shapes[i] @ shapes[j]) < 0.5 and ratio[i] < ratio[j]):
                keep[i] = False
    return peaks[keep]


def align_fiducials(cleaned: np.ndarray, peaks: np.ndarray, fs: float, max_shift_ms: float = 20.0,
                    half_ms: float = 100.0) -> np.ndarray:
    """Move each fiducial to where its QRS region (+-``half_ms``, all leads) best matches the median one.

    The template is the sample-wise median of the QRS regions of all beats;
    each beat is shifted by up to +-``max_shift_ms`` to maximise its dot product
    with it. Aligning on the whole multi-lead complex keeps fiducials stable
    where a single maximum is not (the two humps of a notched R). Beats too close
    to the record's ends keep their fiducial.

    Example
    -------
    >>> import numpy as np
    >>> x = np.zeros((3000, 12)); x[500::500] = 1.0
    >>> align_fiducials(x, np.array([500, 1003, 1498, 2000]), 500.0).tolist()
    [500, 1000, 1500, 2000]
    """
    max_shift, half = int(max_shift_ms * fs / 1000.0), int(half_ms * fs / 1000.0)
    n = cleaned.shape[0]
    peaks = np.asarray(peaks, dtype=np.int64)
    inner = (peaks - half - max_shift >= 0) & (peaks + half + max_shift <= n)
    if not inner.any():
        return peaks
    template = np.median(np.stack([cleaned[p - half: p + half] for p in peaks[inner]]), axis=0)
    out = peaks.copy()
    for k in np.nonzero(inner)[0]:
        p = peaks[k]
        windows = sliding_window_view(cleaned[p - half - max_shift: p + half + max_shift], 2 * half, axis=0)
        scores = np.tensordot(windows, template.T, axes=([1, 2], [0, 1]))  # (2 max_shift + 1,)
        out[k] = p - max_shift + int(np.argmax(scores))
    return out


def median_beat(
    cleaned: np.ndarray, rpeaks: np.ndarray, config: BeatConfig = BeatConfig()
) -> tuple[np.ndarray, np.ndarray]:
    """Sample-wise median of the beats around ``rpeaks``; returns (beat (leads, samples), used fiducials).

    Fiducials are first aligned on the QRS (:func:`align_fiducials`); beats whose
    window leaves the record are dropped.

    Example
    -------
    >>> import numpy as np
    >>> x = np.zeros((5000, 12)); x[1000::500] = 1.0
    >>> beat, used = median_beat(x, np.arange(1000, 4500, 500))
    >>> beat.shape, float(beat[0, 200])
    ((12, 500), 1.0)
    """
    off, n = config.offset, config.n_samples
    refined = align_fiducials(cleaned, rpeaks, config.fs)
    refined = refined[(refined - off >= 0) & (refined - off + n <= cleaned.shape[0])]
    if len(refined) == 0:
        return np.zeros((cleaned.shape[1], n)), refined
    idx = refined[:, None] - off + np.arange(n)[None, :]
    return np.median(cleaned[idx], axis=0).T, refined


def record_to_beat(record: Record, config: BeatConfig = BeatConfig()) -> BeatResult:
    """Check, clean, detect beats and form the median beat of one record.

    Raises :class:`~vaescan.errors.VaescanInputError` (naming the record) when
    the signal is unusable or fewer than ``config.min_beats`` complete beats are found.

    Example
    -------
    >>> from vaescan.data.records import read_record
    >>> res = record_to_beat(read_record("../shared/data/ptbxl_sample/records100/00000/00001_lr"))  # doctest: +SKIP
    >>> res.beat.shape  # doctest: +SKIP
    (12, 500)
    """
    check_signal(record, config)
    cleaned = ecg_clean(record, config)
    rpeaks = ecg_rpeaks(cleaned, config.fs)
    beat, used = median_beat(cleaned, rpeaks, config)
    if len(used) < config.min_beats:
        raise VaescanInputError(
            record.name, f"too few complete beats ({len(used)} found, need {config.min_beats})"
        )
    return BeatResult(record.name, cleaned, config.fs, rpeaks, beat, len(used), config)


@dataclass
class BeatSet:
    """Median beats of many records: ``beats`` (records, 12 leads, samples) in mV at ``fs`` Hz.

    ``record_ids`` name the records in order; ``skipped`` lists (record, reason)
    for records that gave no beat.

    Example
    -------
    >>> import numpy as np
    >>> bs = BeatSet(np.zeros((2, 12, 500), np.float32), ["a", "b"], 500.0, (-400.0, 600.0))
    >>> bs.time_ms()[:2].tolist()
    [-400.0, -398.0]
    """

    beats: np.ndarray
    record_ids: list[str]
    fs: float
    window_ms: tuple[float, float]
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def time_ms(self) -> np.ndarray:
        """Time of each beat sample relative to the QRS fiducial, in ms."""
        return self.window_ms[0] + np.arange(self.beats.shape[-1]) * 1000.0 / self.fs

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the set as a compressed ``.npz`` (atomic, no pickles)."""
        skipped = np.array([f"{r}\t{why}" for r, why in self.skipped], dtype=str)
        return save_npz(
            path, beats=self.beats.astype(np.float32), record_ids=np.array(self.record_ids, dtype=str),
            fs=np.float64(self.fs), window_ms=np.array(self.window_ms, dtype=np.float64),
            leads=np.array(LEADS, dtype=str), skipped=skipped,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> BeatSet:
        """Read a set written by :meth:`save`."""
        data = load_npz(path)
        missing = [k for k in ("beats", "record_ids", "fs", "window_ms") if k not in data]
        if missing:
            raise VaescanInputError(path, f"not a vaescan beats file (missing {missing})")
        skipped = [tuple(s.split("\t", 1)) for s in data.get("skipped", np.array([], dtype=str)).tolist()]
        return cls(data["beats"], data["record_ids"].tolist(), float(data["fs"]),
                   tuple(data["window_ms"].tolist()), skipped)  # type: ignore[arg-type]


def beats_from_results(results: Iterable[tuple[str, BeatResult]], config: BeatConfig,
                       skipped: list[tuple[str, str]]) -> BeatSet:
    """Stack (record id, :class:`BeatResult`) pairs into a :class:`BeatSet`."""
    ids, beats = [], []
    for rid, res in results:
        ids.append(rid)
        beats.append(res.beat.astype(np.float32))
    stacked = np.stack(beats) if beats else np.zeros((0, len(LEADS), config.n_samples), np.float32)
    return BeatSet(stacked, ids, config.fs, config.window_ms, list(skipped))


def read_and_beat(path: str | os.PathLike[str], config: BeatConfig = BeatConfig()) -> BeatResult:
    """Read a WFDB record and return its :class:`BeatResult` (errors name the file).

    Example
    -------
    >>> res = read_and_beat("../shared/data/ptbxl_sample/records100/00000/00001_lr")  # doctest: +SKIP
    """
    record = read_record(path)
    try:
        return record_to_beat(record, config)
    except VaescanInputError as exc:
        raise VaescanInputError(path, exc.problem) from None

"""Interval and amplitude features: the engineered, most explainable ECG representation.

Rhythm features come from the QRS fiducials of the whole record (see
:func:`vaescan.data.beats.ecg_rpeaks`); morphology features from a global
delineation of the 12-lead median beat, as ECG machines measure "global"
intervals: wave onsets and ends are found on signals that combine all leads
(spatial velocity for the QRS, baseline-corrected spatial magnitude for P and
T), so a wave counts from its earliest onset in any lead to its latest end.

Every column carries its unit: ``hr_bpm``, ``pr_ms``, ``qrs_ms``, ``qt_ms``,
``qtc_bazett_ms``, ``qtc_fridericia_ms``, ``axis_deg``, ``rr_ms``,
``rr_irregularity`` (coefficient of variation of RR, unitless), the HRV time-domain indices
:data:`HRV_FEATURES` (RMSSD, SDNN, CVSD, MCVNN, pNN20, pNN50 as neurokit2's ``hrv_time`` defines them), and
per lead
``r_amp_mv_<lead>``, ``s_amp_mv_<lead>`` (depth, positive), ``st_mv_<lead>``
(at J + 60 ms) and ``t_amp_mv_<lead>`` (signed, at the global T peak).
A feature that cannot be measured (no P wave in atrial fibrillation) is NaN.

Accuracy against known truth (the synthetic cohort, ``scripts/bench_features.py``)
is reported in ``data_cards/synthetic_cohort.md``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import sosfiltfilt

from vaescan.batch import BatchResult, run_batch
from vaescan.data.beats import BeatConfig, BeatResult, butterworth, read_and_beat
from vaescan.data.cohort import Cohort
from vaescan.data.leads import LEADS, TERRITORIES
from vaescan.errors import VaescanInputError

LEAD_FEATURES: tuple[str, ...] = ("r_amp_mv", "s_amp_mv", "st_mv", "t_amp_mv")
GLOBAL_FEATURES: tuple[str, ...] = (
    "hr_bpm", "rr_ms", "rr_irregularity", "pr_ms", "qrs_ms", "qt_ms",
    "qtc_bazett_ms", "qtc_fridericia_ms", "axis_deg",
)

HRV_FEATURES: dict[str, str] = {
    "hrv_rmssd_ms": "HRV_RMSSD", "hrv_sdnn_ms": "HRV_SDNN", "hrv_cvsd_ratio": "HRV_CVSD",
    "hrv_mcvnn_ratio": "HRV_MCVNN", "hrv_pnn20_pct": "HRV_pNN20", "hrv_pnn50_pct": "HRV_pNN50",
}
"""HRV time-domain indices of the record's RR intervals (feature column -> the neurokit2 ``hrv_time`` column
with the same definition, which the tests compare against): root mean square of successive differences
(ms), standard deviation (ms, ddof 1), RMSSD / mean RR, scaled median absolute deviation (x 1.4826) / median
RR (robust to a few premature beats), and successive differences above 20 and 50 ms as a percentage of the
RR intervals (the Task Force 1996 definition, neurokit2's). They separate the beat-to-beat irregularity of
atrial fibrillation from the slow swing of sinus arrhythmia and from isolated premature beats, which the
coefficient of variation (``rr_irregularity``) mixes up."""
HRV_MIN_BEATS = 4
"""Fewer R peaks than this give NaN HRV indices."""


def feature_names() -> list[str]:
    """All feature column names, in the order :func:`ecg_features` returns them.

    Example
    -------
    >>> names = feature_names()
    >>> names[:3], len(names)
    (['hr_bpm', 'rr_ms', 'rr_irregularity'], 63)
    """
    return list(GLOBAL_FEATURES) + list(HRV_FEATURES) + [f"{f}_{lead}" for f in LEAD_FEATURES for lead in LEADS]


def hrv_features(rpeaks: np.ndarray, fs: float) -> dict[str, float]:
    """HRV time-domain indices (:data:`HRV_FEATURES`) of R peaks at sample indices ``rpeaks`` (rate ``fs`` Hz),
    as ``neurokit2.hrv_time`` computes them (in numpy: 0.05 ms a record instead of its 4 ms, and neurokit2 stays
    a test-only dependency); all NaN with fewer than :data:`HRV_MIN_BEATS` peaks.

    Example
    -------
    >>> f = hrv_features(np.cumsum([100, 400, 450, 400, 450, 400, 450]), 500.0)   # RR 800, 900, 800, ... ms
    >>> f["hrv_rmssd_ms"], round(f["hrv_pnn50_pct"], 2), round(f["hrv_cvsd_ratio"], 4)    # 5 of 6 RR
    (100.0, 83.33, 0.1176)
    """
    peaks = np.asarray(rpeaks, dtype=np.float64)
    if len(peaks) < HRV_MIN_BEATS:
        return {name: float("nan") for name in HRV_FEATURES}
    rr = np.diff(peaks) * 1000.0 / float(fs)
    d = np.diff(rr)
    rmssd, median = float(np.sqrt(np.mean(d**2))), float(np.median(rr))
    return {
        "hrv_rmssd_ms": rmssd,
        "hrv_sdnn_ms": float(np.std(rr, ddof=1)),
        "hrv_cvsd_ratio": rmssd / float(np.mean(rr)),
        "hrv_mcvnn_ratio": 1.4826 * float(np.median(np.abs(rr - median))) / median,
        "hrv_pnn20_pct": 100.0 * float(np.sum(np.abs(d) > 20.0)) / len(rr),
        "hrv_pnn50_pct": 100.0 * float(np.sum(np.abs(d) > 50.0)) / len(rr),
    }


@dataclass(frozen=True)
class Delineation:
    """Wave boundaries of a median beat, as sample indices into the beat (NaN when absent)."""

    p_on: float
    p_peak: float
    qrs_on: float
    qrs_off: float
    t_peak: float
    t_end: float


def _smooth(x: np.ndarray, width: int) -> np.ndarray:
    if width <= 1:
        return x
    return np.convolve(x, np.ones(width) / width, mode="same")


DELINEATION_LOWPASS_HZ = 50.0
"""Delineation runs on a zero-phase low-pass copy of the beat (Butterworth order 2, run forwards and backwards),
below most muscle noise. Chosen on a tuning cohort (seed 100) and a noisier stress cohort; order 4 or a
40 Hz cut-off widened the measured QRS by 3-5 ms."""


def _lowpass(x: np.ndarray, fs: float) -> np.ndarray:
    """Zero-phase low-pass of every lead (leads, samples) at :data:`DELINEATION_LOWPASS_HZ`."""
    return sosfiltfilt(butterworth(2, min(DELINEATION_LOWPASS_HZ, 0.4 * fs), "lowpass", fs), x, axis=1)


def _run_below(x: np.ndarray, thr: float, start: int, step: int, hold: int) -> int:
    """First index from ``start`` in direction ``step`` where ``x`` stays below ``thr`` for ``hold`` samples."""
    i, count = start, 0
    while 0 <= i < len(x):
        count = count + 1 if x[i] < thr else 0
        if count >= hold:
            return i - step * (hold - 1)
        i += step
    return int(np.clip(i - step, 0, len(x) - 1))


def ecg_delineate(beat: np.ndarray, fs: float, fiducial: int, rr_ms: float | None = None) -> Delineation:
    """Global delineation of a median beat (leads, samples) whose QRS fiducial is at ``fiducial``.

    Every lead is first low-passed (:data:`DELINEATION_LOWPASS_HZ`, zero phase).
    QRS onset and end: where the spatial velocity (sum over leads of the
    absolute slope) falls below 5 % of its QRS peak above the floor, for at
    least 10 ms (onset) or 16 ms (end, so notches in bundle branch block do not
    end the QRS early). T end: the trapezium-area method (Zhang et al., IEEE
    Trans Biomed Eng 2006;53:2544) on the baseline-corrected spatial magnitude,
    from its steepest descent after the T peak to 150 ms later; unlike the
    tangent method it does not end a T wave early on its gently flattening tail
    and does not depend on the baseline level. P onset: the same method mirrored,
    from the P wave's first half-height crossing back 100 ms; no P (amplitude
    above the pre-P level under 0.03 mV or 3x the noise) gives NaN. ``rr_ms``
    bounds the T search (60 % of RR, and 300 ms before the next beat's QRS) and
    the P search (after the previous beat's T end), so neighbouring beats are never taken.

    Example
    -------
    >>> import numpy as np
    >>> t = np.arange(500) * 2.0 - 400                               # ms around R, 500 Hz
    >>> qrs = np.where(abs(t) <= 50, 0.5 + 0.5 * np.cos(np.pi * t / 50), 0)  # exactly 100 ms
    >>> d = ecg_delineate(np.tile(qrs, (12, 1)), 500.0, 200)
    >>> float(d.qrs_off - d.qrs_on) * 2                              # ms (true: 100)
    102.0
    """
    ms = fs / 1000.0
    n = beat.shape[1]
    x = _lowpass(beat, fs)
    velocity = np.abs(np.diff(x, axis=1)).sum(axis=0)
    velocity = np.append(velocity, velocity[-1])
    near = slice(max(fiducial - int(60 * ms), 0), min(fiducial + int(60 * ms), n))
    v_peak = float(velocity[near].max())
    v_floor = float(np.percentile(velocity, 10))
    thr = v_floor + 0.05 * (v_peak - v_floor)
    peak_at = near.start + int(np.argmax(velocity[near]))
    qrs_on = _run_below(velocity, thr, peak_at, -1, max(1, int(10 * ms)))
    qrs_off = _run_below(velocity, thr, peak_at, +1, max(1, int(16 * ms)))

    baseline = x[:, max(qrs_on - int(10 * ms), 0): qrs_on + 1].mean(axis=1, keepdims=True)
    magnitude = np.sqrt(((x - baseline) ** 2).sum(axis=0))
    noise = float(np.median(np.abs(np.diff(magnitude)))) * 3

    # T wave: peak between J + 60 ms and 60 % of RR after the fiducial (never the next beat's P);
    # the steepest descent is sought within 150 ms after the peak, the end by the trapezium method.
    rr = None if rr_ms is None else rr_ms * ms
    t_stop = n - 1 if rr is None else min(n - 1, fiducial + int(0.6 * rr))
    t_start = min(qrs_off + int(60 * ms), t_stop - 1)
    t_peak = t_end = np.nan
    if t_stop - t_start > int(40 * ms):
        t_peak = t_start + int(np.argmax(magnitude[t_start:t_stop]))
        smooth = _smooth(magnitude, max(1, int(round(10 * ms))))
        tail = smooth[t_peak: min(n, t_peak + int(150 * ms))]
        slope = np.diff(tail)
        if len(slope) > 2 and slope.min() < 0:
            xm = t_peak + int(np.argmin(slope))
            xr = min(n - 1, xm + int(150 * ms))
            if rr is not None:
                xr = min(xr, fiducial + int(rr - 300 * ms))
            if xr > xm + int(20 * ms):
                t = np.arange(xm, xr + 1)
                area = (smooth[xm] - smooth[t]) * (2 * xr - t - xm)
                t_end = float(t[int(np.argmax(area))])
            else:
                k = xm - t_peak
                t_end = float(min(t_peak + k + tail[k] / -slope[k], n - 1))

    # P wave: from 350 ms before the QRS onset (or the previous beat's T end) to 20 ms before it.
    # Onset by the trapezium method mirrored, from the first half-height crossing of the P wave.
    p_on = p_peak = np.nan
    p_start = max(qrs_on - int(350 * ms), 0)
    if rr is not None and np.isfinite(t_end):
        p_start = max(p_start, int(t_end - rr + 20 * ms))
    p_stop = qrs_on - int(20 * ms)
    if p_stop - p_start > int(40 * ms):
        seg = _smooth(magnitude[p_start:p_stop], max(1, int(round(10 * ms))))
        k = int(np.argmax(seg))
        level = float(np.median(seg[: max(1, int(20 * ms))]))
        amp = float(seg[k]) - min(level, float(seg[-1]))
        if amp > max(0.03, 3 * noise) and 0 < k < len(seg) - 1:
            p_peak = p_start + k
            half = level + 0.5 * (seg[k] - level)
            xm = int(np.argmax(seg >= half))
            xr = max(0, xm - int(100 * ms))
            if xm - xr > 2:
                t = np.arange(xr, xm + 1)
                area = (seg[xm] - seg[t]) * (xm + t - 2 * xr)
                p_on = float(p_start + t[int(np.argmax(area))])
    return Delineation(p_on, p_peak, float(qrs_on), float(qrs_off), float(t_peak), float(t_end))


def beat_features(
    beat: np.ndarray, fs: float, fiducial: int, rr_ms: float | None = None
) -> dict[str, float]:
    """Morphology features of one median beat (leads in :data:`LEADS` order, samples) in mV.

    Returns PR, QRS and QT (ms), the frontal QRS axis (degrees, from the net QRS
    areas in I and aVF through the Einthoven triangle), and per lead the R and S amplitudes, the ST level at
    J + 60 ms and the T amplitude (mV), all relative to the PR-segment baseline.
    With ``rr_ms`` also QTc by Bazett and Fridericia. Works on decoded beats too.

    Example
    -------
    >>> import numpy as np
    >>> t = np.arange(500) * 2.0 - 400
    >>> beat = np.tile(np.exp(-0.5 * (t / 12) ** 2), (12, 1))
    >>> f = beat_features(beat, 500.0, 200)
    >>> round(f["r_amp_mv_V5"], 2)
    1.0
    """
    return _morphology(beat, fs, rr_ms, ecg_delineate(beat, fs, fiducial, rr_ms))


def _morphology(beat: np.ndarray, fs: float, rr_ms: float | None, d: Delineation) -> dict[str, float]:
    """The features of :func:`beat_features` given the beat's delineation."""
    ms = fs / 1000.0
    qrs_on, qrs_off = int(d.qrs_on), int(d.qrs_off)
    baseline = beat[:, max(qrs_on - int(10 * ms), 0): qrs_on + 1].mean(axis=1)
    x = beat - baseline[:, None]
    qrs = x[:, qrs_on: qrs_off + 1]
    out: dict[str, float] = {
        "pr_ms": (d.qrs_on - d.p_on) / ms,
        "qrs_ms": (d.qrs_off - d.qrs_on) / ms,
        "qt_ms": (d.t_end - d.qrs_on) / ms,
    }
    rr_s = np.nan if rr_ms is None else rr_ms / 1000.0
    out["qtc_bazett_ms"] = out["qt_ms"] / np.sqrt(rr_s)
    out["qtc_fridericia_ms"] = out["qt_ms"] / np.cbrt(rr_s)
    area = qrs.sum(axis=1)
    # Einthoven/Goldberger: I = E cos(axis), aVF = (sqrt(3)/2) E sin(axis).
    out["axis_deg"] = float(np.degrees(np.arctan2(2 / np.sqrt(3) * area[LEADS.index("aVF")],
                                                  area[LEADS.index("I")])))
    j60 = min(qrs_off + int(60 * ms), beat.shape[1] - 1)
    r_at = np.argmax(qrs, axis=1)
    for j, lead in enumerate(LEADS):
        after_r = qrs[j, r_at[j]:]
        out[f"r_amp_mv_{lead}"] = float(max(qrs[j].max(), 0.0))
        out[f"s_amp_mv_{lead}"] = float(max(-after_r.min(), 0.0))
        out[f"st_mv_{lead}"] = float(x[j, j60])
        out[f"t_amp_mv_{lead}"] = float(x[j, int(d.t_peak)]) if np.isfinite(d.t_peak) else np.nan
    return out


P_WINDOW_MS = 120.0
"""Length of the window, from P onset, whose shape must recur in every beat (a P wave lasts <= 120 ms)."""
P_REPEAT_MIN_CORRELATION = 0.45
"""A P wave counts only if at least 3 in 4 beats correlate with the median beat's P wave at least this well."""


def p_wave_repeats(result: BeatResult, d: Delineation) -> bool:
    """Whether the P wave found in the median beat recurs, time-locked, in the record's beats.

    A median beat can show a P-like bump where there is none: the residue of
    fibrillatory waves (atrial fibrillation) or of noise. A true P wave precedes
    every QRS with the same shape, so each beat's P window (:data:`P_WINDOW_MS` from
    P onset, at most to QRS onset, all leads, low-passed, mean removed) is
    correlated with the median beat's; the P wave is accepted when the lower quartile of these correlations reaches
    :data:`P_REPEAT_MIN_CORRELATION`. How often this misses a P wave in sinus rhythm
    or finds one in AF on the synthetic cohort: ``scripts/bench_features.py`` (``p_wave``).

    Example
    -------
    >>> from vaescan.data.beats import record_to_beat
    >>> from vaescan.data.synth import simulate_records
    >>> record, truth = next(simulate_records(1, seed=0))          # sinus rhythm
    >>> res = record_to_beat(record)
    >>> p_wave_repeats(res, ecg_delineate(res.beat, res.fs, res.config.offset)), truth["AF"]
    (True, 0)
    """
    if not (np.isfinite(d.p_on) and np.isfinite(d.qrs_on)):
        return False
    start = int(d.p_on) - result.config.offset
    stop = min(int(d.qrs_on), int(d.p_on + P_WINDOW_MS * result.fs / 1000.0)) - result.config.offset
    ref = _lowpass(result.beat, result.fs)[:, start + result.config.offset: stop + result.config.offset]
    ref = ref - ref.mean(axis=1, keepdims=True)
    signal = _lowpass(result.cleaned.T, result.fs)
    correlations = []
    for peak in result.rpeaks:
        if peak + start < 0 or peak + stop > signal.shape[1]:
            continue
        seg = signal[:, peak + start: peak + stop]
        seg = seg - seg.mean(axis=1, keepdims=True)
        denom = np.sqrt(float((seg**2).sum()) * float((ref**2).sum()))
        correlations.append(float((seg * ref).sum()) / denom if denom > 0 else 0.0)
    return bool(correlations) and float(np.percentile(correlations, 25)) >= P_REPEAT_MIN_CORRELATION


def ecg_features(result: BeatResult) -> dict[str, float]:
    """All features of one preprocessed record: rhythm (HR, RR variability, :func:`hrv_features`) plus
    :func:`beat_features`.

    PR is NaN when the median beat's P wave does not recur in the beats (:func:`p_wave_repeats`).

    Example
    -------
    >>> from vaescan.data.beats import read_and_beat
    >>> f = ecg_features(read_and_beat("../shared/data/ptbxl_sample/records100/00000/00001_lr"))  # doctest: +SKIP
    >>> 40 < f["hr_bpm"] < 120  # doctest: +SKIP
    True
    """
    rr = result.rr_ms
    rr_med = float(np.median(rr)) if len(rr) else np.nan
    feats = {
        "hr_bpm": 60000.0 / rr_med,
        "rr_ms": rr_med,
        "rr_irregularity": float(np.std(rr) / np.mean(rr)) if len(rr) > 1 else np.nan,
    }
    feats.update(hrv_features(result.rpeaks, result.fs))
    d = ecg_delineate(result.beat, result.fs, result.config.offset, rr_med)
    if np.isfinite(d.p_on) and not p_wave_repeats(result, d):
        d = replace(d, p_on=np.nan, p_peak=np.nan)
    feats.update(_morphology(result.beat, result.fs, rr_med, d))
    return {name: float(feats[name]) for name in feature_names()}


def features_of_record(path, config: BeatConfig = BeatConfig()) -> dict[str, float]:
    """Read a WFDB record and return :func:`ecg_features` (for batch runs).

    Example
    -------
    >>> features_of_record("../shared/data/ptbxl_sample/records100/00000/00001_lr")["hr_bpm"]  # doctest: +SKIP
    64.2
    """
    return ecg_features(read_and_beat(path, config))


def _features_item(config: BeatConfig, item: tuple[str, Path]) -> dict[str, float]:
    """Features of a (record id, path) item (module level so worker processes can run it)."""
    return features_of_record(item[1], config)


def cohort_features(cohort: Cohort, config: BeatConfig = BeatConfig(), *, jobs: int = 1,
                    progress: bool = True) -> tuple[pd.DataFrame, BatchResult]:
    """Features of every record of ``cohort``: a table (``record_id`` + :func:`feature_names`) and the batch.

    A record that cannot be measured is skipped with its reason in
    ``BatchResult.skipped``; if none can, :class:`~vaescan.errors.VaescanInputError`.

    Example
    -------
    >>> from vaescan.data.sources import load_cohort
    >>> table, batch = cohort_features(load_cohort("../shared/data/ptbxl_sample"), progress=False)  # doctest: +SKIP
    >>> round(table.hr_bpm[0]), batch.skipped  # doctest: +SKIP
    (64, [])
    """
    items = [(str(rid), cohort.record_path(i)) for i, rid in enumerate(cohort.metadata.record_id)]
    result = run_batch(items, functools.partial(_features_item, config), desc="features", jobs=jobs,
                       progress=progress)
    if not result.done:
        reasons = "; ".join(r for _, r in result.skipped[:3])
        raise VaescanInputError(cohort.root, f"no usable record ({reasons})")
    rows = [{"record_id": rid, **feats} for (rid, _), feats in result.done]
    return pd.DataFrame(rows, columns=["record_id", *feature_names()]), result


SUMMARY_FEATURES: tuple[str, ...] = (
    "qrs_ms", "pr_ms", "qt_ms", "axis_deg", "r_amp_mv", "t_amp_mv",
    "st_mv_anterior", "st_mv_inferior", "st_mv_lateral",
)
"""Columns of :func:`beat_summary`."""


def beat_summary(beat: np.ndarray, fs: float, fiducial: int) -> dict[str, float]:
    """A few global features of one beat (12 leads x samples, mV): the quantities a factor is named (or anchored) by.

    PR, QRS, QT (ms) and axis (deg) as :func:`~vaescan.data.features.beat_features`
    measures them; ``r_amp_mv`` the largest R wave and ``t_amp_mv`` the largest
    |T| over the 12 leads; ``st_mv_<territory>`` the mean ST level (J + 60 ms)
    over the territory's leads (:data:`TERRITORIES`).

    Example
    -------
    >>> t = np.arange(500) * 2.0 - 400
    >>> beat = np.tile(np.exp(-0.5 * (t / 12) ** 2), (12, 1))
    >>> round(beat_summary(beat, 500.0, 200)["r_amp_mv"], 2)
    1.0
    """
    f = beat_features(np.asarray(beat, dtype=np.float64), fs, fiducial)
    leads = [k.rsplit("_", 1)[1] for k in f if k.startswith("r_amp_mv_")]
    out = {k: float(f[k]) for k in ("qrs_ms", "pr_ms", "qt_ms", "axis_deg")}
    out["r_amp_mv"] = max(f[f"r_amp_mv_{lead}"] for lead in leads)
    t_amps = [abs(f[f"t_amp_mv_{lead}"]) for lead in leads]
    out["t_amp_mv"] = float(np.max(t_amps)) if np.all(np.isfinite(t_amps)) else float("nan")
    for territory, tleads in TERRITORIES.items():
        out[f"st_mv_{territory}"] = float(np.mean([f[f"st_mv_{lead}"] for lead in tleads]))
    return out

"""Rhythm: when each beat starts, how its size breathes, and the fibrillating atria.

- **Sinus rhythm**: RR intervals modulated by respiration (respiratory sinus
  arrhythmia, a sine at the breathing rate of relative amplitude
  ``sinus_arrhythmia``) with 0.5 % beat-to-beat jitter.
- **Atrial fibrillation**: independent log-normal RR intervals with coefficient
  of variation ``af_rr_cv`` around the mean, none shorter than the ventricle's
  refractory limit (QT + 80 ms); the atria add a fibrillatory dipole, a
  4-8 Hz oscillation whose frequency and amplitude wander slowly, pointing
  mostly towards V1 (right and anterior).
- **Premature atrial beats** (``pac_prob`` > 0, the ``realistic`` table): each sinus beat comes, with
  probability ``pac_prob``, 20-35 % early (never before QT + 80 ms), and the next interval is lengthened by
  the same amount (a compensatory pause), so the underlying sinus rhythm goes on.
- Respiration also modulates beat amplitude by a few per cent (the heart moves
  against the electrodes), so a median beat is not a copy of every beat.

Beat onsets are placed on the sampling grid, so RR ground truth is exact.
"""

from __future__ import annotations

import numpy as np

from vaescan.data.synth.clinical import AF_DIASTOLE_MIN_MS, Physiology
from vaescan.data.synth.noise import smooth_random


def beat_onsets(phys: Physiology, duration_ms: float, fs: float, rng: np.random.Generator) -> np.ndarray:
    """QRS onset sample indices of every beat that touches the record (the first may lie before 0).

    Example
    -------
    >>> from vaescan.data.synth.clinical import Patient, sample_physiology
    >>> rng = np.random.default_rng(0)
    >>> phys = sample_physiology(Patient(40.0, 0, frozenset({"NORM"})), rng)
    >>> onsets = beat_onsets(phys, 10000.0, 500.0, rng)
    >>> bool(abs(60000.0 / (np.diff(onsets).mean() * 2.0) - phys.hr_bpm) < 5.0)
    True
    """
    rr0 = 60000.0 / phys.hr_bpm
    phase = rng.uniform(0.0, 2.0 * np.pi)
    t = -rng.uniform(0.0, rr0)
    onsets, pause = [t], 0.0
    while t < duration_ms + 50.0:
        if phys.af:
            sigma = np.sqrt(np.log1p(phys.af_rr_cv**2))
            rr = rr0 * np.exp(rng.normal(-0.5 * sigma**2, sigma))
            rr = float(np.clip(rr, phys.qt_ms + AF_DIASTOLE_MIN_MS, 2.5 * rr0))
        else:
            resp = np.sin(2.0 * np.pi * phys.resp_hz * t / 1000.0 + phase)
            rr = rr0 * (1.0 + phys.sinus_arrhythmia * resp) * (1.0 + rng.normal(0.0, 0.005))
            if phys.pac_prob > 0.0:
                rr, pause = rr + pause, 0.0
                if rng.random() < phys.pac_prob:
                    early = min(rr * rng.uniform(0.2, 0.35), rr - phys.qt_ms - AF_DIASTOLE_MIN_MS)
                    if early > 0.0:
                        rr, pause = rr - early, early
        t += rr
        onsets.append(t)
    return np.round(np.asarray(onsets) * fs / 1000.0).astype(np.int64)


def beat_gains(onsets: np.ndarray, phys: Physiology, fs: float, rng: np.random.Generator) -> np.ndarray:
    """Per-beat amplitude factors: respiration modulates the dipole by 2-6 %.

    Example
    -------
    >>> from vaescan.data.synth.clinical import Patient, sample_physiology
    >>> rng = np.random.default_rng(0)
    >>> phys = sample_physiology(Patient(40.0, 0, frozenset({"NORM"})), rng)
    >>> g = beat_gains(np.arange(0, 5000, 400), phys, 500.0, rng)
    >>> bool(0.9 < g.min() <= g.max() < 1.1)
    True
    """
    depth = rng.uniform(0.02, 0.06)
    phase = rng.uniform(0.0, 2.0 * np.pi)
    return 1.0 + depth * np.sin(2.0 * np.pi * phys.resp_hz * onsets / fs + phase)


def fibrillation_dipole(phys: Physiology, n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    """The atrial dipole (n, 3) in mV of atrial fibrillation (zeros without AF).

    Example
    -------
    >>> from vaescan.data.synth.clinical import Patient, sample_physiology
    >>> rng = np.random.default_rng(0)
    >>> phys = sample_physiology(Patient(75.0, 0, frozenset({"AF"})), rng)
    >>> f = fibrillation_dipole(phys, 5000, 500.0, rng)
    >>> bool(0.5 * phys.f_amp_mv < np.sqrt((f ** 2).sum(axis=1)).max() < 2.0 * phys.f_amp_mv)
    True
    """
    if not phys.af:
        return np.zeros((n, 3))
    freq = phys.f_hz + 0.5 * smooth_random(n, fs, 0.5, rng)[:, 0]
    phase = 2.0 * np.pi * np.cumsum(freq) / fs + rng.uniform(0.0, 2.0 * np.pi)
    amp = phys.f_amp_mv * np.clip(1.0 + 0.3 * smooth_random(n, fs, 0.3, rng)[:, 0], 0.3, 1.7)
    direction = np.array([-0.4, 0.3, -0.85]) + rng.normal(0.0, 0.2, 3)
    direction /= np.linalg.norm(direction)
    wave = np.sin(phase) + 0.25 * np.sin(2.0 * phase + rng.uniform(0.0, 2.0 * np.pi))  # saw-tooth-like
    return (amp * wave / 1.1)[:, None] * direction[None, :]

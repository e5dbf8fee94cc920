"""Recording noise, generated where it arises: at each of the nine electrodes.

Three sources, each with a per-record level (RMS in mV at every electrode) that
is written to ``metadata.csv``:

- **baseline wander** (``noise_wander_mv``): respiration and electrode
  movement, a random smooth signal below 0.45 Hz per electrode;
- **powerline interference** (``noise_powerline_mv``): a sine at the mains
  frequency with its own amplitude and phase per electrode (the differential
  part of mains pickup that survives the amplifier's common-mode rejection);
- **muscle noise** (``noise_muscle_mv``): electromyographic noise, Gaussian
  noise band-limited to 20-150 Hz (or to 0.45 fs when sampling is slower).

Leads are then formed from the electrodes (I = LA - RA, ..., Vi - Wilson's
central terminal), so bipolar limb leads carry about sqrt(2) times the
electrode level and the Einthoven/Goldberger identities hold with noise too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

from vaescan.data.synth.leadfield import ELECTRODES, electrodes_to_independent


@dataclass(frozen=True)
class NoiseLevels:
    """Noise RMS at each electrode, in mV, of one record."""

    wander_mv: float
    powerline_mv: float
    muscle_mv: float


def smooth_random(n: int, fs: float, cutoff_hz: float, rng: np.random.Generator, k: int = 1) -> np.ndarray:
    """``k`` independent zero-mean, unit-RMS random signals (n, k) with content mostly below ``cutoff_hz``.

    Gaussian knots every ``fs / (2 cutoff_hz)`` samples, joined by cosine interpolation.

    Example
    -------
    >>> x = smooth_random(5000, 500.0, 0.5, np.random.default_rng(0), k=2)
    >>> x.shape, np.round(x.std(axis=0), 6).tolist()
    ((5000, 2), [1.0, 1.0])
    """
    step = max(1, int(fs / (2.0 * cutoff_hz)))
    knots = rng.normal(0.0, 1.0, (n // step + 2, k))
    pos = np.arange(n) / step
    i = pos.astype(np.int64)
    w = 0.5 * (1.0 - np.cos(np.pi * (pos - i)))[:, None]
    x = knots[i] * (1.0 - w) + knots[i + 1] * w
    x -= x.mean(axis=0)
    return x / (x.std(axis=0) + 1e-12)


def electrode_noise(n: int, fs: float, levels: NoiseLevels, powerline_hz: float,
                    rng: np.random.Generator) -> np.ndarray:
    """Noise potentials (n, 9) in mV at the electrodes :data:`~vaescan.data.synth.leadfield.ELECTRODES`.

    Example
    -------
    >>> noise = electrode_noise(5000, 500.0, NoiseLevels(0.1, 0.02, 0.01), 50.0, np.random.default_rng(0))
    >>> noise.shape, round(float(noise.std()), 2)
    ((5000, 9), 0.1)
    """
    k = len(ELECTRODES)
    out = np.zeros((n, k))
    if levels.wander_mv > 0:
        out += levels.wander_mv * smooth_random(n, fs, 0.45, rng, k)
    if levels.powerline_mv > 0 and powerline_hz < fs / 2.0:
        t = np.arange(n) / fs
        phases = rng.uniform(0.0, 2.0 * np.pi, k)
        gains = rng.uniform(0.5, 1.5, k)
        gains *= np.sqrt(k / (gains**2).sum())
        out += levels.powerline_mv * np.sqrt(2.0) * gains * np.sin(2.0 * np.pi * powerline_hz * t[:, None] + phases)
    if levels.muscle_mv > 0:
        sos = butter(2, [20.0, min(150.0, 0.45 * fs)], btype="band", fs=fs, output="sos")
        emg = sosfiltfilt(sos, rng.normal(0.0, 1.0, (n, k)), axis=0)
        out += levels.muscle_mv * emg / (emg.std(axis=0) + 1e-12)
    return out


def lead_noise(n: int, fs: float, levels: NoiseLevels, powerline_hz: float,
               rng: np.random.Generator) -> np.ndarray:
    """Noise of leads I, II, V1..V6 (n, 8) in mV, formed from :func:`electrode_noise`.

    Example
    -------
    >>> noise = lead_noise(5000, 500.0, NoiseLevels(0.0, 0.0, 0.02), 50.0, np.random.default_rng(0))
    >>> round(float(noise[:, 0].std() / 0.02), 1)   # lead I = LA - RA: sqrt(2) x the electrode level
    1.4
    """
    return electrodes_to_independent(electrode_noise(n, fs, levels, powerline_hz, rng))

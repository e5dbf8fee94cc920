"""The Challenge 2024 SNR against hand-computed values."""

import numpy as np

from vaescan.digitize.evaluate import record_snr, snr_db, snr_shifted_db


def test_snr_hand_values():
    x = np.array([3.0, -4.0])                                  # power 25
    assert np.isclose(snr_db(x, x + np.array([0.5, 0.0])), 10 * np.log10(25 / 0.25))   # 20 dB
    assert np.isclose(snr_db(x, np.array([np.nan, -4.0])), 10 * np.log10(25 / 9))      # NaN counts as 0
    assert snr_db(x, x) == np.inf
    assert np.isnan(snr_db(np.zeros(3), np.ones(3)))


def test_shift_and_mask():
    fs = 500.0
    x = np.sin(2 * np.pi * 2 * np.arange(2000) / fs)
    late = np.roll(x, 25)                                      # 50 ms late
    assert snr_db(x, late) < 5
    assert snr_shifted_db(x, late, fs) > 20                    # found within 0.2 s (25 samples shift in as 0)
    noise = np.convolve(np.random.default_rng(0).normal(size=2000), np.ones(20) / 20, mode="same")
    assert snr_shifted_db(noise, np.roll(noise, 150), fs) < 3     # 0.3 s is outside the allowed shift
    truth = np.stack([x, x], axis=1)
    shown = np.ones_like(truth, bool)
    shown[1000:, 1] = False
    est = truth.copy()
    est[:1000, 1] += 0.1
    est[1000:, 1] = 99.0                                       # not shown: not scored
    res = record_snr(truth, est, shown, fs)
    assert np.isinf(res["snr_db"][0])
    assert np.isclose(res["snr_db"][1], 10 * np.log10(np.sum(x[:1000] ** 2) / (1000 * 0.01)))

import numpy as np
import pytest

from vaescan.data.synth.noise import NoiseLevels, electrode_noise, lead_noise


@pytest.mark.parametrize("which", ["wander_mv", "powerline_mv", "muscle_mv"])
def test_each_source_has_the_stated_level_and_band(which):
    fs, n = 500.0, 5000
    levels = NoiseLevels(**{name: (0.05 if name == which else 0.0) for name in ("wander_mv", "powerline_mv",
                                                                              "muscle_mv")})
    noise = electrode_noise(n, fs, levels, 50.0, np.random.default_rng(0))
    assert noise.std() == pytest.approx(0.05, rel=0.02)        # RMS at the electrodes, as metadata states
    spectrum = np.abs(np.fft.rfft(noise - noise.mean(axis=0), axis=0)) ** 2
    freqs = np.fft.rfftfreq(n, 1 / fs)
    share = {band: spectrum[(freqs >= lo) & (freqs < hi)].sum() / spectrum.sum()
             for band, (lo, hi) in {"low": (0, 1), "mains": (49, 51), "emg": (20, 150)}.items()}
    expected = {"wander_mv": "low", "powerline_mv": "mains", "muscle_mv": "emg"}[which]
    assert share[expected] > 0.9


def test_noise_at_the_electrodes_gives_bipolar_and_unipolar_levels():
    noise = lead_noise(20000, 500.0, NoiseLevels(0.0, 0.0, 0.02), 50.0, np.random.default_rng(1))
    # I = LA - RA: sqrt(2) x; Vi - Wilson's terminal: sqrt(1 + 1/3) x the electrode level
    assert noise[:, 0].std() == pytest.approx(0.02 * np.sqrt(2), rel=0.05)
    assert noise[:, 2:].std() == pytest.approx(0.02 * np.sqrt(4 / 3), rel=0.05)


def test_no_noise_is_zero_and_mains_above_nyquist_is_skipped():
    assert not electrode_noise(1000, 500.0, NoiseLevels(0, 0, 0), 50.0, np.random.default_rng(0)).any()
    mains_only = NoiseLevels(0.0, 0.05, 0.0)
    assert not electrode_noise(1000, 100.0, mains_only, 60.0, np.random.default_rng(0)).any()

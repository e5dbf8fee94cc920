import numpy as np
import pytest

from vaescan.data.synth.dipole import BeatDipole, Kernel


def test_kernel_pulse_is_compact_continuous_and_integrates_exactly():
    k = Kernel("T", 100.0, 300.0, (0.0, 0.4, 0.0), rise_ms=130.0, fall_ms=70.0)
    t = np.arange(0.0, 400.0, 0.01)
    pulse = k.pulse(t)
    inside = (t > 100) & (t < 300)
    assert np.all(pulse[~inside] == 0.0) and np.all(pulse[inside] > 0.0)
    assert np.max(np.abs(np.diff(pulse))) < 1e-3           # no jumps
    assert t[np.argmax(pulse)] == pytest.approx(k.peak_ms, abs=0.02)  # peaks at start + rise
    numeric = np.trapezoid(BeatDipole((k,)).render(t), t, axis=0)
    np.testing.assert_allclose(BeatDipole((k,)).area("T"), numeric, rtol=1e-5)


def test_plateau_kernel_and_invalid_kernels():
    plateau = Kernel("ST", 0.0, 400.0, (1.0, 0.0, 0.0), rise_ms=50.0, fall_ms=100.0)
    assert plateau.pulse(np.array([200.0]))[0] == 1.0
    with pytest.raises(ValueError, match="rise_ms \\+ fall_ms"):
        Kernel("ST", 0.0, 100.0, (1.0, 0.0, 0.0), rise_ms=80.0, fall_ms=40.0)
    with pytest.raises(ValueError, match="unknown wave"):
        Kernel("U", 0.0, 100.0, (1.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="before it starts"):
        Kernel("P", 10.0, 10.0, (1.0, 0.0, 0.0))


def test_wave_boundaries_span_all_kernels_of_a_wave():
    beat = BeatDipole((
        Kernel("P", -170.0, -60.0, (0.1, 0.1, 0.0)),
        Kernel("QRS", 0.0, 40.0, (-0.1, 0.0, -0.1)),
        Kernel("QRS", 10.0, 96.0, (1.0, 0.5, 0.0)),
        Kernel("T", 200.0, 380.0, (0.3, 0.2, -0.1)),
        Kernel("ST", 48.0, 400.0, (0.0, 0.0, -0.1), 48.0, 100.0),
    ))
    assert (beat.onset("P"), beat.onset("QRS"), beat.end("QRS"), beat.end("T", "ST")) == (-170, 0, 96, 400)
    t = np.arange(-300.0, 500.0, 0.5)
    qrs = beat.render(t, "QRS")
    nonzero = t[np.abs(qrs).sum(axis=1) > 0]
    assert nonzero.min() > 0 and nonzero.max() < 96           # strictly inside the boundaries
    assert nonzero.min() < 1 and nonzero.max() > 95           # and reaching them
    np.testing.assert_allclose(beat.render(t), sum(beat.render(t, w) for w in ("P", "QRS", "ST", "T")))

"""Wave labels against the synthetic cohort's true intervals; sums that add up."""

import numpy as np
import pytest

from vaescan.data.synth import SynthConfig, simulate_records
from vaescan.data.synth.config import NoiseConfig
from vaescan.explain.waves import WAVES, WaveBounds, ecg_waves, evidence_table, label_waves, wave_sums

QUIET = SynthConfig(noise=NoiseConfig((0, 0), (0, 0), (0, 0)))


@pytest.fixture(scope="module")
def records():
    return list(simulate_records(12, seed=11, config=QUIET))


def test_bounds_match_true_intervals(records):
    """Delineated PR, QRS and QT of the median beat within a few ms of the simulation's truth."""
    errors = {"pr_ms": [], "qrs_ms": [], "qt_ms": []}
    for record, row in records:
        b = ecg_waves(record).bounds
        errors["qrs_ms"].append(abs(b.qrs_off - b.qrs_on - row["qrs_ms"]))
        errors["qt_ms"].append(abs(b.t_off - b.qrs_on - row["qt_ms"]))
        if np.isfinite(row["pr_ms"]):
            errors["pr_ms"].append(abs(b.qrs_on - b.p_on - row["pr_ms"]))
    medians = {k: float(np.median(v)) for k, v in errors.items()}
    assert medians["qrs_ms"] < 8 and medians["qt_ms"] < 15 and medians["pr_ms"] < 15, medians


def test_labels_on_model_grid_follow_the_beats(records):
    """At 100 Hz the QRS share of the samples is the number of beats x QRS width / duration."""
    for record, row in records[:4]:
        w = ecg_waves(record, fs=100.0, n_samples=1000)
        assert w.labels.shape == (1000,)
        qrs_share = np.mean(w.labels == WAVES.index("QRS"))
        expected = len(w.rpeaks_s) * row["qrs_ms"] / 10000.0
        assert qrs_share == pytest.approx(expected, abs=0.02)
        qrs_times = np.flatnonzero(w.labels == WAVES.index("QRS")) / 100.0
        nearest = np.min(np.abs(qrs_times[:, None] - w.rpeaks_s[None, :]), axis=1)
        assert nearest.max() < row["qrs_ms"] / 1000.0


def test_label_waves_exact():
    b = WaveBounds(-200.0, -100.0, -50.0, 50.0, 150.0, 300.0)
    labels = label_waves(np.array([0.3, 1.3]), b, 20, 10.0)
    expected = ["TP", "P", "PR", "QRS", "ST", "T", "TP", "TP", "TP", "TP"]   # 100 ms per sample from 0 ms
    assert [WAVES[i] for i in labels] == expected + expected
    no_p = WaveBounds(float("nan"), float("nan"), -50.0, 50.0, 150.0, 300.0)
    assert WAVES.index("P") not in label_waves(np.array([0.3]), no_p, 10, 10.0)


def test_wave_sums_add_up():
    rng = np.random.default_rng(0)
    maps = rng.normal(size=(3, 12, 100))
    labels = rng.integers(0, len(WAVES), 100)
    sums = wave_sums(maps, labels)
    assert sums.shape == (3, 12, len(WAVES))
    np.testing.assert_allclose(sums.sum(-1), maps.sum(-1))
    np.testing.assert_allclose(sums[..., 2], maps[..., labels == 2].sum(-1))
    table = evidence_table(sums, ["a", "b", "c"])
    assert len(table) == 3 * 12 * len(WAVES)
    np.testing.assert_allclose(table.groupby("output", sort=False)["value"].sum().to_numpy(), maps.sum((1, 2)))

import numpy as np
import pytest

from tests.conftest import AnalyticECG, analytic_ecg
from vaescan.data.beats import record_to_beat
from vaescan.data.features import (
    HRV_FEATURES,
    beat_features,
    cohort_features,
    ecg_features,
    feature_names,
    features_of_record,
    hrv_features,
)
from vaescan.data.records import Record
from vaescan.data.sources import load_cohort

# Tolerances at 500 Hz on noiseless analytic ECGs built from compact waves (ms, bpm, deg, mV).
# QT is allowed more: the tangent method ends the T wave early on wide symmetric T waves.
TOL = {"hr_bpm": 0.5, "pr_ms": 15.0, "qrs_ms": 8.0, "qt_ms": 25.0, "axis_deg": 2.0}

SPECS = [
    AnalyticECG(),
    AnalyticECG(hr_bpm=50, pr_ms=240, qrs_ms=140, qt_ms=480, axis_deg=-20, st_v2_mv=0.2),
    AnalyticECG(hr_bpm=110, pr_ms=120, qrs_ms=80, qt_ms=320, axis_deg=100),
    AnalyticECG(hr_bpm=45, pr_ms=300, qt_ms=560),
    AnalyticECG(rr_jitter=0.15, seed=3),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"hr{s.hr_bpm:g}-qrs{s.qrs_ms:g}-jit{s.rr_jitter:g}")
def test_intervals_of_a_constructed_ecg(spec):
    rec, onsets = analytic_ecg(spec)
    f = ecg_features(record_to_beat(rec))
    rr = np.diff(onsets)
    truth = {"hr_bpm": 60000.0 / np.median(rr), "pr_ms": spec.pr_ms, "qrs_ms": spec.qrs_ms,
             "qt_ms": spec.qt_ms, "axis_deg": spec.axis_deg}
    for name, tol in TOL.items():
        assert abs(f[name] - truth[name]) <= tol, (name, f[name], truth[name])
    assert f["rr_irregularity"] == pytest.approx(rr.std() / rr.mean(), abs=0.01)
    assert f["hrv_rmssd_ms"] == pytest.approx(np.sqrt(np.mean(np.diff(rr) ** 2)), abs=2.0)   # onsets in ms
    assert f["hrv_sdnn_ms"] == pytest.approx(rr.std(ddof=1), abs=2.0)
    assert f["qtc_bazett_ms"] == pytest.approx(f["qt_ms"] / np.sqrt(f["rr_ms"] / 1000.0))
    assert f["qtc_fridericia_ms"] == pytest.approx(f["qt_ms"] / np.cbrt(f["rr_ms"] / 1000.0))


def test_amplitudes_st_and_t_per_lead():
    spec = AnalyticECG(st_v2_mv=0.2, r_mv=1.5, t_mv=0.4)
    f = ecg_features(record_to_beat(analytic_ecg(spec)[0]))
    assert f["r_amp_mv_V5"] == pytest.approx(1.5, abs=0.05)      # V5 gain 1.0
    assert f["s_amp_mv_V5"] == pytest.approx(0.0, abs=0.02)
    assert f["s_amp_mv_V1"] == pytest.approx(0.9, abs=0.05)      # V1 gain -0.6: an all-negative QRS
    assert f["st_mv_V2"] == pytest.approx(0.2, abs=0.03)
    assert f["st_mv_V5"] == pytest.approx(0.0, abs=0.03)
    assert f["t_amp_mv_V5"] == pytest.approx(0.4, abs=0.03)


def test_no_p_wave_gives_nan_pr():
    rec, _ = analytic_ecg(AnalyticECG(p_mv=0.0))
    f = ecg_features(record_to_beat(rec))
    assert np.isnan(f["pr_ms"]) and np.isfinite(f["qrs_ms"])


def test_beat_features_work_on_a_lone_beat():
    t = np.arange(500) * 2.0 - 400.0
    qrs = np.where(np.abs(t) <= 50, 0.5 * (1 + np.cos(np.pi * t / 50)), 0.0)  # 100 ms wide
    f = beat_features(np.tile(qrs, (12, 1)), 500.0, 200)
    assert f["qrs_ms"] == pytest.approx(100.0, abs=TOL["qrs_ms"])
    assert np.isnan(f["qtc_bazett_ms"])  # no RR without a rhythm


def test_feature_names_and_units():
    names = feature_names()
    assert len(names) == len(set(names)) == 9 + len(HRV_FEATURES) + 4 * 12
    assert all(n.endswith(("_ms", "_bpm", "_deg", "irregularity", "_ratio", "_pct")) or "_mv_" in n for n in names)


def test_hrv_indices_of_a_constructed_rr_series():
    rr = np.array([800.0, 900.0] * 5 + [800.0])               # ms: successive differences all +-100 ms
    peaks = np.concatenate([[250], 250 + np.cumsum(rr / 2.0)]).astype(int)   # 500 Hz
    f = hrv_features(peaks, 500.0)
    assert f["hrv_rmssd_ms"] == pytest.approx(100.0)
    assert f["hrv_sdnn_ms"] == pytest.approx(rr.std(ddof=1))
    assert f["hrv_cvsd_ratio"] == pytest.approx(100.0 / rr.mean())
    assert f["hrv_mcvnn_ratio"] == pytest.approx(0.0)          # median 800, more than half the RR at 800
    assert f["hrv_pnn50_pct"] == pytest.approx(100.0 * 10 / 11) == f["hrv_pnn20_pct"]
    steady = hrv_features(np.arange(0, 5000, 400), 500.0)
    assert steady["hrv_rmssd_ms"] == steady["hrv_sdnn_ms"] == steady["hrv_pnn20_pct"] == 0.0
    small = np.array([800.0, 830.0, 800.0, 830.0, 800.0])     # 30 ms steps: above 20 ms, not above 50 ms
    f = hrv_features(np.concatenate([[0], np.cumsum(small / 2.0)]).astype(int), 500.0)
    assert f["hrv_pnn20_pct"] == pytest.approx(80.0) and f["hrv_pnn50_pct"] == 0.0
    assert all(np.isnan(v) for v in hrv_features(np.array([0, 400, 800]), 500.0).values())


def test_hrv_indices_are_neurokit2s():
    nk = pytest.importorskip("neurokit2")
    rng = np.random.default_rng(0)
    for _ in range(20):
        peaks = np.cumsum(rng.integers(150, 800, size=rng.integers(4, 25)))
        ours = hrv_features(peaks, 500.0)
        theirs = nk.hrv_time(peaks, sampling_rate=500).iloc[0]
        for name, column in HRV_FEATURES.items():
            assert ours[name] == pytest.approx(float(theirs[column]), rel=1e-9, abs=1e-9), name


def test_real_ptbxl_record_is_plausible(ptbxl_record):
    f = features_of_record(ptbxl_record)
    assert 55 < f["hr_bpm"] < 75
    assert 80 <= f["qrs_ms"] <= 120 and 120 <= f["pr_ms"] <= 200 and 350 <= f["qt_ms"] <= 450
    assert -30 <= f["axis_deg"] <= 90  # normal axis


def test_cohort_features_of_the_real_ptbxl_sample(shared_data):
    table, batch = cohort_features(load_cohort(shared_data / "ptbxl_sample"), progress=False)
    assert batch.skipped == [] and len(table) == 1
    assert 55 < table.hr_bpm[0] < 75 and list(table.columns[1:]) == feature_names()


def test_100_hz_input_gives_the_same_intervals():
    rec, _ = analytic_ecg(AnalyticECG())
    hi = ecg_features(record_to_beat(rec))
    lo = ecg_features(record_to_beat(Record(rec.signal[::5], 100.0, rec.sig_name)))
    for name in ("hr_bpm", "pr_ms", "qrs_ms", "qt_ms"):
        assert lo[name] == pytest.approx(hi[name], abs=10.0), name

"""The feature extractor recovers the synthetic ground truth (a small version of scripts/bench_features.py)."""

import numpy as np
import pandas as pd
import pytest

from vaescan.data.beats import record_to_beat
from vaescan.data.features import ecg_features
from vaescan.data.synth import SynthConfig, simulate_records
from vaescan.data.synth.clinical import RISK
from vaescan.data.synth.recovery import RECOVERY_TARGETS


@pytest.fixture(scope="module")
def measured() -> pd.DataFrame:
    config = SynthConfig(prevalence={label: 0.2 for label in RISK})  # every label a few times in 40 records
    rows = []
    for rec, truth in simulate_records(40, seed=21, config=config):
        feats = ecg_features(record_to_beat(rec))
        rows.append({**{f"true_{k}": v for k, v in truth.items()}, **feats})
    return pd.DataFrame(rows)


def test_intervals_and_rate_within_the_issue_targets(measured):
    for name, target in RECOVERY_TARGETS.items():
        err = (measured[name] - measured[f"true_{name}"]).abs()
        assert err.mean() <= target, (name, err.mean())
    # no beat is lost or invented: a T wave taken for a QRS would double the rate
    assert (measured.hr_bpm - measured.true_hr_bpm).abs().max() < 5.0
    assert (measured.rr_irregularity - measured.true_rr_irregularity).abs().max() < 0.02


def test_wide_qrs_is_measured_wide(measured):
    bbb = (measured.true_LBBB == 1) | (measured.true_RBBB == 1)
    assert bbb.sum() >= 3
    assert (measured.qrs_ms[bbb] >= 115).all() and (measured.qrs_ms[~bbb] < 125).all()


def test_no_p_wave_is_measured_in_atrial_fibrillation(measured):
    af = measured.true_AF == 1
    assert af.sum() >= 3
    assert measured.pr_ms[af].isna().all()
    assert measured.pr_ms[~af].notna().all()
    assert (measured.rr_irregularity[af].min() > measured.rr_irregularity[~af].max())


def test_axis_and_st_levels_follow_the_truth(measured):
    axis_err = (measured.axis_deg - measured.true_axis_deg + 180) % 360 - 180
    assert np.median(np.abs(axis_err)) < 5.0
    anterior = measured[["st_mv_V1", "st_mv_V2", "st_mv_V3", "st_mv_V4"]].mean(axis=1)
    assert np.abs(anterior - measured.true_st_mv_anterior).mean() < 0.03   # mV

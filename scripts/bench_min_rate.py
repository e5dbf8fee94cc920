"""Feature error against the synthetic truth when records are sampled at 500, 250, 100, 50 Hz.

Justifies the minimum sampling rate of the beat and feature stages
(``vaescan.data.beats.MIN_FS_HZ``): simulate records at 500 Hz, decimate them
with an anti-aliasing filter, measure features and compare with the truth.

    .venv/bin/python scripts/bench_min_rate.py [N]
"""

from __future__ import annotations

import sys

import pandas as pd

import vaescan.data.beats as beats_module
from vaescan.data.beats import BeatConfig, record_to_beat, signal_resample
from vaescan.data.features import ecg_features
from vaescan.data.records import Record
from vaescan.data.synth.cohort import simulate_records
from vaescan.data.synth.recovery import feature_errors
from vaescan.errors import VaescanInputError


def main(n: int = 40) -> None:
    beats_module.FS_RANGE_HZ = (1.0, 1e5)  # measure below the minimum this script justifies
    records = list(simulate_records(n, seed=7))
    truth = pd.DataFrame([t for _, t in records])
    rows = []
    for fs in (500.0, 250.0, 100.0, 50.0, 25.0):
        measured, skipped = [], 0
        for rec, _ in records:
            low = Record(signal_resample(rec.signal, rec.fs, fs), fs, rec.sig_name, rec.name)
            try:
                measured.append(ecg_features(record_to_beat(low, BeatConfig())))
            except VaescanInputError:
                skipped += 1
                measured.append({})
        err = feature_errors(truth, pd.DataFrame(measured)).abs()
        row = {"fs": fs, "skipped": skipped}
        row.update({f"{k}_mae": float(err[k].mean()) for k in ("hr_bpm", "pr_ms", "qrs_ms", "qt_ms", "axis_deg")})
        row["qrs_p95"] = float(err["qrs_ms"].quantile(0.95))
        row["st_ant_mae"] = float(err["st_mv_anterior"].mean())
        rows.append(row)
    print(pd.DataFrame(rows).round(3).to_string(index=False))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)

"""The profile's record choice and its pairing of runs for stability, without training anything (milliseconds)."""

import numpy as np
import pandas as pd
import pytest

from vaescan.data.cohort import Cohort
from vaescan.workflows.profile import Attributions, profile_records, stability_rows


def test_stability_pairs_the_same_records_and_targets_of_two_runs_of_a_kind():
    rng = np.random.default_rng(0)
    keys = [(f"r{i}", "LBBB") for i in range(12)]
    values = {k: rng.normal(size=6) for k in keys}
    a = Attributions("cnn signal", dict(values))
    b = Attributions("cnn signal", {k: values[k] for k in reversed(keys)})     # other order, one record fewer
    del b.values[keys[0]]
    c = Attributions("cnn image", {k: rng.normal(size=6) for k in keys})
    rows = stability_rows({"A": a, "B": b, "C": c, "F": Attributions("features")})
    assert rows["A"] == {"stability": 1.0, "stability_with": "B"} and rows["B"]["stability_with"] == "A"
    assert rows["C"] == {"stability_note": "one cnn image run given; give two to measure"}
    assert "F" not in rows                                                      # features: its own note
    unrelated = stability_rows({"A": a, "D": Attributions("cnn signal", {k: rng.normal(size=6) for k in keys})})
    assert abs(unrelated["A"]["stability"]) < 0.3                               # measured: 0.03


def test_factor_runs_are_matched_before_they_are_compared():
    rng = np.random.default_rng(1)
    keys = [(f"r{i}", "AF") for i in range(40)]
    z = {k: rng.normal(size=5) for k in keys}
    w = rng.normal(size=5)
    order = np.array([3, 0, 4, 1, 2])
    a = Attributions("scan anchored", {k: z[k] * w for k in keys}, dict(z))
    b = Attributions("scan anchored", {k: (z[k] * w)[order] for k in keys}, {k: z[k][order] for k in keys})
    assert stability_rows({"A": a, "B": b})["A"]["stability"] == pytest.approx(1.0)


def test_profile_records_are_test_records_with_a_label_of_known_cause_in_cohort_order():
    meta = pd.DataFrame({"record_id": [f"r{i}" for i in range(6)],
                         "split": ["test", "train", "test", "test", "test", "test"],
                         "NORM": [1, 0, 0, 0, 1, 0], "LBBB": [0, 1, 1, 0, 0, 1], "AF": [0, 0, 1, 1, 0, 0]})
    cohort = Cohort(".", meta, label_names=["NORM", "LBBB", "AF"])
    records = profile_records(cohort, 2)
    assert records.record_id.tolist() == ["r2", "r3"] and records.labels.tolist() == [["LBBB", "AF"], ["AF"]]
    # a cohort without labels of known cause (PTB-XL's superclasses): every label but NORM
    other = Cohort(".", meta.rename(columns={"LBBB": "CD", "AF": "STTC"}), label_names=["NORM", "CD", "STTC"])
    assert profile_records(other).record_id.tolist() == ["r2", "r3", "r5"]

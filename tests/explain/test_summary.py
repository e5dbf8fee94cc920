"""Evidence sentences name the strongest cells, by sign, in order."""

import pandas as pd

from vaescan.explain.summary import evidence_summary


def _table():
    return pd.DataFrame({
        "output": ["LBBB"] * 5 + ["age"] * 2,
        "lead": ["V6", "V5", "V1", "I", "V6", "II", "II"],
        "wave": ["QRS", "QRS", "T", "QRS", "TP", "T", "P"],
        "value": [3.0, 2.0, -1.5, 1.0, 0.1, 4.0, -2.0],
    })


def test_present_absent_and_continuous():
    lines = evidence_summary(_table(), {"LBBB": "0.93", "age": "63 y"}, {"LBBB": True}, top=3)
    assert lines == ["LBBB 0.93 (present): for: QRS in V6, V5, I; against: T in V1",
                     "age 63 y: raised by: T in II; lowered by: P in II"]
    absent = evidence_summary(_table()[lambda t: t.output == "LBBB"], {"LBBB": "0.02"}, {"LBBB": False}, top=1)
    assert absent == ["LBBB 0.02 (absent): against: T in V1; for: QRS in V6"]


def test_no_evidence_of_one_sign():
    t = _table()[lambda t: t.output == "LBBB"].assign(value=lambda t: t.value.abs())
    assert evidence_summary(t, {"LBBB": "0.9"}, {"LBBB": True}, top=2) == [
        "LBBB 0.9 (present): for: QRS in V6, V5; against: none"]

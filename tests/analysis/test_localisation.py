"""Localisation scoring: the top cell and the defining share, per label and infarct stage."""

import numpy as np
import pandas as pd
import pytest

from vaescan.analysis.localisation import defining_cells, explanation_localisation, localisation_summary
from vaescan.data.leads import LEADS
from vaescan.explain.waves import WAVES


def _table(record_id, output, peak, value=5.0, rest=0.1):
    cells = [(lead, wave) for lead in LEADS for wave in WAVES]
    return pd.DataFrame({"record_id": record_id, "output": output, "lead": [c[0] for c in cells],
                         "wave": [c[1] for c in cells], "value": [value if c == peak else rest for c in cells]})


def test_territory_and_wave_decide_a_hit():
    table = pd.concat([_table("a", "MI_ANT", ("V2", "ST")), _table("b", "MI_ANT", ("V5", "ST")),
                       _table("c", "MI_ANT", ("V2", "ST")), _table("d", "LQT", ("V5", "T"))])
    meta = pd.DataFrame({"record_id": ["a", "b", "c", "d"], "MI_ANT": [1, 1, 0, 0], "LQT": [0, 0, 0, 1],
                         "mi_ant_stage": ["acute", "old", "none", "none"]})
    per = explanation_localisation(table, meta)
    assert per.set_index("record_id")["hit"].to_dict() == {"a": True, "b": False, "d": True}   # c: not a TP
    assert per.set_index("record_id")["stage"].to_dict() == {"a": "acute", "b": "old", "d": ""}
    total = 5.0 + 0.1 * (12 * len(WAVES) - 1)
    share_a = (5.0 + 0.1 * 3) / total                                  # V1-V4 ST: the peak and 3 others
    assert per.set_index("record_id").loc["a", "defining_share"] == pytest.approx(share_a)
    summary = localisation_summary(per)
    assert summary.loc["MI_ANT", "top_hit"] == 0.5 and summary.loc["LQT", "n"] == 1


def test_negative_top_is_no_hit():
    table = _table("a", "LBBB", ("V6", "QRS"), value=-5.0, rest=-0.1)
    per = explanation_localisation(table, pd.DataFrame({"record_id": ["a"], "LBBB": [1]}))
    assert not per["hit"].iloc[0] and np.isnan(per["defining_share"].iloc[0])


def test_defining_cells():
    assert defining_cells("AVB1") == {(lead, "PR") for lead in LEADS}
    assert ("V5", "ST") not in defining_cells("MI_ANT", "acute")
    assert defining_cells("MI_ANT", "old") == defining_cells("MI_ANT") == {(v, "ST") for v in ("V1", "V2", "V3", "V4")}


def test_misread_labels_are_scored_by_their_true_cause():
    table = pd.concat([_table("a", "LBBB", ("V6", "QRS")), _table("b", "LBBB", ("V6", "QRS"))])
    meta = pd.DataFrame({"record_id": ["a", "b"], "LBBB": [1, 0], "true_LBBB": [0, 1]})   # both misread
    assert explanation_localisation(table, meta)["record_id"].tolist() == ["b"]

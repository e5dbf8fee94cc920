import numpy as np
import pandas as pd
import pytest

from vaescan.data.ptbxl import SUPERCLASSES, load_ptbxl, scp_to_superclasses, split_from_fold
from vaescan.data.sources import load_cohort
from vaescan.errors import VaescanInputError


def test_labels_splits_age_and_sex(ptbxl_release):
    cohort = load_ptbxl(ptbxl_release, sampling_rate=100)
    m = cohort.metadata
    assert cohort.label_names == list(SUPERCLASSES)
    assert m.record_id.tolist() == ["1", "2", "3", "4"]
    labels = m[list(SUPERCLASSES)].to_numpy().tolist()
    assert labels == [
        [1, 0, 0, 0, 0],  # NORM (LVOLT and SR are not diagnostic)
        [0, 1, 1, 0, 0],  # IMI -> MI, NDT -> STTC
        [0, 0, 0, 1, 1],  # CLBBB -> CD, LVH -> HYP
        [0, 0, 0, 0, 0],  # rhythm only
    ]
    assert m.split.tolist() == ["train", "val", "test", "train"]
    assert m.age.tolist() == [56.0, 90.0, 37.0, 24.0]  # 300 codes "over 89"
    assert m.sex.tolist() == [1.0, 0.0, 1.0, 0.0]
    assert m.patient_id[0] == "15709"


def test_likelihood_threshold(ptbxl_release):
    strict = load_ptbxl(ptbxl_release, sampling_rate=100, min_likelihood=50).metadata
    assert strict.loc[1, "MI"] == 0 and strict.loc[1, "STTC"] == 1  # IMI at 35 % drops out
    assert strict.loc[2, "HYP"] == 1  # LVH at exactly 50 % stays


def test_both_sampling_rates_read(ptbxl_release):
    for rate, n in ((100, 1000), (500, 5000)):
        cohort = load_cohort(ptbxl_release, sampling_rate=rate)
        assert cohort.kind == "ptbxl"
        rec = cohort.read_record(0, expected_fs=rate)
        assert rec.n_samples == n
    lr = load_ptbxl(ptbxl_release, sampling_rate=100).read_record(0).lead("II")
    hr = load_ptbxl(ptbxl_release, sampling_rate=500).read_record(0).lead("II")
    assert np.corrcoef(lr, hr[::5])[0, 1] > 0.99


def test_real_record_through_loader(ptbxl_release, ptbxl_record):
    from vaescan.data.records import read_record

    rec = load_ptbxl(ptbxl_release, sampling_rate=100).read_record(0)
    assert np.array_equal(rec.signal, read_record(ptbxl_record).signal)


def test_scp_mapping_ignores_non_diagnostic_and_unknown_codes():
    st = pd.DataFrame({"diagnostic": [1.0, np.nan], "diagnostic_class": ["MI", np.nan]}, index=["IMI", "SR"])
    assert scp_to_superclasses({"IMI": 100.0, "SR": 0.0, "XYZ": 100.0}, st) == {"MI"}


@pytest.mark.parametrize("fold,split", [(1, "train"), (8, "train"), (9, "val"), (10, "test")])
def test_recommended_split(fold, split):
    assert split_from_fold(fold) == split


def test_missing_column_and_bad_codes_are_named(ptbxl_release):
    db = ptbxl_release / "ptbxl_database.csv"
    text = db.read_text()
    db.write_text(text.replace("strat_fold", "fold"))
    with pytest.raises(VaescanInputError, match=r"ptbxl_database.csv: missing column\(s\) \['strat_fold'\]"):
        load_ptbxl(ptbxl_release)
    db.write_text(text.replace("{'SR': 0.0}", "not a dict"))
    with pytest.raises(VaescanInputError, match="ecg_id 4: scp_codes 'not a dict'"):
        load_ptbxl(ptbxl_release)
    (ptbxl_release / "scp_statements.csv").unlink()
    with pytest.raises(VaescanInputError, match="scp_statements.csv: file not found"):
        load_ptbxl(ptbxl_release)

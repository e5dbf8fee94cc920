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


# --- hostile metadata tables (issue 14); built without records: the table is refused before any is read ---

def _table_release(tmp_path, rows: list[dict]):
    from tests.conftest import _SCP_STATEMENTS

    root = tmp_path / "ptb-xl"
    root.mkdir()
    (root / "scp_statements.csv").write_text(_SCP_STATEMENTS)
    base = {"ecg_id": 1, "patient_id": 15709.0, "age": 56.0, "sex": 1, "scp_codes": "{'NORM': 100.0}",
            "strat_fold": 3, "filename_lr": "records100/00000/00001_lr", "filename_hr": "records500/00000/00001_hr"}
    pd.DataFrame([{**base, **row} for row in rows]).to_csv(root / "ptbxl_database.csv", index=False)
    return root


def test_non_numeric_patient_id_is_read_as_an_id(tmp_path):
    root = _table_release(tmp_path, [{"ecg_id": 1}, {"ecg_id": 2, "patient_id": "P-77"},
                                     {"ecg_id": 3, "patient_id": None}])
    cohort = load_ptbxl(root, sampling_rate=100)
    assert cohort.metadata.patient_id.tolist() == ["15709", "P-77", ""]
    assert cohort.metadata.record_id.tolist() == ["1", "2", "3"]


@pytest.mark.parametrize("column,value,message", [
    ("age", "old", "ecg_id 2: age 'old' is not a number"),
    ("strat_fold", "x", "ecg_id 2: strat_fold 'x' is not a number"),
    ("strat_fold", 11, "ecg_id 2: strat_fold 11 is not a fold 1-10"),
    ("sex", 7, r"ecg_id 2: sex 7 is not 0 \(male\) or 1 \(female\)"),
    ("age", 200, r"ecg_id 2: age 200.0 is not an age 0-130 \(PTB-XL codes ages over 89 as 300\)"),
    ("scp_codes", "{'NORM': 'high'}", "ecg_id 2: scp_codes \"{'NORM': 'high'}\" is not a dict of code -> likelihood"),
    ("ecg_id", 1, "ptbxl_database.csv: ecg_id 1 appears 2 times"),
])
def test_bad_values_are_named_by_row(tmp_path, column, value, message):
    root = _table_release(tmp_path, [{"ecg_id": 1}, {"ecg_id": 2, column: value}])
    with pytest.raises(VaescanInputError, match=message):
        load_ptbxl(root, sampling_rate=100)


@pytest.mark.parametrize("rate,column", [(100, "filename_lr"), (500, "filename_hr")])
@pytest.mark.parametrize("value,why", [
    ("../outside/00001_lr", "has a '..' part"),
    ("records100/../../outside", "has a '..' part"),
    ("/etc/passwd", "is an absolute path"),
    ("", "is empty"),
])
def test_record_paths_outside_the_release_are_refused(tmp_path, rate, column, value, why):
    root = _table_release(tmp_path, [{"ecg_id": 1}, {"ecg_id": 2, column: value}])
    with pytest.raises(VaescanInputError, match=f"ptbxl_database.csv: ecg_id 2: {column} .* {why}"):
        load_ptbxl(root, sampling_rate=rate)


def test_record_ids_holding_paths_are_refused(tmp_path):
    root = _table_release(tmp_path, [{"ecg_id": "../../x"}])
    with pytest.raises(VaescanInputError, match=r"ecg_id '../../x' \(record .*\) is not a usable id"):
        load_ptbxl(root, sampling_rate=100)


def test_vaescan_cohort_paths_outside_are_refused(tmp_path):
    from vaescan.data.cohort import read_cohort

    root = tmp_path / "c"
    root.mkdir()
    pd.DataFrame({"record_id": ["a"], "record": ["../../elsewhere/a"], "patient_id": ["a"], "age": [50.0],
                  "sex": [0.0], "split": ["train"]}).to_csv(root / "metadata.csv", index=False)
    with pytest.raises(VaescanInputError,
                       match="metadata.csv: record_id a: record '../../elsewhere/a' has a '..' part"):
        read_cohort(root)

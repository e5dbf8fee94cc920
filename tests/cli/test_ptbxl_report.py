"""The trade-off report on PTB-XL from the shipped configs (issue 17), on a tiny release in the exact layout.

PTB-XL cannot be downloaded here, so :func:`write_ptbxl_release` builds one the way PhysioNet ships it:
``ptbxl_database.csv`` (every column of the release), ``scp_statements.csv`` (the release's columns; the rows of
the statements used), and ``records100/<thousands>/<ecg_id>_lr`` and ``records500/<thousands>/<ecg_id>_hr``
written with wfdb in the release's format (16-bit, 1000 units per mV, upper-case AVR/AVL/AVF). Record 1 is the
real PTB-XL record of ``../shared/data/ptbxl_sample``; the others are vaescan's synthetic records, their labels
written as the SCP statements of the matching superclass, in stratified folds 1-10. The configs
``configs/*_ptbxl.yaml`` train as shipped, cut to two epochs by ``--epochs``; ``vaescan report`` then scores
every representation on fold 10.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import wfdb
from scipy.signal import resample_poly

from tests.conftest import _DB_COLUMNS, _SCP_STATEMENTS, REPO
from vaescan.cli.main import main
from vaescan.data.leads import LEADS
from vaescan.data.ptbxl import SUPERCLASSES

PTBXL_LEADS = ["I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6"]
"""Lead names as PTB-XL's headers write them (vaescan's :data:`LEADS` order, upper-case augmented leads)."""

EXTRA_STATEMENTS = """\
CRBBB,complete right bundle branch block,1.0,,,CD,CRBBB,Conduction disturbances,complete right bundle branch block,,,,
1AVB,first degree AV block,1.0,,,CD,_AVB,Conduction disturbances,first degree AV block,,,,
LNGQT,long QT-interval,1.0,,,STTC,STTC,other ST-T descriptive statements,long QT-interval,,,,
"""

SCP_OF_LABEL = {"NORM": "NORM", "LBBB": "CLBBB", "RBBB": "CRBBB", "AVB1": "1AVB", "LVH": "LVH", "MI_ANT": "ASMI",
                "MI_INF": "IMI", "LQT": "LNGQT", "HYPERK": "NDT", "AF": "AFIB"}
"""The synthetic labels as PTB-XL statements: CLBBB, CRBBB, 1AVB -> CD; LVH -> HYP; ASMI, IMI -> MI; LNGQT, NDT
(peaked T) -> STTC; AFIB is a rhythm statement (no superclass)."""


def _ptbxl_path(ecg_id: int, rate: int) -> str:
    """``records100/00000/00001_lr``: records in folders of a thousand ecg_ids, as the release stores them."""
    folder = f"{ecg_id // 1000 * 1000:05d}"
    return f"records{rate}/{folder}/{ecg_id:05d}_{'lr' if rate == 100 else 'hr'}"


def _write_wfdb(signal_mv: np.ndarray, fs: int, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wfdb.wrsamp(path.name, fs=fs, units=["mV"] * 12, sig_name=PTBXL_LEADS, p_signal=signal_mv.astype(np.float64),
                fmt=["16"] * 12, adc_gain=[1000.0] * 12, baseline=[0] * 12, write_dir=str(path.parent))


def write_ptbxl_release(root: Path, real_record: Path, n: int = 60, seed: int = 0) -> pd.DataFrame:
    """A PTB-XL release of ``n`` records under ``root`` (layout above); returns its database table."""
    from vaescan.data.records import read_record
    from vaescan.data.synth import SynthConfig, simulate_records
    from vaescan.data.synth.clinical import RISK

    rows, signals = [], {}
    real = read_record(real_record)
    signals[1] = (real.signal[:, [real.sig_name.index(lead) for lead in LEADS]], None)
    rows.append({"ecg_id": 1, "patient_id": 15709.0, "age": 56.0, "sex": 1,
                 "scp_codes": "{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}", "classes": ("NORM",)})
    config = SynthConfig(prevalence={label: 0.2 for label in RISK})
    ids = [k for k in range(2, 1200) if k < 2 + n // 2 or k >= 1001][: n - 1]   # two thousands-folders
    for ecg_id, (record, truth) in zip(ids, simulate_records(n - 1, seed, config)):
        labels = [lab for lab in SCP_OF_LABEL if truth.get(lab)]
        codes = {SCP_OF_LABEL[lab]: (100.0 if k == 0 else 50.0) for k, lab in enumerate(labels)}
        if "AF" not in labels:
            codes["SR"] = 0.0
        classes = tuple(sorted({"CD" if lab in ("LBBB", "RBBB", "AVB1") else "HYP" if lab == "LVH" else
                                "MI" if lab.startswith("MI") else "STTC" if lab in ("LQT", "HYPERK") else lab
                                for lab in labels if lab != "AF"}))
        age = float(truth["age"])
        signals[ecg_id] = (None, record.signal[:, [record.sig_name.index(lead) for lead in LEADS]])
        rows.append({"ecg_id": ecg_id, "patient_id": float(16000 + ecg_id), "age": 300.0 if age > 89 else
                     round(age), "sex": int(truth["sex"]), "scp_codes": str(codes), "classes": classes})
    # stratified folds: records sorted by their superclasses, dealt out to folds 1-10 in turn
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["classes"], rows[i]["ecg_id"]))
    for rank, i in enumerate(order):
        rows[i]["strat_fold"] = rank % 10 + 1
    for row in rows:
        ecg_id = row["ecg_id"]
        lr, hr = _ptbxl_path(ecg_id, 100), _ptbxl_path(ecg_id, 500)
        low, high = signals[ecg_id]
        if ecg_id == 1:                                          # the real record, as the release has it
            (root / lr).parent.mkdir(parents=True, exist_ok=True)
            for ext in (".hea", ".dat"):
                shutil.copyfile(real_record.with_suffix(ext), (root / lr).with_suffix(ext))
            high = resample_poly(low, 5, 1, axis=0)
        else:                                                     # the release's 100 Hz files are decimated 500 Hz
            _write_wfdb(resample_poly(high, 1, 5, axis=0), 100, root / lr)
        _write_wfdb(high, 500, root / hr)
        row.update(height="", weight="", nurse=2.0, site=0.0, device="CS-12   E",
                   recording_date="1984-11-09 09:17:34", report="sinusrhythmus", heart_axis="",
                   infarction_stadium1="", infarction_stadium2="", validated_by="", second_opinion=False,
                   initial_autogenerated_report=False, validated_by_human=True, baseline_drift="", static_noise="",
                   burst_noise="", electrodes_problems="", extra_beats="", pacemaker="", filename_lr=lr,
                   filename_hr=hr)
    db = pd.DataFrame(rows)[_DB_COLUMNS.split(",")]
    db.to_csv(root / "ptbxl_database.csv", index=False)
    (root / "scp_statements.csv").write_text(_SCP_STATEMENTS + EXTRA_STATEMENTS)
    return pd.DataFrame(rows)


pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword")   # wfdb's own calls into pandas

CONFIGS = {"vae": "vae_ptbxl.yaml", "scan": "scan_ptbxl.yaml", "signal": "blackbox_signal_ptbxl.yaml",
           "image": "blackbox_image_ptbxl.yaml"}
TASKS = {*SUPERCLASSES, "sex", "age"}


@pytest.fixture(scope="module")
def ptbxl_report(tmp_path_factory):
    """Every PTB-XL config trained for two epochs on the tiny release, then ``vaescan report`` on its fold 10."""
    import torch

    from tests.conftest import require_shared_data

    real = require_shared_data() / "ptbxl_sample" / "records100" / "00000" / "00001_lr"
    root = tmp_path_factory.mktemp("ptbxl")
    release = root / "ptb-xl"
    db = write_ptbxl_release(release, real)
    configs = REPO / "configs"
    common = ["--data", str(release), "--epochs", "2", "--jobs", "1", "--cache-dir", str(root / "cache")]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert main(["-q", "train-vae", "--config", str(configs / CONFIGS["vae"]), "-o", str(root / "vae"),
                     *common]) == 0
        assert main(["-q", "train-scan", "--config", str(configs / CONFIGS["scan"]), "--vae", str(root / "vae"),
                     "-o", str(root / "scan"), "--epochs", "2"]) == 0
        for kind in ("signal", "image"):
            assert main(["-q", "train-blackbox", "--config", str(configs / CONFIGS[kind]), "-o", str(root / kind),
                         *common]) == 0
        out = root / "report"
        assert main(["-q", "report", str(root / "scan"), str(root / "signal"), str(root / "image"), "--data",
                     str(release), "-o", str(out), "--n-boot", "50", "--min-per-class", "1",
                     "--cache-dir", str(root / "cache")]) == 0
    finally:
        torch.set_num_threads(threads)
    return release, db, root, out


def test_the_fixture_is_the_release_layout(ptbxl_report, ptbxl_record):
    release, db, _, _ = ptbxl_report
    for ext in (".hea", ".dat"):                                  # record 1 is the real one, as shipped
        assert (release / "records100" / "00000" / f"00001_lr{ext}").read_bytes() == \
            ptbxl_record.with_suffix(ext).read_bytes()
    header = (release / "records500" / "01000" / "01001_hr.hea").read_text().splitlines()
    assert header[0] == "01001_hr 12 500 5000"
    assert header[4].startswith("01001_hr.dat 16 1000.0(0)/mV 16 0 ") and header[4].endswith(" 0 AVR")
    assert sorted(set(db.strat_fold)) == list(range(1, 11))
    table = pd.read_csv(release / "ptbxl_database.csv")
    assert table.columns.tolist() == _DB_COLUMNS.split(",") and len(table) == 60


def test_every_config_trains_on_its_tasks(ptbxl_report):
    _, _, root, _ = ptbxl_report
    for run, kind in (("vae", "vae"), ("scan", "scan"), ("signal", "blackbox"), ("image", "blackbox")):
        info = json.loads((root / run / "run.json").read_text())
        assert (info["kind"], info["status"]) == (kind, "done"), run
    for run in ("signal", "image"):
        metrics = json.loads((root / run / "metrics.json").read_text())
        assert set(metrics["auroc"]) == {*SUPERCLASSES, "sex"}, run


def test_report_scores_every_representation_on_the_superclasses_age_and_sex(ptbxl_report):
    _, db, _, out = ptbxl_report
    assert {"report.html", "report.md", "tradeoff.csv", "summary.csv", "explorer.json"} <= {p.name for p in
                                                                                            out.iterdir()}
    table = pd.read_csv(out / "tradeoff.csv")
    reps = {"features + linear": 1, "SCAN (scan)": 2, "VAE + boosting (scan)": 3, "CNN signal (signal)": 4,
            "CNN image (image)": 5}
    assert dict(zip(table.representation, table.level)) == reps
    for rep, tasks in table.groupby("representation").task.apply(set).items():
        assert tasks == TASKS, rep
    n_test = int((db.strat_fold == 10).sum())
    assert n_test == 6 and (table.n == n_test).all()              # fold 10, every record read by every one
    binary = table[table.kind == "binary"]
    assert np.isfinite(binary.auroc).all() and binary.auroc.between(0, 1).all()
    assert ((binary.auroc_low <= binary.auroc) & (binary.auroc <= binary.auroc_high)).all()
    age = table[table.task == "age"]
    assert np.isfinite(age.mae).all() and (age.mae > 0).all()
    info = json.loads((out / "report.json").read_text())
    assert info["macro_labels"] == [*SUPERCLASSES, "sex"] and info["n_test"] == n_test
    page = (out / "report.html").read_text()
    assert all(name in page for name in (*SUPERCLASSES, "CNN image (image)", 'id="explorer-data"'))
    assert [run["name"] for run in json.loads((out / "explorer.json").read_text())] == ["scan"]

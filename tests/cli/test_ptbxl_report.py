"""The trade-off report on PTB-XL from the shipped configs (issue 17), on a tiny release in the exact layout.

PTB-XL cannot be downloaded here, so :func:`vaescan.data.synth.ptbxl_release.write_ptbxl_release` builds one the
way PhysioNet ships it: ``ptbxl_database.csv`` (every column of the release), ``scp_statements.csv``, and
``records100/<thousands>/<ecg_id>_lr`` and ``records500/<thousands>/<ecg_id>_hr`` written with wfdb in the
release's format. Record 1 is the real PTB-XL record of ``../shared/data/ptbxl_sample``; the other 59 are
vaescan's synthetic records, their labels written as SCP statements, in stratified folds 1-10. The configs
``configs/*_ptbxl.yaml`` train as shipped, cut to two epochs by ``--epochs``; ``vaescan report`` then scores
every representation on fold 10 (6 records). About 35 s on 2 cores (docs/tradeoff.md, "PTB-XL").
"""

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from vaescan.cli.main import main
from vaescan.data.ptbxl import SUPERCLASSES
from vaescan.data.synth.ptbxl_release import DATABASE_COLUMNS, write_ptbxl_release

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
    db = write_ptbxl_release(release, n=60, seed=0, real_record=real)
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
    cohort_ids = set(pd.read_csv(release / "ptbxl_database.csv").ecg_id)
    assert {1, 2, 1001} <= cohort_ids and (release / "records100" / "01000" / "01001_lr.hea").is_file()
    statements = pd.read_csv(release / "scp_statements.csv", index_col=0)
    assert {"diagnostic", "diagnostic_class", "diagnostic_subclass"} <= set(statements.columns)
    table = pd.read_csv(release / "ptbxl_database.csv")
    assert tuple(table.columns) == DATABASE_COLUMNS and len(table) == 60


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

"""vaescan report end to end on the tiny toy cohort: engineered features and a signal black box (seconds)."""

import base64
import json

import pandas as pd
import pytest

from tests.conftest import TINY_BLACKBOX, write_toy_cohort
from vaescan.cli.main import main


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    write_toy_cohort(root / "cohort", n=60, flat=17)
    (root / "bb.yaml").write_text(TINY_BLACKBOX)
    run = root / "bb_run"
    assert main(["-q", "train-blackbox", "--config", str(root / "bb.yaml"), "--data", str(root / "cohort"),
                 "--input", "signal", "-o", str(run), "--cache-dir", str(root / "cache")]) == 0
    out = root / "report"
    assert main(["-q", "report", str(run), "--data", str(root / "cohort"), "-o", str(out), "--n-boot", "100",
                 "--min-per-class", "2", "--cache-dir", str(root / "cache")]) == 0
    return out


def test_report_writes_every_file_with_one_row_per_representation_and_task(report):
    assert {"tradeoff.csv", "summary.csv", "tradeoff.png", "report.md", "report.html", "report.json",
            "predictions"} <= {p.name for p in report.iterdir()}
    table = pd.read_csv(report / "tradeoff.csv")
    reps = {"features + linear": 1, "CNN signal (bb_run)": 4}
    assert dict(zip(table.representation, table.level)) == reps
    # features predict every task; the toy black box its labels and age (sex is no label of its config)
    assert set(table[table.level == 1].task) == {"NORM", "WIDE", "sex", "age"}
    assert set(table[table.level == 4].task) == {"NORM", "WIDE", "age"}
    binary = table[table.kind == "binary"].dropna(subset=["auroc"])
    assert len(binary) >= 2 and ((binary.auroc_low <= binary.auroc) & (binary.auroc <= binary.auroc_high)).all()
    assert binary.ece.between(0, 1).all()
    # 9 test records, one (r017, flat lead) without a signal or features
    assert table.n.max() == 8
    summary = pd.read_csv(report / "summary.csv")
    assert summary.representation.tolist() == list(reps)
    assert json.loads((report / "report.json").read_text())["macro_labels"] == ["NORM", "WIDE"]
    assert (summary.p_gap.dropna().between(0, 1)).all() and (summary.gap_to_best.dropna() <= 0).all()


def test_report_html_is_self_contained_and_embeds_the_figure(report):
    page = (report / "report.html").read_text()
    assert "http" not in page and "src=\"tradeoff.png\"" not in page
    png = (report / "tradeoff.png").read_bytes()
    assert f"data:image/png;base64,{base64.b64encode(png).decode()}" in page
    md = (report / "report.md").read_text()
    assert "![trade-off](tradeoff.png)" in md and "Strodthoff" in md and "features + linear" in page
    # no SCAN run given: the latent explorer section says so in one line
    assert "no latent explorer" in page and "no latent explorer" in md


def test_report_refuses_a_run_of_another_kind(tmp_path, capsys):
    (tmp_path / "vae").mkdir()
    (tmp_path / "vae" / "run.json").write_text(json.dumps({"kind": "vae", "status": "done"}))
    write_toy_cohort(tmp_path / "cohort", n=20)
    assert main(["-q", "report", str(tmp_path / "vae"), "--data", str(tmp_path / "cohort"),
                 "-o", str(tmp_path / "out"), "--no-features"]) == 2
    assert "expected a scan or blackbox run" in capsys.readouterr().err

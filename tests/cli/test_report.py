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


@pytest.mark.parametrize("args, message", [
    (["--digitised", "-1"], "--digitised must be at least 0, got -1"),
    (["--records-per-label", "-2"], "--records-per-label must be at least 0, got -2"),
    (["--digitize-examples", "nowhere"], "nowhere: no pages.csv here"),
])
def test_report_refuses_bad_counts_and_folders_before_any_work(tmp_path, capsys, args, message):
    assert main(["-q", "report", str(tmp_path / "run"), "--data", str(tmp_path / "cohort"),
                 "-o", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_the_data_card_counts_the_cohort(report):
    from tests.workflows.test_report_sections import check_data_card

    check_data_card(report, report.parent / "cohort")


def test_jacobian_overlays_show_two_explainable_test_records_per_label(report):
    from tests.workflows.test_report_sections import figures, section_html

    page = (report / "report.html").read_text()
    groups = [g for g, _ in figures(page, "jacobians", report)]
    meta = pd.read_csv(report.parent / "cohort" / "metadata.csv")
    test = meta[(meta.split == "test") & (meta.record_id != "r017")]   # r017: a flat lead, not explainable
    for label in ("NORM", "WIDE"):
        assert groups.count(f"bb_run/{label}") == min(2, int(test[label].sum())) == 2, label
        first = test[test[label] == 1].record_id.tolist()[:2]
        assert sorted(p.name for p in (report / "sections" / "bb_run" / "jacobians").glob(f"{label.lower()}_*")) == \
            sorted(f"{label.lower()}_{rid}.png" for rid in first)
    # each caption gives the probability and the evidence for and against the label
    captions = section_html(page, "jacobians")
    assert captions.count("for: ") >= 4 and captions.count("against: ") >= 4


def test_sections_without_their_input_say_why_in_one_line(report):
    from tests.workflows.test_report_sections import FIGURE, section_html, section_md

    md, page = (report / "report.md").read_text(), (report / "report.html").read_text()
    for title, key in (("Factor traversals", "traversals"), ("Factor <-> clinical heatmaps", "heatmaps"),
                       ("Generated typical beats per label", "generated")):
        assert section_md(md, title).strip().splitlines()[-1] == \
            "Not shown: no SCAN run was given to the report (give a train-scan run folder to add it)."
        assert FIGURE.findall(section_html(page, key)) == []
    assert section_md(md, "Digitisation examples").strip().splitlines()[-1].startswith(
        "Not shown: no digitisation results given (--digitize-examples DIR")
    assert not (report / "sections" / "digitisation").exists()

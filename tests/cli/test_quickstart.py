"""``vaescan quickstart --small`` end to end: every step runs, the last line names the report, whose numbers are
present and sane (issue 17), with both black boxes and the photographed path. The slowest test of the suite
(docs/tradeoff.md). It runs the default cohort, the realistic preset (subtle signatures, 10% misread labels), so the
floors are those of a report where the representations differ, measured at seed 0 on its 30 test records."""

import contextlib
import io
import json
import math
import re

import numpy as np
import pandas as pd
import pytest

from vaescan.cli.main import main
from vaescan.workflows.quickstart import STEPS, small_config

ORIGINAL = {"features + linear": 1, "SCAN (scan)": 2, "VAE + boosting (scan)": 3, "CNN signal (blackbox)": 4}
REPRESENTATIONS = {**ORIGINAL, "CNN image (blackbox_image)": 5, **{f"{k} (digitised)": 6 for k in ORIGINAL}}
LABELS = ["NORM", "LBBB", "RBBB", "LVH", "MI_ANT", "MI_INF", "AF", "LQT", "HYPERK", "AVB1"]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small quickstart run once, through the CLI, with its own cache and one torch thread (the suite runs one
    pytest worker per core)."""
    import torch

    root = tmp_path_factory.mktemp("quickstart_small")
    out = root / "run"
    stdout = io.StringIO()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(stdout):
            mp.setenv("VAESCAN_CACHE_DIR", str(root / "cache"))
            mp.delenv("XDG_CACHE_HOME", raising=False)
            assert main(["-q", "quickstart", "--small", "-o", str(out), "--jobs", "1"]) == 0
    finally:
        torch.set_num_threads(threads)
    assert (root / "cache" / "beats").is_dir()                    # the run's cache, not the user's
    return out, stdout.getvalue()


@pytest.mark.slow
def test_every_step_runs_and_the_last_line_names_the_report(small):
    out, printed = small
    assert printed.rstrip().splitlines()[-1] == f"report: {out / 'report' / 'report.html'}"
    assert sorted(p.stem for p in (out / "steps").glob("*.json")) == sorted(name for name, _, _ in STEPS)
    assert json.loads((out / "quickstart_config.json").read_text())["small"] is True
    summary = json.loads((out / "summary.json").read_text())
    assert summary["cohort"]["n_records"] == small_config().n_records
    assert summary["features"]["targets_met"]
    assert summary["digitize"]["pages"] == 2 and summary["vae_scan"]["trained"] and summary["blackbox"]["trained"]
    assert (out / "vae_scan" / "traversal" / "traversal_overview.png").is_file()
    assert (out / "blackbox" / "explain" / "explanation.csv").is_file()


@pytest.mark.slow
def test_report_is_self_contained_and_embeds_the_explorer(small):
    out, _ = small
    report = out / "report"
    page = (report / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert "data:image/png;base64," in page and 'src="tradeoff.png"' not in page
    explorer = json.loads((report / "explorer.json").read_text())
    assert [run["name"] for run in explorer] == ["scan"]
    match = re.search(r'<script type="application/json" id="explorer-data">(.*?)</script>', page, re.DOTALL)
    assert match and json.loads(match.group(1)) == explorer       # the explorer's data, embedded as it was saved
    assert len(match.group(1)) > 100_000                           # 8 factors x 11 steps and the profiles' beats


@pytest.mark.slow
def test_report_sections_show_the_quickstarts_runs_and_pages(small):
    from tests.workflows.test_report_sections import check_data_card, figures, section_html

    out, _ = small
    report = out / "report"
    page = (report / "report.html").read_text()
    check_data_card(report, out / "cohort", labels=LABELS)
    groups = {key: [g for g, _ in figures(page, key, report)] for key in
              ("traversals", "heatmaps", "generated", "jacobians", "digitisation")}
    assert groups["traversals"] == ["scan"] * 4 and groups["heatmaps"] == ["scan"] * 3
    assert groups["generated"] == [f"scan/{label}" for label in LABELS if label != "NORM"]
    test = pd.read_csv(out / "cohort" / "metadata.csv").query("split == 'test'")
    for label in LABELS:                                            # every test record here has a usable signal
        assert groups["jacobians"].count(f"blackbox/{label}") == min(2, int(test[label].sum())), label
    pages = pd.read_csv(out / "digitize" / "pages.csv")
    assert groups["digitisation"] == pages.page.tolist() and len(pages) == 2
    assert "Not shown" not in page.split('id="data-card"')[1].split("<h2>Published magnitudes</h2>")[0]
    assert section_html(page, "jacobians").count("<figure") == len(groups["jacobians"])


@pytest.mark.slow
def test_tradeoff_table_has_a_row_per_representation_and_task_with_sane_numbers(small):
    out, _ = small
    table = pd.read_csv(out / "report" / "tradeoff.csv")
    assert dict(zip(table.representation, table.level)) == REPRESENTATIONS
    tasks = table.groupby("representation").task.apply(set)
    for rep in REPRESENTATIONS:                                    # every label and age, for every representation
        assert set(LABELS) | {"age"} <= tasks[rep], rep
    for rep in set(ORIGINAL) | {f"{k} (digitised)" for k in ORIGINAL}:   # sex too, but for the image black box
        assert "sex" in tasks[rep], rep
    assert not table.duplicated(["representation", "task"]).any()
    assert (table[table.level < 6].n == 30).all()                  # the 30 test records, all read
    assert (table[table.level == 6].n == 8).all()                  # the 8 printed ones, each with a prediction
    table = table[table.level < 6]                                 # the digitised rows: test_the_photographed_path
    binary = table[table.kind == "binary"]
    scored = binary[(binary.prevalence > 0) & (binary.prevalence < 1)]
    assert len(scored) >= 0.8 * len(binary)                        # a label without test positives has no AUROC
    for column in ("auroc", "auroc_low", "auroc_high", "auprc", "ece"):
        assert np.isfinite(scored[column]).all() and scored[column].between(0, 1).all(), column
    assert ((scored.auroc_low <= scored.auroc) & (scored.auroc <= scored.auroc_high)).all()
    age = table[table.task == "age"].set_index("representation")
    assert np.isfinite(age[["r2", "r2_low", "r2_high", "mae", "mae_low", "mae_high"]].to_numpy()).all()
    assert age.mae.between(5, 20).all()                            # measured 10.9-13.4 y (ages 18-95, sd 16)

    # measured (seed 0, realistic, 30 test records): the black box MI_ANT 0.88 (9 positives), MI_INF 0.82 (5);
    # features LBBB 0.96 (4), MI_ANT 0.90, MI_INF 1.00: still defined by what the features measure
    auroc = scored.set_index(["representation", "task"]).auroc
    cnn = "CNN signal (blackbox)"
    assert auroc[cnn, "MI_ANT"] >= 0.75 and auroc[cnn, "MI_INF"] >= 0.7
    for label in ("LBBB", "MI_ANT", "MI_INF"):
        assert auroc["features + linear", label] >= 0.85, label
    assert auroc["features + linear", "sex"] >= 0.55                # measured 0.68 (20 women of 30)


@pytest.mark.slow
def test_summary_has_a_macro_auroc_per_representation_with_finite_intervals(small):
    out, _ = small
    summary = pd.read_csv(out / "report" / "summary.csv").set_index("representation")
    assert list(summary.index) == sorted(REPRESENTATIONS, key=lambda k: (REPRESENTATIONS[k], k))
    summary = summary[summary.level < 6]                           # on 8 records most labels have one class
    values = summary[["macro_auroc", "macro_auroc_low", "macro_auroc_high", "gap_to_best", "gap_low", "gap_high",
                      "p_gap"]]
    assert np.isfinite(values.to_numpy()).all()
    assert ((summary.macro_auroc_low <= summary.macro_auroc) & (summary.macro_auroc <= summary.macro_auroc_high)).all()
    assert (summary.gap_to_best <= 0).all() and summary.p_gap.between(0, 1).all()
    info = json.loads((out / "report" / "report.json").read_text())
    assert len(info["macro_labels"]) >= 5 and info["n_test"] == 30
    # measured (realistic, 9 labels): features 0.83, VAE + boosting 0.72, black box 0.68, SCAN 0.66 (floors below;
    # on the easy cohort the features reached 0.99, the realistic one leaves room between representations)
    assert 0.75 <= summary.loc["features + linear", "macro_auroc"] < 0.95
    assert summary.loc["CNN signal (blackbox)", "macro_auroc"] >= 0.55
    assert summary.loc["SCAN (scan)", "macro_auroc"] >= 0.55
    assert summary.loc["VAE + boosting (scan)", "macro_auroc"] >= 0.6
    assert summary.loc["CNN image (blackbox_image)", "macro_auroc"] >= 0.4  # measured 0.53 (4 epochs, 12x1 pages)
    md = (out / "report" / "report.md").read_text()
    best = summary.macro_auroc.idxmax()
    assert info["best"] == best and best in md
    assert math.isclose(summary.loc[best, "gap_to_best"], 0.0)
    assert json.loads((out / "quickstart_config.json").read_text())["preset"] == "realistic"


@pytest.mark.slow
def test_the_published_magnitudes_are_set_beside_ours(small):
    out, _ = small
    report = out / "report"
    published = pd.read_csv(report / "published.csv")
    assert len(published) == 4 and published.verdict.notna().all()
    assert not published.verdict.str.startswith("not compared").any()     # every comparison has its pair here
    assert list(published.ours_explainable) == ["SCAN (scan)", "VAE + boosting (scan)", "features + linear",
                                                "features + linear"]
    summary = pd.read_csv(report / "summary.csv").set_index("representation")
    strodthoff = published.iloc[2]                                         # features against the best black box
    assert strodthoff.ours_black_box == "CNN signal (blackbox)"
    assert math.isclose(strodthoff.ours_explainable_value, summary.loc["features + linear", "macro_auroc"],
                        abs_tol=1e-3)
    assert strodthoff.ours_gap_low <= strodthoff.ours_gap <= strodthoff.ours_gap_high
    md = (report / "report.md").read_text().split("## Published magnitudes")[1]
    assert all(f"{verdict}." in md for verdict in published.verdict)


@pytest.mark.slow
def test_the_explainability_profile_is_measured_for_every_attributable_representation(small):
    out, _ = small
    profile = pd.read_csv(out / "report" / "profile.csv").set_index("representation")
    assert dict(profile.level) == {**ORIGINAL, "CNN image (blackbox_image)": 5}
    attributable = ["features + linear", "SCAN (scan)", "VAE + boosting (scan)", "CNN signal (blackbox)"]
    assert (profile.loc[attributable, "faithfulness_n"] == 12).all()       # the small run's 12 profile records
    assert (profile.loc[attributable, "deletion_auc"] < profile.loc[attributable, "deletion_auc_random"]).all()
    # measured (seed 0, realistic, 12 records): features 0.07, SCAN 0.73, boosting 0.39, black box 0.46 of the
    # random order's area
    ratio = profile.deletion_ratio
    assert ratio["features + linear"] <= 0.3 and ratio["SCAN (scan)"] <= 0.9 and ratio["CNN signal (blackbox)"] <= 0.6
    assert ratio["VAE + boosting (scan)"] <= 0.6
    hits = profile.loc[attributable, "localisation_top_hit"]                 # measured 0.25, 0.25, 0, 0.25
    assert hits.between(0, 1).all() and (profile.loc[attributable, "localisation_n"] == 12).all()
    summary = pd.read_csv(out / "report" / "summary.csv").set_index("representation")
    assert summary.loc["SCAN (scan)", "anchoring"] == "anchored"             # the quickstart's VAE is anchored
    md, page = (out / "report" / "report.md").read_text(), (out / "report" / "report.html").read_text()
    assert "## Explainability profile" in md and "<h2>Explainability profile</h2>" in page
    assert f"{profile.loc['CNN signal (blackbox)', 'deletion_auc']:.3f} vs" in md
    assert "Explainability profile: deletion AUC" in (out / "summary.md").read_text()


@pytest.mark.slow
def test_the_image_black_box_is_trained_and_scored(small):
    out, printed = small
    summary = json.loads((out / "summary.json").read_text())
    assert summary["blackbox_image"]["trained"] and summary["blackbox_image"]["epochs"] == 4
    assert (out / "blackbox_image" / "metrics.json").is_file()
    assert "Black box on the page images" in (out / "summary.md").read_text()


@pytest.mark.slow
def test_the_photographed_path_pairs_each_representation_with_its_digitised_self(small):
    out, _ = small
    report = out / "report"
    info = json.loads((report / "report.json").read_text())["digitised"]
    assert info["printed"] == 8 and info["read"] + info["rejected"] == 8 and info["layout"] == "12x1"
    assert info["categories"] == {"clean": 2, "perspective": 2, "phone": 2, "shadow": 2}
    pages = pd.read_csv(report / "digitised" / "pages.csv", dtype={"record_id": str})
    assert len(pages) == 8 and (pages.status == "rejected").sum() == info["rejected"]
    gaps = pd.read_csv(report / "paper_cost.csv").set_index("representation")
    assert list(gaps.index) == list(ORIGINAL) and (gaps.n == 8).all()
    assert (gaps.digitised == [f"{k} (digitised)" for k in ORIGINAL]).all()
    values = gaps[["macro_auroc_original", "macro_auroc_digitised", "gap", "gap_low", "gap_high", "p"]]
    assert np.isfinite(values.to_numpy()).all() and ((gaps.gap_low <= gaps.gap) & (gaps.gap <= gaps.gap_high)).all()
    assert np.allclose(gaps.gap, gaps.macro_auroc_digitised - gaps.macro_auroc_original, atol=1e-3)  # 4 digits
    # measured (seed 0, realistic, 8 records, 5 labels): SCAN 0.60 -> 0.67, VAE + boosting 0.93 -> 0.72, CNN 0.70 ->
    # 0.62, features 0.90 -> 0.62 (the features read amplitudes and intervals off the digitised traces)
    assert gaps.loc["SCAN (scan)", "macro_auroc_digitised"] >= 0.5
    assert gaps.loc["CNN signal (blackbox)", "macro_auroc_digitised"] >= 0.5
    table = pd.read_csv(report / "tradeoff.csv")
    paper = table[table.level == 6]
    assert set(paper.representation) == {f"{k} (digitised)" for k in ORIGINAL}
    md = (report / "report.md").read_text()
    assert "## The photographed path (level 6)" in md and '<section id="paper">' in (report / "report.html").read_text()
    assert "Photographed path: 8 test records printed" in (out / "summary.md").read_text()

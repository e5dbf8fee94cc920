"""The report's figure sections on the tiny toy cohort: a SCAN run and two digitised pages give the data card,
traversals, heatmaps, generated beats and digitisation examples; without a black box its section says why.
(tests/cli/test_report.py checks the Jacobian overlays and the sections skipped without SCAN or pages.)"""

import base64
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from tests.cli.test_models import SMALL_VAE
from tests.conftest import write_toy_cohort
from vaescan.cli.main import main
from vaescan.data.sources import load_cohort
from vaescan.models.vae import VAE

FIGURE = re.compile(r'<figure data-group="([^"]*)"><img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)">')


def section_html(page: str, key: str) -> str:
    """The HTML of one section (by its id)."""
    start = page.index(f'<section id="{key}">')
    return page[start:page.index("</section>", start)]


def section_md(md: str, title: str) -> str:
    """The Markdown of one section (its ``## title`` up to the next ``## ``)."""
    start = md.index(f"## {title}\n")
    end = md.find("\n## ", start + 4)
    return md[start:end if end >= 0 else None]


def figures(page: str, key: str, report: Path) -> list[tuple[str, np.ndarray]]:
    """(group, decoded image) of every figure of a section; each is a real, non-blank image whose bytes are those of
    a PNG beside report.md that the Markdown links."""
    found = FIGURE.findall(section_html(page, key))
    md = (report / "report.md").read_text()
    out = []
    for group, alt, data in found:
        raw = base64.b64decode(data)
        image = imread(io.BytesIO(raw), format="png")
        assert image.shape[0] >= 150 and image.shape[1] >= 150, alt
        assert float(image[..., :3].std()) > 0.01, alt          # not blank
        link = re.search(rf"!\[{re.escape(alt)}\]\(([^)]+)\)", md)
        assert link, alt
        assert (report / link.group(1)).read_bytes() == raw, alt
        out.append((group, image))
    return out


def check_data_card(report: Path, cohort_dir: Path, labels: tuple | list = ("NORM", "WIDE")) -> None:
    """The data card's numbers, counted here from the cohort's metadata: records per split, positives and
    prevalence per label and split."""
    meta = load_cohort(cohort_dir).metadata
    card = section_md((report / "report.md").read_text(), "Data card")
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in card.splitlines() if line.startswith("| ") and not line.startswith("| split")
            and not line.startswith("| label")}
    for split in ("train", "val", "test"):
        part = meta[meta.split == split]
        assert int(rows[split][0]) == len(part), split
        assert float(rows[split][4]) == pytest.approx(100 * (part.sex == 1).mean(), abs=0.05)
    assert int(rows["all"][0]) == len(meta)
    for label in labels:
        values = rows[label]                                  # train n, %, val n, %, test n, %, all n, %
        for k, split in enumerate(("train", "val", "test")):
            part = meta[meta.split == split][label]
            assert int(values[2 * k]) == int(part.sum()), (label, split)
            assert float(values[2 * k + 1]) == pytest.approx(100 * part.mean(), abs=0.05), (label, split)
    assert "Sampling rate: 500 Hz" in card


@pytest.fixture(scope="module")
def scan_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("sections")
    write_toy_cohort(root / "cohort", n=60, flat=17)
    (root / "vae.yaml").write_text(SMALL_VAE)
    cache = ["--cache-dir", str(root / "cache")]
    assert main(["-q", "train-vae", "--config", str(root / "vae.yaml"), "--data", str(root / "cohort"),
                 "-o", str(root / "vae"), *cache]) == 0
    assert main(["-q", "train-scan", "--vae", str(root / "vae"), "-o", str(root / "scan"), "--epochs", "20",
                 *cache]) == 0
    from vaescan.digitize.evaluate import evaluate_pages

    cohort = load_cohort(root / "cohort")
    evaluate_pages([cohort.read_record(cohort.metadata.index[cohort.metadata.record_id == "r018"][0])],
                   root / "digitize", n_pages=1)
    out = root / "report"
    assert main(["-q", "report", str(root / "scan"), "--data", str(root / "cohort"), "-o", str(out), "--no-features",
                 "--n-boot", "20", "--min-per-class", "2", "--profile-records", "0", "--digitize-examples",
                 str(root / "digitize"), *cache]) == 0
    return root


@pytest.mark.slow
def test_the_data_card_counts_the_cohort(scan_report):
    check_data_card(scan_report / "report", scan_report / "cohort")
    page = (scan_report / "report" / "report.html").read_text()
    assert page.index('id="data-card"') < page.index("<h2>Representations</h2>")


@pytest.mark.slow
def test_scan_sections_hold_the_traversal_heatmap_and_generated_figures(scan_report):
    report = scan_report / "report"
    page = (report / "report.html").read_text()
    traversal = figures(page, "traversals", report)
    # overview, Spearman heatmap and the first 2 active factors' 12-lead figures
    vae = VAE.load(scan_report / "scan")
    first = (vae.active_units_ or list(range(vae.config.latent_dim)))[:2]
    assert [g for g, _ in traversal] == ["scan"] * (2 + len(first)) and len(first) == 2
    md = section_md((report / "report.md").read_text(), "Factor traversals")
    assert [int(z) for z in re.findall(r"traversal_z(\d+)\.png", md)] == first
    # SCAN weights, single-factor AUROC and R2 (the toy has age)
    assert [g for g, _ in figures(page, "heatmaps", report)] == ["scan"] * 3
    weights = pd.read_csv(report / "sections" / "scan" / "associations" / "scan_weights.csv", index_col=0)
    assert {"WIDE", "age"} <= set(weights.index)
    # one generated beat per label but NORM (the reference): WIDE
    assert [g for g, _ in figures(page, "generated", report)] == ["scan/WIDE"]
    assert "| scan | WIDE |" in section_md((report / "report.md").read_text(), "Generated typical beats per label")


@pytest.mark.slow
def test_digitisation_examples_show_each_page_with_its_snr(scan_report):
    report = scan_report / "report"
    page = (report / "report.html").read_text()
    pages = pd.read_csv(scan_report / "digitize" / "pages.csv")
    shown = figures(page, "digitisation", report)
    assert [g for g, _ in shown] == pages.page.tolist() == ["clean00", "distorted00"]
    for row in pages.itertuples():
        assert f"{row.page} ({row.category}): SNR {row.snr_db:.1f} dB" in section_html(page, "digitisation")


@pytest.mark.slow
def test_without_a_black_box_its_section_says_why(scan_report):
    report = scan_report / "report"
    md, page = (report / "report.md").read_text(), (report / "report.html").read_text()
    assert "Not shown: no black-box run was given to the report." in section_md(
        md, "Jacobian overlays of the black boxes")
    assert FIGURE.findall(section_html(page, "jacobians")) == []
    assert "Not shown: no black-box run was given" in section_html(page, "jacobians")

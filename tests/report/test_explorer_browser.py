"""report.html's latent explorer in a real browser (headless Chromium): no console error, a moved slider redraws
the beat, a picked profile redraws SCAN's beat, the page's decoder reads the embedded data as Python does, with
two SCAN runs the run picker switches, and a screenshot is saved. Runs on CI (CI=true: a missing Chromium fails);
elsewhere it skips without Chromium.

The report is built from tiny toy VAE and SCAN runs on 40 records (about 18 s); each browser load takes 1-2 s."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.cli.test_models import SMALL_VAE
from tests.conftest import on_ci, write_toy_cohort
from vaescan.analysis.explorer import beat_decode
from vaescan.cli.main import main
from vaescan.report.browser import chromium_path, explorer_screenshot, page_selftest


@pytest.fixture(scope="module")
def browser() -> str:
    path = chromium_path()
    if path is None:
        message = ("headless Chromium not found (install Debian's chromium: bash scripts/install_browser.sh; or set "
                   "VAESCAN_CHROMIUM)")
        if on_ci():
            pytest.fail(f"{message}; CI must run the browser test", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("explorer")
    write_toy_cohort(root / "cohort", n=40)
    (root / "vae.yaml").write_text(SMALL_VAE)
    cache = ["--cache-dir", str(root / "cache")]
    assert main(["-q", "train-vae", "--config", str(root / "vae.yaml"), "--data", str(root / "cohort"),
                 "-o", str(root / "vae"), *cache]) == 0
    for name, epochs in (("scan", "20"), ("scan_short", "5")):  # two SCAN runs: the page gets a run picker
        assert main(["-q", "train-scan", "--vae", str(root / "vae"), "-o", str(root / name), "--epochs", epochs,
                     *cache]) == 0
    out = root / "report"
    assert main(["-q", "report", str(root / "scan"), str(root / "scan_short"), "--data", str(root / "cohort"),
                 "-o", str(out),
                 "--no-features", "--n-boot", "20", "--min-per-class", "2", *cache]) == 0
    return out


def test_the_explorer_runs_in_chromium_without_error_and_redraws_on_input(browser, report, tmp_path):
    run = page_selftest(browser, report / "report.html", tmp_path / "profile")
    assert run.console == [], f"console messages: {run.console}"
    result = run.selftest
    assert result is not None, "the page's self-test wrote no result (a script failed before it ran)"
    assert result["errors"] == []
    data = json.loads((report / "explorer.json").read_text())
    assert [entry["name"] for entry in data] == ["scan", "scan_short"]
    assert result["n_runs"] == 2 and result["n_traces"] == 12
    assert result["n_sliders"] == result["n_factors"] == len(data[0]["factors"]) >= 1
    assert result["slider_changed"] and result["profile_changed"]
    assert "+2.50 SD" in result["trav_readout"] and "SCAN's generated beat for" in result["prof_readout"]
    # the measures table: the drawn beat, the mean beat (both as embedded) and their change, per measure
    table = result["trav_measures"]
    assert table[0] == ["measured on the beat", "black", "grey", "change"]
    assert [row[0] for row in table[1:]] == data[0]["measure_labels"]
    first = data[0]["factors"][0]  # the first slider's factor, moved to its last step

    def shown(value):
        return "-" if value is None else f"{value:.0f}"

    assert table[1][1:3] == [shown(first["measures"][-1][0]), shown(data[0]["mean_measures"][0])]  # QRS, ms
    # the page's JavaScript decodes the embedded beats exactly as the Python reader does
    np.testing.assert_allclose(result["mean_lead0"], beat_decode(data[0]["mean_beat"])[0], atol=1e-9)
    # the run picker redraws the second run: its sliders, SCAN's (other) profile beats
    assert result["run_switch"] == {"n_sliders": len(data[1]["factors"]), "n_factors": len(data[1]["factors"]),
                                    "profile_changed": True}

    # the explorer cropped from a screenshot of the page after its self-test
    _, crop = explorer_screenshot(browser, report / "report.html", tmp_path / "explorer.png")
    assert (tmp_path / "explorer.png").is_file() and crop.shape[0] > 500 and crop.shape[1] > 800
    # drawn, not blank: ECG paper (pink grid) and black traces in the explorer's box
    pink = (crop[..., 0] > 200) & (crop[..., 1] < 225) & (crop[..., 2] < 225)
    black = crop.max(axis=-1) < 60
    assert pink.mean() > 0.01 and black.mean() > 0.002


def test_the_browser_check_sees_a_console_error_and_a_failed_script(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><script>console.error("drawn wrong");</script>'
                    "<script>undefinedFunction();</script></body></html>")
    run = page_selftest(browser, page, tmp_path / "profile")
    assert any("drawn wrong" in line for line in run.console)
    assert any("undefinedFunction is not defined" in line for line in run.console)
    assert run.selftest is None

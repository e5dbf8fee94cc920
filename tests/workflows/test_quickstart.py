"""The quickstart runs its steps on a tiny cohort, measures against the truth, and resumes. The steps' floors here
were measured on the easy cohort, which these tests ask for (the quickstart's default is the realistic one)."""

import dataclasses

import pytest

from vaescan.errors import VaescanInputError
from vaescan.io import read_json
from vaescan.workflows.quickstart import QuickstartConfig, run_quickstart, summary_markdown

EASY = QuickstartConfig(n_records=24, seed=3, n_pages=1, models=False, preset="easy")


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("quickstart")
    return out, run_quickstart(out, EASY, progress=False)


def test_features_recover_the_synthetic_truth(quick):
    out, summary = quick
    assert summary["cohort"]["n_records"] == 24
    recovery = read_json(out / "feature_recovery.json")
    assert recovery["n_measured"] == 24
    assert summary["features"]["targets_met"]
    assert summary["features"]["mae"]["qrs_ms"] <= 10.0
    assert "Engineered features vs truth" in (out / "summary.md").read_text()


def test_pages_are_printed_digitised_and_scored(quick):
    out, summary = quick
    pages = summary["digitize"]["per_page"]
    assert sorted(p["category"] for p in pages) == ["clean", "phone"]
    for page in pages:
        assert (out / "digitize" / f"{page['page']}.png").is_file()
        assert (out / "digitize" / f"{page['page']}.hea").is_file()
    assert all(5.0 < p["ceiling_db"] < 99.0 for p in pages)           # the cohort has hum: a finite ceiling
    # the pages are read: measured clean 6.02 dB (shifted 10.43), phone 6.03 (9.71), under ceilings of 11.9 dB
    assert all(4.0 <= p["snr_db"] <= p["ceiling_db"] and p["snr_shift_db"] >= 7.5 for p in pages), pages
    assert all(v >= 4.0 for v in summary["digitize"]["snr_db"].values()), summary["digitize"]["snr_db"]
    assert "Challenge 2024 SNR" in (out / "summary.md").read_text()
    assert "ceiling" in (out / "summary.md").read_text()


def test_a_rerun_skips_finished_steps(quick):
    out, summary = quick
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "steps").iterdir()}
    features = (out / "features.csv").stat().st_mtime_ns
    again = run_quickstart(out, EASY, progress=False)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "steps").iterdir()} == stamps
    assert (out / "features.csv").stat().st_mtime_ns == features
    assert again["features"]["mae"] == summary["features"]["mae"]


def test_other_settings_in_the_same_folder_are_refused(quick):
    out, _ = quick
    with pytest.raises(VaescanInputError, match="other settings"):
        run_quickstart(out, dataclasses.replace(EASY, n_records=25), progress=False)


def test_summary_says_plainly_when_no_label_is_scored():
    """A cohort whose only label is NORM, with too few test positives: no AUROC, no generated beat."""
    summary = {"vae_scan": {"trained": True, "test_rmse_uv": 31.2, "n_active": 3, "readout_r2_mean": None,
                            "auroc": {"NORM": 0.8}, "test_positives": {"NORM": 2}, "generated_label": None,
                            "generated_qrs_ms": None, "reference_qrs_ms": None}}
    text = summary_markdown(summary)
    assert "SCAN test AUROC none: no label could be scored; not scored, under 5 test positives: NORM" in text
    assert "Generated beats: none (no label other than NORM and sex to set)" in text and "None" not in text


def test_summary_reports_the_black_box_and_where_its_explanations_point():
    summary = {"blackbox": {"trained": True, "auroc": {"LBBB": 1.0, "LQT": 0.9}, "age_mae": 9.7,
                            "localised": {"LBBB": [3, 4], "LQT": [0, 0]}, "test_positives": {"LBBB": 6, "LQT": 1}}}
    text = summary_markdown(summary)
    assert "test AUROC LBBB 1.00; age MAE 9.7 y" in text                 # LQT: under 5 test positives
    assert "for LBBB 3/4 test true positives" in text


def test_summary_names_the_report_with_its_scores():
    summary = {"report": {"written": True, "report": "report/report.html", "macro_labels": ["NORM", "LVH"],
                          "best": "features + linear",
                          "macro_auroc": {"features + linear": [0.987, 0.966, 1.0], "CNN signal": [0.84, 0.78, 0.9]}}}
    text = summary_markdown(summary)
    assert "over NORM, LVH" in text and "features + linear 0.99 [0.97, 1.00]" in text
    assert text.rstrip().endswith("`report/report.html`")


def test_a_folder_from_before_the_small_setting_resumes(tmp_path):
    """A quickstart folder whose saved settings predate ``small`` and ``preset`` reads as ``small: false`` and the
    easy preset (the only cohort then): it resumes with those settings, and refuses the realistic default."""
    import json

    from vaescan.workflows.quickstart import STEPS

    (tmp_path / "steps").mkdir()
    old = {"n_records": 24, "seed": 3, "n_pages": 1, "models": False}
    (tmp_path / "quickstart_config.json").write_text(json.dumps(old))
    done = {"cohort": {"n_records": 24, "seed": 3, "labels": {}},
            "features": {"measured": 24, "skipped": 0, "mae": {}, "targets_met": True}}
    for name, _, _ in STEPS:                                         # every step finished: nothing runs again
        step = done.get(name, {"trained": False, "pages": 0, "written": False})
        (tmp_path / "steps" / f"{name}.json").write_text(json.dumps(step))
    summary = run_quickstart(tmp_path, QuickstartConfig(**old, preset="easy"), progress=False)
    assert set(summary) == {name for name, _, _ in STEPS}
    for other in (dict(small=True, preset="easy"), {}):                # {}: the realistic default
        with pytest.raises(VaescanInputError, match="other settings"):
            run_quickstart(tmp_path, QuickstartConfig(**old, **other), progress=False)


def test_small_runs_keep_every_step_with_smaller_models():
    from vaescan.workflows.quickstart import SMALL_RECORDS, quickstart_models, small_config

    small, default = quickstart_models(small_config()), quickstart_models(QuickstartConfig())
    assert small_config().n_records == SMALL_RECORDS < QuickstartConfig().n_records
    assert small.vae_epochs < default.vae_epochs and small.bb_epochs < default.bb_epochs
    assert small.n_boot < default.n_boot and small.explain_records > 0 and small.traversal_figures >= 1


def test_the_realistic_preset_reaches_the_cohort(tmp_path):
    """``--preset realistic`` makes the quickstart's cohort realistic (label noise in its synth_config.json);
    ``small`` still raises its prevalences; realistic is the default, of the small run too (issue 17)."""
    from vaescan.config import load_config
    from vaescan.data.synth import SynthConfig
    from vaescan.workflows.quickstart import SMALL_PREVALENCE, small_config

    summary = run_quickstart(tmp_path, small_config(24, seed=3, n_pages=0, models=False, preset="realistic"),
                             progress=False)
    config = load_config(SynthConfig, tmp_path / "cohort" / "synth_config.json")
    assert config.difficulty == "realistic" and config.label_noise == 0.1
    assert set(config.prevalence.values()) == {SMALL_PREVALENCE}
    assert "realistic preset" in summary_markdown(summary)
    assert QuickstartConfig().preset == small_config().preset == "realistic"

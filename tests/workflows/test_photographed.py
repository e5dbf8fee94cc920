"""The photographed path (level 6) on the tiny toy cohort: test records printed, digitised and read by the engineered
features fitted on the original records; a rejected page is counted and given the train prior; pages are cached."""

import numpy as np
import pandas as pd
import pytest

from tests.conftest import write_toy_cohort
from vaescan.analysis.paper_cost import paper_gaps
from vaescan.data.sources import load_cohort
from vaescan.workflows import photographed
from vaescan.workflows.photographed import digitised_cohort, signal_complete
from vaescan.workflows.tradeoff import collect

N_PAGES = 9


@pytest.fixture(scope="module")
def toy_pages(tmp_path_factory):
    """The toy cohort (n=60: 9 test records; r017, a test record, has a flat V3 that its page cannot show as a
    trace) and its 9 test records printed on clean 12x1 pages at 100 dpi and digitised."""
    root = tmp_path_factory.mktemp("photographed")
    write_toy_cohort(root / "cohort", n=60, flat=17)
    cohort = load_cohort(root / "cohort")
    pages = digitised_cohort(cohort, root / "digitised", N_PAGES, seed=3, mix=("clean",), dpi=100, progress=False)
    return root, cohort, pages


@pytest.mark.slow
def test_digitised_features_score_near_the_originals_and_the_rejected_page_gets_the_prior(toy_pages):
    root, cohort, pages = toy_pages
    assert len(pages.pages) == N_PAGES and "r017" in pages.record_ids
    row = pages.pages.set_index("record_id").loc["r017"]
    assert row.status == "rejected" and "trace rows" in row.reason     # 11 rows: its flat V3 prints no trace
    collected = collect([], cohort, features=True, progress=False, profile_n=0, digitised=pages)
    assert {k: lv for k, (lv, _) in collected.reps.items()} == {"features + linear": 1,
                                                                 "features + linear (digitised)": 6}
    paper = collected.reps["features + linear (digitised)"][1].set_index("record_id")
    assert paper.index.tolist() == pages.record_ids                  # every printed record, none dropped
    prior = float(cohort.metadata.query("split == 'train'").WIDE.mean())
    assert paper.loc["r017", "prob_WIDE"] == pytest.approx(prior) and paper.loc["r017", "filled"]
    assert paper.loc["r017", "skipped"] == "page rejected by the digitiser"
    assert collected.filled["features + linear (digitised)"] == int(paper.filled.sum()) >= 1
    # the paired comparison on the printed records, the rejected one (no original prediction either) left out
    test = cohort.metadata[cohort.metadata.split == "test"]
    truth = test[["record_id", "WIDE", "NORM"]].astype({"record_id": str})
    gaps = paper_gaps({k: p for k, (_, p) in collected.reps.items()}, truth,
                      {"features + linear (digitised)": "features + linear"}, ["WIDE"], filled=collected.filled,
                      min_per_class=1, n_boot=50).iloc[0]
    assert gaps.n == N_PAGES - 1 and gaps.filled == collected.filled["features + linear (digitised)"]
    assert gaps.macro_auroc_original >= 0.95 and gaps.macro_auroc_digitised >= 0.8  # measured: 1.0 and 1.0
    assert gaps.gap_low <= gaps.gap <= gaps.gap_high
    # each page read (measured: 3 of the 9 toy pages; the toy's analytic traces defeat the reader on the others)
    # is put on the right side of the prior by the linear model fitted on the signals
    read = paper[~paper.filled.astype(bool)]
    assert len(read) >= 2
    truth_read = cohort.metadata.set_index("record_id").loc[read.index, "WIDE"].to_numpy()
    assert ((read.prob_WIDE > prior).to_numpy() == truth_read.astype(bool)).all()

@pytest.mark.slow
def test_a_rerun_reads_the_pages_back_without_digitising(toy_pages, monkeypatch):
    root, cohort, pages = toy_pages
    import vaescan.digitize.pipeline as pipeline

    calls = []
    monkeypatch.setattr(pipeline, "image_digitize", lambda *a, **k: calls.append(1) or (_ for _ in ()).throw(
        AssertionError("digitised again")))
    again = digitised_cohort(cohort, root / "digitised", N_PAGES, seed=3, mix=("clean",), dpi=100, progress=False)
    assert calls == []
    pd.testing.assert_frame_equal(again.pages, pages.pages)
    # another distortion is another page: it is digitised (here: the patched digitiser, which refuses it)
    with pytest.raises(AssertionError, match="digitised again"):
        digitised_cohort(cohort, root / "digitised", 1, seed=3, mix=("shadow",), dpi=100, progress=False)
    assert calls == [1]


def test_gaps_in_a_digitised_lead_are_bridged_or_blanked():
    fs = 100.0
    x = np.tile(np.sin(np.arange(1000) / 10.0)[:, None], (1, 3))
    x[500:510, 0] = np.nan                 # 0.1 s: bridged
    x[200:600, 1] = np.nan                 # 4 s: not printed there, 0 mV
    x[900:, :] = np.nan                    # the page's empty tail: cropped
    out, blank = signal_complete(x, fs)
    assert out.shape == (900, 3) and np.isfinite(out).all()
    assert np.abs(out[500:510, 0] - np.sin(np.arange(500, 510) / 10.0)).max() < 0.05
    assert (out[200:600, 1] == 0).all() and blank == pytest.approx(400 / out.size)


def test_pages_follow_the_mix_in_turn_with_seeded_strengths(toy_pages):
    _, cohort, _ = toy_pages
    cases = photographed.paper_cases(cohort, 8, seed=1)
    assert [c.category for c in cases] == ["clean", "phone", "perspective", "shadow"] * 2
    assert len({c.record_id for c in cases}) == 8 and all(c.style.layout == "12x1" for c in cases)
    assert cases == photographed.paper_cases(cohort, 8, seed=1)
    assert cases[1].distortion.active() == ["rotation", "perspective", "crease", "shadow", "blur", "noise", "jpeg"]


def test_the_quickstarts_digitise_step_shows_a_progress_bar_over_its_pages(tmp_path, monkeypatch, capsys):
    from vaescan.data.leads import LEADS
    from vaescan.data.records import Record
    from vaescan.digitize import evaluate

    monkeypatch.setattr(evaluate, "page_evaluate", lambda case, out_dir: {"page": case.page, "snr_db": 20.0})
    records = [Record(np.zeros((5000, 12)), 500.0, list(LEADS), name=f"r{i}") for i in range(2)]
    table = evaluate.evaluate_pages(records, tmp_path / "a", n_pages=2, progress=True)
    assert table.page.tolist() == ["clean00", "distorted00", "clean01", "distorted01"]
    err = capsys.readouterr().err
    assert "digitize: 100%" in err and "4/4" in err
    evaluate.evaluate_pages(records, tmp_path / "b", n_pages=2, progress=False)
    assert "digitize" not in capsys.readouterr().err

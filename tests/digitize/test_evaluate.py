"""The quickstart hook: render a record clean and distorted, digitise, score; a second call reuses the work."""

import numpy as np

from vaescan.digitize.evaluate import eval_records, evaluate_pages


def test_evaluate_pages_and_resume(tmp_path):
    records = eval_records(1, seed=3, noiseless=True)
    table = evaluate_pages(records, tmp_path, n_pages=1, seed=0)
    assert list(table.page) == ["clean00", "distorted00"]
    assert (tmp_path / "clean00.png").exists() and (tmp_path / "clean00.hea").exists()
    assert (tmp_path / "pages.csv").exists()
    clean, distorted = table.set_index("page").loc["clean00"], table.set_index("page").loc["distorted00"]
    assert clean.error == "" and clean.snr_db >= 17.0, clean.snr_db     # 150 dpi; measured 19.60 dB
    assert distorted.error == "" and distorted.snr_db >= 7.0, distorted.snr_db    # phone mix; measured 9.10 dB
    assert table.ceiling_db.isna().all()                                # plain records: the ceiling is unknown
    (tmp_path / "clean00.png").unlink()
    again = evaluate_pages(records, tmp_path, n_pages=1, seed=0)        # read back, not redone
    assert not (tmp_path / "clean00.png").exists()
    assert np.allclose(again.snr_db.values, table.snr_db.values, atol=1e-3)


def test_evaluate_pages_reuses_pages_csv_only_for_the_same_pages(tmp_path, monkeypatch):
    """pages.csv is read back for the same records, seed and categories; another seed or record is scored anew."""
    from vaescan.digitize import evaluate

    scored = []

    def fake_page_evaluate(case, out_dir=None):             # a row that tells the page's style and record apart
        scored.append(case.page)
        return {"page": case.page, "record": case.record.name, "category": case.category,
                "snr_db": float(case.distortion.seed % 1000) + float(case.record.signal[:, 1].sum())}

    monkeypatch.setattr(evaluate, "page_evaluate", fake_page_evaluate)
    one, other = eval_records(1, seed=3, noiseless=True), eval_records(1, seed=4, noiseless=True)
    assert one[0].name == other[0].name                      # same page and record names, other samples

    def run(records, seed):
        before = len(scored)
        table = evaluate_pages(records, tmp_path, n_pages=1, seed=seed, categories=("clean",))
        return round(float(table.snr_db.iloc[0]), 3), len(scored) - before     # pages.csv keeps 3 decimals

    first, n = run(one, 0)
    assert n == 1 and run(one, 0) == (first, 0)               # read back, not redone
    seed1, n = run(one, 1)
    assert n == 1 and seed1 != first and run(one, 1) == (seed1, 0)
    records, n = run(other, 1)
    assert n == 1 and records != seed1 and run(other, 1) == (records, 0)


def test_ceiling_of_a_hum_record_matches_the_analytic_value():
    """Hum only (no wander, no muscle noise): the scored truth minus the underlying ECG is a 50 Hz sine per
    lead, and the ceiling is 10 log10(sum x^2 / (N A^2 / 2)) with A that sine's amplitude."""
    from vaescan.data.synth import NoiseConfig, SynthConfig
    from vaescan.data.synth.record import simulate_record
    from vaescan.digitize.evaluate import ceiling_snr

    hum = SynthConfig(noise=NoiseConfig(wander_mv=(0.0, 0.0), powerline_mv=(0.03, 0.03), muscle_mv=(0.0, 0.0)))
    quiet = SynthConfig(noise=NoiseConfig(wander_mv=(0.0, 0.0), powerline_mv=(0.0, 0.0), muscle_mv=(0.0, 0.0)))
    x = simulate_record(4, seed=1, config=hum)[0].signal
    u = simulate_record(4, seed=1, config=quiet)[0].signal
    shown = np.ones_like(x, bool)
    ceiling = ceiling_snr(x, u, shown)
    t = np.arange(len(x)) / 500.0
    basis = np.stack([np.sin(2 * np.pi * 50 * t), np.cos(2 * np.pi * 50 * t)], axis=1)
    coef, *_ = np.linalg.lstsq(basis, x - u, rcond=None)              # (2, 12): the hum of each lead
    assert np.abs(x - u - basis @ coef).max() < 3e-3                   # nothing but hum (and uV rounding)
    amplitude2 = (coef**2).sum(axis=0)
    analytic = 10 * np.log10((x**2).sum(axis=0) / (len(x) * amplitude2 / 2))
    assert np.all(np.isfinite(ceiling)) and np.allclose(ceiling, analytic, atol=0.05), (ceiling, analytic)
    assert 5 < np.median(ceiling) < 40        # finite: 0.03 mV of hum alone caps a perfect reader near 12 dB


def test_ceiling_of_noiseless_records_and_of_a_synthetic_cohort(tmp_path):
    from vaescan.data.synth import simulate_cohort
    from vaescan.digitize.evaluate import ceiling_snr, eval_underlying

    quiet = eval_underlying(2, seed=5)
    noiseless = eval_records(2, seed=5, noiseless=True)
    for a, b in zip(quiet, noiseless):                                # same patients, same wander, no hum
        assert np.array_equal(a.signal, b.signal)
        assert np.all(ceiling_snr(b.signal, a.signal, np.ones_like(a.signal, bool)) == np.inf)
    noisy = eval_records(2, seed=5)
    assert np.all(np.isfinite(ceiling_snr(noisy[0].signal, quiet[0].signal, np.ones_like(quiet[0].signal, bool))))
    cohort = tmp_path / "cohort"
    simulate_cohort(2, seed=5, out_dir=cohort, progress=False)
    from_cohort = eval_underlying(3, seed=0, data=cohort)            # regenerated from cohort.json; cycled
    assert [r.name for r in from_cohort] == ["00001", "00002", "00001"]
    assert np.array_equal(from_cohort[1].signal, quiet[1].signal)


def test_page_ceiling_column(tmp_path):
    from vaescan.digitize.evaluate import digitize_evaluate, eval_underlying

    records, quiet = eval_records(1, seed=2), eval_underlying(1, seed=2)
    table, summary = digitize_evaluate(records, n=1, seed=0, families=("classic",), progress=False,
                                       underlying=quiet, out_dir=tmp_path)
    ceiling = float(table.ceiling_db.iloc[0])
    assert 10 < ceiling < 99                                           # hum and muscle noise: finite
    assert 7.0 <= float(table.snr_db.iloc[0]) <= ceiling, table.snr_db  # dB; measured 9.50 under 10.83
    assert summary["overall"]["ceiling_db"] == round(ceiling, 2)
    assert "ceiling_db" in (tmp_path / "pages.csv").read_text().splitlines()[0]


def test_evaluate_pages_scores_the_ceiling_of_a_synthetic_cohort(tmp_path):
    """The quickstart's cohort is synthetic, so each page also gets the perfect reader's SNR: finite with hum,
    'infinite' (99 dB) for a cohort written without hum and muscle noise."""
    from vaescan.data.synth import NoiseConfig, SynthConfig, simulate_cohort
    from vaescan.digitize.evaluate import eval_underlying

    def ceiling(name: str, hum_mv: float) -> float:
        noise = NoiseConfig(powerline_mv=(hum_mv, hum_mv), muscle_mv=(0.0, 0.0))
        cohort = simulate_cohort(1, 2, tmp_path / name, SynthConfig(noise=noise), progress=False)
        records, underlying = [cohort.read_record(0)], eval_underlying(1, data=cohort)
        table = evaluate_pages(records, tmp_path / f"{name}_pages", n_pages=1, categories=("clean",),
                               underlying=underlying)
        return float(table.ceiling_db.iloc[0])

    with_hum, quiet = ceiling("hum", 0.04), ceiling("quiet", 0.0)
    assert 5.0 < with_hum < 40.0, with_hum
    assert quiet == 99.0


def test_evaluate_folder_scores_pages_in_the_outside_layout(tmp_path):
    """Two vaescan pages written as an outside folder (page.png + WFDB truth with NaN where not shown) score
    as digitize-eval scores the same pages; a swapped pair of leads is caught as misnamed."""
    from vaescan.data.leads import LEADS
    from vaescan.data.records import write_record
    from vaescan.digitize.evaluate import EvalCase, evaluate_folder, lead_names_check, page_evaluate, truth_signals
    from vaescan.pages.distort import Distortion
    from vaescan.pages.image import image_write
    from vaescan.pages.render import PageStyle, ecg_render

    root = tmp_path / "pages"
    expected = {}
    for i, record in enumerate(eval_records(2, seed=1, noiseless=True)):
        style = PageStyle(dpi=100)
        case = EvalCase(f"a_{i + 1:02d}", record, style, Distortion(), "clean", "classic")
        expected[case.page] = page_evaluate(case)["snr_db"]
        image, truth = ecg_render(record, style)
        x, shown = truth_signals(record, truth)
        (root / case.page).mkdir(parents=True)
        image_write(root / case.page / "page.png", image)
        write_record(type(record)(np.where(shown, x, np.nan), 500.0, list(LEADS)), root / case.page / "truth")
    table, summary = evaluate_folder(root, tmp_path / "out", jobs=1, progress=False)
    assert sorted(f.name for f in (tmp_path / "out").iterdir()) == ["pages.csv", "snr_by_category.png",
                                                                     "summary.json"]
    assert list(table.category) == ["a", "a"] and summary["by_category"]["a"]["pages"] == 2
    for row in table.itertuples():            # truth in WFDB is quantised to 1 uV; 100 dpi: 11.6 dB measured
        assert abs(row.snr_db - expected[row.page]) < 0.05, (row.snr_db, expected[row.page])
        assert row.snr_db > 9 and row.misnamed == 0 and row.error == ""
    assert summary["rejected"] == {} and summary["overall"]["misnamed_leads"] == 0
    assert summary["overall"]["misnamed_silent"] == 0
    assert summary["overall"]["leads_read"] == 24 and summary["overall"]["names_right"] == 1.0

    x, shown = truth_signals(record, truth)
    truth_nan = np.where(shown, x, np.nan)
    swapped = truth_nan + 0.01 * np.random.default_rng(0).normal(size=x.shape)
    swapped[:, [0, 2]] = swapped[:, [2, 0]]                     # I and III: the same 0-2.5 s on a 3x4 page
    check = lead_names_check(truth_nan, swapped, 500.0)
    assert (check["I"]["status"], check["I"]["best"]) == ("misnamed", "III")
    assert (check["III"]["status"], check["III"]["best"]) == ("misnamed", "I")
    assert all(check[lead]["status"] == "right" for lead in LEADS if lead not in ("I", "III"))


def test_every_distortion_category_meets_every_style_family():
    # with 8 categories and 4 families a family that moved with its category gave each category one family
    # only (crease and phone pages were all held-out style), so per-family and per-category scores were confounded
    from collections import Counter

    from vaescan.data.leads import LEADS
    from vaescan.data.records import Record
    from vaescan.digitize.evaluate import DISTORTION_CATEGORIES, STYLE_FAMILIES, eval_cases

    records = [Record(np.zeros((10, 12)), 500.0, list(LEADS), name=f"r{i}") for i in range(60)]
    cases = eval_cases(records, 60, seed=0)
    pairs = Counter((c.category, c.family) for c in cases)
    assert set(pairs) == {(cat, fam) for cat in DISTORTION_CATEGORIES for fam in STYLE_FAMILIES}
    assert set(Counter(c.family for c in cases).values()) == {15}

"""``vaescan quickstart``: the whole pipeline on the built-in synthetic cohort, in one command.

Steps, each writing into its own place under the output folder and skipped when
its result is already there (so an interrupted quickstart resumes):

1. ``cohort/``: a synthetic cohort with known ground truth (``vaescan synth``);
2. ``features.csv`` and ``feature_recovery.json``: the engineered features
   (``vaescan features``) against the truth;
3. ``digitize/``: a few records printed as clean and distorted ECG pages,
   digitised back and scored with the Challenge 2024 SNR (``vaescan digitize``);
4. ``vae_scan/``: a small beta-VAE and SCAN trained on the cohort's median beats
   (``vaescan train-vae``, ``train-scan``), with the traversal, association and
   generated-beat figures (``vaescan traverse``, ``associate``, ``generate``);
5. ``blackbox/``: a black-box residual CNN on the 10 s signals (``vaescan train-blackbox``)
   and its Jacobian explanations of the test records with a label whose cause is known
   (``vaescan explain``), scored by where they point (:mod:`vaescan.analysis.localisation`);
6. ``blackbox_image/``: the black-box 2-D CNN on the records' page images (the settings of
   ``configs/blackbox_image_synthetic.yaml``, fewer epochs);
7. ``report/``: the trade-off report (``vaescan report``): engineered features, SCAN, boosted VAE factors
   and both black boxes scored on the same test records, and the photographed path (a few test records printed,
   distorted, digitised and read by the same representations, :mod:`vaescan.workflows.photographed`),
   ``report.html``;

``small`` (``vaescan quickstart --small``) keeps every step but makes it a smoke run: a smaller cohort whose
labels are more frequent (:data:`SMALL_PREVALENCE`, so its few test records hold positives), the same networks
trained for fewer epochs, fewer traversal figures, explained records and bootstrap resamples
(:func:`quickstart_models`).

``summary.json`` and ``summary.md`` collect the measured numbers; the summary is
printed at the end.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vaescan.config import config_to_dict, save_config
from vaescan.data.features import cohort_features
from vaescan.data.sources import Cohort, load_cohort
from vaescan.data.synth import SynthConfig, simulate_cohort
from vaescan.data.synth.clinical import RISK
from vaescan.data.synth.recovery import feature_recovery
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path, read_json, write_json, write_text


@dataclass(frozen=True)
class QuickstartConfig:
    """Settings of the quickstart (saved as ``quickstart_config.json`` in the output folder).

    n_records: synthetic records; seed: cohort and page seed; n_pages: records printed as a clean and a
    distorted page each and digitised (0 skips the step); models: train the small VAE-SCAN and draw its
    figures (False skips the step); small: the smoke run's cohort prevalences, epochs and counts
    (:func:`quickstart_models`; the record and page counts stay as given, see :func:`small_config`).
    preset: the synthetic cohort's preset (:meth:`~vaescan.data.synth.SynthConfig.preset`): ``realistic``
    (default: subtle signatures, AF by rhythm, misread labels, so the report's representations can differ) or
    ``easy`` (clear signatures, for tests); ``small`` raises the prevalences of either.
    """

    n_records: int = 300
    seed: int = 0
    n_pages: int = 4
    models: bool = True
    small: bool = False
    preset: str = "realistic"


SMALL_RECORDS = 200
"""Records of the ``--small`` smoke run's cohort (30 test records)."""

SMALL_PAGES = 1
"""Records the ``--small`` run prints and digitises (one clean and one distorted page)."""

SMALL_PREVALENCE = 0.15
"""Every label's prevalence at 60 years in the ``--small`` cohort (defaults 0.05-0.09, which would leave 1-3
positives per label in its 30 test records; at seed 0 it has 2-8, none of RBBB)."""


def small_config(n_records: int | None = None, seed: int = 0, n_pages: int | None = None,
                 models: bool = True, preset: str = QuickstartConfig.preset) -> QuickstartConfig:
    """The ``--small`` smoke run's settings (:data:`SMALL_RECORDS`, :data:`SMALL_PAGES` unless given).

    Example
    -------
    >>> cfg = small_config()
    >>> cfg.n_records, cfg.n_pages, cfg.small
    (200, 1, True)
    """
    return QuickstartConfig(n_records=SMALL_RECORDS if n_records is None else n_records, seed=seed,
                            n_pages=SMALL_PAGES if n_pages is None else n_pages, models=models, small=True,
                            preset=preset)


@dataclass(frozen=True)
class QuickstartModels:
    """How big the quickstart's models and analyses are (:func:`quickstart_models`).

    vae_epochs, vae_channels, vae_hidden: the beta-VAE (8 factors, 125 Hz beats); scan_epochs: SCAN;
    traversal_figures: factors drawn one figure each (None = every active factor; the overview has all);
    bb_stem, bb_widths, bb_epochs: the signal black box (100 Hz, 10 s); explain_records: test records with a
    localised label whose Jacobians are computed (0 = all), explain_figures: of which drawn;
    n_boot: bootstrap resamples of the report; min_per_class: test records per class a label needs to enter the
    macro AUROC; profile_records: test records the report's explainability profile explains.
    image_epochs: the image black box's epochs (its other settings: configs/blackbox_image_synthetic.yaml);
    digitised_records: test records the report prints, distorts and digitises for the photographed path.
    """

    vae_epochs: int = 40
    vae_channels: tuple[int, ...] = (16, 32, 64)
    vae_hidden: int = 128
    scan_epochs: int = 150
    traversal_figures: int | None = None
    bb_stem: tuple[int, ...] = (32, 32, 32)
    bb_widths: tuple[int, ...] = (32, 64, 128)
    bb_epochs: int = 20
    explain_records: int = 0
    explain_figures: int = 6
    n_boot: int = 1000
    min_per_class: int = 5
    profile_records: int = 20
    image_epochs: int = 30
    digitised_records: int = 24


def quickstart_models(config: QuickstartConfig) -> QuickstartModels:
    """The model and analysis sizes of a quickstart: the defaults, or the smoke run's for ``config.small``.

    Example
    -------
    >>> quickstart_models(QuickstartConfig()).vae_epochs, quickstart_models(small_config()).vae_epochs
    (40, 25)
    """
    if not config.small:
        return QuickstartModels()
    return QuickstartModels(vae_epochs=25, scan_epochs=100, traversal_figures=2, bb_epochs=15, explain_records=6,
                            explain_figures=2, n_boot=200, min_per_class=3, profile_records=12,
                            image_epochs=4, digitised_records=8)


def _synth_config(cfg: QuickstartConfig) -> SynthConfig:
    config = SynthConfig.preset(cfg.preset)
    return dataclasses.replace(config, prevalence={label: SMALL_PREVALENCE for label in RISK}) if cfg.small else config


def _step_cohort(out: Path, cfg: QuickstartConfig, jobs: int, progress: bool) -> dict:
    cohort = simulate_cohort(cfg.n_records, cfg.seed, out / "cohort", _synth_config(cfg), jobs=jobs,
                             overwrite=True, progress=progress)
    counts = {label: int(cohort.metadata[label].sum()) for label in cohort.label_names}
    return {"n_records": len(cohort), "seed": cfg.seed, "labels": counts, "preset": cfg.preset}


def _step_features(out: Path, cfg: QuickstartConfig, jobs: int, progress: bool) -> dict:
    cohort = load_cohort(out / "cohort")
    table, batch = cohort_features(cohort, jobs=jobs, progress=progress)
    with atomic_path(out / "features.csv") as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    truth = cohort.metadata.set_index("record_id")
    report = feature_recovery(truth, table.set_index("record_id"))
    write_json(out / "feature_recovery.json", report)
    return {"measured": len(table), "skipped": len(batch.skipped),
            "mae": {k: round(v["mae"], 2) for k, v in report["targets"].items()},
            "targets_met": all(v["met"] for v in report["targets"].values())}


def _step_digitize(out: Path, cfg: QuickstartConfig, jobs: int, progress: bool) -> dict:
    if cfg.n_pages == 0:
        return {"pages": 0}
    from vaescan.digitize.evaluate import eval_underlying, evaluate_pages

    cohort = load_cohort(out / "cohort")
    records = [cohort.read_record(i) for i in range(min(cfg.n_pages, len(cohort)))]
    table = evaluate_pages(records, out / "digitize", n_pages=cfg.n_pages, seed=cfg.seed,
                           underlying=eval_underlying(len(records), data=cohort), progress=progress)
    by_category = table.groupby("category")[["snr_db", "snr_shift_db", "ceiling_db"]].mean().round(2)
    return {"pages": len(table), "snr_db": by_category["snr_db"].to_dict(),
            "snr_shift_db": by_category["snr_shift_db"].to_dict(),
            "ceiling_db": by_category["ceiling_db"].to_dict(),
            "per_page": table[["page", "category", "snr_db", "snr_shift_db", "ceiling_db"]].round(2).to_dict("records")}


def quickstart_binary(cohort: Cohort) -> list[str]:
    """The binary tasks the quickstart's SCAN and signal black box learn: every label of the cohort and ``sex``
    (issue 17: every label, age and sex are the report's tasks, for each representation).

    Example
    -------
    >>> quickstart_binary(Cohort(".", pd.DataFrame({"record_id": ["a"]}), label_names=["NORM", "AF"]))
    ['NORM', 'AF', 'sex']
    """
    return [*cohort.label_names, "sex"]


def _step_vae_scan(out: Path, cfg: QuickstartConfig, jobs: int, progress: bool) -> dict:
    if not cfg.models:
        return {"trained": False}
    from vaescan.workflows.vae_scan import quick_configs, run_vae_scan  # torch: imported only when training

    size = quickstart_models(cfg)
    vae_cfg, scan_cfg = quick_configs(out / "cohort", out / "vae_scan")
    vae_cfg = dataclasses.replace(vae_cfg, vae=dataclasses.replace(
        vae_cfg.vae, epochs=size.vae_epochs, warmup_epochs=min(vae_cfg.vae.warmup_epochs, size.vae_epochs),
        channels=size.vae_channels, hidden=size.vae_hidden))
    cohort = load_cohort(out / "cohort")
    scan_cfg = dataclasses.replace(scan_cfg, binary=quickstart_binary(cohort),
                                   scan=dataclasses.replace(scan_cfg.scan, epochs=size.scan_epochs))
    summary = run_vae_scan(out / "cohort", out / "vae_scan", vae_cfg, scan_cfg, jobs=jobs, progress=progress,
                           traversal_figures=size.traversal_figures)
    test = cohort.metadata[cohort.metadata.split == "test"]
    positives = {label: int(test[label].sum()) for label in quickstart_binary(cohort)}   # sex: the women
    return {"trained": True, **summary, "test_positives": positives}


def _step_blackbox(out: Path, cfg: QuickstartConfig, jobs: int, progress: bool) -> dict:
    if not cfg.models:
        return {"trained": False}
    from vaescan.analysis.localisation import explanation_localisation  # torch: imported only when training
    from vaescan.data.dataset import DataConfig
    from vaescan.models.blackbox import BlackBoxConfig
    from vaescan.models.run_configs import BlackBoxRunConfig
    from vaescan.workflows.blackbox import train_blackbox_run
    from vaescan.workflows.explain import ExplainSettings, explain_run

    size = quickstart_models(cfg)
    model = BlackBoxConfig(stem=size.bb_stem, widths=size.bb_widths, epochs=size.bb_epochs)
    cohort = load_cohort(out / "cohort")
    run = train_blackbox_run(BlackBoxRunConfig(output=str(out / "blackbox"), data=DataConfig(
        path=str(out / "cohort"), jobs=jobs), binary=quickstart_binary(cohort), model=model),
        force=True, progress=progress)
    metrics = read_json(run / "metrics.json")
    test = cohort.metadata[cohort.metadata.split == "test"]
    labels = [label for label in LOCALISED if label in test.columns]
    positives = test[test[labels].sum(axis=1) > 0]
    if size.explain_records:
        positives = positives.iloc[:size.explain_records]
    explained = explain_run(run, [cohort.record_path(i) for i in positives.index], out / "blackbox" / "explain",
                            ExplainSettings(figures=size.explain_figures, jobs=jobs), progress=progress)
    per = explanation_localisation(pd.read_csv(explained / "explanation.csv", dtype={"record_id": str}),
                                   cohort.metadata, labels)
    hits = {label: [int(per[per.label == label].hit.sum()), int((per.label == label).sum())] for label in labels}
    return {"trained": True, "auroc": metrics["auroc"], "age_mae": metrics["mae"].get("age"),
            "localised": hits, "test_positives": {label: int(test[label].sum()) for label in quickstart_binary(cohort)}}


IMAGE_MODEL = dict(input="image", stem=(16, 16), widths=(16, 32, 64, 64), blocks=1, kernel=3, dropout=0.2,
                   batch_size=8)
"""The image black box of ``configs/blackbox_image_synthetic.yaml`` but for its batches of 8 pages: the
quickstart's 210 training pages then give 27 steps an epoch, not 7 (with 7 it stayed at chance, docs/explain.md)."""

IMAGE_PAGES = dict(layout="12x1", ink="value")
"""Its page images, as in the config (:class:`~vaescan.pages.model_input.PageInputConfig`: 50 dpi, 256 x 384 px,
distortion 0.3): every lead printed 10 s long, read through the brightest colour channel (the pink grid fades)."""


def _step_blackbox_image(out: Path, cfg: QuickstartConfig, jobs: int, progress: bool) -> dict:
    if not cfg.models:
        return {"trained": False}
    from vaescan.data.dataset import DataConfig  # torch: imported only when training
    from vaescan.models.blackbox import BlackBoxConfig
    from vaescan.models.run_configs import BlackBoxRunConfig
    from vaescan.pages.model_input import PageInputConfig
    from vaescan.workflows.blackbox import train_blackbox_run

    size = quickstart_models(cfg)
    run = train_blackbox_run(BlackBoxRunConfig(
        output=str(out / "blackbox_image"), data=DataConfig(path=str(out / "cohort"), jobs=jobs), input="image",
        image=PageInputConfig(**IMAGE_PAGES), model=BlackBoxConfig(epochs=size.image_epochs, **IMAGE_MODEL)),
        force=True, progress=progress)
    metrics = read_json(run / "metrics.json")
    return {"trained": True, "epochs": size.image_epochs, "auroc": metrics["auroc"],
            "age_mae": metrics["mae"].get("age")}


def _step_report(out: Path, cfg: QuickstartConfig, jobs: int, progress: bool) -> dict:
    if not cfg.models:
        return {"written": False}
    from vaescan.workflows.report_sections import SectionSettings
    from vaescan.workflows.tradeoff import tradeoff_report  # torch: imported only with the models

    size = quickstart_models(cfg)
    # the report's digitisation examples are the digitise step's pages (none when it printed none)
    sections = SectionSettings(digitized=str(out / "digitize") if (out / "digitize" / "pages.csv").exists() else None)
    folder = tradeoff_report([out / "vae_scan" / "scan", out / "blackbox", out / "blackbox_image"], out / "cohort",
                             out / "report", n_boot=size.n_boot, min_per_class=size.min_per_class, jobs=jobs,
                             progress=progress, profile_n=size.profile_records, sections=sections,
                             digitised=size.digitised_records)
    summary = pd.read_csv(folder / "summary.csv")
    info = read_json(folder / "report.json")
    profile = pd.read_csv(folder / "profile.csv") if (folder / "profile.csv").exists() else pd.DataFrame()
    paper = pd.read_csv(folder / "paper_cost.csv") if (folder / "paper_cost.csv").exists() else pd.DataFrame()
    return {"digitised": info.get("digitised"),
            "paper_gap": {r.representation: [r.gap, r.gap_low, r.gap_high] for r in paper.itertuples()},
            "written": True, "report": str((folder / "report.html").relative_to(out)),
            "macro_labels": info["macro_labels"], "best": info["best"],
            "macro_auroc": {r.representation: [r.macro_auroc, r.macro_auroc_low, r.macro_auroc_high]
                            for r in summary.itertuples()},
            "deletion_ratio": {r.representation: r.deletion_ratio for r in profile.itertuples()
                               if math.isfinite(r.deletion_ratio)},
            "localised": {r.representation: r.localisation_top_hit for r in profile.itertuples()
                          if math.isfinite(r.localisation_top_hit)}}


STEPS: tuple[tuple[str, str, Callable[[Path, QuickstartConfig, int, bool], dict]], ...] = (
    ("cohort", "simulate the synthetic cohort", _step_cohort),
    ("features", "measure interval features and compare with the truth", _step_features),
    ("digitize", "print records as clean and distorted pages, digitise them, score the SNR", _step_digitize),
    ("vae_scan", "train a small VAE-SCAN, traverse its factors, associate, generate", _step_vae_scan),
    ("blackbox", "train a black-box CNN on the signals and explain it through its Jacobian", _step_blackbox),
    ("blackbox_image", "train a black-box CNN on the page images", _step_blackbox_image),
    ("report", "score every representation on the test split: the trade-off report", _step_report),
)
"""(name, what it does, function): run in order; a step's summary is saved as ``steps/<name>.json``."""


LEGACY_DEFAULTS = {"preset": "easy"}
"""Settings a quickstart folder written before they existed holds: the cohort was the easy one before ``preset``
(whose default is now ``realistic``) was saved."""


def run_quickstart(out_dir: str | Path, config: QuickstartConfig = QuickstartConfig(), jobs: int = 1,
                   progress: bool = True) -> dict:
    """Run every quickstart step into ``out_dir`` (skipping finished ones) and return the summary.

    A step is finished when ``out_dir/steps/<name>.json`` exists; it is written
    last and atomically, so an interrupted step is redone on the next run. The
    settings must match those of a previous run in the same folder.

    Example
    -------
    >>> summary = run_quickstart("runs/quickstart")  # doctest: +SKIP
    >>> summary["features"]["targets_met"]  # doctest: +SKIP
    True
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config_path = out / "quickstart_config.json"
    # a folder from before a setting existed holds that setting's default of then (LEGACY_DEFAULTS)
    if config_path.exists() and {**config_to_dict(QuickstartConfig()), **LEGACY_DEFAULTS,
                                 **read_json(config_path)} != config_to_dict(config):
        raise VaescanInputError(config_path, "this folder holds a quickstart run with other settings; "
                                "use another --output or the same settings")
    save_config(config, config_path)
    summary = {}
    for i, (name, what, fn) in enumerate(STEPS, 1):
        done = out / "steps" / f"{name}.json"
        if done.exists():
            print(f"[{i}/{len(STEPS)}] {name}: done already ({done})")
            summary[name] = read_json(done)
            continue
        print(f"[{i}/{len(STEPS)}] {name}: {what}")
        start = time.perf_counter()
        result = fn(out, config, jobs, progress)
        result["seconds"] = round(time.perf_counter() - start, 1)
        write_json(done, result)
        summary[name] = result
    write_json(out / "summary.json", summary)
    write_text(out / "summary.md", summary_markdown(summary))
    return summary


LOCALISED = ("LBBB", "MI_ANT", "LQT", "HYPERK", "AVB1")
"""Labels whose explanations the quickstart checks against the known cause (:mod:`vaescan.analysis.localisation`)."""

MIN_POSITIVES = 5
"""A label's test AUROC is printed in the summary only with at least this many positive test records."""


def summary_markdown(summary: dict) -> str:
    """The quickstart summary as a short Markdown report (what was measured, against which target).

    Example
    -------
    >>> print(summary_markdown({"cohort": {"n_records": 10, "seed": 0, "labels": {"NORM": 6}}}))
    # vaescan quickstart
    <BLANKLINE>
    - Synthetic cohort: 10 records (seed 0); labels: NORM 6
    <BLANKLINE>
    """
    lines = ["# vaescan quickstart", ""]
    if "cohort" in summary:
        c = summary["cohort"]
        labels = ", ".join(f"{k} {v}" for k, v in c["labels"].items())
        preset = "" if c.get("preset", "easy") == "easy" else f", {c['preset']} preset"
        lines.append(f"- Synthetic cohort: {c['n_records']} records (seed {c['seed']}{preset}); labels: {labels}")
    if "features" in summary:
        f = summary["features"]
        mae = ", ".join(f"{k} {v}" for k, v in f["mae"].items())
        lines.append(f"- Engineered features vs truth ({f['measured']} records, {f['skipped']} skipped): "
                     f"MAE {mae} ({'all targets met' if f['targets_met'] else 'a target MISSED'}; "
                     "targets QRS <= 10 ms, PR and QT <= 20 ms, HR <= 2 bpm)")
    if summary.get("digitize", {}).get("pages"):
        d = summary["digitize"]
        parts, any_ceiling = [], False
        for k, v in d["snr_db"].items():
            ceiling = d.get("ceiling_db", {}).get(k)            # unknown (None / NaN) unless the cohort is synthetic
            known = ceiling is not None and math.isfinite(ceiling)
            any_ceiling |= known
            ceiling_text = f", ceiling {ceiling} dB" if known else ""
            parts.append(f"{k} {v} dB (best shift {d['snr_shift_db'][k]} dB{ceiling_text})")
        why = ("; the ceiling is a perfect reader's score: paper cannot show the records' mains hum"
               if any_ceiling else "")
        lines.append(f"- Digitisation of {d['pages']} rendered pages, Challenge 2024 SNR: {', '.join(parts)} "
                     f"(targets: clean >= 20 dB, distorted >= 12 dB{why}); pages in `digitize/`")
    if summary.get("vae_scan", {}).get("trained"):
        v = summary["vae_scan"]
        positives = v["test_positives"]
        scored = {k: a for k, a in v["auroc"].items() if a == a and positives.get(k, 0) >= MIN_POSITIVES}
        auroc = ", ".join(f"{k} {a:.2f} ({positives[k]} positives)" for k, a in scored.items())
        rare = sorted(set(v["auroc"]) - set(scored))
        readout = f"; linear read-out R2 of the true factors {v['readout_r2_mean']:.2f} (mean)" \
            if v.get("readout_r2_mean") is not None else ""
        lines.append(f"- VAE-SCAN: test reconstruction RMSE {v['test_rmse_uv']:.1f} uV, {v['n_active']} active "
                     f"factors{readout}; SCAN test AUROC {auroc or 'none: no label could be scored'}"
                     + (f"; not scored, under {MIN_POSITIVES} test positives: {', '.join(rare)}" if rare else ""))
        if v.get("anchored_rho"):
            rho = ", ".join(f"{k} {r:.2f}" for k, r in v["anchored_rho"].items())
            lines.append(f"- Anchored factors (tied to measured intervals in training) vs the true factors, "
                         f"test Spearman rho: {rho}")
        if v.get("generated_qrs_ms") is None:               # no label other than NORM (and sex) to generate
            lines.append("- Generated beats: none (no label other than NORM and sex to set); figures in "
                         "`vae_scan/traversal`, `vae_scan/associations`")
        else:
            lines.append(f"- Generated beats: QRS {v['generated_qrs_ms']:.0f} ms for the label vs "
                         f"{v['reference_qrs_ms']:.0f} ms for NORM; figures in `vae_scan/traversal`, "
                         "`vae_scan/associations`, `vae_scan/generated`")
    if summary.get("blackbox", {}).get("trained"):
        b = summary["blackbox"]
        positives = b["test_positives"]
        auroc = ", ".join(f"{k} {a:.2f}" for k, a in b["auroc"].items() if a == a and positives.get(k, 0) >=
                          MIN_POSITIVES)
        localised = ", ".join(f"{k} {hit}/{n}" for k, (hit, n) in b["localised"].items() if n)
        lines.append(f"- Black box (1-D residual CNN on the 10 s signals): test AUROC {auroc or 'none scored'}; "
                     f"age MAE {b['age_mae']:.1f} y")
        lines.append(f"- Its Jacobian explanations point at the known cause (top lead x wave in the label's "
                     f"defining waves) for {localised or 'no test true positive'} test true positives; figures "
                     "and sentences in `blackbox/explain`")
    if summary.get("blackbox_image", {}).get("trained"):
        b = summary["blackbox_image"]
        positives = summary.get("blackbox", {}).get("test_positives", {})
        auroc = ", ".join(f"{k} {a:.2f}" for k, a in b["auroc"].items() if a == a and positives.get(k, 0) >=
                          MIN_POSITIVES)
        lines.append(f"- Black box on the page images (2-D CNN, {b['epochs']} epochs): test AUROC "
                     f"{auroc or 'none scored'}")
    if summary.get("report", {}).get("written"):
        r = summary["report"]
        scores = "; ".join(f"{name} {v:.2f} [{lo:.2f}, {hi:.2f}]" for name, (v, lo, hi) in r["macro_auroc"].items()
                           if v == v)       # the digitised rows: on their few records, see the photographed path
        lines.append(f"- Trade-off report, test macro AUROC over {', '.join(r['macro_labels'])} (95% bootstrap "
                     f"intervals): {scores}; `{r['report']}`")
        if r.get("deletion_ratio"):
            ratios = "; ".join(f"{name} {v:.2f}" for name, v in r["deletion_ratio"].items())
            lines.append(f"- Explainability profile: deletion AUC of the most attributed inputs relative to a random "
                         f"order (1 = no better than random): {ratios}")
        if r.get("digitised"):
            d = r["digitised"]
            gaps = "; ".join(f"{name} {g:+.3f} [{lo:+.3f}, {hi:+.3f}]" for name, (g, lo, hi) in r["paper_gap"].items()
                             if g == g)
            lines.append(f"- Photographed path: {d['printed']} test records printed ({d['layout']}), distorted and "
                         f"digitised, {d['rejected']} page(s) rejected (train prior in their place); macro AUROC "
                         f"digitised minus original: {gaps or 'not scored'}; `report/paper_cost.csv`")
    return "\n".join(lines) + "\n"

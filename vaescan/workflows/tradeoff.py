"""The trade-off report: every representation's test predictions -> scores -> table, figure, report.md/html.

Adapters turn what exists into prediction tables (``record_id``, ``prob_<label>``,
``pred_<variable>``) for the test split of one cohort:

- level 1, :func:`feature_predictions`: engineered features (:func:`vaescan.data.features.cohort_features`),
  median imputation, standardisation, logistic / linear regression fitted on ``train``;
- levels 2 and 3, :func:`scan_predictions`: a SCAN run's linear head on the test median beats, and
  gradient boosting on the run's VAE encodings (fitted on ``train``);
- levels 4 and 5, :func:`blackbox_predictions`: a black-box run (signal or page image) on its test inputs.

:func:`tradeoff_report` scores them (:func:`vaescan.analysis.tradeoff.tradeoff_analysis`) and writes the report,
with the latent explorer's data of every SCAN run (:func:`explorer_runs`).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from vaescan.analysis.explain_profile import profile_table
from vaescan.analysis.explorer import explorer_data
from vaescan.analysis.paper_cost import paper_gaps
from vaescan.analysis.tradeoff import TradeoffResult, tradeoff_analysis
from vaescan.config import load_config
from vaescan.data.beats import BeatSet
from vaescan.data.cohort import Cohort
from vaescan.data.dataset import load_data
from vaescan.data.features import cohort_features, feature_names
from vaescan.data.sources import load_cohort
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path, write_json
from vaescan.models.blackbox import BlackBox
from vaescan.models.predict import prediction_table
from vaescan.models.run import CONFIG_FILE, require_done
from vaescan.models.run_configs import BlackBoxRunConfig, SCANRunConfig
from vaescan.models.scan import SCAN
from vaescan.report.ecg_plots import save_figure
from vaescan.report.paper_cost import paper_html, paper_markdown, paper_overlay
from vaescan.report.published import published_comparison
from vaescan.report.sections import Section, sections_html, sections_markdown
from vaescan.report.tradeoff import plot_tradeoff, render_html, render_markdown
from vaescan.workflows.blackbox import load_inputs
from vaescan.workflows.photographed import (
    DIGITISED_LEVEL,
    PAPER_LAYOUT,
    PAPER_MIX,
    DigitisedPages,
    blackbox_on,
    complete,
    digitised_cohort,
    digitised_name,
    features_on,
    paper_summary,
    scan_on,
)
from vaescan.workflows.profile import (
    PROFILE_RECORDS,
    blackbox_profile,
    boosted_profile,
    feature_profile,
    profile_records,
    scan_profile,
    stability_rows,
)
from vaescan.workflows.report_sections import DEFAULT_SECTIONS, SectionSettings, report_sections

Representations = dict[str, tuple[int, pd.DataFrame]]
"""Representation name -> (explainability level, test predictions)."""


def clinical_tasks(cohort: Cohort) -> tuple[list[str], list[str]]:
    """The tasks of the report: every label plus ``sex`` (if coded 0/1), and the continuous variables (age).

    Example
    -------
    >>> meta = pd.DataFrame({"record_id": ["a", "b"], "sex": [0, 1], "age": [50.0, 60.0], "AF": [0, 1]})
    >>> clinical_tasks(Cohort(".", meta, label_names=["AF"], continuous_names=["age"]))
    (['AF', 'sex'], ['age'])
    """
    meta = cohort.metadata
    binary = list(cohort.label_names)
    if "sex" in meta.columns and "sex" not in binary and set(meta["sex"].dropna().unique()) <= {0, 1}:
        binary.append("sex")
    return binary, [c for c in cohort.continuous_names if c in meta.columns]


def _fit_heads(x_train: np.ndarray, rows_train: pd.DataFrame, x_test: np.ndarray, binary: Sequence[str],
               continuous: Sequence[str], classifier, regressor, models: dict | None = None) -> pd.DataFrame:
    """Per task, a fresh head (``classifier()`` / ``regressor()``) fitted on the train rows with a known target,
    predicted on ``x_test``: probabilities for binary tasks, values for continuous ones (NaN if not fittable).
    The fitted heads are put in ``models`` (task -> model) when given."""
    out = {}
    for names, make, binary_task in ((binary, classifier, True), (continuous, regressor, False)):
        for name in names:
            y = rows_train[name].to_numpy(dtype=np.float64)
            keep = np.isfinite(y)
            if keep.sum() < 3 or (binary_task and len(np.unique(y[keep])) < 2):
                out[name] = np.full(len(x_test), np.nan)
                continue
            model = make().fit(x_train[keep], y[keep].astype(int) if binary_task else y[keep])
            if models is not None:
                models[name] = model
            out[name] = model.predict_proba(x_test)[:, 1] if binary_task else model.predict(x_test)
    return pd.DataFrame(out, columns=[*binary, *continuous])


@dataclasses.dataclass
class FeatureFit:
    """Level 1 fitted: the test ``predictions``, the fitted ``models`` (task -> imputer, scaler, linear model),
    and the test records' raw features ``x_test`` (records x :func:`feature_names`) with their ``test_ids``."""

    predictions: pd.DataFrame
    models: dict
    x_test: np.ndarray
    test_ids: list[str]


RIDGE_ALPHAS = tuple(float(a) for a in np.logspace(-2, 4, 13))
"""Penalties of the features' linear model of a continuous target (age): 57 features on a few hundred train
records overfit unpenalised (quickstart, realistic preset, 210 train records: test R2 of age -0.56 plain,
0.16 with the penalty chosen by leave-one-out, 100)."""


def feature_predictions(cohort: Cohort, binary: Sequence[str], continuous: Sequence[str], *, jobs: int = 1,
                        progress: bool = True) -> pd.DataFrame:
    """Level 1: engineered interval features -> median imputation -> standardisation -> logistic regression
    per label and ridge regression per continuous variable (its penalty chosen by leave-one-out among
    :data:`RIDGE_ALPHAS`), fitted on ``train``, predicted on ``test``.

    Example
    -------
    >>> from vaescan.data.sources import load_cohort
    >>> cohort = load_cohort("runs/synthetic")  # doctest: +SKIP
    >>> feature_predictions(cohort, ["AF"], ["age"]).columns.tolist()  # doctest: +SKIP
    ['record_id', 'prob_AF', 'pred_age', 'skipped']
    """
    return feature_fit(cohort, binary, continuous, jobs=jobs, progress=progress).predictions


def feature_fit(cohort: Cohort, binary: Sequence[str], continuous: Sequence[str], *, jobs: int = 1,
                progress: bool = True) -> FeatureFit:
    """:func:`feature_predictions` with the fitted models and the test features kept (:class:`FeatureFit`).

    Example
    -------
    >>> fit = feature_fit(cohort, ["AF"], ["age"])  # doctest: +SKIP
    >>> fit.models["AF"][-1].coef_.shape  # doctest: +SKIP
    (1, 57)
    """
    split = cohort.metadata["split"]
    used = cohort.subset((split == "train") | (split == "test"))
    table, batch = cohort_features(used, jobs=jobs, progress=progress)
    meta = used.metadata[["record_id", "split", *binary, *continuous]]
    rows = meta.assign(record_id=meta["record_id"].astype(str)).merge(
        table.assign(record_id=table["record_id"].astype(str)), on="record_id", how="inner")
    x = rows[feature_names()].to_numpy(dtype=np.float64)
    train, test = (rows["split"] == "train").to_numpy(), (rows["split"] == "test").to_numpy()
    if not train.any():
        raise VaescanInputError(cohort.root, "no train record with measurable features")

    def pipeline(estimator):
        return lambda: make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), estimator)

    models: dict = {}
    pred = _fit_heads(x[train], rows[train], x[test], binary, continuous,
                      pipeline(LogisticRegression(max_iter=2000)), pipeline(RidgeCV(alphas=RIDGE_ALPHAS)), models)
    test_ids = set(cohort.metadata.loc[split == "test", "record_id"].astype(str))
    ids = rows.loc[test, "record_id"].tolist()
    table = prediction_table(pred, ids, [(rid, why) for (rid, _), why in batch.skipped if rid in test_ids],
                             list(binary))
    return FeatureFit(table, models, x[test], ids)


def scan_predictions(run: str | os.PathLike[str], cohort: Cohort, binary: Sequence[str],
                     continuous: Sequence[str], *, cache_dir: str | None = None, jobs: int = 1,
                     progress: bool = True, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Levels 2 and 3 from one SCAN run on the cohort's median beats (the run's beat settings): the SCAN
    head's test predictions, and those of histogram gradient boosting on the run's VAE encodings
    (one model per task, fitted on ``train``).

    Example
    -------
    >>> scan_pred, boosted = scan_predictions("runs/scan1", cohort, ["AF"], ["age"])  # doctest: +SKIP
    """
    linear, boosted, _, _ = scan_fit(run, cohort, binary, continuous, cache_dir=cache_dir, jobs=jobs,
                                     progress=progress, seed=seed)
    return linear, boosted


def scan_fit(run: str | os.PathLike[str], cohort: Cohort, binary: Sequence[str], continuous: Sequence[str], *,
             cache_dir: str | None = None, jobs: int = 1, progress: bool = True,
             seed: int = 0, models: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame, SCAN, BeatSet]:
    """:func:`scan_predictions` with the loaded SCAN and the test beats kept (and the boosted heads put in
    ``models``, task -> fitted model, when given).

    Example
    -------
    >>> linear, boosted, scan, test_beats = scan_fit("runs/scan1", cohort, ["AF"], ["age"])  # doctest: +SKIP
    """
    config = load_config(SCANRunConfig, Path(run) / CONFIG_FILE)
    data = load_data(dataclasses.replace(config.data, path=str(cohort.root), simulate_n=0, jobs=jobs,
                                         cache_dir=cache_dir or config.data.cache_dir), progress)
    scan = SCAN.load(run)
    (train_beats, train_rows), (test_beats, _) = data.split("train"), data.split("test")
    linear = prediction_table(scan.predict(test_beats), test_beats.record_ids, [], scan.binary_names_)
    z_train, z_test = scan.vae.transform(train_beats), scan.vae.transform(test_beats)
    boosted = _fit_heads(z_train, train_rows, z_test, binary, continuous,
                         lambda: HistGradientBoostingClassifier(random_state=seed),
                         lambda: HistGradientBoostingRegressor(random_state=seed), models)
    return linear, prediction_table(boosted, test_beats.record_ids, [], list(binary)), scan, test_beats


def blackbox_predictions(run: str | os.PathLike[str], cohort: Cohort, *, cache_dir: str | None = None,
                         jobs: int = 1, progress: bool = True) -> tuple[str, pd.DataFrame]:
    """A black-box run's input kind (``signal`` or ``image``) and its predictions on the cohort's test split
    (inputs made with the run's own settings, :func:`vaescan.workflows.blackbox.load_inputs`).

    Example
    -------
    >>> kind, pred = blackbox_predictions("runs/blackbox_signal", cohort)  # doctest: +SKIP
    """
    config, _, pred = blackbox_fit(run, cohort, cache_dir=cache_dir, jobs=jobs, progress=progress)
    return config.input, pred


def blackbox_fit(run: str | os.PathLike[str], cohort: Cohort, *, cache_dir: str | None = None, jobs: int = 1,
                 progress: bool = True) -> tuple[BlackBoxRunConfig, BlackBox, pd.DataFrame]:
    """:func:`blackbox_predictions` with the run's config and loaded model kept.

    Example
    -------
    >>> config, model, pred = blackbox_fit("runs/blackbox_signal", cohort)  # doctest: +SKIP
    """
    config = load_config(BlackBoxRunConfig, Path(run) / CONFIG_FILE)
    config = dataclasses.replace(config, data=dataclasses.replace(
        config.data, path=str(cohort.root), simulate_n=0, jobs=jobs, cache_dir=cache_dir or config.data.cache_dir))
    x, rows = load_inputs(config, progress).split("test")
    model = BlackBox.load(run)
    return config, model, prediction_table(model.predict(x), rows["record_id"].astype(str).tolist(), [],
                                           model.binary_names_)


@dataclasses.dataclass
class Collected:
    """Everything the report scores: ``reps`` (:data:`Representations`), ``anchoring`` (representation ->
    ``anchored`` / ``unanchored`` for the VAE-based ones) and the explainability ``profile`` (one row per
    representation, :func:`vaescan.analysis.explain_profile.profile_table`; empty when not asked)."""

    reps: Representations
    anchoring: dict[str, str]
    profile: pd.DataFrame
    filled: dict[str, int] = dataclasses.field(default_factory=dict)
    """Per digitised representation: printed records given the train prior (page rejected or unreadable)."""


def anchoring_of(scan: SCAN) -> str:
    """``anchored`` when the SCAN run's VAE tied factors to measured features (``anchor_features``), else
    ``unanchored``.

    Example
    -------
    >>> anchoring_of(SCAN.load("runs/quickstart/vae_scan/scan"))  # doctest: +SKIP
    'anchored'
    """
    return "anchored" if tuple(scan.vae.config.anchor_features) else "unanchored"


def collect_representations(runs: Sequence[str | os.PathLike[str]], cohort: Cohort, *, features: bool = True,
                            cache_dir: str | None = None, jobs: int = 1, progress: bool = True,
                            seed: int = 0) -> Representations:
    """Every representation the given runs (finished ``scan`` or ``blackbox`` runs, by their ``run.json`` kind)
    and, with ``features``, the engineered features give, with its explainability level.

    Example
    -------
    >>> reps = collect_representations(["runs/scan1", "runs/bb_signal"], cohort)  # doctest: +SKIP
    >>> sorted(level for level, _ in reps.values())  # doctest: +SKIP
    [1, 2, 3, 4]
    """
    return collect(runs, cohort, features=features, cache_dir=cache_dir, jobs=jobs, progress=progress, seed=seed,
                   profile_n=0).reps


def collect(runs: Sequence[str | os.PathLike[str]], cohort: Cohort, *, features: bool = True,
            cache_dir: str | None = None, jobs: int = 1, progress: bool = True, seed: int = 0,
            profile_n: int = PROFILE_RECORDS, digitised: DigitisedPages | None = None) -> Collected:
    """:func:`collect_representations` with each VAE-based representation's anchoring and, for ``profile_n`` > 0,
    the explainability profile on up to ``profile_n`` test records (:mod:`vaescan.workflows.profile`). With
    ``digitised`` pages (:func:`vaescan.workflows.photographed.digitised_cohort`), every representation of levels
    1-4 also predicts from the digitised records, as ``<name> (digitised)`` at level 6, with the models fitted on
    the original records (:func:`vaescan.workflows.photographed.complete` fills what it cannot read).

    Example
    -------
    >>> collected = collect(["runs/scan_anchored", "runs/scan_plain"], cohort)  # doctest: +SKIP
    >>> collected.anchoring["SCAN (scan_plain)"]  # doctest: +SKIP
    'unanchored'
    """
    binary, continuous = clinical_tasks(cohort)
    kinds = [require_done(run, ("scan", "blackbox"))["kind"] for run in runs]  # every run checked before any work
    records = profile_records(cohort, profile_n) if profile_n > 0 else None
    reps: Representations = {}
    anchoring: dict[str, str] = {}
    rows: dict[str, dict] = {}
    attributions: dict = {}
    filled: dict[str, int] = {}

    def on_paper(name: str, work, *args, **kwargs) -> None:
        if digitised is None:
            return
        pred = work(*args, **kwargs) if len(digitised.cohort) else pd.DataFrame({"record_id": []})
        tasks = [c for c in reps[name][1].columns if c.startswith(("prob_", "pred_"))]  # the original's tasks
        pred = pred.reindex(columns=["record_id", *tasks, *(["skipped"] if "skipped" in pred.columns else [])])
        table, filled[digitised_name(name)] = complete(pred, digitised)
        reps[digitised_name(name)] = (DIGITISED_LEVEL, table)

    def profiled(name: str, level: int, work, *args) -> None:
        if records is not None:
            row, attributions[name] = work(*args)
            rows[name] = {"representation": name, "level": level, "anchoring": anchoring.get(name, ""), **row}
            if attributions[name] is None:
                del attributions[name]

    if features:
        fit = feature_fit(cohort, binary, continuous, jobs=jobs, progress=progress)
        reps["features + linear"] = (1, fit.predictions)
        on_paper("features + linear", features_on, fit.models, digitised, binary, continuous, jobs=jobs,
                 progress=progress)
        profiled("features + linear", 1, feature_profile, fit.models, fit.x_test, fit.test_ids, records,
                 cohort.metadata, seed)
    options = dict(cache_dir=cache_dir, jobs=jobs, progress=progress)
    for run, kind in zip(runs, kinds):
        name = Path(run).resolve().name
        if any(f"({name})" in key for key in reps):  # two runs in folders of the same name
            name = str(Path(run).resolve())
        if kind == "scan":
            boosters: dict = {}
            linear, boosted, scan, test_beats = scan_fit(run, cohort, binary, continuous, seed=seed,
                                                         models=boosters, **options)
            label = anchoring_of(scan)
            reps[f"SCAN ({name})"] = (2, linear)
            reps[f"VAE + boosting ({name})"] = (3, boosted)
            anchoring[f"SCAN ({name})"] = anchoring[f"VAE + boosting ({name})"] = label
            profiled(f"SCAN ({name})", 2, scan_profile, scan, test_beats, records, cohort.metadata, label, seed)
            profiled(f"VAE + boosting ({name})", 3, boosted_profile, boosters, scan, test_beats, records,
                     cohort.metadata, label, seed)
            if digitised is not None:
                both = scan_on(run, scan, boosters, digitised, binary, continuous, **options) \
                    if len(digitised.cohort) else (pd.DataFrame({"record_id": []}),) * 2
                on_paper(f"SCAN ({name})", lambda frame: frame, both[0])
                on_paper(f"VAE + boosting ({name})", lambda frame: frame, both[1])
        else:
            config, model, pred = blackbox_fit(run, cohort, **options)
            level = 4 if config.input == "signal" else 5
            reps[f"CNN {config.input} ({name})"] = (level, pred)
            profiled(f"CNN {config.input} ({name})", level, functools.partial(
                blackbox_profile, jobs=jobs, progress=progress, seed=seed), model, config, cohort, records)
            if config.input == "signal":
                on_paper(f"CNN {config.input} ({name})", blackbox_on, config, model, digitised, **options)
    if not reps:
        raise VaescanInputError(None, "nothing to compare: give scan or blackbox runs, or keep the features")
    for name, extra in stability_rows(attributions).items():
        rows[name].update(extra)
    return Collected(reps, anchoring, profile_table(list(rows.values())) if records is not None else
                     profile_table([]), filled)


def _run_names(runs: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Each run's folder name, or its full path for a later run in a folder of an earlier one's name (as the
    representations are named by :func:`collect_representations`)."""
    names = [Path(run).resolve().name for run in runs]
    return [str(Path(run).resolve()) if name in names[:k] else name for k, (run, name) in enumerate(zip(runs, names))]


EXPLORER_MAX_FACTORS = 64
"""The report's explorer shows at most this many factors per run (highest KL first): 64 x 11 beats, about 2.2 MB
at the 1.05 characters per sample measured on the synthetic configs (docs/tradeoff.md)."""


def explorer_runs(runs: Sequence[str | os.PathLike[str]], max_factors: int = EXPLORER_MAX_FACTORS) -> list[dict]:
    """The latent explorer's data (:func:`vaescan.analysis.explorer.explorer_data`, at most ``max_factors``
    factors) of every finished SCAN run among ``runs`` (other kinds are skipped), named by its folder.

    Example
    -------
    >>> [d["name"] for d in explorer_runs(["runs/scan1", "runs/bb_signal"])]  # doctest: +SKIP
    ['scan1']
    """
    kinds = [require_done(run, ("scan", "blackbox"))["kind"] for run in runs]
    return [explorer_data(SCAN.load(run), name=name, max_factors=max_factors)
            for run, kind, name in zip(runs, kinds, _run_names(runs)) if kind == "scan"]


def tradeoff_report(runs: Sequence[str | os.PathLike[str]], data: str | os.PathLike[str],
                    output: str | os.PathLike[str], *, features: bool = True, n_boot: int = 1000, seed: int = 0,
                    min_per_class: int = 5,
                    cache_dir: str | None = None, jobs: int = 1, ptbxl_rate: int = 500,
                    profile_n: int = PROFILE_RECORDS, progress: bool = True,
                    sections: SectionSettings | None = DEFAULT_SECTIONS, digitised: int = 0,
                    digitised_mix: Sequence[str] = PAPER_MIX, digitised_layout: str = PAPER_LAYOUT) -> Path:
    """Score every representation on the test split of the cohort ``data`` and write ``output``/:
    ``tradeoff.csv`` (representation x task), ``summary.csv`` (macro AUROC over the labels with at least
    ``min_per_class`` test records per class, gap to the best), ``profile.csv`` (the explainability profile on
    up to ``profile_n`` test records; 0 leaves it out), ``anchoring.csv`` (anchored vs unanchored VAE runs),
    ``published.csv`` (the published magnitudes beside ours, :mod:`vaescan.report.published`),
    ``predictions/<representation>.csv``, ``tradeoff.png``, ``explorer.json`` (the latent explorer's data of the
    SCAN runs, :func:`explorer_runs`), ``report.md`` and a self-contained ``report.html``; with ``sections`` (None:
    none) also the data card, traversals, heatmaps, generated beats, Jacobian overlays and digitisation examples
    (:mod:`vaescan.workflows.report_sections`; figures under ``output``/sections).

    ``digitised`` > 0 adds the photographed path (level 6, :mod:`vaescan.workflows.photographed`): that many test
    records printed (``digitised_layout``) and distorted (``digitised_mix`` in turn), digitised into
    ``output/digitised/`` (cached per record) and read by the same fitted representations; ``paper_cost.csv``
    pairs each with its original on those records.

    Example
    -------
    >>> tradeoff_report(["runs/scan1", "runs/bb_signal"], "runs/synthetic", "runs/report")  # doctest: +SKIP
    """
    cohort = load_cohort(data, sampling_rate=ptbxl_rate)
    test = cohort.metadata[cohort.metadata["split"] == "test"]
    if not len(test):
        raise VaescanInputError(data, "no 'test' records; the report scores the test split")
    binary, continuous = clinical_tasks(cohort)
    pages = digitised_cohort(cohort, Path(output) / "digitised", digitised, seed=seed, mix=digitised_mix,
                             layout=digitised_layout, jobs=jobs, progress=progress) if digitised > 0 else None
    collected = collect(runs, cohort, features=features, cache_dir=cache_dir, jobs=jobs, progress=progress,
                        seed=seed, profile_n=profile_n, digitised=pages)
    reps = collected.reps
    truth = test[["record_id", *binary, *continuous]].assign(record_id=test["record_id"].astype(str))
    result = tradeoff_analysis({k: p for k, (_, p) in reps.items()}, truth, {k: lv for k, (lv, _) in reps.items()},
                               binary=binary, continuous=continuous, n_boot=n_boot, seed=seed,
                               min_per_class=min_per_class, anchoring=collected.anchoring)
    made = [] if sections is None else report_sections(
        list(zip(_run_names(runs), runs)), cohort, output, sections, cache_dir=cache_dir, jobs=jobs,
        ptbxl_rate=ptbxl_rate, progress=progress)
    paper = None
    if pages is not None:
        pairs = {digitised_name(k): k for k in reps if digitised_name(k) in reps}
        paper = (pages, paper_gaps({k: p for k, (_, p) in reps.items()}, truth, pairs,
                                   result.macro_labels or list(cohort.label_names), filled=collected.filled,
                                   n_boot=n_boot, seed=seed))
    return write_report(result, output, cohort=str(data), n_test=len(test), n_boot=n_boot, predictions=reps,
                        explorer=explorer_runs(runs), profile=collected.profile, sections=made, paper=paper)


def write_report(result: TradeoffResult, output: str | os.PathLike[str], *, cohort: str, n_test: int,
                 n_boot: int, predictions: Representations, explorer: Sequence[dict] = (),
                 profile: pd.DataFrame | None = None, sections: Sequence[Section] = (),
                 paper: tuple[DigitisedPages, pd.DataFrame] | None = None) -> Path:
    """Write the tables, the figure, ``explorer.json`` and report.md / report.html of a scored trade-off into
    ``output`` (``explorer``: the latent explorer's data per SCAN run; none: the report says so; ``profile``:
    the explainability profile, written as ``profile.csv`` when it has rows; ``sections``: the figure sections,
    whose PNGs are already under ``output``, the data card first, linked from report.md, embedded in report.html;
    ``paper``: the photographed path's pages and paired gaps, written as ``paper_cost.csv`` and a report section)."""
    out = Path(output)
    (out / "predictions").mkdir(parents=True, exist_ok=True)
    tables = [("tradeoff.csv", result.table), ("summary.csv", result.summary), ("anchoring.csv", result.anchoring),
              ("published.csv", published_comparison(result))]
    if profile is not None and len(profile):
        tables.append(("profile.csv", profile))
    if paper is not None:
        tables.append(("paper_cost.csv", paper[1]))
    for name, frame in tables:
        with atomic_path(out / name) as tmp:
            frame.to_csv(tmp, index=False, float_format="%.4g")
    for i, (name, (_, pred)) in enumerate(predictions.items()):
        with atomic_path(out / "predictions" / f"{i + 1}_{_slug(name)}.csv") as tmp:
            pred.to_csv(tmp, index=False, float_format="%.6g")
    figure = plot_tradeoff(result.summary, result.macro_labels, profile)
    save_figure(paper_overlay(figure, paper[1]) if paper is not None else figure, out / "tradeoff.png")
    meta = {"cohort": cohort, "n_test": n_test, "n_boot": n_boot, "macro_labels": result.macro_labels,
            "best": result.best}
    if paper is not None:
        meta["digitised"] = paper_summary(paper[0])
    write_json(out / "report.json", meta)
    write_json(out / "explorer.json", list(explorer))
    card, rest = [s for s in sections if s.key == "data-card"], [s for s in sections if s.key != "data-card"]
    with atomic_path(out / "report.md") as tmp:
        Path(tmp).write_text(render_markdown(result, "tradeoff.png", meta, explorer, profile,
                                             card=sections_markdown(card), sections=sections_markdown(rest))
                             + (paper_markdown(paper[1], meta["digitised"]) if paper is not None else ""))
    png = base64.b64encode((out / "tradeoff.png").read_bytes()).decode("ascii")
    with atomic_path(out / "report.html") as tmp:
        html = render_html(result, png, meta, explorer, profile, card=sections_html(card, out),
                           sections=sections_html(rest, out))
        if paper is not None:
            html = html.replace("</body>", paper_html(paper[1], meta["digitised"]) + "</body>", 1)
        Path(tmp).write_text(html)
    return out


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_").lower()

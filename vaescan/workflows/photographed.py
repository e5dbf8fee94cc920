"""The photographed path (explainability level 6): test records printed as pages, photographed, digitised, and fed
to the same trained representations.

:func:`digitised_cohort` prints the first ``n`` test records of a cohort (in a seeded random order) with
vaescan's own renderer (:func:`vaescan.pages.render.ecg_render`, the ``classic`` style at 150 dpi, 25 mm/s),
distorts each page by one category of :data:`PAPER_MIX` in turn (strengths drawn from
:data:`vaescan.digitize.evaluate.DISTORTION_CATEGORIES`, seeded), digitises it with
:func:`vaescan.digitize.pipeline.image_digitize` and writes the digitised records as a cohort folder of test
records (``metadata.csv`` + ``cohort.json``) that every representation reads as it reads the original.
Each page's outcome is cached (``records/<record_id>.json``, keyed by the record, style and distortion), so a
rerun does not redigitise.

The ``*_on`` functions predict with models already fitted on the original cohort (nothing is refitted);
:func:`complete` gives every printed record a prediction: a record whose page the digitiser rejected, or which a
representation could not read, gets the **train prior** (each label's train prevalence, each continuous
variable's train mean; tied, so it ranks in the middle) and is counted in ``filled``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vaescan.batch import run_batch
from vaescan.data.cohort import Cohort, write_cohort
from vaescan.data.features import cohort_features, feature_names
from vaescan.data.records import read_record, write_record
from vaescan.digitize.evaluate import DISTORTION_CATEGORIES
from vaescan.errors import VaescanInputError
from vaescan.io import read_json, write_json
from vaescan.pages.distort import Distortion
from vaescan.pages.render import PageStyle, random_style

PAPER_MIX: tuple[str, ...] = ("clean", "phone", "perspective", "shadow")
"""Distortion categories of the printed pages, in turn (a quarter each): a clean scan, a phone photograph (rotation,
perspective, shadow, crease, blur, noise and JPEG together), a strong perspective, a strong shadow."""

PAPER_LAYOUT = "12x1"
"""The pages' default layout: every lead's whole 10 s, so the path's cost is that of printing, photographing and
digitising; a ``3x4+II`` page shows each lead for 2.5 s only (the rest is then set to 0 mV, :func:`signal_complete`)."""

DIGITISED_LEVEL = 6
"""The explainability level of a representation read from digitised pages."""

PAGE_COLUMNS = ["record_id", "category", "layout", "distortion", "status", "reason", "duration_s", "blank_share"]

SHORT_GAP_S = 0.2
"""Gaps in a digitised lead up to this long (s) are bridged linearly; longer ones are set to 0 mV (not printed)."""


def signal_complete(signal: np.ndarray, fs: float, short_gap_s: float = SHORT_GAP_S) -> tuple[np.ndarray, float]:
    """A digitised record made readable by the representations, which refuse missing samples: cropped to the span
    where some lead was read (a page's empty tail), each lead's gaps up to ``short_gap_s`` bridged linearly and
    longer ones (or a lead's ends) set to 0 mV, the baseline; returns it with the share of samples set to 0 mV.

    Example
    -------
    >>> x = np.array([[np.nan, np.nan], [1.0, np.nan], [np.nan, 2.0], [3.0, 2.0], [np.nan, np.nan]])
    >>> out, blank = signal_complete(x, fs=100.0)
    >>> out.tolist(), round(blank, 2)
    ([[1.0, 0.0], [2.0, 2.0], [3.0, 2.0]], 0.17)
    """
    finite = np.isfinite(signal)
    rows = np.flatnonzero(finite.any(axis=1))
    if not len(rows):
        return np.zeros((0, signal.shape[1])), 1.0
    x = signal[rows[0]:rows[-1] + 1].copy()
    blank = 0
    t = np.arange(len(x))
    for j in range(x.shape[1]):
        nan = ~np.isfinite(x[:, j])
        if not nan.any():
            continue
        if nan.all():
            x[:, j], blank = 0.0, blank + len(x)
            continue
        good = np.flatnonzero(~nan)
        filled = np.interp(t, good, x[good, j])
        # the length of the gap each missing sample lies in; the ends (before the first / after the last) are long
        starts = np.flatnonzero(np.diff(np.r_[0, nan.astype(int)]) == 1)
        ends = np.flatnonzero(np.diff(np.r_[nan.astype(int), 0]) == -1) + 1
        for a, b in zip(starts, ends):
            if a == 0 or b == len(x) or (b - a) > short_gap_s * fs:
                filled[a:b], blank = 0.0, blank + (b - a)
        x[:, j] = filled
    return x, float(blank / x.size)


def digitised_name(name: str) -> str:
    """The name of a representation read from digitised pages.

    Example
    -------
    >>> digitised_name("CNN signal (blackbox)")
    'CNN signal (blackbox) (digitised)'
    """
    return f"{name} (digitised)"


@dataclasses.dataclass(frozen=True)
class PaperCase:
    """One page of the photographed path: which record (its file, without extension), how it is printed and
    distorted."""

    record_id: str
    path: str
    style: PageStyle
    distortion: Distortion
    category: str


def paper_cases(cohort: Cohort, n: int, *, seed: int = 0, mix: Sequence[str] = PAPER_MIX,
                layout: str = PAPER_LAYOUT, dpi: int = 150) -> list[PaperCase]:
    """The pages of the photographed path: ``n`` test records of ``cohort`` (a seeded random choice, in the
    cohort's order), each printed in the ``classic`` style (``dpi``, 25 mm/s, ``layout``; the gain is the style's
    draw) and distorted by the categories of ``mix`` in turn.

    Example
    -------
    >>> meta = pd.DataFrame({"record_id": ["a", "b", "c"], "record": ["a", "b", "c"], "split": "test"})
    >>> cases = paper_cases(Cohort(Path("."), meta), 2, mix=("clean", "shadow"))
    >>> [c.category for c in cases], cases[1].distortion.active()
    (['clean', 'shadow'], ['shadow'])
    """
    unknown = [c for c in mix if c not in DISTORTION_CATEGORIES]
    if unknown or not mix:
        raise VaescanInputError(None, f"unknown page distortion(s) {unknown or mix}; known: "
                                f"{', '.join(DISTORTION_CATEGORIES)}")
    test = np.flatnonzero((cohort.metadata["split"] == "test").to_numpy())
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.permutation(test)[:max(int(n), 0)])
    cases = []
    for k, i in enumerate(chosen):
        category = mix[k % len(mix)]
        style = random_style(rng, "classic", dpi=dpi, speed_mm_s=25.0, layout=layout)
        distortion = Distortion(seed=int(rng.integers(2**31)), **{
            name: float(rng.uniform(lo, hi)) for name, (lo, hi) in DISTORTION_CATEGORIES[category].items()})
        cases.append(PaperCase(str(cohort.metadata["record_id"].iloc[i]), str(cohort.record_path(i)), style,
                               distortion, category))
    return cases


def _case_key(case: PaperCase, signal: np.ndarray) -> str:
    text = json.dumps([case.record_id, dataclasses.asdict(case.style), dataclasses.asdict(case.distortion)],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode() + np.ascontiguousarray(signal).tobytes()).hexdigest()[:24]


def page_digitise(case: PaperCase, out_dir: str | os.PathLike[str]) -> dict:
    """Print, distort and digitise one page into ``out_dir/<record_id>.hea/.dat`` (when the digitiser reads it)
    and ``out_dir/<record_id>.json`` (its outcome, written last); an outcome of the same key is read back instead.
    Returns the page's row (:data:`PAGE_COLUMNS`: ``status`` ``read`` or ``rejected`` with the digitiser's
    ``reason``)."""
    from vaescan.digitize.pipeline import DigitizeConfig, image_digitize
    from vaescan.pages.distort import image_distort
    from vaescan.pages.render import ecg_render

    out = Path(out_dir)
    record = read_record(case.path)
    key = _case_key(case, record.signal)
    done = out / f"{case.record_id}.json"
    if done.exists():
        row = read_json(done)
        if row.get("key") == key and (row["status"] == "rejected" or (out / f"{case.record_id}.hea").exists()):
            return {k: row.get(k) for k in PAGE_COLUMNS}
    done.unlink(missing_ok=True)                        # an interrupted redo must not pass for the old page
    image, truth = ecg_render(record, case.style)
    if case.distortion.active():
        image = image_distort(image, case.distortion, truth)
    row = {"record_id": case.record_id, "category": case.category, "layout": case.style.layout,
           "distortion": ",".join(f"{k}={getattr(case.distortion, k):.2f}" for k in case.distortion.active()),
           "status": "read", "reason": "", "duration_s": np.nan, "blank_share": np.nan}
    try:
        digitised, _ = image_digitize(image, DigitizeConfig(speed_mm_s=case.style.speed_mm_s), name=case.record_id)
        signal, blank = signal_complete(digitised.signal, digitised.fs)
        row.update(duration_s=round(len(signal) / digitised.fs, 3), blank_share=round(blank, 4))
        write_record(dataclasses.replace(digitised, signal=signal, name=case.record_id), out / case.record_id)
    except VaescanInputError as exc:
        row.update(status="rejected", reason=str(exc))
    write_json(done, {**row, "key": key})
    return row


@dataclasses.dataclass
class DigitisedPages:
    """The photographed path's pages: ``pages`` (one row per printed record, :data:`PAGE_COLUMNS`), ``cohort`` (the
    digitised records that were read, as test records with the original's labels), ``prior`` (task -> the train
    prevalence or mean that fills a missing prediction)."""

    pages: pd.DataFrame
    cohort: Cohort
    prior: dict[str, float]

    @property
    def record_ids(self) -> list[str]:
        """Every printed record, read or rejected."""
        return self.pages["record_id"].astype(str).tolist()

    @property
    def rejected(self) -> int:
        """Pages the digitiser rejected."""
        return int((self.pages["status"] == "rejected").sum())


def digitised_cohort(cohort: Cohort, out_dir: str | os.PathLike[str], n: int, *, seed: int = 0,
                     mix: Sequence[str] = PAPER_MIX, layout: str = PAPER_LAYOUT, dpi: int = 150, jobs: int = 1,
                     progress: bool = True) -> DigitisedPages:
    """Print ``n`` test records of ``cohort`` as pages (:func:`paper_cases`), digitise them (``jobs`` worker
    processes, cached per record under ``out_dir/records``) and write the digitised cohort into ``out_dir``
    (``metadata.csv``, ``cohort.json``, ``pages.csv``).

    Example
    -------
    >>> pages = digitised_cohort(load_cohort("runs/quickstart/cohort"), "runs/digitised", 20)  # doctest: +SKIP
    >>> pages.rejected, len(pages.cohort)  # doctest: +SKIP
    (0, 20)
    """
    from vaescan.data.cohort import STANDARD_COLUMNS

    out = Path(out_dir)
    (out / "records").mkdir(parents=True, exist_ok=True)
    cases = paper_cases(cohort, n, seed=seed, mix=mix, layout=layout, dpi=dpi)
    if not cases:
        raise VaescanInputError(cohort.root, "no test record to print for the photographed path")
    result = run_batch(cases, functools.partial(page_digitise, out_dir=out / "records"), desc="digitise pages",
                       jobs=jobs, progress=progress)
    pages = pd.DataFrame([row for _, row in result.done], columns=PAGE_COLUMNS)
    pages.to_csv(out / "pages.csv", index=False)
    read = set(pages.loc[pages["status"] == "read", "record_id"])
    meta = cohort.metadata.assign(record_id=cohort.metadata["record_id"].astype(str))
    meta = meta[meta["record_id"].isin(read)].copy()
    meta["record"] = "records/" + meta["record_id"]
    keep = [c for c in meta.columns if c in STANDARD_COLUMNS or c in cohort.label_names or
            c in cohort.continuous_names]
    write_cohort(out, meta[keep], label_names=list(cohort.label_names),
                 continuous_names=list(cohort.continuous_names), kind="digitised",
                 info={"source": str(cohort.root), "mix": list(mix), "layout": layout, "seed": seed})
    train = cohort.metadata[cohort.metadata["split"] == "train"]
    tasks = [*cohort.label_names, "sex", *cohort.continuous_names]
    prior = {t: float(pd.to_numeric(train[t], errors="coerce").mean()) for t in tasks if t in train.columns}
    from vaescan.data.sources import load_cohort

    return DigitisedPages(pages, load_cohort(out), prior)


def complete(pred: pd.DataFrame, pages: DigitisedPages) -> tuple[pd.DataFrame, int]:
    """``pred`` on every printed record (in :attr:`DigitisedPages.record_ids` order), a record without a prediction
    (page rejected, or unreadable by the representation) filled with the train prior; and how many were filled.

    Example
    -------
    >>> pages = DigitisedPages(pd.DataFrame({"record_id": ["a", "b"], "status": ["read", "rejected"]}),
    ...                        Cohort(".", pd.DataFrame()), {"AF": 0.1, "age": 60.0})
    >>> pred, filled = complete(pd.DataFrame({"record_id": ["a"], "prob_AF": [0.9], "pred_age": [50.0]}), pages)
    >>> pred[["prob_AF", "pred_age", "filled"]].values.tolist(), filled, pred.skipped[1]
    ([[0.9, 50.0, False], [0.1, 60.0, True]], 1, 'page rejected by the digitiser')
    """
    pred = pred.assign(record_id=pred["record_id"].astype(str)).drop_duplicates("record_id").set_index("record_id")
    pred = pred.reindex(pages.record_ids)
    columns = [c for c in pred.columns if c.startswith(("prob_", "pred_"))]
    missing = pred[columns].isna().any(axis=1).to_numpy() if columns else np.zeros(len(pred), bool)
    for c in columns:
        task = c.split("_", 1)[1]
        if task in pages.prior:
            pred.loc[missing, c] = pred.loc[missing, c].fillna(pages.prior[task])
    pred["filled"] = missing
    status = pages.pages.set_index("record_id")["status"].reindex(pred.index)
    pred["skipped"] = pred["skipped"].fillna("") if "skipped" in pred.columns else ""
    pred.loc[missing & (pred["skipped"] == ""), "skipped"] = "digitised record unreadable by this representation"
    pred.loc[(status == "rejected").to_numpy(), "skipped"] = "page rejected by the digitiser"
    return pred.reset_index(names="record_id"), int(missing.sum())


def features_on(models: dict, pages: DigitisedPages, binary: Sequence[str], continuous: Sequence[str], *,
                jobs: int = 1, progress: bool = True) -> pd.DataFrame:
    """Level 1 on the digitised records: their engineered features through the heads fitted on the original
    train records (``models``: task -> fitted pipeline, :class:`vaescan.workflows.tradeoff.FeatureFit`)."""
    table, _ = cohort_features(pages.cohort, jobs=jobs, progress=progress)
    out = pd.DataFrame({"record_id": table["record_id"].astype(str)})
    x = table[feature_names()].to_numpy(dtype=np.float64)
    for task in [*binary, *continuous]:
        model = models.get(task)
        prefix = "prob_" if task in binary else "pred_"
        if model is None or not len(x):
            out[prefix + task] = np.nan
        else:
            out[prefix + task] = model.predict_proba(x)[:, 1] if task in binary else model.predict(x)
    return out


def scan_on(run: str | os.PathLike[str], scan, boosters: dict, pages: DigitisedPages, binary: Sequence[str],
            continuous: Sequence[str], *, cache_dir: str | None = None, jobs: int = 1,
            progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Levels 2 and 3 on the digitised records: their median beats (the SCAN run's beat settings) through the
    run's SCAN head and through the boosted heads fitted on the original train encodings (``boosters``)."""
    from vaescan.config import load_config
    from vaescan.data.dataset import load_data
    from vaescan.models.predict import prediction_table
    from vaescan.models.run import CONFIG_FILE
    from vaescan.models.run_configs import SCANRunConfig

    config = load_config(SCANRunConfig, Path(run) / CONFIG_FILE)
    data = load_data(dataclasses.replace(config.data, path=str(pages.cohort.root), simulate_n=0, jobs=jobs,
                                         cache_dir=cache_dir or config.data.cache_dir), progress)
    beats, _ = data.split("test")
    linear = prediction_table(scan.predict(beats), beats.record_ids, [], scan.binary_names_)
    z = scan.vae.transform(beats)
    boosted = pd.DataFrame({"record_id": [str(r) for r in beats.record_ids]})
    for task in [*binary, *continuous]:
        model = boosters.get(task)
        prefix = "prob_" if task in binary else "pred_"
        boosted[prefix + task] = np.nan if model is None or not len(z) else (
            model.predict_proba(z)[:, 1] if task in binary else model.predict(z))
    return linear, boosted


def blackbox_on(config, model, pages: DigitisedPages, *, cache_dir: str | None = None, jobs: int = 1,
                progress: bool = True) -> pd.DataFrame:
    """Level 4 on the digitised records: a signal black box's run ``config`` and loaded ``model`` on them
    (inputs made with the run's own settings)."""
    from vaescan.models.predict import prediction_table
    from vaescan.workflows.blackbox import load_inputs

    config = dataclasses.replace(config, data=dataclasses.replace(
        config.data, path=str(pages.cohort.root), simulate_n=0, jobs=jobs,
        cache_dir=cache_dir or config.data.cache_dir))
    x, rows = load_inputs(config, progress).split("test")
    return prediction_table(model.predict(x), rows["record_id"].astype(str).tolist(), [], model.binary_names_)


def paper_summary(pages: DigitisedPages) -> dict:
    """The photographed path's pages in numbers: printed, read and rejected (with the reasons), per category,
    the layout and the mix, and what fills a missing prediction.

    Example
    -------
    >>> table = pd.DataFrame({"record_id": ["a", "b"], "category": ["clean", "phone"], "status": ["read", "rejected"],
    ...                       "reason": ["", "no ECG grid found"]})
    >>> info = paper_summary(DigitisedPages(table, Cohort(".", pd.DataFrame()), {}))
    >>> info["printed"], info["rejected"], info["rejected_by_category"]
    (2, 1, {'phone': 1})
    """
    rejected = pages.pages[pages.pages["status"] == "rejected"]
    return {"printed": len(pages.pages), "read": len(pages.pages) - len(rejected), "rejected": len(rejected),
            "categories": pages.pages["category"].value_counts().sort_index().to_dict(),
            "rejected_by_category": rejected["category"].value_counts().sort_index().to_dict(),
            "reasons": sorted(set(rejected["reason"])), "layout": str(pages.cohort.info.get("layout", "")),
            "mix": list(pages.cohort.info.get("mix", [])),
            "missing": "train prior (label prevalence, mean age): tied, ranked in the middle"}

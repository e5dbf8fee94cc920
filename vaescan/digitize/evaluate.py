"""Scoring digitised signals against the truth, and the render -> digitise evaluation loop.

Metric: the PhysioNet/CinC Challenge 2024 signal-to-noise ratio. Per lead, over the
samples the page shows, ``SNR = 10 log10(sum x^2 / sum (y - x)^2)`` with x the true
and y the digitised signal; NaN in y counts as 0; no alignment. The page's SNR is
the mean over its shown leads. The shifted variant takes, per lead, the best time
shift of y within +-0.2 s (the 2025 re-run of the Challenge allowed this).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from vaescan.data.records import Record
from vaescan.errors import VaescanError, VaescanInputError
from vaescan.pages.distort import Distortion, image_distort
from vaescan.pages.render import STYLE_FAMILIES, PageStyle, ecg_render, random_style

if TYPE_CHECKING:  # annotations only: the cohort, simulator and digitiser are imported where they are used
    from vaescan.data.cohort import Cohort
    from vaescan.data.synth import SynthConfig
    from vaescan.digitize.pipeline import DigitizeConfig

MAX_SHIFT_S = 0.2


def snr_db(truth: np.ndarray, estimate: np.ndarray) -> float:
    """Challenge SNR (dB) of one lead: 10 log10(sum x^2 / sum (y - x)^2); NaN in y counts as 0.

    Returns +inf for a perfect estimate and NaN when the truth is all zero.

    Example
    -------
    >>> x = np.array([1.0, -1.0, 1.0, -1.0])
    >>> float(round(snr_db(x, x + 0.1), 2))               # noise power 0.01 vs signal power 1
    20.0
    >>> float(round(snr_db(x, np.array([1.0, -1.0, np.nan, np.nan])), 2))   # half missing: -10 log10(0.5)
    3.01
    """
    x = np.asarray(truth, np.float64)
    y = np.nan_to_num(np.asarray(estimate, np.float64), nan=0.0)
    signal = float(np.sum(x * x))
    noise = float(np.sum((y - x) ** 2))
    if signal == 0.0:
        return float("nan")
    if noise == 0.0:
        return float("inf")
    return 10.0 * np.log10(signal / noise)


def signal_shift(y: np.ndarray, s: int, fill: float = np.nan) -> np.ndarray:
    """``y`` moved ``s`` samples earlier (later for negative ``s``); ``fill`` where nothing moved in.

    Example
    -------
    >>> y = np.array([1.0, 2.0, 3.0])
    >>> signal_shift(y, 1, fill=0.0).tolist(), signal_shift(y, -1).tolist()
    ([2.0, 3.0, 0.0], [nan, 1.0, 2.0])
    """
    out = np.full(len(y), fill, dtype=np.float64)
    if s >= 0:
        out[: len(y) - s] = y[s:]
    else:
        out[-s:] = y[: len(y) + s]
    return out


def snr_shifted_db(truth: np.ndarray, estimate: np.ndarray, fs: float, max_shift_s: float = MAX_SHIFT_S) -> float:
    """The best :func:`snr_db` over time shifts of the estimate within +-``max_shift_s``.

    ``truth`` and ``estimate`` are full-length signals with NaN where the truth is not
    shown; the score is over the shown samples, the estimate shifted by whole samples
    (samples shifted in from outside count as 0).

    Example
    -------
    >>> t = np.arange(1000) / 500.0
    >>> x = np.sin(2 * np.pi * 3 * t)
    >>> late = np.concatenate([np.zeros(20), x[:-20]])  # 40 ms late
    >>> bool(snr_db(x, late) < 3), bool(snr_shifted_db(x, late, 500.0) > 15)
    (True, True)
    """
    x = np.asarray(truth, np.float64)
    y = np.nan_to_num(np.asarray(estimate, np.float64), nan=0.0)
    shown = np.isfinite(x)
    best = -np.inf
    m = int(round(max_shift_s * fs))
    for s in range(-m, m + 1):
        best = max(best, snr_db(x[shown], signal_shift(y, s, fill=0.0)[shown]))
    return float(best)


def record_snr(truth: np.ndarray, estimate: np.ndarray, shown: np.ndarray, fs: float) -> dict[str, np.ndarray]:
    """Per-lead SNR and shifted SNR of (samples, leads) arrays over the ``shown`` mask (NaN: lead not shown).

    Example
    -------
    >>> x = np.tile(np.sin(np.linspace(0, 20, 500))[:, None], (1, 2))
    >>> shown = np.ones((500, 2), bool); shown[:, 1] = False
    >>> res = record_snr(x, x + 0.01 * np.sign(x), shown, 500.0)
    >>> float(round(res["snr_db"][0], 1)), bool(np.isnan(res["snr_db"][1]))
    (36.9, True)
    """
    leads = truth.shape[1]
    out = {"snr_db": np.full(leads, np.nan), "snr_shift_db": np.full(leads, np.nan)}
    for k in range(leads):
        m = shown[:, k]
        if not m.any():
            continue
        out["snr_db"][k] = snr_db(truth[m, k], estimate[m, k])
        x = np.where(m, truth[:, k], np.nan)
        out["snr_shift_db"][k] = snr_shifted_db(x, estimate[:, k], fs)
    return out


def ceiling_snr(truth: np.ndarray, underlying: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """Per-lead SNR (dB) a perfect reader of the printed ECG would score: ``underlying`` read against ``truth``.

    ``truth`` (samples, leads) is the scored signal, with mains hum and muscle noise;
    ``underlying`` the same ECG without them. At 25 mm/s one 50 Hz period is 0.5 mm,
    so paper shows hum as a blurred band, not as a signal any reader can give back:
    this is the best score a reader of the page can expect. +inf where the two are
    equal, NaN for leads not shown.

    Example
    -------
    >>> t = np.arange(5000)[:, None] / 500.0
    >>> ecg = np.ones((5000, 1))                              # 1 mV
    >>> hum = 0.1 * np.sin(2 * np.pi * 50 * t)                # 0.1 mV amplitude: power 0.005
    >>> float(round(ceiling_snr(ecg + hum, ecg, np.ones((5000, 1), bool))[0], 2))  # 10 log10(1.005 / 0.005)
    23.03
    """
    out = np.full(truth.shape[1], np.nan)
    for k in range(truth.shape[1]):
        m = shown[:, k]
        if m.any():
            out[k] = snr_db(truth[m, k], underlying[m, k])
    return out


# ---------------------------------------------------------------------------------------------
# The render -> digitise evaluation loop

DISTORTION_CATEGORIES: dict[str, dict[str, tuple[float, float]]] = {
    "clean": {},
    "rotation": {"rotation": (0.2, 1.0)},
    "perspective": {"perspective": (0.3, 1.0)},
    "shadow": {"shadow": (0.4, 1.0)},
    "crease": {"crease": (0.4, 1.0)},
    "blur": {"blur": (0.3, 1.0)},
    "jpeg": {"jpeg": (0.3, 1.0)},
    "noise": {"noise": (0.3, 1.0)},
    "phone": {"rotation": (0.1, 0.6), "perspective": (0.2, 0.7), "shadow": (0.2, 0.7), "crease": (0.1, 0.5),
              "blur": (0.1, 0.4), "noise": (0.1, 0.4), "jpeg": (0.1, 0.5)},
}
"""Distortion categories of the evaluation: each strength is drawn uniformly from its (low, high) range."""

TARGETS_DB = {"clean": 20.0, "distorted": 12.0}
"""Targets on the mean Challenge SNR: clean pages and distorted pages."""


@dataclass
class EvalCase:
    """One evaluation page: the record, how it is printed and how it is distorted."""

    page: str
    record: Record
    style: PageStyle
    distortion: Distortion
    category: str
    family: str
    underlying: Record | None = None
    """The same record without mains hum and muscle noise (what paper can show), when known: sets the ceiling."""


def eval_cases(records: Iterable[Record], n: int, seed: int, families: Sequence[str] = STYLE_FAMILIES,
               clean_share: float = 1 / 3, underlying: Sequence[Record | None] | None = None) -> list[EvalCase]:
    """``n`` evaluation pages: a third clean, the rest spread over the distortion categories.

    Clean pages cycle through the style families; distorted pages cycle through the categories,
    and their family moves on by one after each round of categories, so that every category meets
    every family (with 8 categories and 4 families, a family that moved with its category would give
    each category one family only: crease and phone pages were all held-out style until this was
    fixed). Styles and distortion strengths are drawn from ``seed``. ``underlying``: per record, the same
    record without hum and muscle noise (or None), carried to score the ceiling.

    Example
    -------
    >>> from vaescan.data.leads import LEADS
    >>> recs = [Record(np.zeros((5000, 12)), 500.0, list(LEADS), name=f"r{i}") for i in range(6)]
    >>> cases = eval_cases(recs, 6, seed=0, families=("classic", "print"))
    >>> [c.category for c in cases], [c.family for c in cases][:2]
    (['clean', 'clean', 'rotation', 'perspective', 'shadow', 'crease'], ['classic', 'print'])
    """
    rng = np.random.default_rng(seed)
    n_clean = int(round(n * clean_share))
    distorted = [c for c in DISTORTION_CATEGORIES if c != "clean"]
    categories = ["clean"] * n_clean + [distorted[i % len(distorted)] for i in range(n - n_clean)]
    underlying = list(underlying) if underlying is not None else []
    cases = []
    for i, (record, category) in enumerate(zip(records, categories)):
        j = i - n_clean  # the distorted page's number
        family = families[i % len(families)] if j < 0 else families[(j + j // len(distorted)) % len(families)]
        style = random_style(rng, family)
        ranges = DISTORTION_CATEGORIES[category]
        distortion = Distortion(seed=int(rng.integers(2**31)),
                                **{k: float(rng.uniform(lo, hi)) for k, (lo, hi) in ranges.items()})
        cases.append(EvalCase(f"page{i:03d}", record, style, distortion, category, family,
                              underlying[i] if i < len(underlying) else None))
    if len(cases) < n:
        raise VaescanInputError(None, f"only {len(cases)} records for {n} evaluation pages")
    return cases


def truth_signals(record: Record, truth: dict, fs: float = 500.0,
                  duration_s: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """The true signal at ``fs`` (samples x 12 leads, mV) and the mask of samples the page shows.

    Records at another rate are resampled (polyphase); the shown ranges come from the
    render's truth, converted to ``fs``.

    Example
    -------
    >>> from vaescan.data.leads import LEADS
    >>> rec = Record(np.ones((1000, 12)), 100.0, list(LEADS))
    >>> x, shown = truth_signals(rec, {"fs": 100.0, "panels": [{"lead": "V1", "samples": [500, 750]}]})
    >>> x.shape, int(shown[:, 6].sum()), int(shown[:, 0].sum())
    ((5000, 12), 1250, 0)
    """
    from vaescan.data.beats import signal_resample
    from vaescan.data.leads import LEADS

    n = int(round(duration_s * fs))
    sig = record.signal
    if record.fs != fs:
        sig = signal_resample(np.nan_to_num(sig), record.fs, fs)
    x = np.zeros((n, len(LEADS)))
    m = min(n, len(sig))
    for k, lead in enumerate(LEADS):
        if lead in record.sig_name:
            x[:m, k] = sig[:m, record.sig_name.index(lead)]
    shown = np.zeros((n, len(LEADS)), bool)
    scale = fs / float(truth["fs"])
    for p in truth["panels"]:
        if p["lead"] not in LEADS:   # an extra lead (a 3x5 page's V4R...): the twelve are scored
            continue
        i0, i1 = (int(round(v * scale)) for v in p["samples"])
        shown[max(i0, 0):min(i1, n), LEADS.index(p["lead"])] = True
    return x, shown


def _page_db(per_lead: np.ndarray) -> float:
    """A page's score: the mean over the leads shown of per-lead dB, a perfect lead (+inf) counted as 99 dB."""
    return float(np.nanmean(np.where(np.isinf(per_lead), 99.0, per_lead)))


def page_evaluate(case: EvalCase, out_dir: str | os.PathLike[str] | None = None,
                  config: DigitizeConfig | None = None) -> dict:
    """Render, distort and digitise one page; score it. Returns one row of the evaluation table.

    A page the digitiser rejects scores as all-missing (NaN output counts as 0: 0 dB)
    and carries the error. With ``out_dir`` the page image, its truth and the
    digitised record are kept. ``config``: the digitiser's settings (its paper speed is the page's).
    """
    from vaescan.digitize.pipeline import DigitizeConfig

    image, truth = ecg_render(case.record, case.style)
    if case.distortion.active():
        image = image_distort(image, case.distortion, truth)
    row = {"page": case.page, "record": case.record.name, "family": case.family, "category": case.category,
           "layout": case.style.layout, "dpi": case.style.dpi, "grid": case.style.grid_color,
           "speed_mm_s": case.style.speed_mm_s, "gain_mm_mv": case.style.gain_mm_mv,
           "calibration": case.style.calibration,
           "distortion": ",".join(f"{k}={getattr(case.distortion, k):.2f}" for k in case.distortion.active())}
    x, shown = truth_signals(case.record, truth)
    row["ceiling_db"] = np.nan
    if case.underlying is not None:
        row["ceiling_db"] = _page_db(ceiling_snr(x, truth_signals(case.underlying, truth)[0], shown))
    config = dataclasses.replace(config or DigitizeConfig(), speed_mm_s=case.style.speed_mm_s)
    record = _digitize_score(image, config, case.page, x, shown, row)
    if out_dir is not None:
        from vaescan.data.records import write_record
        from vaescan.io import write_json
        from vaescan.pages.image import image_write

        out_dir = Path(out_dir)
        image_write(out_dir / f"{case.page}.png", image)
        write_json(out_dir / f"{case.page}.truth.json", truth)
        if record is not None:
            write_record(record, out_dir / case.page)
    return row


def _digitize_score(image: np.ndarray | Path, config, name: str, x: np.ndarray, shown: np.ndarray,
                    row: dict) -> Record | None:
    """Digitise one page, score it against the truth ``x`` over ``shown`` and add the results to ``row``.

    A page the digitiser rejects scores as all-missing (NaN counts as 0: 0 dB per shown lead), its
    verdict is ``"rejected"`` and ``error`` holds the reason. Also added: how many digitised leads
    are misnamed (:func:`lead_names_check`), which, and the lead-relation verdict
    (:func:`~vaescan.digitize.lead_checks.lead_checks`) with its worst relation score.
    Returns the digitised record (None when rejected).
    """
    from vaescan.data.leads import LEADS
    from vaescan.digitize.pipeline import image_digitize

    start = time.perf_counter()
    try:
        record, report = image_digitize(image, config, name=name)
        estimate, error = record.signal, ""
        checks = report["lead_checks"]
        row.update(layout_found=report["layout"], gain_found=report["gain_mm_mv"],
                   rotation_found=report["rotation_deg"], warnings=" | ".join(report["warnings"]),
                   verdict=checks["verdict"], verdict_reasons=" | ".join(checks["reasons"]),
                   relation_worst=max((r["score"] for r in checks["relations"]), default=np.nan))
    except VaescanError as exc:
        estimate, error, record = np.full_like(x, np.nan), str(exc), None
        row.update(layout_found="", gain_found=np.nan, rotation_found=np.nan, warnings="", verdict="rejected",
                   verdict_reasons=str(exc), relation_worst=np.nan)
    row["seconds"] = round(time.perf_counter() - start, 3)
    scores = record_snr(x, estimate, shown, config.fs)
    row["snr_db"] = _page_db(scores["snr_db"])
    row["snr_shift_db"] = _page_db(scores["snr_shift_db"])
    names = lead_names_check(np.where(shown, x, np.nan), estimate, config.fs)
    wrong = [f"{lead}->{v['best']}" for lead, v in names.items() if v["status"] == "misnamed"]
    row["leads_read"] = len(names)
    row["misnamed"] = len(wrong)
    row["misnamed_leads"] = " ".join(wrong)
    # a misnamed lead is silent when nothing marks it: no confidence below 0.5 (precordial leads have none)
    leads = checks["leads"] if error == "" else {}
    confidence = {lead: leads.get(lead, {}).get("confidence") for lead in names}
    row["misnamed_silent"] = sum(1 for lead, v in names.items() if v["status"] == "misnamed"
                                 and (confidence[lead] is None or confidence[lead] >= 0.5))
    for k, lead in enumerate(LEADS):
        row[f"snr_db_{lead}"] = scores["snr_db"][k]
    row["error"] = error
    return record


MIN_NAME_CORR = 0.5
"""A digitised lead whose best correlation with any true lead is below this is 'unmatched', not judged."""
NAME_MARGIN = 0.1
"""How much better another true lead must correlate than the lead's own to call it misnamed: on a rendered
100-dpi page a correctly named aVF correlated 0.974 with its own lead and 0.979 with lead II."""


def lead_names_check(truth: np.ndarray, estimate: np.ndarray, fs: float, min_overlap_s: float = 1.0,
                     min_corr: float = MIN_NAME_CORR, margin: float = NAME_MARGIN) -> dict[str, dict]:
    """Is each digitised lead's name right? Its correlation with every true lead over the samples both show.

    ``truth`` and ``estimate``: (samples, 12 leads) in mV, NaN where the page shows no trace
    (truth) or nothing was read (estimate). For each lead read, every true lead shown on at
    least ``min_overlap_s`` of the same samples is correlated with it (no time shift).
    ``status``: ``"misnamed"`` when another true lead correlates with it at least ``min_corr``
    and by more than ``margin`` better than its own true lead does over the samples both show (similar
    leads such as II and aVF correlate 0.97 and more with each other; or its own is not shown
    there; ``best``: the best such lead); else ``"right"`` when its own true lead is shown with
    it, ``"unmatched"`` when not (read at a time the page does not show that lead).

    Example
    -------
    >>> from vaescan.data.leads import LEADS
    >>> t = np.arange(1000)[:, None] / 500.0
    >>> x = np.sin(2 * np.pi * np.linspace(1, 3, 12) * t + np.arange(12))     # 12 different leads
    >>> y = x.copy(); y[:, [0, 1]] = x[:, [1, 0]]                            # I and II swapped
    >>> check = lead_names_check(x, y, 500.0)
    >>> check["I"]["status"], check["I"]["best"], check["V1"]["status"]
    ('misnamed', 'II', 'right')
    """
    from vaescan.data.leads import LEADS

    def corr(y: np.ndarray, x: np.ndarray) -> float:
        a, b = y - y.mean(), x - x.mean()
        den = float(np.sqrt((a * a).sum() * (b * b).sum()))
        return float((a * b).sum() / den) if den > 0 else 0.0

    out = {}
    enough = min_overlap_s * fs
    for k, lead in enumerate(LEADS):
        y = estimate[:, k]
        read = np.isfinite(y)
        if not read.any():
            continue
        own_ok = read & np.isfinite(truth[:, k])
        own = corr(y[own_ok], truth[own_ok, k]) if own_ok.sum() >= enough else None
        best, best_corr = None, -np.inf
        for j, other in enumerate(LEADS):
            ok = read & np.isfinite(truth[:, j])
            if j == k or ok.sum() < enough:
                continue
            c = corr(y[ok], truth[ok, j])
            both = ok & np.isfinite(truth[:, k])
            # where the own lead is shown on the same samples, the other lead must match better there
            beats = c >= min_corr and (both.sum() < enough or c > corr(y[both], truth[both, k]) + margin)
            if beats and c > best_corr:
                best, best_corr = other, c
        if best is not None:
            status, name, c = "misnamed", best, best_corr
        else:
            status, name, c = ("right" if own is not None else "unmatched"), lead, own
        out[lead] = {"status": status, "best": name, "corr_best": None if c is None else round(c, 3),
                     "corr_own": None if own is None else round(own, 3)}
    return out


def digitize_evaluate(records: Iterable[Record], n: int = 60, seed: int = 0,
                      out_dir: str | os.PathLike[str] | None = None,
                      families: Sequence[str] = STYLE_FAMILIES, keep_pages: bool = False,
                      progress: bool = True,
                      underlying: Sequence[Record | None] | None = None,
                      config: DigitizeConfig | None = None) -> tuple[pd.DataFrame, dict]:
    """Evaluate the digitiser on ``n`` rendered pages: per-page table and a summary by category and family.

    ``underlying`` (from :func:`eval_underlying`): the records without hum and muscle
    noise; each page then also gets ``ceiling_db``, the SNR of a perfect reader
    (:func:`ceiling_snr`), NaN where unknown. ``config``: the digitiser's settings (each page's paper speed
    is its own); the summary records its trace mask (``segmenter``).

    With ``out_dir``: writes ``pages.csv``, ``summary.json``, ``snr_by_category.png`` and
    (``keep_pages``) every page, its truth and its digitised record under ``pages/``.

    Example
    -------
    >>> from vaescan.data.leads import LEADS
    >>> t = np.arange(5000) / 500.0
    >>> beat = np.exp(-((t % 0.8) - 0.4) ** 2 / 2e-4) - 0.3 * np.exp(-((t % 0.8) - 0.6) ** 2 / 2e-3)
    >>> recs = [Record(np.outer(beat, np.linspace(0.5, 1.5, 12)), 500.0, list(LEADS), name="r")]
    >>> table, summary = digitize_evaluate(recs, n=1, families=("classic",), progress=False)  # doctest: +SKIP
    >>> summary["by_category"]["clean"]["snr_db"] > 15  # doctest: +SKIP
    True
    """

    cases = eval_cases(records, n, seed, families, underlying=underlying)
    pages_dir = Path(out_dir) / "pages" if (out_dir is not None and keep_pages) else None
    rows = []
    for case in tqdm(cases, desc="digitize-eval", unit="page", disable=not progress, dynamic_ncols=True):
        rows.append(page_evaluate(case, pages_dir, config))
    table = pd.DataFrame(rows)
    summary = evaluation_summary(table)
    summary.update(n=n, seed=seed, families=list(families), segmenter=config.segmenter if config else "classical")
    if out_dir is not None:
        _write_evaluation(table, summary, out_dir, f"render -> digitise, {len(table)} pages")
    return table, summary


@dataclass
class FolderPage:
    """One page of a folder in the outside-pages layout: ``NAME/page.png|jpg`` beside ``NAME/truth.hea/.dat``."""

    page: str
    image: Path
    truth: Path
    category: str


def folder_pages(root: str | os.PathLike[str]) -> list[FolderPage]:
    """The pages of a folder with one subfolder per page (image ``page.*`` and WFDB ``truth``), sorted by name.

    The category comes from ``pages.csv`` (columns ``page`` and one whose name contains
    ``category``) where it lists the page, else from the folder's name without its last
    ``_NN`` (``rotated_03`` -> ``rotated``). Subfolders without both an image and a truth are
    left out (``tools/``); a folder with no page at all is refused.

    Example
    -------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("clean_01", "photo_12", "tools"):
    ...     (root / name).mkdir()
    >>> for name in ("clean_01", "photo_12"):
    ...     for f in ("page.png", "truth.hea"):
    ...         _ = (root / name / f).write_bytes(b"")
    >>> [(p.page, p.category) for p in folder_pages(root)]
    [('clean_01', 'clean'), ('photo_12', 'photo')]
    """
    import re

    from vaescan.pages.image import IMAGE_SUFFIXES

    root = Path(root)
    if not root.is_dir():
        raise VaescanInputError(root, "not a folder of pages")
    listed: dict[str, str] = {}
    if (root / "pages.csv").is_file():
        table = pd.read_csv(root / "pages.csv", dtype=str, keep_default_na=False)
        column = next((c for c in table.columns if "category" in c.lower()), None)
        if column is not None and "page" in table.columns:
            listed = dict(zip(table["page"], table[column]))
    pages = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        images = sorted(p for p in folder.iterdir() if p.stem == "page" and p.suffix.lower() in IMAGE_SUFFIXES)
        if not images or not (folder / "truth.hea").is_file():
            continue
        category = listed.get(folder.name) or re.sub(r"_\d+$", "", folder.name)
        pages.append(FolderPage(folder.name, images[0], folder / "truth", category))
    if not pages:
        raise VaescanInputError(root, "holds no page folders (NAME/page.png or page.jpg with NAME/truth.hea)")
    return pages


def folder_page_evaluate(page: FolderPage, config: DigitizeConfig | None = None) -> dict:
    """Digitise one page of a folder and score it against its WFDB truth (NaN where the page shows no trace).

    Returns one row of the evaluation table (as :func:`page_evaluate`); the digitiser's output
    has the truth's rate and length. ``config``: the digitiser's settings (e.g. the printer's pulse
    convention, ``pulse_lag_ms``, where it is known). An unreadable truth raises :class:`VaescanInputError`.
    """
    from vaescan.data.leads import LEADS
    from vaescan.data.records import read_record
    from vaescan.digitize.pipeline import DigitizeConfig

    truth = read_record(page.truth, require_all_leads=False)
    x = np.full((len(truth.signal), len(LEADS)), np.nan)
    for k, lead in enumerate(LEADS):
        if lead in truth.sig_name:
            x[:, k] = truth.signal[:, truth.sig_name.index(lead)]
    shown = np.isfinite(x)
    row = {"page": page.page, "category": page.category, "image": page.image.name}
    config = dataclasses.replace(config or DigitizeConfig(), fs=truth.fs, duration_s=len(x) / truth.fs)
    _digitize_score(page.image, config, page.page, np.nan_to_num(x), shown, row)
    return row


def evaluate_folder(root: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None = None, jobs: int = 1,
                    progress: bool = True, config: DigitizeConfig | None = None) -> tuple[pd.DataFrame, dict]:
    """Digitise and score every page of a folder in the outside-pages layout (:func:`folder_pages`).

    Same scores and outputs as :func:`digitize_evaluate` (``pages.csv``, ``summary.json``,
    ``snr_by_category.png`` in ``out_dir``), by the folder's categories; the summary also
    lists the rejected pages with their reasons and the settings' ``pulse_lag_ms`` and ``segmenter``.
    ``jobs``: worker processes; ``config``: the digitiser's settings (:func:`folder_page_evaluate`).

    Example
    -------
    >>> table, summary = evaluate_folder("../shared/data/outside_pages", jobs=2)  # doctest: +SKIP
    >>> summary["overall"]["snr_db"], summary["rejected"]  # doctest: +SKIP
    """
    from vaescan.batch import run_batch
    from vaescan.digitize.pipeline import DigitizeConfig

    config = config or DigitizeConfig()
    pages = folder_pages(root)
    score = functools.partial(folder_page_evaluate, config=config)
    result = run_batch(pages, score, desc="digitize-eval", jobs=jobs, progress=progress)
    if result.skipped:
        raise VaescanInputError(root, "; ".join(reason for _, reason in result.skipped))
    table = pd.DataFrame([row for _, row in result.done])
    summary = evaluation_summary(table)
    summary.update(pages_folder=str(root), n=len(table), pulse_lag_ms=config.pulse_lag_ms, segmenter=config.segmenter,
                   rejected={r.page: r.error for r in table.itertuples() if r.error},
                   misnamed={r.page: r.misnamed_leads for r in table.itertuples() if r.misnamed})
    if out_dir is not None:
        _write_evaluation(table, summary, out_dir, f"digitise {Path(root).name}, {len(table)} pages")
    return table, summary


def _write_evaluation(table: pd.DataFrame, summary: dict, out_dir: str | os.PathLike[str], title: str) -> None:
    """``pages.csv``, ``summary.json`` and ``snr_by_category.png`` in ``out_dir``."""
    from vaescan.io import atomic_path, write_json

    out_dir = Path(out_dir)
    with atomic_path(out_dir / "pages.csv") as tmp:
        table.to_csv(tmp, index=False, float_format="%.3f")
    write_json(out_dir / "summary.json", summary)
    evaluation_figure(table, out_dir / "snr_by_category.png", title=title)


def evaluation_summary(table: pd.DataFrame) -> dict:
    """Mean SNR (raw and shifted), pages and failures by category and family, and against the targets.

    ``ceiling_db``: the mean SNR of a perfect reader (hum and muscle noise not read; a
    page whose truth has neither counts as 99 dB), None when unknown for some page.
    """
    def stats(df):
        out = {"pages": int(len(df)), "snr_db": round(float(df.snr_db.mean()), 2),
                "snr_shift_db": round(float(df.snr_shift_db.mean()), 2),
                "median_snr_db": round(float(df.snr_db.median()), 2), "failed": int((df.error != "").sum()),
                "seconds_per_page": round(float(df.seconds.mean()), 2),
                "ceiling_db": (round(float(df.ceiling_db.mean()), 2)
                               if "ceiling_db" in df and df.ceiling_db.notna().all() else None)}
        if "verdict" in df:
            right = df[(df.misnamed == 0) & (df.verdict != "rejected")]
            wrong = df[df.misnamed > 0]
            read = int(df.leads_read.sum()) if "leads_read" in df else 0
            # lead-name accuracy (issue 16): the share of the leads read that are under their true name
            out.update(leads_read=read, names_right=round(1.0 - float(df.misnamed.sum()) / read, 4) if read else None,
                       misnamed_leads=int(df.misnamed.sum()), pages_misnamed=int(len(wrong)),
                       misnamed_silent=int(df.misnamed_silent.sum()) if "misnamed_silent" in df else None,
                       verdicts={v: int(n) for v, n in df.verdict.value_counts().items()},
                       named_right_confident=f"{int((right.verdict == 'confident').sum())}/{len(right)}",
                       misnamed_flagged=f"{int((wrong.verdict == 'check leads').sum())}/{len(wrong)}")
        return out

    clean = table[table.category == "clean"]
    distorted = table[table.category != "clean"]
    out = {"overall": stats(table),
           "clean": stats(clean) if len(clean) else None,
           "distorted": stats(distorted) if len(distorted) else None,
           **{f"by_{col}": {c: stats(df) for c, df in table.groupby(col)}
              for col in ("category", "family", "layout") if col in table},
           "targets_db": TARGETS_DB}
    out["meets_targets"] = {k: (out[k] is not None and out[k]["snr_db"] >= v) for k, v in TARGETS_DB.items()}
    return out


def evaluation_figure(table: pd.DataFrame, path: str | os.PathLike[str],
                      title: str = "render -> digitise") -> Path:
    """Box plot of per-page SNR by category (raw and best-shift), with the targets."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from vaescan.io import atomic_path

    order = [c for c in DISTORTION_CATEGORIES if c in set(table.category)]
    order += sorted(set(table.category) - set(order))
    fig, ax = plt.subplots(figsize=(1.1 * len(order) + 3, 4))
    pos = np.arange(len(order))
    for off, col, colour in ((-0.18, "snr_db", "#3060a0"), (0.18, "snr_shift_db", "#a0a0a0")):
        data = [table.loc[table.category == c, col].clip(-10, 50).values for c in order]
        parts = ax.boxplot(data, positions=pos + off, widths=0.32, patch_artist=True, showfliers=True)
        for box in parts["boxes"]:
            box.set_facecolor(colour)
    ax.axhline(TARGETS_DB["clean"], color="green", ls="--", lw=1, label="clean target 20 dB")
    ax.axhline(TARGETS_DB["distorted"], color="orange", ls="--", lw=1, label="distorted target 12 dB")
    ax.set_xticks(pos, order)
    ax.set_ylabel("Challenge SNR (dB)")
    ax.set_title(f"{title} (blue: raw, grey: best shift within 0.2 s)", fontsize=9)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    plt.close(fig)
    return path


def _hum_free(config: SynthConfig) -> SynthConfig:
    """The same simulator settings without mains hum and muscle noise (baseline wander kept): what paper shows."""
    return dataclasses.replace(config, noise=dataclasses.replace(config.noise, powerline_mv=(0.0, 0.0),
                                                                 muscle_mv=(0.0, 0.0)))


def eval_records(n: int, seed: int = 0, data: str | os.PathLike[str] | None = None,
                 noiseless: bool = False) -> list[Record]:
    """The records ``digitize-eval`` renders: ``n`` from the cohort at ``data``, else ``n`` synthetic ones.

    Synthetic records come from :func:`vaescan.data.synth.simulate_records` (500 Hz, 10 s,
    12 leads, with the cohort's electrode noise; ``noiseless``: without mains hum and
    muscle noise, which a printout at 25 mm/s cannot show, baseline wander kept).
    A cohort with fewer than ``n`` records is cycled.

    Example
    -------
    >>> recs = eval_records(2, seed=0)
    >>> len(recs), recs[0].fs, recs[0].signal.shape
    (2, 500.0, (5000, 12))
    """
    if data is None:
        from vaescan.data.synth import SynthConfig, simulate_records

        config = _hum_free(SynthConfig()) if noiseless else SynthConfig()
        return [record for record, _ in simulate_records(n, seed=seed, config=config)]
    from vaescan.data.sources import load_cohort

    cohort = load_cohort(data)
    if len(cohort) == 0:
        raise VaescanInputError(data, "the cohort holds no records")
    return [cohort.read_record(i % len(cohort)) for i in range(n)]


def eval_underlying(n: int, seed: int = 0, data: str | os.PathLike[str] | Cohort | None = None) -> list[Record | None]:
    """The records of :func:`eval_records` without mains hum and muscle noise (same patients, same wander).

    Known for simulated records and for a synthetic cohort written by
    :func:`~vaescan.data.synth.simulate_cohort` (regenerated from its seed and config; ``data``
    is its path or the :class:`~vaescan.data.cohort.Cohort`, in the order of its rows);
    None for other cohorts (the ceiling is then not scored).

    Example
    -------
    >>> noisy, clean = eval_records(1, seed=0)[0], eval_underlying(1, seed=0)[0]
    >>> d = noisy.signal - clean.signal                   # hum and muscle noise only: no wander, no ECG
    >>> bool(0 < np.abs(d).max() < 0.3), bool(np.abs(d.mean(axis=0)).max() < 0.005)
    (True, True)
    """
    from vaescan.data.synth import SynthConfig
    from vaescan.data.synth.record import simulate_record

    if data is None:
        return [simulate_record(i, seed, _hum_free(SynthConfig()))[0] for i in range(n)]
    from vaescan.config import config_from_dict
    from vaescan.data.cohort import Cohort
    from vaescan.data.sources import load_cohort

    cohort = data if isinstance(data, Cohort) else load_cohort(data)
    if cohort.kind != "synthetic" or "config" not in cohort.info or "seed" not in cohort.info or len(cohort) == 0:
        return [None] * n
    config = _hum_free(config_from_dict(SynthConfig, cohort.info["config"]))
    ids = cohort.metadata.record_id.astype(str).tolist()
    return [simulate_record(int(ids[i % len(ids)]) - 1, int(cohort.info["seed"]), config)[0] for i in range(n)]


def _signal_hash(record: Record | None) -> str | None:
    """SHA-256 of a record's rate, lead names and samples (None for None)."""
    if record is None:
        return None
    h = hashlib.sha256(json.dumps([record.fs, list(record.sig_name)]).encode())
    h.update(np.ascontiguousarray(record.signal, dtype=np.float64).tobytes())
    return h.hexdigest()


def pages_cache_key(cases: Sequence[EvalCase]) -> str:
    """Hash of everything a page's score depends on: its name, style, distortion, record and underlying record.

    :func:`evaluate_pages` reads ``pages.csv`` back only when this key matches the one saved beside it.

    Example
    -------
    >>> from vaescan.data.leads import LEADS
    >>> recs = [Record(np.zeros((5000, 12)), 500.0, list(LEADS), name="r")]
    >>> pages_cache_key(eval_cases(recs, 1, seed=0)) == pages_cache_key(eval_cases(recs, 1, seed=1))
    False
    """
    payload = [[c.page, c.category, c.family, c.record.name, dataclasses.asdict(c.style),
                dataclasses.asdict(c.distortion), _signal_hash(c.record), _signal_hash(c.underlying)]
               for c in cases]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def evaluate_pages(records: Sequence[Record], out_dir: str | os.PathLike[str], n_pages: int = 4, seed: int = 0,
                   categories: Sequence[str] = ("clean", "distorted"),
                   underlying: Sequence[Record | None] | None = None, progress: bool = False) -> pd.DataFrame:
    """Render a few records as clean and distorted pages, digitise them and score them (the quickstart's step;
    ``progress``: a progress bar over the pages).

    ``underlying``: per record, the ECG without mains hum and muscle noise (for a synthetic
    cohort: :func:`eval_underlying`), or None where it is not known (the ceiling is then
    not scored). Each of the first ``n_pages`` records is printed once per category
    (``clean``: the classic style; ``distorted``: the ``phone`` mix of rotation,
    perspective, shadow, creases, blur, noise and JPEG). Writes under ``out_dir``
    the pages (``<page>.png`` + truth ``.json``), the digitised records
    (``<page>.hea/.dat``) and ``pages.csv``; when ``pages.csv`` exists for the
    same pages (same records, seed and categories: :func:`pages_cache_key`, kept in
    ``pages.key.json``) it is read back instead of redone. Returns the per-page table
    (``snr_db``, ``snr_shift_db``, per-lead SNR and, for a synthetic cohort, the
    perfect reader's ``ceiling_db``, all in dB).

    Example
    -------
    >>> import tempfile
    >>> table = evaluate_pages(eval_records(1), tempfile.mkdtemp(), n_pages=1)  # doctest: +SKIP
    >>> table[["category", "snr_db"]]  # doctest: +SKIP
    """

    from vaescan.pages.render import random_style

    out_dir = Path(out_dir)
    csv = out_dir / "pages.csv"
    records = list(records)[:n_pages]
    underlying = list(underlying)[:n_pages] if underlying is not None else [None] * len(records)
    if not records:
        raise VaescanInputError(None, "evaluate_pages needs at least one record")
    unknown = [c for c in categories if c not in ("clean", "distorted")]
    if unknown:
        raise VaescanInputError(None, f"unknown page categories {unknown}; use 'clean' and/or 'distorted'")
    rng = np.random.default_rng(seed)
    cases = []
    for i, record in enumerate(records):
        for category in categories:
            style = random_style(rng, "classic", dpi=150, speed_mm_s=25.0)
            kind = "clean" if category == "clean" else "phone"
            distortion = Distortion(seed=int(rng.integers(2**31)), **{
                k: float(rng.uniform(lo, hi)) for k, (lo, hi) in DISTORTION_CATEGORIES[kind].items()})
            cases.append(EvalCase(f"{category}{i:02d}", record, style, distortion, kind, "classic", underlying[i]))
    from vaescan.io import atomic_path, read_json, write_json

    key_file, key = out_dir / "pages.key.json", pages_cache_key(cases)
    if csv.exists() and key_file.exists() and read_json(key_file).get("key") == key:
        return pd.read_csv(csv, keep_default_na=False, na_values=[""])
    key_file.unlink(missing_ok=True)                     # an interrupted redo must not pass for the old pages
    table = pd.DataFrame([page_evaluate(case, out_dir) for case in tqdm(
        cases, desc="digitize", unit="page", disable=not progress, dynamic_ncols=True)])
    with atomic_path(csv) as tmp:
        table.to_csv(tmp, index=False, float_format="%.3f")
    write_json(key_file, {"key": key})
    return table

"""The report's figure sections, made by the commands that already make them, for the runs given to the report.

:func:`report_sections` returns, in order (each a :class:`vaescan.report.sections.Section`, its figures written
under ``DIR/sections/``):

1. **Data card** (:func:`vaescan.analysis.data_card.data_card`): records, patients, age and sex per split,
   label prevalences per split, sampling rate, source;
2. **Factor traversals** of each SCAN run (``vaescan traverse``, :func:`vaescan.workflows.products.traverse_run`):
   the overview, the Spearman heatmap and the first ``traversal_figures`` factors' 12-lead figures;
3. **Factor <-> clinical heatmaps** of each SCAN run (``vaescan associate``, on the test split): SCAN's weights
   and single-factor AUROC / R2;
4. **Generated typical beats** per label of each SCAN run (``vaescan generate``, the label alone against NORM);
5. **Jacobian overlays** of each black-box run (``vaescan explain``'s evidence and figures): for each label, the
   first ``records_per_label`` test records that have it, the trace coloured by the evidence for (orange) and
   against (purple) that label;
6. **Digitisation examples** from a folder the digitiser's evaluation wrote (``pages.csv``, the pages, the traced
   records; the quickstart's ``digitize/``): page, traced lead II over the true one, SNR.

A section whose input is absent (no SCAN run, no black box, no digitisation folder, ``records_per_label`` 0) is
kept as one line saying why.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vaescan.analysis.data_card import data_card
from vaescan.config import load_config
from vaescan.data.cohort import Cohort
from vaescan.errors import VaescanError
from vaescan.models.run import CONFIG_FILE, require_done
from vaescan.report.ecg_plots import save_figure
from vaescan.report.sections import Section, SectionFigure

RECORDS_PER_LABEL = 2
"""Test records per label whose Jacobian overlay the report shows, per black-box run."""

SKIP_LABELS = ("NORM", "sex")
"""Labels without a generated beat of their own: NORM is the reference every generated beat is drawn beside."""


@dataclasses.dataclass(frozen=True)
class SectionSettings:
    """What the sections show: ``records_per_label`` Jacobian overlays per label and black-box run (0: none);
    ``traversal_figures`` per-factor traversal figures per SCAN run; ``digitized``: a folder of the digitiser's
    evaluation (``pages.csv``), None: no digitisation section; its first ``digitisation_pages`` pages."""

    records_per_label: int = RECORDS_PER_LABEL
    traversal_figures: int = 2
    digitized: str | None = None
    digitisation_pages: int = 4


DEFAULT_SECTIONS = SectionSettings()
"""The report's default sections: 2 overlays per label, 2 traversal figures per run, no digitisation folder."""


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).strip("_").lower() or "run"


def _fmt(frame: pd.DataFrame, digits: int = 1) -> pd.DataFrame:
    return frame.apply(lambda c: c.map(lambda v: f"{v:.{digits}f}" if isinstance(v, float) and np.isfinite(v)
                                       else ("-" if isinstance(v, float) else v)))


def card_section(cohort: Cohort) -> Section:
    """The data card as a section: one table per split, one of the prevalences, and the sampling rate and source.

    Example
    -------
    >>> card_section(load_cohort("runs/quickstart/cohort")).tables[0][1].columns[:3].tolist()  # doctest: +SKIP
    ['split', 'records', 'patients']
    """
    card = data_card(cohort)
    rates = ", ".join(f"{r:g}" for r in card.sampling_rate_hz) or "unknown (no header read)"
    splits = card.splits.rename(columns={"age_mean": "age mean (y)", "age_sd": "age sd (y)",
                                         "female_pct": "female (%)"})
    prevalence = card.prevalence.rename(columns=lambda c: c.replace("_n", " n").replace("_pct", " %"))
    text = (f"Source: {card.source}. Sampling rate: {rates} Hz. {int(card.splits['records'].iloc[-1])} records; "
            "every number below counts the cohort's metadata (sex coded 1 = female).")
    return Section("data-card", "Data card", [text], [("Records per split", _fmt(splits)),
                                                      ("Label prevalence per split (positives, %)",
                                                       _fmt(prevalence))])


def scan_sections(runs: Sequence[tuple[str, Path]], cohort: Cohort, out: Path, settings: SectionSettings, *,
                  cache_dir: str | None = None, progress: bool = True) -> list[Section]:
    """Traversals, heatmaps and generated beats of the SCAN ``runs`` (name, folder), figures under ``out``.

    Example
    -------
    >>> sections = scan_sections([("scan", Path("runs/scan"))], cohort, Path("runs/report"),  # doctest: +SKIP
    ...                          SectionSettings())
    """
    from vaescan.models.scan import SCAN
    from vaescan.workflows.products import associate_run, generate_run, traverse_run

    traversal = Section("traversals", "Factor traversals", [
        "Each factor of the VAE moved from -3 to +3 sd (colour ramp) with the others at their mean; the decoded "
        "12-lead beats show what the factor changes. The heatmap gives the Spearman rho of each measured feature "
        "along each factor's traversal (blank: no visible change); the overview shows every factor on six leads."])
    heatmaps = Section("heatmaps", "Factor <-> clinical heatmaps", [
        "SCAN's p(y|z) weights (logit per factor unit for labels, units per factor unit for age) and each factor "
        "alone as a score of each clinical variable on the test split (AUROC; 0.5 = none, below 0.5 inverse; R2 "
        "for age)."])
    generated = Section("generated", "Generated typical beats per label", [
        "SCAN's typical beat for each label alone (all other labels 0), drawn over the NORM profile's beat, 12 "
        "leads; the table gives both beats' measured intervals."])
    if not runs:
        why = "no SCAN run was given to the report (give a train-scan run folder to add it)."
        return [dataclasses.replace(s, paragraphs=[], skipped=why) for s in (traversal, heatmaps, generated)]
    rows = []
    for name, run in runs:
        base = out / "sections" / _slug(name)
        traverse_run(run, base / "traversal", figures=settings.traversal_figures)
        scan = SCAN.load(run)
        order = scan.vae.active_units_ or list(range(scan.vae.config.latent_dim))   # traverse_run's order
        shown = [p for p in (base / "traversal" / f"traversal_z{f}.png" for f in order[:settings.traversal_figures])
                 if p.exists()]
        for path, caption in ([(base / "traversal" / "traversal_overview.png", "every factor, six leads"),
                               (base / "traversal" / "traversal_spearman.png", "feature change along each factor")]
                              + [(p, f"factor {p.stem[10:]}, 12 leads") for p in shown]):
            traversal.figures.append(SectionFigure(str(path.relative_to(out)), f"{name}: {caption}", name))
        associate_run(run, base / "associations", data=str(cohort.root), split="test", progress=progress,
                      cache_dir=cache_dir)
        for stem, caption in (("scan_weights", "SCAN weights"), ("single_factor_auroc", "single-factor AUROC"),
                              ("single_factor_r2", "single-factor R2")):
            path = base / "associations" / f"{stem}.png"
            if path.exists():
                heatmaps.figures.append(SectionFigure(str(path.relative_to(out)), f"{name}: {caption}", name))
        for label in [b for b in scan.binary_names_ if b not in SKIP_LABELS]:
            table = generate_run(run, {label: 1.0}, base / "generated" / _slug(label))
            generated.figures.append(SectionFigure(
                str((base / "generated" / _slug(label) / "generated.png").relative_to(out)),
                f"{name}: typical {label} beat against NORM", f"{name}/{label}"))
            keep = [c for c in ("pr_ms", "qrs_ms", "qt_ms", "qtc_ms", "axis_deg") if c in table.columns]
            rows.append({"run": name, "label": label, **{f"{c} ({b})": table.loc[b, c]
                                                          for c in keep for b in ("generated", "reference")}})
    if rows:
        generated.tables.append(("Measured on the generated beats (reference: NORM)", _fmt(pd.DataFrame(rows))))
    else:
        generated = dataclasses.replace(generated, paragraphs=[],
                                        skipped="the SCAN runs model no label other than NORM and sex.")
    return [traversal, heatmaps, generated]


def overlay_records(cohort: Cohort, labels: Sequence[str], n: int) -> dict[str, list[int]]:
    """Per label, the row positions of the first ``n`` test records that have it (cohort order).

    Example
    -------
    >>> meta = pd.DataFrame({"record_id": list("abcd"), "split": ["test", "train", "test", "test"],
    ...                      "AF": [1, 1, 0, 1]})
    >>> overlay_records(Cohort(".", meta, label_names=["AF"]), ["AF"], 2)
    {'AF': [0, 3]}
    """
    meta = cohort.metadata.reset_index(drop=True)
    test = meta["split"] == "test"
    return {label: np.flatnonzero(test & (pd.to_numeric(meta[label], errors="coerce") == 1))[:n].tolist()
            for label in labels if label in meta.columns}


def blackbox_section(runs: Sequence[tuple[str, Path]], cohort: Cohort, out: Path, settings: SectionSettings, *,
                     jobs: int = 1, ptbxl_rate: int = 500, progress: bool = True) -> Section:
    """Jacobian overlays of the black-box ``runs`` (name, folder): per label, the first ``records_per_label`` test
    records that have it and can be explained (of twice that many candidates).

    Example
    -------
    >>> section = blackbox_section([("bb", Path("runs/bb"))], cohort, Path("runs/report"),  # doctest: +SKIP
    ...                            SectionSettings(records_per_label=1))
    """
    section = Section("jacobians", "Jacobian overlays of the black boxes", [
        "For each label, the first test records that truly have it, explained by the black box with vaescan "
        "explain's defaults: the trace is coloured by each sample's evidence for the label (orange) or against it "
        "(purple), on standard paper (25 mm/s, 10 mm/mV); for a page-image model the evidence lies on the page's "
        "trace pixels. Each caption gives the predicted probability and the strongest lead x wave evidence for and "
        "against."])
    if not runs:
        return dataclasses.replace(section, paragraphs=[], skipped="no black-box run was given to the report.")
    if settings.records_per_label <= 0:
        return dataclasses.replace(section, paragraphs=[], skipped="--records-per-label is 0.")
    from vaescan.explain.summary import evidence_summary
    from vaescan.models.blackbox import BlackBox
    from vaescan.models.run_configs import BlackBoxRunConfig
    from vaescan.workflows.explain import ExplainSettings, evidence_figure, iter_evidence, output_scores

    meta = cohort.metadata.reset_index(drop=True)
    for name, run in runs:
        config = load_config(BlackBoxRunConfig, Path(run) / CONFIG_FILE)
        model = BlackBox.load(run)
        labels = [b for b in model.binary_names_ if b != "sex"]
        n = settings.records_per_label
        # twice the records asked for: a record that cannot be explained (no usable signal) gives way to the next,
        # explained in a second pass only for the labels that came up short
        chosen = overlay_records(cohort, labels, 2 * n)
        skipped: list[tuple[str, str]] = []
        evidence: dict = {}
        tried: set[int] = set()
        for second in (False, True):
            wanted = [idx[n:] if second else idx[:n] for idx in chosen.values()
                      if not second or sum(str(meta["record_id"].iloc[i]) in evidence for i in idx[:n]) < n]
            rows = sorted({i for idx in wanted for i in idx} - tried)
            if not rows:
                continue
            tried.update(rows)
            items = [("record", cohort.record_path(i), str(meta["record_id"].iloc[i])) for i in rows]
            evidence.update({ev.item.record_id: ev for ev in iter_evidence(
                model, config, items, ExplainSettings(jobs=jobs, ptbxl_rate=ptbxl_rate), progress=progress,
                skipped=skipped)})
        base = out / "sections" / _slug(name) / "jacobians"
        for label, idx in chosen.items():
            k = list(model.output_names_).index(label)
            ids = [str(meta["record_id"].iloc[i]) for i in idx]
            for rid in [r for r in ids if r in evidence][:n]:
                ev = evidence[rid]
                printed, present, _ = output_scores(model, ev.outputs)
                line = evidence_summary(ev.table(model.output_names_), printed, present)[k]
                path = base / f"{_slug(label)}_{_slug(rid)}.png"
                save_figure(evidence_figure(ev, k, f"{rid} ({label} true): {line}"), path)
                section.figures.append(SectionFigure(str(path.relative_to(out)), f"{name}, {label}: {rid}: {line}",
                                                     f"{name}/{label}"))
        missing = [label for label, idx in chosen.items() if not idx]
        if missing:
            section.paragraphs.append(f"{name}: no test record has {', '.join(missing)}, so no overlay for it.")
        if skipped:
            section.paragraphs.append(f"{name}: not explained: " + "; ".join(f"{r} ({why})" for r, why in skipped))
    return section


def digitisation_section(folder: str | os.PathLike[str] | None, cohort: Cohort, out: Path,
                         pages: int = 4) -> Section:
    """Digitisation examples from a folder of :func:`vaescan.digitize.evaluate.evaluate_pages` (``pages.csv``):
    for each of the first ``pages`` pages, the page beside its traced lead II over the true one, and its SNR.

    Example
    -------
    >>> digitisation_section(None, cohort, Path("runs/report")).skipped[:30]  # doctest: +SKIP
    'no digitisation results given'
    """
    section = Section("digitisation", "Digitisation examples", [
        "ECG pages printed from test-cohort records (clean, and distorted as a phone photograph would be), read "
        "back by vaescan digitize. Each figure shows the page and its lead II rhythm strip as traced (orange) over "
        "the true signal (blue) where the page shows it; the SNR is the PhysioNet Challenge 2024 score over every "
        "lead the page shows (dB; higher is better; the best time shift in brackets)."])
    if folder is None:
        return dataclasses.replace(section, paragraphs=[], skipped=(
            "no digitisation results given (--digitize-examples DIR, a folder with pages.csv such as the quickstart's "
            "digitize/)."))
    csv = Path(folder) / "pages.csv"
    if not csv.is_file():
        return dataclasses.replace(section, paragraphs=[], skipped=f"{csv} does not exist.")
    from vaescan.data.leads import LEADS
    from vaescan.data.records import read_record
    from vaescan.digitize.evaluate import truth_signals
    from vaescan.io import read_json
    from vaescan.pages.image import image_read
    from vaescan.report.digitize_plots import plot_digitisation

    table = pd.read_csv(csv, keep_default_na=False, na_values=[""])
    names = {Path(str(r)).name: i for i, r in enumerate(cohort.metadata["record"])}
    lead = LEADS.index("II")
    for row in table.head(pages).itertuples():
        page_png, traced_base = Path(folder) / f"{row.page}.png", Path(folder) / str(row.page)
        truth = read_json(Path(folder) / f"{row.page}.truth.json")
        original = names.get(str(row.record))
        true_x = truth_signals(cohort.read_record(original), truth)[0] if original is not None else None
        try:
            traced, shown = truth_signals(read_record(traced_base), truth)
        except (OSError, ValueError, VaescanError):       # a rejected page has no traced record
            section.paragraphs.append(f"{row.page}: the digitiser rejected the page ({row.verdict_reasons}).")
            continue
        mask = shown[:, lead]
        t = np.arange(len(traced)) / 500.0
        y_traced = np.where(mask, traced[:, lead], np.nan)
        y_true = np.where(mask, true_x[:, lead], np.nan) if true_x is not None else np.full(len(t), np.nan)
        caption = f"{row.page} ({row.category}): SNR {row.snr_db:.1f} dB (best shift {row.snr_shift_db:.1f} dB)"
        path = out / "sections" / "digitisation" / f"{row.page}.png"
        save_figure(plot_digitisation(image_read(page_png), t, y_traced, y_true, "II", caption), path)
        section.figures.append(SectionFigure(str(path.relative_to(out)), caption, str(row.page)))
    keep = [c for c in ("page", "record", "category", "snr_db", "snr_shift_db", "ceiling_db", "verdict")
            if c in table.columns]
    section.tables.append(("Every page (SNR in dB)", _fmt(table[keep], 2)))
    return section


def report_sections(runs: Sequence[tuple[str, str | os.PathLike[str]]], cohort: Cohort,
                    output: str | os.PathLike[str], settings: SectionSettings = DEFAULT_SECTIONS, *,
                    cache_dir: str | None = None, jobs: int = 1, ptbxl_rate: int = 500,
                    progress: bool = True) -> list[Section]:
    """Every section of the module's list for the finished ``runs`` (name, folder) and the ``cohort``, figures
    written under ``output``/sections.

    Example
    -------
    >>> sections = report_sections([("scan", "runs/scan")], cohort, "runs/report")  # doctest: +SKIP
    >>> [s.title for s in sections][:2]  # doctest: +SKIP
    ['Data card', 'Factor traversals']
    """
    out = Path(output)
    kinds = [require_done(run, ("scan", "blackbox"))["kind"] for _, run in runs]
    scans = [(name, Path(run)) for (name, run), kind in zip(runs, kinds) if kind == "scan"]
    boxes = [(name, Path(run)) for (name, run), kind in zip(runs, kinds) if kind == "blackbox"]
    return [card_section(cohort),
            *scan_sections(scans, cohort, out, settings, cache_dir=cache_dir, progress=progress),
            blackbox_section(boxes, cohort, out, settings, jobs=jobs, ptbxl_rate=ptbxl_rate, progress=progress),
            digitisation_section(settings.digitized, cohort, out, settings.digitisation_pages)]

"""``vaescan explain``: a black-box run's Jacobian explanations of records or page images, in the doctor's language.

For every input the run's model is differentiated with respect to every input
sample or pixel, for every output at once (:class:`vaescan.explain.Jacobian`);
page-image maps are summed onto the samples each trace pixel draws; the samples
are labelled with their wave and the evidence is summed per lead x wave x
output. Written to the output folder::

    OUT/
      explanation.csv   record_id, output, lead, wave, value (signed: + for, - against)
      predictions.csv   record_id, each output's score, and for pages the background share of the raw map
      summary.txt       per record and output: the score and the top evidence for and against
      maps/<id>.npz     raw maps (outputs x input shape, float16), the input, the wave labels, the output names
      figures/<id>.png  the record on standard paper (or the page), trace coloured by the evidence for its
                        most probable label; only for the first ``figures`` inputs
      skipped.csv       inputs that could not be explained, and why

Records are prepared and explained a chunk at a time, so memory does not grow
with the number of inputs.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from vaescan.batch import run_batch, write_failures
from vaescan.config import load_config
from vaescan.data.beats import BeatConfig
from vaescan.data.records import Record, read_record
from vaescan.data.signals import record_signal
from vaescan.data.sources import load_cohort
from vaescan.digitize.trace_map import digitized_trace_map
from vaescan.errors import VaescanInputError
from vaescan.explain.evidence import Evidence, EvidenceInput, explain_inputs
from vaescan.explain.jacobian import Jacobian
from vaescan.explain.summary import evidence_summary
from vaescan.explain.waves import ecg_waves
from vaescan.io import atomic_path, save_npz, write_text
from vaescan.models.blackbox import BlackBox
from vaescan.models.run import CONFIG_FILE, require_done
from vaescan.models.run_configs import BlackBoxRunConfig
from vaescan.pages.image import image_paths
from vaescan.pages.model_input import image_file_input, page_index, page_input
from vaescan.report.ecg_plots import save_figure
from vaescan.report.evidence_plots import plot_page_evidence, plot_signal_evidence

METHODS = ("jacobian_x_input", "jacobian")
"""``jacobian``: d output / d input (how the output moves if a sample moves);
``jacobian_x_input``: that times the input (each sample's first-order contribution; zero on blank paper and on the
isoelectric line)."""


NOISE_SD: dict[str, float] = {"signal": 0.1, "image": 0.1}
"""Default SmoothGrad noise per input kind: 0.1 mV on signals (chosen on the validation split of the synthetic
cohort against 0.05 mV), 0.1 on ink-high page images (a tenth of their range, as SmoothGrad's authors advise)."""

SMOOTH: dict[str, int] = {"signal": 16, "image": 0}
"""Default SmoothGrad copies per input kind (``scripts/bench_explain.py``): on signals, 16 noisy copies moved
long-QT evidence onto the T wave (top cell on T: 25 -> 50% of test true positives; 21 -> 38% for a second seed)
without losing LBBB, HYPERK or AVB1; on page images they helped long QT but lost LVH and LBBB, so pages keep the
plain Jacobian."""


@dataclass(frozen=True)
class ExplainSettings:
    """How ``vaescan explain`` runs: the attribution ``method`` (:data:`METHODS`); ``smooth`` noisy copies per
    record whose gradients are averaged (SmoothGrad; 0 = the plain Jacobian; None = :data:`SMOOTH` of the run's
    input) with noise ``noise_sd`` (input units; None = :data:`NOISE_SD` of the run's input); records per Jacobian
    ``batch_size``; ``figures`` drawn (first inputs); worker ``jobs`` preparing inputs; PTB-XL's rate."""

    method: str = "jacobian_x_input"
    smooth: int | None = None
    noise_sd: float | None = None
    batch_size: int = 16
    figures: int = 10
    jobs: int = 1
    ptbxl_rate: int = 500


def _signal_item(config: BlackBoxRunConfig, record: Record) -> EvidenceInput:
    signal = record_signal(record, config.signal)
    waves = ecg_waves(record, fs=config.signal.fs, n_samples=signal.shape[1]).labels
    return EvidenceInput(record.name, signal, waves, signal, config.signal.fs)


def _page_item(config: BlackBoxRunConfig, record: Record) -> EvidenceInput:
    """A record drawn as the page the image model saw for it in training (:func:`page_index`)."""
    page = page_input(record, config.image, page_index(record.name))
    return _image_evidence(record.name, page.image[None], page.trace_map, record)


def _image_file_item(config: BlackBoxRunConfig, path: Path) -> EvidenceInput:
    """A user's page image: its pixels as the model sees them, the trace map and waves from its digitisation."""
    image = image_file_input(path, config.image)
    trace_map, record = digitized_trace_map(path, config.image)
    return _image_evidence(path.stem, image, trace_map, record)


def _timing_record(record: Record) -> Record:
    """A digitised page's record made complete for timing the waves: where a lead was not printed (NaN) or not
    read (flat), lead II (the rhythm strip, shown for the whole 10 s) stands in. Only wave timing uses it."""
    x = record.signal.copy()
    ref = np.nan_to_num(x[:, record.sig_name.index("II")] if "II" in record.sig_name else np.nanmean(x, axis=1))
    for j in range(x.shape[1]):
        missing = np.isnan(x[:, j])
        x[missing, j] = ref[missing]
        if np.ptp(x[:, j]) < BeatConfig().flat_mv:
            x[:, j] = ref
    return Record(x, record.fs, list(record.sig_name), record.name)


def _image_evidence(record_id: str, image: np.ndarray, trace_map: np.ndarray, record: Record) -> EvidenceInput:
    """Page evidence: the trace map puts pixels on the samples; the waves are timed on the page's samples."""
    waves = ecg_waves(_timing_record(record)).labels
    return EvidenceInput(record_id, image, waves, record.signal.T.astype(np.float32), record.fs, trace_map=trace_map)


def _prepare(config: BlackBoxRunConfig, item: tuple[str, Path, str]) -> EvidenceInput:
    """One input as an :class:`EvidenceInput` for the run's input kind (module level for workers).

    ``item`` is (``"record"`` or ``"image"``, path, record id).
    """
    kind, path, record_id = item
    if kind == "image":
        return _image_file_item(config, path)
    record = read_record(path)
    record.name = record_id
    return _signal_item(config, record) if config.input == "signal" else _page_item(config, record)


def collect_inputs(config: BlackBoxRunConfig, paths: Sequence[str | os.PathLike[str]],
                    ptbxl_rate: int) -> list[tuple[str, Path, str]]:
    """Every input under ``paths`` as (``"record"`` or ``"image"``, path, record id): page images (image runs
    only) and records (files, cohorts, PTB-XL releases)."""
    items: list[tuple[str, Path, str]] = []
    for path in paths:
        images = image_paths(path)
        if images:
            if config.input != "image":
                raise VaescanInputError(path, "a signal model explains records, not page images; digitise the page "
                                        "first (vaescan digitize) or explain it with an image run")
            items.extend(("image", p, p.stem) for p in images)
            continue
        cohort = load_cohort(path, sampling_rate=ptbxl_rate)
        ids = cohort.metadata["record_id"].astype(str).tolist()
        items.extend(("record", cohort.record_path(i), rid) for i, rid in enumerate(ids))
    return items


def _file_name(record_id: str) -> str:
    """A record id as a file name (PTB-XL ids are numbers; folder-style ids keep their last parts)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in record_id) or "record"


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def evidence_figure(evidence: Evidence, k: int, title: str) -> Figure:
    """The figure of output ``k``'s evidence for one input: the record on standard paper, its trace coloured by the
    evidence for (orange) and against (purple) the output; or the page with the evidence on its trace pixels.

    Example
    -------
    >>> fig = evidence_figure(next(iter_evidence(model, config, items)), 0, "r001: LBBB 0.93")  # doctest: +SKIP
    """
    item = evidence.item
    if item.trace_map is None:
        return plot_signal_evidence(item.signal, item.fs, evidence.sample_maps[k], title)
    return plot_page_evidence(item.inputs[0], evidence.maps[k][0], item.trace_map, title)


def _figure(evidence: Evidence, model: BlackBox, summary: str, path: Path) -> None:
    """The evidence for the record's most probable binary output (else its first output)."""
    binary = list(model.binary_names_)
    k = int(np.argmax(evidence.outputs[: len(binary)])) if binary else 0
    save_figure(evidence_figure(evidence, k, f"{evidence.item.record_id}: {summary}"), path)


def iter_evidence(model: BlackBox, config: BlackBoxRunConfig, items: Sequence[tuple[str, Path, str]],
                  settings: ExplainSettings = ExplainSettings(), *, progress: bool = True,
                  skipped: list[tuple[str, str]] | None = None) -> Iterator[Evidence]:
    """The :class:`Evidence` of every input of :func:`collect_inputs` for a black-box model, a chunk at a time.

    Inputs that cannot be prepared are appended to ``skipped`` as (record id, reason).

    Example
    -------
    >>> model = BlackBox.load("runs/blackbox_signal")  # doctest: +SKIP
    >>> ev = next(iter_evidence(model, config, collect_inputs(config, ["records/00001"], 500)))  # doctest: +SKIP
    """
    if settings.method not in METHODS:
        raise VaescanInputError(None, f"unknown attribution method {settings.method!r}; known: {', '.join(METHODS)}")
    forward = model.output_module()
    noise_sd = NOISE_SD[config.input] if settings.noise_sd is None else settings.noise_sd
    smooth = SMOOTH[config.input] if settings.smooth is None else settings.smooth
    attribution = Jacobian(forward, times_input=settings.method == "jacobian_x_input",
                           batch_size=settings.batch_size, noise_samples=smooth, noise_sd=noise_sd)
    batch_size = settings.batch_size
    for chunk in _chunks(items, 4 * batch_size):
        prepared = run_batch(list(chunk), functools.partial(_prepare, config), desc="explain: inputs",
                             jobs=settings.jobs, progress=progress)
        if skipped is not None:
            skipped.extend((rid, why) for (_, _, rid), why in prepared.skipped)
        yield from explain_inputs(attribution, forward, [item for _, item in prepared.done], batch_size)


def output_scores(model: BlackBox, outputs: np.ndarray) -> tuple[dict[str, str], dict[str, bool], dict[str, float]]:
    """Printed scores, present flags and numeric scores (probabilities for labels, values for the rest) of a
    black box's raw ``outputs`` (logits for labels).

    Example
    -------
    >>> output_scores(BlackBox.load("runs/blackbox_signal"), np.zeros(12))[0]["LBBB"]  # doctest: +SKIP
    '0.50'
    """
    nb = len(model.binary_names_)
    values = {name: float(1 / (1 + np.exp(-v))) if i < nb else float(v)
              for i, (name, v) in enumerate(zip(model.output_names_, outputs))}
    printed = {name: f"{v:.2f}" if i < nb else f"{v:.1f}" for i, (name, v) in enumerate(values.items())}
    present = {name: values[name] >= 0.5 for name in model.binary_names_}
    return printed, present, values


def explain_run(run: str | os.PathLike[str], paths: Sequence[str | os.PathLike[str]],
                output: str | os.PathLike[str], settings: ExplainSettings = ExplainSettings(), *,
                progress: bool = True) -> Path:
    """Explain every record under ``paths`` with a finished black-box run; returns the output folder.

    Example
    -------
    >>> explain_run("runs/blackbox_signal", ["runs/synthetic/records/00001"], "explained")  # doctest: +SKIP
    """
    require_done(run, ("blackbox",))
    config = load_config(BlackBoxRunConfig, Path(run) / CONFIG_FILE)
    model = BlackBox.load(run)
    items = collect_inputs(config, paths, settings.ptbxl_rate)
    out = Path(output)
    (out / "maps").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(exist_ok=True)
    skipped: list[tuple[str, str]] = []
    predictions, summaries = [], []
    n_figures = 0
    with atomic_path(out / "explanation.csv") as table_path:
        header = True
        for evidence in iter_evidence(model, config, items, settings, progress=progress, skipped=skipped):
            rid = evidence.item.record_id
            printed, present, values = output_scores(model, evidence.outputs)
            table = evidence.table(model.output_names_)
            table.to_csv(table_path, mode="a", header=header, index=False, float_format="%.6g")
            header = False
            lines = evidence_summary(table, printed, present)
            summaries.append(f"{rid}\n" + "\n".join(f"  {line}" for line in lines) + "\n")
            predictions.append({"record_id": rid, **values, "background_share": evidence.background_share})
            save_npz(out / "maps" / f"{_file_name(rid)}.npz", maps=evidence.maps.astype(np.float16),
                     inputs=evidence.item.inputs, waves=evidence.item.waves,
                     outputs=np.asarray(model.output_names_))
            if n_figures < settings.figures:
                k = int(np.argmax(evidence.outputs[: len(model.binary_names_)])) if model.binary_names_ else 0
                _figure(evidence, model, lines[k], out / "figures" / f"{_file_name(rid)}.png")
                n_figures += 1
    if not predictions:
        raise VaescanInputError(paths[0] if paths else None, "no input could be explained: " +
                                "; ".join(why for _, why in skipped[:3]))
    with atomic_path(out / "predictions.csv") as tmp:
        pd.DataFrame(predictions).to_csv(tmp, index=False, float_format="%.6g")
    write_text(out / "summary.txt", "\n".join(summaries) + "\n")
    write_failures(skipped, out / "skipped.csv")
    return out


"""VAE-SCAN runs end to end: configs, training from a cohort, and what each trained run can produce.

The command line (:mod:`vaescan.models.cli`), the scripts and the quickstart all
call these functions:

- :func:`train_vae_run` / :func:`train_scan_run`: cohort -> median beats (cached)
  -> train/val/test by the cohort's ``split`` column -> a run folder
  (:mod:`vaescan.models.run`) with weights, curves and measured metrics.
- :func:`traverse_run`, :func:`associate_run`, :func:`generate_run`,
  :func:`predict_run`: the figures and tables of a finished run.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from vaescan.config import load_config
from vaescan.data.beats import BeatConfig, BeatSet
from vaescan.data.cohort import Cohort, load_cohort
from vaescan.data.cohort_beats import beats_cohort, cohort_beats
from vaescan.data.features import beat_summary
from vaescan.data.leads import LEADS
from vaescan.data.records import Record, write_record
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path, read_json, write_json
from vaescan.models.evaluate import scan_metrics, vae_metrics
from vaescan.models.run import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    finish_run,
    read_run,
    require_done,
    save_param_store,
    start_run,
)
from vaescan.models.scan import SCAN, SCANConfig
from vaescan.models.train import pyro_params
from vaescan.models.traverse import VISIBLE_CHANGE, traversal_effects, traversal_spearman, traversal_table
from vaescan.models.vae import VAE, VAEConfig
from vaescan.report.ecg_plots import plot_beats, plot_traversal, plot_traversal_overview, save_figure

log = logging.getLogger("vaescan")


@dataclass
class DataConfig:
    """Where a run's records come from and how they become median beats.

    path: a vaescan cohort folder, a PTB-XL release or a folder of WFDB records.
    ptbxl_rate: which PTB-XL records to read (100 or 500 Hz).
    simulate_n: if > 0 and ``path`` holds no cohort yet, simulate a synthetic cohort of this many records there.
    simulate_seed: seed of that simulation.
    cache_dir: where median beats are cached ("" = the default user cache, see :mod:`vaescan.data.cohort_beats`).
    jobs: worker processes for the median beats.
    beats: median-beat settings.
    """

    path: str = ""
    ptbxl_rate: int = 500
    simulate_n: int = 0
    simulate_seed: int = 0
    cache_dir: str = ""
    jobs: int = 1
    beats: BeatConfig = field(default_factory=BeatConfig)


@dataclass
class VAERunConfig:
    """A beta-VAE run: the data, the output folder and the model settings."""

    output: str = "runs/vae"
    data: DataConfig = field(default_factory=DataConfig)
    vae: VAEConfig = field(default_factory=VAEConfig)


@dataclass
class SCANRunConfig:
    """A SCAN run over a finished VAE run.

    vae_run: the VAE run folder whose model is frozen.
    data: as :class:`DataConfig`; an empty ``path`` means the VAE run's data.
    binary, continuous: clinical variables (metadata columns); null means the
    cohort's labels and its continuous variables.
    """

    output: str = "runs/scan"
    vae_run: str = "runs/vae"
    data: DataConfig = field(default_factory=DataConfig)
    binary: list[str] | None = None
    continuous: list[str] | None = None
    scan: SCANConfig = field(default_factory=SCANConfig)


# -- data ---------------------------------------------------------------------------------------
@dataclass
class CohortData:
    """Median beats of a cohort and the metadata rows they belong to (row i describes beat i)."""

    cohort: Cohort
    beats: BeatSet

    def split(self, name: str) -> tuple[BeatSet, pd.DataFrame]:
        """Beats and metadata rows of one split (``train``, ``val`` or ``test``)."""
        mask = (self.cohort.metadata["split"] == name).to_numpy()
        b = self.beats
        subset = BeatSet(b.beats[mask], [r for r, m in zip(b.record_ids, mask) if m], b.fs, b.window_ms)
        return subset, self.cohort.metadata[mask].reset_index(drop=True)


def open_cohort(data: DataConfig, progress: bool = True) -> Cohort:
    """Open the cohort of a data config, simulating the synthetic cohort first if asked and missing.

    Example
    -------
    >>> cohort = open_cohort(DataConfig(path="runs/synthetic", simulate_n=500))  # doctest: +SKIP
    """
    if not data.path:
        raise VaescanInputError(None, "no data path given (--data DIR or data.path in the config)")
    path = Path(data.path)
    if data.simulate_n > 0 and not (path / "metadata.csv").is_file():
        from vaescan.data.synth import simulate_cohort

        log.info("simulating a synthetic cohort of %d records (seed %d) in %s", data.simulate_n,
                 data.simulate_seed, path)
        simulate_cohort(data.simulate_n, data.simulate_seed, path, progress=progress)
    return load_cohort(path, sampling_rate=data.ptbxl_rate)


def load_data(data: DataConfig, progress: bool = True) -> CohortData:
    """The cohort of ``data`` and its median beats (computed once, then read from the cache).

    Example
    -------
    >>> d = load_data(DataConfig(path="runs/synthetic"))  # doctest: +SKIP
    >>> train_beats, train_rows = d.split("train")  # doctest: +SKIP
    """
    cohort = open_cohort(data, progress)
    beats = cohort_beats(cohort, data.beats, cache_dir=data.cache_dir or None, jobs=data.jobs, progress=progress)
    return CohortData(beats_cohort(cohort, beats), beats)


def _write_skipped(folder: Path, beats: BeatSet) -> None:
    with atomic_path(folder / "skipped.csv") as tmp:
        pd.DataFrame(beats.skipped, columns=["record_id", "reason"]).to_csv(tmp, index=False)


def _require_rows(rows: BeatSet, split: str, where: str) -> None:
    if not rows.record_ids:
        raise VaescanInputError(where, f"no '{split}' records with a median beat; training needs a cohort with a "
                                "split column (a vaescan cohort or PTB-XL)")


def _eval_split(data: CohortData) -> str:
    for name in ("test", "val", "train"):
        if (data.cohort.metadata["split"] == name).any():
            return name
    return "train"


# -- training -----------------------------------------------------------------------------------
def train_vae_run(config: VAERunConfig, output: str | os.PathLike[str] | None = None, *, resume: bool = False,
                  force: bool = False, progress: bool = True) -> Path:
    """Train the beta-VAE of ``config`` into a run folder and measure it; returns the folder.

    ``metrics.json`` holds the reconstruction RMSE (uV), the KL per factor and
    the active factors, the training time, and on a cohort with ground-truth
    factors the linear read-out R2, the best single factor per true factor and
    MIG/DCI/SAP (:func:`vaescan.models.evaluate.vae_metrics`, on the test split).

    Example
    -------
    >>> run = train_vae_run(load_config(VAERunConfig, "configs/vae_synthetic.yaml"))  # doctest: +SKIP
    """
    folder = Path(output or config.output)
    config = start_run(folder, "vae", config, resume=resume, force=force, data=config.data.path)
    data = load_data(config.data, progress)
    _write_skipped(folder, data.beats)
    (train, _), (val, _) = data.split("train"), data.split("val")
    _require_rows(train, "train", config.data.path)
    vae = VAE(config.vae).fit(train, val, checkpoint=folder / CHECKPOINT_FILE, resume=resume, progress=progress)
    vae.save(folder)
    example = vae._to_model(train.beats[:1], vae.device_)
    save_param_store(folder, pyro_params(vae.net_.model, vae.net_.guide, example))
    split = _eval_split(data)
    evaluation, rows = data.split(split)
    factors = data.cohort.factor_names
    train_rows = data.split("train")[1]
    metrics = vae_metrics(vae, train, evaluation,
                          train_rows[factors] if factors else None, rows[factors] if factors else None,
                          seed=config.vae.seed)
    metrics.update(eval_split=split, n_skipped=len(data.beats.skipped),
                   train_seconds=float(vae.curves_["seconds"].sum()), epochs=len(vae.curves_),
                   device=str(vae.device_), torch_threads=torch.get_num_threads())
    finish_run(folder, metrics, vae.curves_, title=f"beta-VAE ({folder.name})")
    return folder


def resolve_scan_config(config: SCANRunConfig) -> SCANRunConfig:
    """Fill the SCAN config's data from its VAE run when its ``data.path`` is empty.

    The cohort and the beat settings come from the VAE run; ``jobs`` and
    ``cache_dir`` may still be set for the SCAN run.

    Example
    -------
    >>> cfg = resolve_scan_config(SCANRunConfig(vae_run="runs/vae1"))  # doctest: +SKIP
    """
    if config.data.path:
        return config
    require_done(config.vae_run, ("vae",))
    vae_data = load_config(VAERunConfig, Path(config.vae_run) / CONFIG_FILE).data
    data = dataclasses.replace(vae_data, jobs=max(vae_data.jobs, config.data.jobs),
                               cache_dir=config.data.cache_dir or vae_data.cache_dir)
    return dataclasses.replace(config, data=data)


def train_scan_run(config: SCANRunConfig, output: str | os.PathLike[str] | None = None, *,
                   resume: bool = False, force: bool = False, progress: bool = True) -> Path:
    """Train SCAN over the frozen VAE of ``config.vae_run`` into a run folder and measure it; returns the folder.

    The SCAN run keeps a copy of the VAE, so it predicts and generates on its
    own. ``metrics.json`` holds the test AUROC per binary variable, R2/MAE per
    continuous one, and the measured features of the beat generated for each
    binary variable (:func:`vaescan.models.evaluate.scan_metrics`).

    Example
    -------
    >>> run = train_scan_run(load_config(SCANRunConfig, "configs/scan_synthetic.yaml"))  # doctest: +SKIP
    """
    folder = Path(output or config.output)
    if not resume:
        config = resolve_scan_config(config)
    config = start_run(folder, "scan", config, resume=resume, force=force, data=config.data.path)
    require_done(config.vae_run, ("vae",))
    vae = VAE.load(config.vae_run, device=config.scan.device)
    data = load_data(config.data, progress)
    _write_skipped(folder, data.beats)
    binary = list(data.cohort.label_names if config.binary is None else config.binary)
    continuous = list(data.cohort.continuous_names if config.continuous is None else config.continuous)
    missing = [c for c in binary + continuous if c not in data.cohort.metadata.columns]
    if missing:
        raise VaescanInputError(config.data.path, f"the cohort has no column(s) {missing} (clinical variables "
                                f"of the SCAN config); columns: {list(data.cohort.metadata.columns)}")
    (train, train_rows), (val, val_rows) = data.split("train"), data.split("val")
    _require_rows(train, "train", config.data.path)
    columns = binary + continuous
    scan = SCAN(vae, config.scan).fit(
        train, train_rows[columns], val=(val, val_rows[columns]) if val.record_ids else None,
        binary=binary, continuous=continuous, checkpoint=folder / CHECKPOINT_FILE, resume=resume,
        progress=progress)
    scan.save(folder)
    example = scan._tensors(train.beats[:1], train_rows[columns].iloc[:1], vae.device_)
    save_param_store(folder, pyro_params(scan.net_.model, scan.net_.guide, *example))
    split = _eval_split(data)
    evaluation, rows = data.split(split)
    metrics = scan_metrics(scan, evaluation, rows[columns])
    metrics.update(eval_split=split, n_skipped=len(data.beats.skipped), vae_run=str(config.vae_run),
                   train_seconds=float(scan.curves_["seconds"].sum()), epochs=len(scan.curves_))
    finish_run(folder, metrics, scan.curves_, title=f"SCAN ({folder.name})")
    return folder


# -- what a finished run produces -----------------------------------------------------------------
def _factor_names(rho: pd.DataFrame, effects: pd.DataFrame, anchors: Sequence[str] = ()) -> dict[int, str]:
    """``z3: qrs_ms+`` labels: the feature a factor moves most (in visible-change units) among its
    monotonic associations (|rho| >= 0.9); ``z0: qrs_ms (anchored)`` for a factor anchored to a feature."""
    labels = {}
    for row in rho.index:
        factor = int(str(row)[1:])
        if factor < len(anchors):
            labels[factor] = f"z{factor}: {anchors[factor]} (anchored)"
            continue
        scale = pd.Series({c: VISIBLE_CHANGE.get(c, 1.0) for c in effects.columns})
        size = (effects.loc[row].abs() / scale).where(rho.loc[row].abs() >= 0.9).dropna()
        if len(size):
            name = size.idxmax()
            labels[factor] = f"z{factor}: {name}{'+' if effects.loc[row, name] > 0 else '-'}"
        else:
            labels[factor] = f"z{factor}"
    return labels


def traverse_run(run: str | os.PathLike[str], output: str | os.PathLike[str], *,
                 factors: Sequence[int] | None = None, span: float = 3.0, steps: int = 13) -> pd.DataFrame:
    """Traversal figures and tables of a VAE (or SCAN) run's factors; returns the Spearman table.

    Writes into ``output``: ``traversal_z<i>.png`` per factor (12 leads,
    decoded beats from -span to +span sd on a colour ramp),
    ``traversal_overview.png`` (all factors, six leads), ``traversal.csv``
    (factor, step, z and the measured features of each decoded beat),
    ``traversal_spearman.csv`` and ``.png`` (rho of each factor with each feature
    where the feature visibly changes) and ``traversal_effects.csv`` (the change
    of each feature over the traversal, in its units).
    ``factors`` defaults to the active ones (all, if none is active).

    Example
    -------
    >>> rho = traverse_run("runs/vae1", "runs/vae1/traversal")  # doctest: +SKIP
    """
    from vaescan.analysis.associations import plot_heatmap

    require_done(run, ("vae", "scan"))
    vae = VAE.load(run)
    if factors is None:
        factors = vae.active_units_ or list(range(vae.config.latent_dim))
        if not vae.active_units_:
            log.warning("no active factor (KL > %g nats); traversing all %d", vae.config.active_kl_nats,
                        vae.config.latent_dim)
    bad = [f for f in factors if not 0 <= f < vae.config.latent_dim]
    if bad:
        raise VaescanInputError(run, f"no factor(s) {bad}; the model has z0..z{vae.config.latent_dim - 1}")
    out = Path(output)
    table, beats = traversal_table(vae, factors, span, steps)
    with atomic_path(out / "traversal.csv") as tmp:
        table.to_csv(tmp, index=False, float_format="%.4f")
    rho, effects = traversal_spearman(table), traversal_effects(table)
    with atomic_path(out / "traversal_spearman.csv") as tmp:
        rho.to_csv(tmp, index_label="factor", float_format="%.4f")
    with atomic_path(out / "traversal_effects.csv") as tmp:
        effects.to_csv(tmp, index_label="factor", float_format="%.4f")
    labels = _factor_names(rho, effects, vae.config.anchor_features)
    named = rho.rename(index={row: labels[int(str(row)[1:])] for row in rho.index})  # rows read "z0: qrs_ms (anchored)"
    save_figure(plot_heatmap(named, title="Spearman rho of each measured feature along each factor's traversal "
                             "(blank: no visible change)", center=0, vmin=-1, vmax=1, cbar_label="rho"),
                out / "traversal_spearman.png")
    for factor in factors:
        idx = np.flatnonzero(table["factor"].to_numpy() == factor)
        title = f"{labels.get(factor, f'z{factor}')}   (KL {vae.kl_per_unit_[factor]:.2f} nats)"
        save_figure(plot_traversal(beats[idx], table["step"].to_numpy()[idx], vae.fs_, vae.window_ms_, title),
                    out / f"traversal_z{factor}.png")
    save_figure(plot_traversal_overview(table, beats, vae.fs_, vae.window_ms_, factor_labels=labels),
                out / "traversal_overview.png")
    return rho


def associate_run(run: str | os.PathLike[str], output: str | os.PathLike[str], *, data: str | None = None,
                  split: str = "test", progress: bool = True) -> dict[str, pd.DataFrame]:
    """Factor <-> clinical variable heatmaps of a SCAN run: its p(y|z) weights, and single-factor AUROC / R2.

    The single-factor scores use the beats of ``split`` of the run's cohort (or
    of ``data``). Writes ``scan_weights.csv/.png``, ``single_factor_scores.csv``,
    ``single_factor_auroc.png`` and ``single_factor_r2.png`` (if any continuous
    variable) into ``output``; returns the tables.

    Example
    -------
    >>> tables = associate_run("runs/scan1", "runs/scan1/associations")  # doctest: +SKIP
    """
    from vaescan.analysis.associations import plot_heatmap, single_factor_scores

    require_done(run, "scan")
    scan = SCAN.load(run)
    config = load_config(SCANRunConfig, Path(run) / CONFIG_FILE)
    if data:
        config.data.path = data
    d = load_data(config.data, progress)
    beats, rows = d.split(split)
    if not beats.record_ids:
        raise VaescanInputError(config.data.path, f"no '{split}' records to measure associations on")
    out = Path(output)
    weights = scan.weights().drop(columns="intercept")
    with atomic_path(out / "scan_weights.csv") as tmp:
        weights.to_csv(tmp, index_label="variable", float_format="%.5f")
    names = dict(zip([f"z{i}" for i in range(scan.vae.config.latent_dim)], scan.vae.factor_names_))
    title = "SCAN p(y|z) weights (logit, or units per factor unit)"
    save_figure(plot_heatmap(weights.rename(columns=names), title=title, center=0,
                             cbar_label="weight"), out / "scan_weights.png")
    z = scan.vae.transform(beats)
    binary = [c for c in scan.binary_names_ if c in rows and rows[c].dropna().nunique() == 2]
    continuous = [c for c in scan.continuous_names_ if c in rows and rows[c].dropna().nunique() > 1]
    scores = single_factor_scores(z, rows[binary + continuous], binary=binary, continuous=continuous)
    with atomic_path(out / "single_factor_scores.csv") as tmp:
        scores.to_csv(tmp, index=False, float_format="%.5f")
    for metric, center, title in (("auroc", 0.5, "single-factor AUROC (0.5 = none; < 0.5 inverse)"),
                                  ("r2", None, "single-factor R2")):
        part = scores[scores.metric == metric]
        if len(part):
            wide = part.pivot(index="latent", columns="variable", values="score").reindex(
                [f"z{i}" for i in range(z.shape[1])]).rename(index=names)
            save_figure(plot_heatmap(wide, title=title, center=center, vmin=0, vmax=1, cbar_label=metric),
                        out / f"single_factor_{metric}.png")
    return {"weights": weights, "scores": scores}


def parse_assignments(items: Sequence[str]) -> dict[str, float]:
    """``["LBBB=1", "age=70"]`` -> ``{"LBBB": 1.0, "age": 70.0}`` (the ``--set`` options).

    Example
    -------
    >>> parse_assignments(["LBBB=1", "age=70"])
    {'LBBB': 1.0, 'age': 70.0}
    """
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise VaescanInputError(None, f"--set {item!r}: expected NAME=VALUE with a number, e.g. LBBB=1") from None
    return out


def generate_run(run: str | os.PathLike[str], values: Mapping[str, float],
                 output: str | os.PathLike[str]) -> pd.DataFrame:
    """The typical beat of a clinical profile, from a SCAN run, beside the reference (NORM) beat.

    Writes into ``output``: ``generated.hea/.dat`` (a 12-lead WFDB record of
    the beat, at the beats' rate), ``reference.hea/.dat`` (the NORM profile if
    the run models NORM, else every binary variable 0), ``generated.png`` (both
    overlaid per lead) and ``features.csv`` (their measured features); returns
    that table.

    Example
    -------
    >>> generate_run("runs/scan1", {"LBBB": 1, "age": 70}, "runs/lbbb")  # doctest: +SKIP
    """
    require_done(run, "scan")
    scan = SCAN.load(run)
    reference = {"NORM": 1.0} if "NORM" in scan.binary_names_ else {}
    beats = scan.generate(pd.DataFrame([dict(values), reference]))
    vae, out = scan.vae, Path(output)
    profile = ", ".join(f"{k}={v:g}" for k, v in values.items()) or "all variables at their default"
    ref_name = "NORM" if reference else "reference (no label)"
    for name, beat, comment in (("generated", beats[0], profile), ("reference", beats[1], ref_name)):
        record = Record(beat.T.astype(np.float64), vae.fs_, list(LEADS), name=name,
                        comments=[f"vaescan generate: {comment}", f"window_ms: {vae.window_ms_}"])
        write_record(record, out / name)
    save_figure(plot_beats({profile: beats[0], ref_name: beats[1]}, vae.fs_, vae.window_ms_,
                           title=f"generated by SCAN: {profile}"), out / "generated.png")
    table = pd.DataFrame([beat_summary(b, vae.fs_, vae.fiducial_) for b in beats], index=["generated", "reference"])
    with atomic_path(out / "features.csv") as tmp:
        table.to_csv(tmp, index_label="beat", float_format="%.4f")
    write_json(out / "profile.json", {"values": dict(values), "reference": reference, "run": str(run)})
    return table


class SCANPredictor:
    """``vaescan predict`` for SCAN runs: median beats -> probabilities, predictions and per-factor contributions."""

    def __init__(self, scan: SCAN, beat_config: BeatConfig):
        self.scan = scan
        self.beat_config = beat_config

    @classmethod
    def load(cls, folder: Path) -> SCANPredictor:
        """The predictor of a finished SCAN run folder."""
        config = load_config(SCANRunConfig, folder / CONFIG_FILE)
        return cls(SCAN.load(folder), config.data.beats)

    def predict_cohort(self, cohort: Cohort, *, jobs: int = 1, progress: bool = True,
                       cache_dir: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Predictions per record (``prob_<label>``, ``pred_<variable>``; skipped records with their reason)
        and contributions per record and output (``z0``.. ``intercept``, ``total`` = logit or prediction)."""
        beats = cohort_beats(cohort, self.beat_config, cache_dir=cache_dir, jobs=jobs, progress=progress)
        scan = self.scan
        pred = scan.predict(beats)
        nb = len(scan.binary_names_)
        pred.columns = [f"prob_{c}" for c in scan.binary_names_] + [f"pred_{c}" for c in scan.continuous_names_]
        pred.insert(0, "record_id", beats.record_ids)
        pred["skipped"] = ""
        skipped = pd.DataFrame({"record_id": [r for r, _ in beats.skipped], "skipped": [w for _, w in beats.skipped]})
        order = {rid: i for i, rid in enumerate(cohort.metadata["record_id"].astype(str))}
        preds = pd.concat([pred, skipped], ignore_index=True)
        preds = preds.iloc[np.argsort([order.get(r, len(order)) for r in preds.record_id], kind="stable")]
        contrib = scan.explain(beats)
        k = contrib.shape[2] - 1
        rows = pd.DataFrame(contrib.reshape(-1, k + 1), columns=[f"z{i}" for i in range(k)] + ["intercept"])
        rows.insert(0, "record_id", np.repeat(beats.record_ids, len(scan.output_names_)))
        rows.insert(1, "output", np.tile(scan.output_names_, len(beats.record_ids)))
        rows.insert(2, "scale", np.tile(["logit"] * nb + ["value"] * (len(scan.output_names_) - nb),
                                        len(beats.record_ids)))
        rows["total"] = contrib.sum(-1).reshape(-1)
        return preds.reset_index(drop=True), rows


def predict_run(run: str | os.PathLike[str], path: str | os.PathLike[str], output: str | os.PathLike[str], *,
                jobs: int = 1, ptbxl_rate: int = 500, cache_dir: str | None = None,
                progress: bool = True) -> tuple[Path, Path | None]:
    """Predict every record under ``path`` with a finished run; writes ``output`` and ``<stem>_contributions.csv``.

    Example
    -------
    >>> predict_run("runs/scan1", "data/new_ecgs", "preds.csv")  # doctest: +SKIP
    """
    from vaescan.models.run import load_predictor

    predictor = load_predictor(run)
    cohort = load_cohort(path, sampling_rate=ptbxl_rate)
    preds, contributions = predictor.predict_cohort(cohort, jobs=jobs, progress=progress, cache_dir=cache_dir)
    out = Path(output)
    with atomic_path(out) as tmp:
        preds.to_csv(tmp, index=False, float_format="%.6g")
    if contributions is None:
        return out, None
    contrib_path = out.with_name(f"{out.stem}_contributions.csv")
    with atomic_path(contrib_path) as tmp:
        contributions.to_csv(tmp, index=False, float_format="%.6g")
    return out, contrib_path


# -- the quickstart stage -------------------------------------------------------------------------
def quick_configs(data_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> tuple[VAERunConfig,
                                                                                                SCANRunConfig]:
    """Small, fast VAE and SCAN configs for a few hundred records (minutes on 2 CPU cores).

    The beta-VAE sees 125 Hz beats (``downsample`` 4) through three convolutions,
    8 factors, beta 2, z0..z2 anchored to the measured QRS, QT and T amplitude
    (:class:`~vaescan.models.vae.VAEConfig` ``anchor_features``); SCAN links every
    label, sex and age. Use the shipped
    ``configs/*_synthetic.yaml`` for the full-size model.

    Example
    -------
    >>> vae_cfg, scan_cfg = quick_configs("runs/synthetic", "runs/quick")
    >>> vae_cfg.vae.latent_dim, vae_cfg.output, scan_cfg.vae_run
    (8, 'runs/quick/vae', 'runs/quick/vae')
    """
    out = Path(out_dir)
    vae = VAEConfig(latent_dim=8, beta=2.0, warmup_epochs=5, downsample=4, channels=(16, 32, 64), hidden=128,
                    epochs=40, batch_size=64, lr=3e-3, anchor_features=("qrs_ms", "qt_ms", "t_amp_mv"))
    vae_cfg = VAERunConfig(output=str(out / "vae"), data=DataConfig(path=str(data_dir)), vae=vae)
    scan_cfg = SCANRunConfig(output=str(out / "scan"), vae_run=str(out / "vae"),
                             scan=SCANConfig(epochs=150, batch_size=64))
    return vae_cfg, scan_cfg


def _train_or_skip(train, config, folder: Path, kind: str, progress: bool) -> bool:
    """Train a run unless ``folder`` holds a finished one; an interrupted one is resumed. True if trained."""
    if (folder / "run.json").is_file():
        if read_run(folder, kind)["status"] == "done":
            log.info("%s run %s is done; skipping", kind, folder)
            return False
        train(config, folder, resume=True, progress=progress)
        return True
    train(config, folder, progress=progress)
    return True


def run_vae_scan(data_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                 vae_config: VAERunConfig | str | os.PathLike[str] | None = None,
                 scan_config: SCANRunConfig | str | os.PathLike[str] | None = None, quick: bool = True,
                 jobs: int = 1, progress: bool = True) -> dict:
    """Train VAE-SCAN on a cohort and draw what it learned; the quickstart's model stage.

    ``data_dir`` is a cohort with a ``split`` column (e.g. from ``vaescan synth``).
    Writes into ``out_dir``: ``vae/`` and ``scan/`` (run folders), ``traversal/``
    (:func:`traverse_run`), ``associations/`` (:func:`associate_run`, test split)
    and ``generated/`` (:func:`generate_run`: LBBB=1, or the first label other
    than NORM, beside the NORM beat). Configs default to :func:`quick_configs`
    (``quick``) or to the full-size defaults; a config given as a path is read
    from that file, and its output, data path and VAE run are set to ``out_dir``
    and ``data_dir``. A finished stage is skipped and an interrupted one resumed,
    so calling it again continues where it stopped. ``jobs`` worker processes
    compute the median beats (cached for later calls). Returns a short summary of
    measured numbers (also written to ``summary.json``): test RMSE (uV), active
    factors, the linear read-out R2 of the true factors (mean and per factor) and
    MIG when the cohort has them, the test AUROC per label, the QRS (ms) of the
    generated and NORM beats, training seconds and the output paths.

    Example
    -------
    >>> summary = run_vae_scan("runs/synthetic_300", "runs/quickstart/vae_scan")  # doctest: +SKIP
    >>> summary["auroc"]["LBBB"], summary["generated_qrs_ms"]  # doctest: +SKIP
    """
    out = Path(out_dir)
    quick_vae, quick_scan = quick_configs(data_dir, out)
    if not quick:
        quick_vae = VAERunConfig(output=quick_vae.output, data=quick_vae.data)
        quick_scan = SCANRunConfig(output=quick_scan.output, vae_run=quick_scan.vae_run)
    if vae_config is None:
        vae_cfg = quick_vae
    else:
        vae_cfg = vae_config if isinstance(vae_config, VAERunConfig) else load_config(VAERunConfig, vae_config)
        vae_cfg = dataclasses.replace(vae_cfg, output=quick_vae.output,
                                      data=dataclasses.replace(vae_cfg.data, path=str(data_dir)))
    vae_cfg = dataclasses.replace(vae_cfg, data=dataclasses.replace(vae_cfg.data, jobs=jobs))
    if scan_config is None:
        scan_cfg = quick_scan
    else:
        scan_cfg = scan_config if isinstance(scan_config, SCANRunConfig) else load_config(SCANRunConfig, scan_config)
        scan_cfg = dataclasses.replace(scan_cfg, output=quick_scan.output, vae_run=quick_scan.vae_run,
                                       data=dataclasses.replace(scan_cfg.data, path=""))
    vae_run, scan_run = Path(vae_cfg.output), Path(scan_cfg.output)
    _train_or_skip(train_vae_run, vae_cfg, vae_run, "vae", progress)
    _train_or_skip(train_scan_run, scan_cfg, scan_run, "scan", progress)

    if not (out / "traversal" / "traversal_overview.png").is_file():
        traverse_run(scan_run, out / "traversal")
    if not (out / "associations" / "scan_weights.png").is_file():
        associate_run(scan_run, out / "associations", progress=progress)
    scan = SCAN.load(scan_run)
    labels = [c for c in scan.binary_names_ if c not in ("NORM", "sex")]
    label = "LBBB" if "LBBB" in labels else (labels[0] if labels else None)
    generated = None
    if label is not None:
        if not (out / "generated" / "features.csv").is_file():
            generate_run(scan_run, {label: 1.0}, out / "generated")
        generated = pd.read_csv(out / "generated" / "features.csv", index_col=0)

    vm, sm = read_json(vae_run / "metrics.json"), read_json(scan_run / "metrics.json")
    readout = {k: v for k, v in vm.get("readout_r2", {}).items() if np.isfinite(v)}
    summary = {
        "test_rmse_uv": vm["test_rmse_uv"], "n_active": vm["n_active"], "latent_dim": len(vm["kl_per_unit"]),
        "readout_r2_mean": float(np.mean(list(readout.values()))) if readout else None,
        "readout_r2": readout, "mig": vm.get("disentanglement", {}).get("mig"),
        "anchored_rho": {k: v["rho"] for k, v in vm.get("anchored_factor", {}).items()},
        "auroc": sm["auroc"], "generated_label": label,
        "generated_qrs_ms": None if generated is None else float(generated.loc["generated", "qrs_ms"]),
        "reference_qrs_ms": None if generated is None else float(generated.loc["reference", "qrs_ms"]),
        "vae_train_seconds": vm["train_seconds"], "scan_train_seconds": sm["train_seconds"],
        "paths": {"vae_run": str(vae_run), "scan_run": str(scan_run), "traversal": str(out / "traversal"),
                  "associations": str(out / "associations"), "generated": str(out / "generated")},
    }
    write_json(out / "summary.json", summary)
    return summary

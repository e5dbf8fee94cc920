"""What a finished run produces: traversal figures and tables, factor <-> variable heatmaps, generated beats.

``vaescan traverse``, ``associate`` and ``generate`` call these; each writes
its tables and figures into an output folder and returns the main table.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vaescan.analysis.traversal import VISIBLE_CHANGE, traversal_effects, traversal_spearman, traversal_table
from vaescan.config import load_config
from vaescan.data.dataset import load_data
from vaescan.data.features import beat_summary
from vaescan.data.leads import LEADS
from vaescan.data.records import Record, write_record
from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path, write_json
from vaescan.models.run import CONFIG_FILE, require_done
from vaescan.models.run_configs import SCANRunConfig
from vaescan.models.scan import SCAN
from vaescan.models.vae import VAE
from vaescan.report.ecg_plots import plot_beats, plot_traversal, plot_traversal_overview, save_figure
from vaescan.report.heatmap import plot_heatmap
from vaescan.stats.associations import single_factor_scores

log = logging.getLogger("vaescan")


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
                 factors: Sequence[int] | None = None, span: float = 3.0, steps: int = 13,
                 figures: int | None = None) -> pd.DataFrame:
    """Traversal figures and tables of a VAE (or SCAN) run's factors; returns the Spearman table.

    Writes into ``output``: ``traversal_z<i>.png`` per factor (12 leads,
    decoded beats from -span to +span sd on a colour ramp),
    ``traversal_overview.png`` (all factors, six leads), ``traversal.csv``
    (factor, step, z and the measured features of each decoded beat),
    ``traversal_spearman.csv`` and ``.png`` (rho of each factor with each feature
    where the feature visibly changes) and ``traversal_effects.csv`` (the change
    of each feature over the traversal, in its units).
    ``factors`` defaults to the active ones (all, if none is active); ``figures`` limits the per-factor
    figures to the first that many of them (None: all; the tables and the overview keep every factor).

    Example
    -------
    >>> rho = traverse_run("runs/vae1", "runs/vae1/traversal")  # doctest: +SKIP
    """
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
    for factor in list(factors)[:figures]:
        idx = np.flatnonzero(table["factor"].to_numpy() == factor)
        title = f"{labels.get(factor, f'z{factor}')}   (KL {vae.kl_per_unit_[factor]:.2f} nats)"
        save_figure(plot_traversal(beats[idx], table["step"].to_numpy()[idx], vae.fs_, vae.window_ms_, title),
                    out / f"traversal_z{factor}.png")
    save_figure(plot_traversal_overview(table, beats, vae.fs_, vae.window_ms_, factor_labels=labels),
                out / "traversal_overview.png")
    return rho


def associate_run(run: str | os.PathLike[str], output: str | os.PathLike[str], *, data: str | None = None,
                  split: str = "test", progress: bool = True, cache_dir: str | None = None) -> dict[str, pd.DataFrame]:
    """Factor <-> clinical variable heatmaps of a SCAN run: its p(y|z) weights, and single-factor AUROC / R2.

    The single-factor scores use the beats of ``split`` of the run's cohort (or
    of ``data``). Writes ``scan_weights.csv/.png``, ``single_factor_scores.csv``,
    ``single_factor_auroc.png`` and ``single_factor_r2.png`` (if any continuous
    variable) into ``output``; returns the tables. ``cache_dir`` replaces the run's beat cache folder.

    Example
    -------
    >>> tables = associate_run("runs/scan1", "runs/scan1/associations")  # doctest: +SKIP
    """
    require_done(run, "scan")
    scan = SCAN.load(run)
    config = load_config(SCANRunConfig, Path(run) / CONFIG_FILE)
    if data:
        config.data.path = data
    if cache_dir:
        config.data.cache_dir = cache_dir
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

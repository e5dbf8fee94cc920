"""Subcommands of the model stage.

``train-vae``, ``train-scan``, ``predict``, ``traverse``, ``associate``, ``generate``.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from pathlib import Path

from vaescan.cli.options import add_cache_dir, add_jobs, add_ptbxl_rate, positive_int
from vaescan.config import load_config
from vaescan.errors import VaescanInputError
from vaescan.io import check_output_folder


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the model commands."""
    p = sub.add_parser(
        "train-vae", help="train the beta-VAE on the median beats of a cohort",
        description="Train the beta-VAE (stage 1 of VAE-SCAN) on the median beats of a cohort's train split "
        "(validation curve on val, metrics on test) and write a run folder: config, weights, pyro param "
        "store, curves (CSV, PNG), metrics.json, and a checkpoint per epoch for --resume.")
    add_training_options(p, "vae", "cohort folder: a vaescan cohort, a PTB-XL release or WFDB records")
    p.set_defaults(func=cmd_train_vae)

    p = sub.add_parser(
        "train-scan", help="train SCAN: link a frozen VAE's factors to clinical variables",
        description="Train SCAN (stage 2 of VAE-SCAN) over the frozen VAE of a finished train-vae run, on the "
        "cohort's clinical variables (labels as binary, e.g. age as continuous), and write a run folder.")
    p.add_argument("--vae", help="the finished train-vae run folder")
    add_training_options(p, "scan", "cohort folder (default: the VAE run's data)")
    p.set_defaults(func=cmd_train_scan)

    p = sub.add_parser(
        "predict", help="predict clinical variables for every record under PATH with a trained run",
        description="Predict with a finished run (SCAN or black box): writes the "
        "probability of each label (prob_<label>) and each continuous prediction (pred_<variable>) per record, "
        "and the per-factor contributions (which sum to the logit or prediction) to <output stem>_contributions.csv.")
    p.add_argument("run", help="a finished run folder")
    p.add_argument("path", help="a WFDB record or a folder of them (vaescan cohort, PTB-XL release, plain); for an "
                   "image black box also a page image or a folder of images")
    p.add_argument("-o", "--output", default="preds.csv", help="predictions CSV (default preds.csv)")
    add_jobs(p, "the median beats")
    add_ptbxl_rate(p)
    add_cache_dir(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser(
        "traverse", help="draw and measure each factor's latent traversal",
        description="For each active factor of a VAE or SCAN run, decode the factor from -3 to +3 sd (the others "
        "at their mean), draw the 12 leads overlaid on a colour ramp, measure every decoded beat "
        "(traversal.csv) and write the Spearman rho of each factor with each ECG feature.")
    p.add_argument("run", help="a finished train-vae or train-scan run folder")
    p.add_argument("-o", "--output", default="traversal", help="output folder (default traversal)")
    p.add_argument("--factors", type=int, nargs="+", help="factor indices to traverse (default: the active ones)")
    p.add_argument("--span", type=float, default=3.0, help="traverse from -SPAN to +SPAN sd (default 3)")
    p.add_argument("--steps", type=int, default=13, help="decoded beats per factor (default 13)")
    p.set_defaults(func=cmd_traverse)

    p = sub.add_parser(
        "associate", help="heatmaps of factor <-> clinical variable associations of a SCAN run",
        description="Write heatmaps and CSVs of a SCAN run's factor-to-variable links: the weights of p(y|z) and "
        "the single-factor AUROC (binary) and R2 (continuous) on the test split.")
    p.add_argument("run", help="a finished train-scan run folder")
    p.add_argument("-o", "--output", default="associations", help="output folder (default associations)")
    p.add_argument("--data", help="cohort to measure on (default: the run's)")
    p.add_argument("--split", default="test", choices=("train", "val", "test"), help="split (default test)")
    p.set_defaults(func=cmd_associate)

    p = sub.add_parser(
        "generate", help="generate the typical beat of a clinical profile with a SCAN run",
        description="Decode the SCAN clinical encoder's mean for a profile (unset labels 0, unset continuous "
        "variables at their mean) into a 12-lead beat; write it as a WFDB record and a figure beside the "
        "NORM beat, with their measured features.")
    p.add_argument("run", help="a finished train-scan run folder")
    p.add_argument("--set", dest="values", action="append", default=[], metavar="NAME=VALUE",
                   help="a clinical value, e.g. --set LBBB=1 --set age=70 (repeatable)")
    p.add_argument("-o", "--output", default="generated", help="output folder (default generated)")
    p.set_defaults(func=cmd_generate)


def add_training_options(p: argparse.ArgumentParser, kind: str, data_help: str,
                         inputs: str = "the median beats") -> None:
    """The options every ``train-*`` command shares (config, data, output, epochs, device, jobs, cache, shards,
    resume)."""
    p.add_argument("--config", help=f"YAML/JSON run config (see configs/{kind}_*.yaml); options below override it")
    p.add_argument("--data", help=data_help)
    p.add_argument("-o", "--output", help="run folder (default: the config's output)")
    p.add_argument("--epochs", type=positive_int, help="override the config's number of epochs (also on --resume: "
                   "train on to this many)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), help="override the device (default auto: CUDA "
                   "when present)")
    add_jobs(p, inputs, default=None)
    add_cache_dir(p)
    p.add_argument("--shard-size", type=int, metavar="RECORDS", help="write the inputs as shards of RECORDS records "
                   "on disk (resumable per shard) and stream them in training, for data larger than memory "
                   "(default: the config's, 0 = one array in memory)")
    p.add_argument("--checkpoint-every", type=int, metavar="STEPS", help="also checkpoint every STEPS optimiser "
                   "steps, so --resume continues mid-epoch (default: the config's, 0 = after each epoch only)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last checkpoint")
    p.add_argument("--force", action="store_true", help="start over in a folder that already holds a run")


def training_overrides(args: argparse.Namespace, config, model_field: str):
    """``config`` with the shared ``train-*`` options applied (data path, jobs, cache, shard size, epochs, device,
    checkpoint_every)."""
    data = config.data
    if args.data:
        data = dataclasses.replace(data, path=args.data)
    if args.jobs is not None:
        data = dataclasses.replace(data, jobs=args.jobs)
    if args.cache_dir is not None:
        data = dataclasses.replace(data, cache_dir=args.cache_dir)
    if getattr(args, "shard_size", None) is not None:
        data = dataclasses.replace(data, shard_size=args.shard_size)
    model = getattr(config, model_field)
    if args.epochs is not None:
        model = dataclasses.replace(model, epochs=args.epochs)
    if args.device is not None:
        model = dataclasses.replace(model, device=args.device)
    if args.checkpoint_every is not None:
        model = dataclasses.replace(model, checkpoint_every=args.checkpoint_every)
    return dataclasses.replace(config, data=data, **{model_field: model})


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


def cmd_train_vae(args: argparse.Namespace) -> int:
    """``vaescan train-vae --data DIR -o RUN [--config FILE]``."""
    from vaescan.models.run_configs import VAERunConfig
    from vaescan.workflows.training import train_vae_run

    config = load_config(VAERunConfig, args.config) if args.config else VAERunConfig()
    config = training_overrides(args, config, "vae")
    check_output_folder(args.output or config.output)
    run = train_vae_run(config, args.output, resume=args.resume, force=args.force, progress=not args.quiet,
                        overrides=lambda saved: training_overrides(args, saved, "vae"))
    print_summary(run)
    return 0


def cmd_train_scan(args: argparse.Namespace) -> int:
    """``vaescan train-scan --vae RUN --data DIR -o RUN2 [--config FILE]``."""
    from vaescan.models.run_configs import SCANRunConfig
    from vaescan.workflows.training import train_scan_run

    config = load_config(SCANRunConfig, args.config) if args.config else SCANRunConfig()
    if args.vae:
        config = dataclasses.replace(config, vae_run=args.vae)
    config = training_overrides(args, config, "scan")
    check_output_folder(args.output or config.output)
    run = train_scan_run(config, args.output, resume=args.resume, force=args.force, progress=not args.quiet,
                         overrides=lambda saved: training_overrides(args, saved, "scan"))
    print_summary(run)
    return 0


def print_summary(run: Path) -> None:
    """One line about a finished training run: its folder and main test metrics (rank 0 only under torchrun)."""
    from vaescan.io import read_json
    from vaescan.models.distributed import is_main

    if not is_main():
        return

    m = read_json(run / "metrics.json")
    parts = []
    if "test_rmse_uv" in m:
        parts.append(f"{m['eval_split']} RMSE {m['test_rmse_uv']:.1f} uV, {m['n_active']} active factors")
    if m.get("auroc"):
        parts.append("AUROC " + ", ".join(f"{k} {v:.3f}" for k, v in m["auroc"].items()))
    if m.get("r2"):
        parts.append("R2 " + ", ".join(f"{k} {v:.2f}" for k, v in m["r2"].items()))
    if m.get("mae_mean_baseline"):
        parts.append("MAE " + ", ".join(f"{k} {v:.2f} (mean {m['mae_mean_baseline'][k]:.2f})"
                                        for k, v in m["mae"].items()))
    print(f"wrote {run} ({'; '.join(parts)}; {m['train_seconds']:.0f} s training)")


def cmd_predict(args: argparse.Namespace) -> int:
    """``vaescan predict RUN PATH -o preds.csv``."""
    from vaescan.models.predict import predict_run

    preds, contrib = predict_run(args.run, args.path, args.output, jobs=args.jobs, ptbxl_rate=args.ptbxl_rate,
                                    cache_dir=args.cache_dir, progress=not args.quiet)
    print(f"wrote {preds}" + (f" and {contrib}" if contrib else ""))
    return 0


def cmd_traverse(args: argparse.Namespace) -> int:
    """``vaescan traverse RUN -o DIR``."""
    from vaescan.workflows.products import traverse_run

    check_output_folder(args.output)
    rho = traverse_run(args.run, args.output, factors=args.factors, span=args.span, steps=args.steps)
    print(f"traversed {len(rho)} factor(s); wrote {Path(args.output)}/traversal_*.png, traversal.csv")
    return 0


def cmd_associate(args: argparse.Namespace) -> int:
    """``vaescan associate RUN2 -o DIR``."""
    from vaescan.workflows.products import associate_run

    check_output_folder(args.output)
    associate_run(args.run, args.output, data=args.data, split=args.split, progress=not args.quiet)
    print(f"wrote {Path(args.output)}/scan_weights.png, single_factor_*.png and CSVs")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    """``vaescan generate RUN2 --set LBBB=1 --set age=70 -o OUT``."""
    from vaescan.workflows.products import generate_run

    check_output_folder(args.output)
    table = generate_run(args.run, parse_assignments(args.values), args.output)
    g, r = table.loc["generated"], table.loc["reference"]
    print(f"wrote {Path(args.output)}/generated.hea/.dat/.png: QRS {g.qrs_ms:.0f} ms, QT {g.qt_ms:.0f} ms "
          f"(reference QRS {r.qrs_ms:.0f} ms, QT {r.qt_ms:.0f} ms)")
    return 0

"""Subcommands of the black-box models: ``train-blackbox``."""

from __future__ import annotations

import argparse
import dataclasses

from vaescan.cli.models import add_training_options, print_summary, training_overrides
from vaescan.config import load_config
from vaescan.io import check_output_folder


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the black-box commands."""
    p = sub.add_parser(
        "train-blackbox", help="train a black-box CNN on whole signals or page images of a cohort",
        description="Train a residual CNN (signal: 1-D on the cleaned 12-lead signals; image: 2-D on rendered "
        "page images) to predict the cohort's labels and age, on its train split (validation curve on val, "
        "metrics on test), and write a run folder: config, weights, curves (CSV, PNG), metrics.json and a "
        "checkpoint per epoch for --resume.")
    add_training_options(p, "blackbox", "cohort folder: a vaescan cohort, a PTB-XL release or WFDB records",
                         inputs="the signals or pages")
    p.add_argument("--input", choices=("signal", "image"), help="what the model sees (default: the config's, "
                   "signal without a config)")
    p.set_defaults(func=cmd_train_blackbox)


def _overrides(args: argparse.Namespace, config):
    config = training_overrides(args, config, "model")
    if args.input is not None:
        config = dataclasses.replace(config, input=args.input, model=dataclasses.replace(config.model,
                                                                                         input=args.input))
    return config


def cmd_train_blackbox(args: argparse.Namespace) -> int:
    """``vaescan train-blackbox --data DIR --input signal|image -o RUN [--config FILE]``."""
    from vaescan.models.run_configs import BlackBoxRunConfig
    from vaescan.workflows.blackbox import train_blackbox_run

    config = load_config(BlackBoxRunConfig, args.config) if args.config else BlackBoxRunConfig()
    config = _overrides(args, config)
    check_output_folder(args.output or config.output)
    run = train_blackbox_run(config, args.output, resume=args.resume, force=args.force, progress=not args.quiet,
                             overrides=lambda saved: _overrides(args, saved))
    print_summary(run)
    return 0

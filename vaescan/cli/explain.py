"""``vaescan explain``: Jacobian explanations of a black-box run, per lead x wave, with figures and sentences."""

from __future__ import annotations

import argparse

from vaescan.cli.options import add_jobs, add_ptbxl_rate, positive_int
from vaescan.errors import VaescanInputError
from vaescan.io import check_output_folder


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the explain command."""
    p = sub.add_parser(
        "explain", help="explain a black-box run's outputs through its Jacobian, per lead and wave",
        description="Differentiate every output of a train-blackbox run with respect to every input sample or "
        "pixel (signs kept: + evidence for, - against), put page pixels back on the samples they draw, label "
        "every sample with its wave (P, PR, QRS, ST, T, TP) and sum per lead x wave x output. Writes "
        "explanation.csv, predictions.csv, summary.txt (top evidence for and against each output), the raw maps "
        "(maps/*.npz) and figures of the first inputs (the trace coloured by evidence).")
    p.add_argument("run", help="a finished train-blackbox run folder")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="WFDB records or folders of them (vaescan cohort, PTB-XL release, plain folder)")
    p.add_argument("-o", "--output", default="explained", help="output folder (default explained)")
    p.add_argument("--method", choices=("jacobian_x_input", "jacobian"), default="jacobian_x_input",
                   help="jacobian_x_input: each sample's first-order contribution (default); jacobian: d output / "
                   "d input")
    p.add_argument("--smooth", type=int, metavar="N",
                   help="average the gradient over N noisy copies of each input (SmoothGrad; 0: off; default 16 for "
                   "signal runs, 0 for image runs: measured in docs/explain.md)")
    p.add_argument("--noise-sd", type=float, help="SmoothGrad noise, in the input's unit (default 0.1 mV for "
                   "signals, 0.1 for page images, whose ink runs 0-1)")
    p.add_argument("--figures", type=int, default=10, help="draw figures for the first N inputs (default 10)")
    p.add_argument("--batch-size", type=positive_int, default=16, help="records per Jacobian batch (default 16)")
    add_jobs(p, "preparing the inputs")
    add_ptbxl_rate(p)
    p.set_defaults(func=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    from vaescan.workflows.explain import ExplainSettings, explain_run

    check_output_folder(args.output)
    if (args.smooth is not None and args.smooth < 0) or (args.noise_sd is not None and not args.noise_sd >= 0):
        raise VaescanInputError(None, f"--smooth and --noise-sd must be >= 0, got {args.smooth}, {args.noise_sd}")
    settings = ExplainSettings(method=args.method, smooth=args.smooth, noise_sd=args.noise_sd,
                               batch_size=args.batch_size, figures=max(args.figures, 0), jobs=args.jobs,
                               ptbxl_rate=args.ptbxl_rate)
    out = explain_run(args.run, args.inputs, args.output, settings, progress=not args.quiet)
    print((out / "summary.txt").read_text().split("\n\n")[0].rstrip()[:2000])
    print(f"explanations in {out}/ (explanation.csv, summary.txt, figures/)")
    return 0

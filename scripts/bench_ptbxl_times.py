"""Run times of the PTB-XL report's parts on this CPU, measured on a tiny release and scaled to PTB-XL; JSON out.

Writes a release of ``--n`` records in PTB-XL's layout (:func:`vaescan.data.synth.ptbxl_release.write_ptbxl_release`,
synthetic 10 s records at 500 and 100 Hz), then measures with one worker and ``--threads`` torch threads:

- the per-record preparation each config does once (then cached): median beats at 500 Hz (VAE, SCAN),
  cleaned 100 Hz signals (signal black box), rendered pages (image black box), and the report's engineered
  features at 500 Hz;
- ``--epochs`` epochs of every shipped PTB-XL config as it is (``configs/*_ptbxl.yaml``), from its
  ``metrics.json`` ``train_seconds`` (the epochs over train and the validation passes).

The estimate for the whole release scales each measured time linearly in records: 21,799 records, of which
folds 1-8 (train) hold about 8/10 (the folds are stratified and of about equal size), times the configs'
epochs; preparation divided by the worker count (``--scale-jobs``) assumes the per-record work parallelises
(it is independent per record). Both are estimates, not measurements on PTB-XL.

Usage::

    python scripts/bench_ptbxl_times.py [--n 300] [--epochs 2] [--threads 2] [-o docs/results/ptbxl_times.json]
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import tempfile
from pathlib import Path

import torch

from vaescan.bench import Stopwatch, bench_parser, machine_info
from vaescan.config import load_config
from vaescan.data.dataset import load_data
from vaescan.data.features import cohort_features
from vaescan.data.ptbxl import load_ptbxl
from vaescan.data.synth.ptbxl_release import write_ptbxl_release
from vaescan.io import write_json
from vaescan.models.run_configs import BlackBoxRunConfig, SCANRunConfig, VAERunConfig
from vaescan.workflows.blackbox import load_inputs

PTBXL_RECORDS = 21_799
PTBXL_TRAIN = round(PTBXL_RECORDS * 0.8)
REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = bench_parser(__doc__.split("\n\n")[0], "docs/results/ptbxl_times.json")
    parser.add_argument("--n", type=int, default=300, help="records of the tiny release (default 300)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs trained per config (default 2)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--scale-jobs", type=int, default=2, help="workers assumed for the preparation estimate")
    parser.add_argument("--work", help="working folder (default: a new temporary one)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from vaescan.cli.main import main as cli

    work = Path(args.work or tempfile.mkdtemp(prefix="bench_ptbxl_"))
    release, cache = work / "ptb-xl", work / "cache"
    load = {"before": os.getloadavg()}
    with Stopwatch() as writing:
        write_ptbxl_release(release, n=args.n, seed=0)
    cohort = load_ptbxl(release, sampling_rate=500)
    n_train = int((cohort.metadata.split == "train").sum())
    configs = REPO / "configs"

    def with_data(config, rate=None):
        data = dataclasses.replace(config.data, path=str(release), jobs=1, cache_dir=str(cache),
                                   **({"ptbxl_rate": rate} if rate else {}))
        return dataclasses.replace(config, data=data)

    prep = {}
    with Stopwatch() as watch:
        load_data(with_data(load_config(VAERunConfig, configs / "vae_ptbxl.yaml")).data, progress=False)
    prep["median_beats_500hz"] = watch.seconds
    for kind in ("signal", "image"):
        with Stopwatch() as watch:
            load_inputs(with_data(load_config(BlackBoxRunConfig, configs / f"blackbox_{kind}_ptbxl.yaml")),
                        progress=False)
        prep[f"{kind}_inputs"] = watch.seconds
    with Stopwatch() as watch:
        cohort_features(cohort, jobs=1, progress=False)
    prep["report_features_500hz"] = watch.seconds

    common = ["--data", str(release), "--epochs", str(args.epochs), "--jobs", "1", "--cache-dir", str(cache)]
    commands = {
        "vae": ["train-vae", "--config", str(configs / "vae_ptbxl.yaml"), "-o", str(work / "vae"), *common],
        "scan": ["train-scan", "--config", str(configs / "scan_ptbxl.yaml"), "--vae", str(work / "vae"), "-o",
                 str(work / "scan"), "--epochs", str(args.epochs)],
        "signal": ["train-blackbox", "--config", str(configs / "blackbox_signal_ptbxl.yaml"), "-o",
                   str(work / "signal"), *common],
        "image": ["train-blackbox", "--config", str(configs / "blackbox_image_ptbxl.yaml"), "-o",
                  str(work / "image"), *common],
    }
    full_epochs = {"vae": load_config(VAERunConfig, configs / "vae_ptbxl.yaml").vae.epochs,
                   "scan": load_config(SCANRunConfig, configs / "scan_ptbxl.yaml").scan.epochs,
                   "signal": load_config(BlackBoxRunConfig, configs / "blackbox_signal_ptbxl.yaml").model.epochs,
                   "image": load_config(BlackBoxRunConfig, configs / "blackbox_image_ptbxl.yaml").model.epochs}
    training = {}
    for name, argv in commands.items():
        assert cli(["-q", *argv]) == 0, name
        seconds = json.loads((work / name / "metrics.json").read_text())["train_seconds"]
        per_epoch = seconds / args.epochs
        training[name] = {"train_seconds": round(seconds, 2), "seconds_per_epoch": round(per_epoch, 3),
                          "estimate_epoch_ptbxl_s": round(per_epoch * PTBXL_TRAIN / n_train),
                          "config_epochs": full_epochs[name],
                          "estimate_ptbxl_h": round(per_epoch * PTBXL_TRAIN / n_train * full_epochs[name] / 3600, 2)}
    load["after"] = os.getloadavg()
    per_record = {k: v / args.n for k, v in prep.items()}
    result = {
        "what": "PTB-XL report parts on a tiny release in PTB-XL's layout, scaled linearly to PTB-XL (estimates)",
        "machine": machine_info(), "load_average": load, "torch_threads": args.threads, "n_records": args.n,
        "n_train": n_train, "epochs": args.epochs, "write_release_s": round(writing.seconds, 2),
        "preparation_s": {k: round(v, 2) for k, v in prep.items()},
        "preparation_ms_per_record": {k: round(1000 * v, 1) for k, v in per_record.items()},
        "estimate_preparation_ptbxl_h": {k: round(v * PTBXL_RECORDS / args.scale_jobs / 3600, 2)
                                         for k, v in per_record.items()},
        "scale_jobs": args.scale_jobs, "ptbxl_records": PTBXL_RECORDS, "ptbxl_train_estimate": PTBXL_TRAIN,
        "training": training,
    }
    write_json(args.output, result)
    json.dump(result, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

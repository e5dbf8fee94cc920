"""Training at scale on synthetic inputs: samples/s for 1 and 2 processes (torchrun, gloo) and peak memory; JSON out.

Throughput: the black box (default network, 10 s signals at 100 Hz, 12 leads) and the beta-VAE (default
network, 500-sample beats) trained on ``--records`` random records for ``--epochs`` epochs, by one process with
one torch thread, one process with two threads, and two processes of one thread each under
``torchrun --nproc_per_node 2`` (the same global batch). Samples/s = records x epochs / training seconds (the
curves' ``seconds``: the epochs without loading or measuring).

Peak memory: the peak resident set size (``ru_maxrss``) of one process that makes ``--memory-n`` random signal
records (float32) and trains a tiny black box on them for one epoch. vaescan keeps a cohort's inputs in memory,
so this grows with the number of records.

Checkpoint cost: size and ``torch.save`` time of the checkpoint of the default black box and beta-VAE.

Usage::

    python scripts/bench_scale.py [--records 512] [--epochs 2] [--memory-n 2000 20000] \
        [-o docs/results/bench_scale.json]
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from vaescan.bench import Stopwatch, bench_parser, machine_info
from vaescan.io import write_json

ROOT = Path(__file__).resolve().parents[1]


def _signals(n: int, seed: int = 0) -> tuple[np.ndarray, pd.DataFrame]:
    """``n`` random 12-lead 10 s signals at 100 Hz (float32, made in chunks) and a label and age per record."""
    rng = np.random.default_rng(seed)
    x = np.empty((n, 12, 1000), dtype=np.float32)
    for i in range(0, n, 1000):
        x[i: i + 1000] = rng.standard_normal((min(1000, n - i), 12, 1000), dtype=np.float32)
    y = pd.DataFrame({"UP": (x[:, 0, :100].mean(1) > 0).astype(int), "age": rng.normal(60, 10, n)})
    return x, y


def _worker(args) -> dict:
    """One measurement in this process (rank 0 of a torchrun group writes it)."""
    from vaescan.models import distributed
    from vaescan.models.blackbox import BlackBox
    from vaescan.models.vae import VAE

    torch.set_num_threads(args.threads)
    distributed.distributed_init("cpu")
    if args.worker == "memory":
        x, y = _signals(args.n)
        BlackBox(stem=(8,), widths=(8,), epochs=1, batch_size=64).fit(x, y, binary=["UP"], continuous=["age"],
                                                                       progress=False)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"records": args.n, "input_mb": round(x.nbytes / 2**20, 1), "peak_rss_mb": round(peak_mb, 1)}
    out = {}
    x, y = _signals(args.n)
    bb = BlackBox(epochs=args.epochs, batch_size=64).fit(x, y, binary=["UP"], continuous=["age"], progress=False)
    out["blackbox_samples_per_s"] = round(args.n * args.epochs / float(bb.curves_["seconds"].sum()), 1)
    beats = x[:, :, :500].copy()
    vae = VAE(epochs=args.epochs, batch_size=64).fit(beats, progress=False)
    out["vae_samples_per_s"] = round(args.n * args.epochs / float(vae.curves_["seconds"].sum()), 1)
    out.update(processes=distributed.world_size(), threads_per_process=args.threads, records=args.n,
               epochs=args.epochs)
    distributed.distributed_close()
    return out


def _checkpoint_cost() -> dict:
    """Size and write time (median of 5 ``torch.save``) of the checkpoint of the default black box and beta-VAE."""
    from vaescan.models.blackbox import BlackBox
    from vaescan.models.vae import VAE

    torch.set_num_threads(1)
    x, y = _signals(64)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "checkpoint.pt"
        for name, fit in (("blackbox", lambda: BlackBox(epochs=1).fit(x, y, binary=["UP"], continuous=["age"],
                                                                      checkpoint=ckpt, progress=False)),
                          ("vae", lambda: VAE(epochs=1, batch_size=32).fit(x[:, :, :500].copy(), checkpoint=ckpt,
                                                                           progress=False))):
            fit()
            state = torch.load(ckpt, weights_only=True)
            seconds = []
            for _ in range(5):
                with Stopwatch() as watch:
                    torch.save(state, Path(tmp) / "copy.pt")
                seconds.append(watch.seconds)
            out[name] = {"checkpoint_mb": round(ckpt.stat().st_size / 2**20, 2),
                         "save_seconds_median": round(float(np.median(seconds)), 4)}
    return out


def _run(command: list[str], env_threads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        env = {**os.environ, "OMP_NUM_THREADS": str(env_threads), "PYTHONPATH": str(ROOT)}
        subprocess.run([*command, "--result", str(result)], cwd=ROOT, env=env, check=True)
        return json.loads(result.read_text())


def main() -> int:
    parser = bench_parser(__doc__.split("\n\n")[0], "docs/results/bench_scale.json")
    parser.add_argument("--records", dest="n", type=int, default=512,
                        help="records for the throughput runs (default 512)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the throughput runs (default 2)")
    parser.add_argument("--memory-n", type=int, nargs="*", default=[2000, 20000],
                        help="record counts of the peak-memory runs (default 2000 20000)")
    parser.add_argument("--worker", choices=("throughput", "memory"), help=argparse_hidden())
    parser.add_argument("--threads", type=int, default=1, help=argparse_hidden())
    parser.add_argument("--result", help=argparse_hidden())
    args = parser.parse_args()
    if args.worker:
        out = _worker(args)
        from vaescan.models.distributed import is_main

        if is_main():
            Path(args.result).write_text(json.dumps(out))
        return 0

    me = [sys.executable, str(Path(__file__).resolve())]
    common = ["--worker", "throughput", "--records", str(args.n), "--epochs", str(args.epochs)]
    torchrun = str(Path(sys.executable).with_name("torchrun"))
    load_before = os.getloadavg()
    throughput = [
        _run([*me, *common, "--threads", "1"], 1),
        _run([*me, *common, "--threads", "2"], 2),
        _run([torchrun, "--standalone", "--nproc_per_node", "2", *me[1:], *common, "--threads", "1"], 1),
    ]
    memory = [_run([*me, "--worker", "memory", "--records", str(n)], 1) for n in args.memory_n]
    checkpoints = _checkpoint_cost()
    result = {
        "throughput": throughput,
        "peak_memory": memory,
        "checkpoint": checkpoints,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "torch": torch.__version__,
        "machine": machine_info(),
        "not_measured": "preprocessing records/s (sharded on-disk preprocessing is not implemented); GPU numbers",
    }
    write_json(args.output, result)
    print(json.dumps(result, indent=1))
    return 0


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    sys.exit(main())

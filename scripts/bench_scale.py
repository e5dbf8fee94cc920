"""Training at scale on synthetic inputs: samples/s for 1 and 2 processes (torchrun, gloo), peak memory in memory
and streamed from shards, preprocessing records/s for 1 and 2 workers; JSON out.

Throughput: the black box (default network, 10 s signals at 100 Hz, 12 leads) and the beta-VAE (default
network, 500-sample beats) trained on ``--records`` random records for ``--epochs`` epochs, by one process with
one torch thread, one process with two threads, and two processes of one thread each under
``torchrun --nproc_per_node 2`` (the same global batch); both also streamed from shards on disk.
Samples/s = records x epochs / training seconds (the curves' ``seconds``: the epochs without loading or
measuring).

Peak memory: the peak resident set size (``ru_maxrss``) of one process that trains a tiny black box (random
signals, 12 x 1000) or a tiny beta-VAE (random beats, 12 x 500) for one epoch on ``--memory-n`` records
(float32): held in memory (the process makes them), and streamed from shards of ``--shard-size`` records on
disk (:mod:`vaescan.data.shards`, written beforehand by another process; the training process reads a batch at
a time).

Preprocessing: a synthetic cohort of ``--preprocess-n`` records (simulated first) turned into sharded model
inputs (whole signals, median beats) with 1 and 2 worker processes: records/s of the whole preprocessing
(reading, cleaning, writing the shards and the index).

Checkpoint cost: size and ``torch.save`` time of the checkpoint of the default black box and beta-VAE.

Usage::

    python scripts/bench_scale.py [--records 512] [--epochs 2] [--memory-n 2000 20000] [--shard-size 1000] \
        [--preprocess-n 300] [-o docs/results/bench_scale.json]
"""

from __future__ import annotations

import functools
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
from vaescan.data.shards import ShardedArray, write_shards
from vaescan.io import write_json

ROOT = Path(__file__).resolve().parents[1]


def _signals(n: int, seed: int = 0, samples: int = 1000) -> tuple[np.ndarray, pd.DataFrame]:
    """``n`` random 12-lead records (10 s signals at 100 Hz; ``samples`` 500 for beats; float32,
    :func:`_random_row`) and a label and age per record."""
    x = np.empty((n, 12, samples), dtype=np.float32)
    for i in range(n):
        x[i] = _random_row(i, seed, samples)
    return x, _targets(x[:, 0, :100].mean(1), seed)


def _random_row(i: int, seed: int = 0, samples: int = 1000) -> np.ndarray:
    """Random record ``i``: (12, samples) standard normal float32, the same in memory and in shards."""
    return np.random.default_rng([seed, i]).standard_normal((12, samples), dtype=np.float32)


def _targets(first_mean: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """A label (the mean of lead I's first second is above 0) and a random age per record."""
    return pd.DataFrame({"UP": (first_mean > 0).astype(int),
                         "age": np.random.default_rng(seed).normal(60, 10, len(first_mean))})


def _random_shards(n: int, folder: Path, shard_size: int, samples: int = 1000, jobs: int = 2) -> None:
    """Write ``n`` random records (:func:`_random_row`) as shards of ``shard_size`` in ``folder``."""
    write_shards([(str(i), i) for i in range(n)], functools.partial(_random_row, seed=0, samples=samples), folder,
                 shard_size=shard_size, key=f"random-{n}-{samples}", jobs=jobs, progress=False)


def _cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its children that have ended (the pool's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _preprocess(n: int, shard_size: int) -> list[dict]:
    """Records/s of turning a simulated cohort of ``n`` records into sharded signals and median beats (1, 2 workers),
    with the CPU seconds all processes spent: equal CPU seconds for 1 and 2 workers mean the work splits without
    overhead, so on two free cores two workers take half the time (on shared cores the wall time cannot show it)."""
    from vaescan.data.dataset import DataConfig, load_data
    from vaescan.data.signals import cohort_signals
    from vaescan.data.synth import simulate_cohort

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        with Stopwatch() as watch:
            cohort = simulate_cohort(n, seed=0, out_dir=Path(tmp) / "cohort", progress=False)
        simulate_s = watch.seconds
        for jobs in (1, 2):
            for what in ("signals", "beats"):
                cache = Path(tmp) / f"cache-{what}-{jobs}"
                cpu = _cpu_seconds()
                with Stopwatch() as watch:
                    if what == "signals":
                        rows = cohort_signals(cohort, cache_dir=cache, jobs=jobs, shard_size=shard_size,
                                              progress=False).signals
                    else:
                        rows = load_data(DataConfig(path=str(cohort.root), cache_dir=str(cache), jobs=jobs,
                                                    shard_size=shard_size), progress=False).beats.beats
                cpu = _cpu_seconds() - cpu
                out.append({"inputs": what, "workers": jobs, "records": n, "shard_size": shard_size,
                            "rows": len(rows), "seconds": round(watch.seconds, 2),
                            "records_per_s": round(n / watch.seconds, 1), "cpu_seconds": round(cpu, 2)})
        out.append({"simulate_records_per_s": round(n / simulate_s, 1)})
    return out


def _worker(args) -> dict:
    """One measurement in this process (rank 0 of a torchrun group writes it)."""
    from vaescan.models import distributed
    from vaescan.models.blackbox import BlackBox
    from vaescan.models.scan import SCAN
    from vaescan.models.vae import VAE

    torch.set_num_threads(args.threads)
    distributed.distributed_init("cpu")
    if args.worker == "memory":
        samples = 1000 if args.model == "blackbox" else 500
        if args.shards:
            x = ShardedArray(args.shards)
            y = _targets(np.concatenate([chunk[:, 0, :100].mean(1) for chunk in x.chunks()]))
            on_disk = sum(f.stat().st_size for f in Path(args.shards).iterdir())
        else:
            x, y = _signals(args.n, samples=samples)
        with Stopwatch() as watch:
            if args.model == "vae":
                VAE(latent_dim=2, channels=(8,), hidden=8, epochs=1, batch_size=64).fit(x, progress=False)
            elif args.model == "scan":
                vae = VAE(latent_dim=2, channels=(8,), hidden=8, epochs=1, batch_size=64).fit(x[:64], progress=False)
                SCAN(vae, epochs=1, batch_size=64).fit(x, y, binary=["UP"], continuous=["age"], progress=False)
            else:
                BlackBox(stem=(8,), widths=(8,), epochs=1, batch_size=64).fit(x, y, binary=["UP"],
                                                                            continuous=["age"], progress=False)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        out = {"model": args.model, "records": args.n, "inputs": "streamed from shards" if args.shards else "in memory",
               "input_mb": round(x.nbytes / 2**20, 1), "peak_rss_mb": round(peak_mb, 1),
               "fit_seconds": round(watch.seconds, 1)}
        if args.shards:
            out.update(on_disk_mb=round(on_disk / 2**20, 1), shards=len(list(Path(args.shards).glob("*.npy"))))
        return out
    out = {}
    x, y = _signals(args.n)
    bb = BlackBox(epochs=args.epochs, batch_size=64).fit(x, y, binary=["UP"], continuous=["age"], progress=False)
    out["blackbox_samples_per_s"] = round(args.n * args.epochs / float(bb.curves_["seconds"].sum()), 1)
    with tempfile.TemporaryDirectory() as tmp:
        shards = write_shards([(str(i), i) for i in range(args.n)], x.__getitem__, tmp, shard_size=128, key="bench",
                              progress=False)
        bb = BlackBox(epochs=args.epochs, batch_size=64).fit(shards, y, binary=["UP"], continuous=["age"],
                                                             progress=False)
    out["blackbox_streamed_samples_per_s"] = round(args.n * args.epochs / float(bb.curves_["seconds"].sum()), 1)
    beats = x[:, :, :500].copy()
    vae = VAE(epochs=args.epochs, batch_size=64).fit(beats, progress=False)
    out["vae_samples_per_s"] = round(args.n * args.epochs / float(vae.curves_["seconds"].sum()), 1)
    with tempfile.TemporaryDirectory() as tmp:
        shards = write_shards([(str(i), i) for i in range(args.n)], beats.__getitem__, tmp, shard_size=128,
                              key="bench", progress=False)
        vae = VAE(epochs=args.epochs, batch_size=64).fit(shards, progress=False)
    out["vae_streamed_samples_per_s"] = round(args.n * args.epochs / float(vae.curves_["seconds"].sum()), 1)
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
    parser.add_argument("--shard-size", type=int, default=1000,
                        help="records per shard of the streamed peak-memory runs (default 1000)")
    parser.add_argument("--preprocess-n", type=int, default=300,
                        help="records of the simulated cohort the preprocessing rate is measured on (default 300)")
    parser.add_argument("--worker", choices=("throughput", "memory"), help=argparse_hidden())
    parser.add_argument("--shards", help=argparse_hidden())
    parser.add_argument("--model", choices=("blackbox", "vae", "scan"), default="blackbox", help=argparse_hidden())
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
    memory = []
    for model, samples in (("blackbox", 1000), ("vae", 500), ("scan", 500)):
        for n in args.memory_n:
            worker = [*me, "--worker", "memory", "--model", model, "--records", str(n)]
            memory.append(_run(worker, 1))
            with tempfile.TemporaryDirectory() as tmp:
                _random_shards(n, Path(tmp) / "shards", args.shard_size, samples)
                memory.append(_run([*worker, "--shards", f"{tmp}/shards"], 1))
    preprocess = _preprocess(args.preprocess_n, max(1, args.preprocess_n // 6))
    checkpoints = _checkpoint_cost()
    result = {
        "throughput": throughput,
        "peak_memory": memory,
        "preprocess": preprocess,
        "checkpoint": checkpoints,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "torch": torch.__version__,
        "machine": machine_info(),
        "not_measured": "GPU numbers",
    }
    write_json(args.output, result)
    print(json.dumps(result, indent=1))
    return 0


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    sys.exit(main())

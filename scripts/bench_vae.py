"""Benchmark the beta-VAE: the cost of pyro's SVI step against the same network trained with a hand-written
ELBO in plain torch, and the training throughput of the default config.

1. Overhead. The same network (the default :class:`~vaescan.models.vae.VAEConfig`), the same batch of real
   median beats, the same Adam settings. ``pyro`` is exactly the step vaescan trains with
   (:func:`vaescan.models.train.make_svi`: ``SVI`` + ``TraceMeanField_ELBO`` + ``pyro.optim.Adam``);
   ``pyro_trace_elbo`` swaps in ``Trace_ELBO`` (a Monte Carlo KL) and ``pyro_elbo_torch_adam`` steps pyro's
   analytic-KL ELBO with one ``torch.optim.Adam`` instead of ``pyro.optim``, for reference; ``torch`` computes the
   Gaussian log-likelihood and the analytic KL by hand and steps one ``torch.optim.Adam``. After a warm-up,
   rounds of ``--steps`` steps of each are interleaved (the order rotates each round) and the median time
   per step is taken over rounds: the machine is shared, so medians of interleaved rounds are robust to
   other jobs. Ratio = median pyro step / median torch step.
2. Throughput. ``VAE(default config).fit`` on ``--n-train`` beats for ``--epochs`` epochs: beats per second,
   and the extrapolated training time of the default config on the 3,500 training beats of a 5,000-record
   cohort.

Usage::

    python scripts/bench_vae.py [--data COHORT] [--threads 2] [-o runs/bench/bench_vae.json]

Without ``--data`` a 1,000-record synthetic cohort is simulated into ``runs/bench/synthetic_1000``
(once; its median beats are cached).
"""

from __future__ import annotations

import copy
import math
import os
import statistics
import sys

import numpy as np
import pyro
import torch
from pyro.infer import SVI, Trace_ELBO, TraceMeanField_ELBO

from vaescan.bench import Stopwatch, bench_parser, machine_info
from vaescan.data.dataset import DataConfig, load_data
from vaescan.io import write_json
from vaescan.models.train import make_svi
from vaescan.models.vae import VAE, BetaVAE, VAEConfig, downsample_beats


def torch_step_fn(net: BetaVAE, x: torch.Tensor, anneal: float, lr: float):
    """One SVI step written by hand: reparameterised sample, Gaussian log-likelihood, analytic KL, Adam."""
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    log_norm = x[0].numel() * (math.log(net.obs_sd) + 0.5 * math.log(2 * math.pi))

    def step() -> float:
        loc, scale = net.encoder(x)
        z = loc + scale * torch.randn_like(scale)
        nll = 0.5 * (((x - net.decoder(z)) / net.obs_sd) ** 2).sum() + len(x) * log_norm
        kl = 0.5 * (loc**2 + scale**2 - 1.0 - 2.0 * torch.log(scale)).sum()
        loss = nll + anneal * kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def elbo_torch_adam_fn(net: BetaVAE, x: torch.Tensor, anneal: float, lr: float):
    """pyro's analytic-KL ELBO as a differentiable loss, stepped by one torch Adam (no pyro.optim)."""
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    elbo = TraceMeanField_ELBO()

    def step() -> float:
        loss = elbo.differentiable_loss(net.model, net.guide, x, anneal=anneal)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


@torch.no_grad()
def same_objective(net: BetaVAE, x: torch.Tensor, anneal: float, samples: int = 20) -> dict:
    """The hand-written loss and pyro's TraceMeanField_ELBO loss on the same weights (mean over samples)."""
    loc, scale = net.encoder(x)
    kl = 0.5 * (loc**2 + scale**2 - 1.0 - 2.0 * torch.log(scale)).sum()
    log_norm = x.numel() * (math.log(net.obs_sd) + 0.5 * math.log(2 * math.pi))
    nll = np.mean([float(0.5 * (((x - net.decoder(loc + scale * torch.randn_like(scale))) / net.obs_sd) ** 2).sum())
                   for _ in range(samples)]) + log_norm
    with pyro.get_param_store().scope():
        pyro_loss = np.mean([TraceMeanField_ELBO().loss(net.model, net.guide, x, anneal=anneal)
                             for _ in range(samples)])
    torch_loss = nll + anneal * float(kl)
    return {"torch": torch_loss, "pyro": float(pyro_loss), "relative_difference": abs(pyro_loss / torch_loss - 1)}


def overhead(x: torch.Tensor, config: VAEConfig, rounds: int, steps: int, warmup: int) -> dict:
    torch.manual_seed(0)
    base = BetaVAE(x.shape[1], x.shape[2], config)
    nets = {name: copy.deepcopy(base) for name in ("pyro", "pyro_trace_elbo", "pyro_elbo_torch_adam", "torch")}
    anneal = config.beta
    store = pyro.get_param_store()
    with store.scope():
        svi = make_svi(nets["pyro"].model, nets["pyro"].guide, config.lr)
        svi_mc = SVI(nets["pyro_trace_elbo"].model, nets["pyro_trace_elbo"].guide,
                     pyro.optim.Adam({"lr": config.lr}), loss=Trace_ELBO())
        fns = {
            "pyro": lambda: svi.step(x, anneal=anneal),
            "pyro_trace_elbo": lambda: svi_mc.step(x, anneal=anneal),
            "pyro_elbo_torch_adam": elbo_torch_adam_fn(nets["pyro_elbo_torch_adam"], x, anneal, config.lr),
            "torch": torch_step_fn(nets["torch"], x, anneal, config.lr),
        }
        losses = {k: [] for k in fns}
        for fn in fns.values():
            for _ in range(warmup):
                fn()
        times = {k: [] for k in fns}
        names = list(fns)
        for r in range(rounds):
            for name in names[r % len(names):] + names[: r % len(names)]:
                with Stopwatch() as watch:
                    for _ in range(steps):
                        losses[name].append(fns[name]())
                times[name].append(watch.seconds / steps)
    med = {k: statistics.median(v) for k, v in times.items()}
    paired = {k: statistics.median(a / b for a, b in zip(times[k], times["torch"])) for k in fns if k != "torch"}
    return {
        "same_objective_at_start": same_objective(base, x, anneal),
        "batch_size": int(x.shape[0]), "rounds": rounds, "steps_per_round": steps, "warmup_steps": warmup,
        "median_step_ms": {k: v * 1000 for k, v in med.items()},
        "ratio_vs_torch": {k: med[k] / med["torch"] for k in fns if k != "torch"},
        "median_paired_ratio_vs_torch": paired,
        "mean_loss_last_round": {k: float(np.mean(v[-steps:])) / x.shape[0] for k, v in losses.items()},
        "round_step_ms": {k: [t * 1000 for t in v] for k, v in times.items()},
    }


def throughput(beats, config: VAEConfig, n_train: int, epochs: int) -> dict:
    train = beats.beats[:n_train]
    vae = VAE(config, epochs=epochs, warmup_epochs=1).fit(train, progress=False)
    seconds = float(vae.curves_["seconds"].sum())
    per_second = len(train) * epochs / seconds
    default_epochs = VAEConfig().epochs
    return {
        "n_train": len(train), "epochs": epochs, "seconds": seconds, "beats_per_second": per_second,
        "extrapolated_default_config_5000_records_s": 3500 * default_epochs / per_second,
        "default_epochs": default_epochs,
    }


def main() -> int:
    parser = bench_parser(__doc__.split("\n\n")[0], "runs/bench/bench_vae.json")
    parser.add_argument("--data", help="cohort folder (default: simulate 1,000 synthetic records)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2: the reference machine)")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    parser.add_argument("--steps", type=int, default=5, help="steps per round and variant (default 5)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up steps per variant (default 5)")
    parser.add_argument("--n-train", type=int, default=512, help="beats for the throughput run (default 512)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the throughput run (default 3)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    data = DataConfig(path=args.data) if args.data else DataConfig(path="runs/bench/synthetic_1000",
                                                                    simulate_n=1000, jobs=args.threads)
    beats = load_data(data, progress=False).beats
    config = VAEConfig(device="cpu")
    x = torch.as_tensor(downsample_beats(beats.beats[: config.batch_size], config.downsample))
    load_before = os.getloadavg()
    result = {
        "what": "pyro SVI step vs hand-written ELBO in plain torch (same network, batch, Adam); training throughput",
        "config": {"latent_dim": config.latent_dim, "channels": list(config.channels), "hidden": config.hidden,
                   "downsample": config.downsample, "batch_size": config.batch_size},
        "data": data.path, "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
        "torch": torch.__version__, "pyro": pyro.__version__, **machine_info("python"),
        "overhead": overhead(x, config, args.rounds, args.steps, args.warmup),
        "throughput": throughput(beats, config, args.n_train, args.epochs),
        "load_average_before": load_before, "load_average_after": os.getloadavg(),
        "target_ratio": 1.3,
    }
    result["ratio"] = result["overhead"]["ratio_vs_torch"]["pyro"]
    result["meets_target"] = result["ratio"] <= result["target_ratio"]
    write_json(args.output, result)
    o, t = result["overhead"], result["throughput"]
    print(f"pyro step {o['median_step_ms']['pyro']:.1f} ms, torch step {o['median_step_ms']['torch']:.1f} ms: "
          f"ratio {result['ratio']:.3f} (Trace_ELBO {o['ratio_vs_torch']['pyro_trace_elbo']:.3f}); "
          f"training {t['beats_per_second']:.0f} beats/s -> default config on 5,000 records "
          f"~{t['extrapolated_default_config_5000_records_s'] / 60:.1f} min; load {load_before[0]:.1f}; "
          f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the disentanglement metrics: reference values on representations with a known answer, and run time.

Usage::

    python scripts/bench_disentangle.py -o runs/bench/disentangle.json [--quick]

Part 1 (calibration) scores reference representations of 5 known factors (3
continuous, 2 binary) at several sample sizes, over 3 seeds (mean and SD; also
the held-out DCI R2 of each factor), so a model's scores can be read against
them: identity (the ideal), a permutation, a duplicated latent, noisy copies
(latent = factor + noise at a given SNR), a monotonic non-linear transform, a
random rotation (every latent mixes all factors), and pure noise.
Part 2 (speed) times :func:`disentanglement_report` with default settings on
one CPU thread for 32 latents (FactorECG's size) and 8 factors.
"""

from __future__ import annotations

import sys

import numpy as np

from vaescan.bench import Stopwatch, bench_parser, machine_info
from vaescan.io import write_json
from vaescan.stats.disentangle import disentanglement_report

FACTOR_NAMES = ["normal", "binary_a", "uniform", "binary_b", "lognormal"]


def make_factors(n: int, rng: np.random.Generator, m: int = 5) -> np.ndarray:
    """m independent factors, alternating continuous (normal, uniform, lognormal) and binary (p = 0.3)."""
    cols = []
    for j in range(m):
        if j % 2 == 1:
            cols.append((rng.random(n) < 0.3).astype(float))
        else:
            cols.append((rng.normal(size=n), rng.uniform(size=n), rng.lognormal(size=n))[(j // 2) % 3])
    return np.column_stack(cols)


def representations(f: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n, m = f.shape
    std = (f - f.mean(axis=0)) / f.std(axis=0)
    rotation = np.linalg.qr(rng.normal(size=(m, m)))[0]  # a random orthogonal matrix
    return {
        "identity": f,
        "permuted": f[:, rng.permutation(m)],
        "duplicated_latent": np.column_stack([f, f[:, 0]]),
        "noisy_snr_10": std + rng.normal(size=(n, m)) / np.sqrt(10),
        "noisy_snr_1": std + rng.normal(size=(n, m)),
        "monotone_transform": np.column_stack([np.exp(std[:, 0]), std[:, 1], std[:, 2] ** 3, std[:, 3],
                                               np.tanh(std[:, 4])][:m]),
        "random_rotation": std @ rotation,
        "pure_noise": rng.normal(size=(n, m)),
    }


def calibration(sizes: list[int], seeds: list[int], n_estimators: int) -> dict:
    rows: dict[str, dict[str, list[float]]] = {}
    for n in sizes:
        for seed in seeds:
            rng = np.random.default_rng(seed)
            f = make_factors(n, rng)
            for name, z in representations(f, rng).items():
                rep = disentanglement_report(z, f, FACTOR_NAMES, seed=seed, n_estimators=n_estimators)
                values = {"mig": rep["mig"], "sap": rep["sap"], "dci_disentanglement": rep["dci"]["disentanglement"],
                          "dci_completeness": rep["dci"]["completeness"],
                          "dci_informativeness_nrmse": rep["dci"]["informativeness_nrmse"],
                          "dci_informativeness_r2": rep["dci"]["informativeness_r2"]}
                values.update({f"dci_r2_{fac['name']}": fac["dci"]["r2"] for fac in rep["factors"]})
                for key, v in values.items():
                    rows.setdefault(f"{name}@n={n}", {}).setdefault(key, []).append(v)
            print(f"calibration n={n} seed={seed} done", flush=True)
    return {case: {key: {"mean": float(np.mean(v)), "sd": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0}
                   for key, v in metrics.items()} for case, metrics in rows.items()}


def speed(sizes: list[int], k: int = 32, m: int = 8) -> list[dict]:
    import torch

    torch.set_num_threads(1)
    out = []
    for n in sizes:
        rng = np.random.default_rng(0)
        f = make_factors(n, rng, m)
        z = np.column_stack([f, rng.normal(size=(n, k - m))])
        with Stopwatch() as watch:
            disentanglement_report(z, f)
        out.append({"n_samples": n, "n_latents": k, "n_factors": m, "seconds": watch.seconds})
        print(f"speed n={n}: {out[-1]['seconds']:.1f} s", flush=True)
    return out


def main() -> int:
    parser = bench_parser(__doc__.splitlines()[0], "runs/bench/disentangle.json")
    parser.add_argument("--quick", action="store_true", help="one seed, small sizes (a smoke run)")
    args = parser.parse_args()
    sizes, seeds, speed_sizes = ([1000], [0], [2000]) if args.quick else ([500, 2000, 10000], [0, 1, 2],
                                                                         [2000, 10000])
    result = {
        "what": "reference scores of known representations (mean, SD over seeds) and report run time",
        "settings": {"n_bins": 20, "test_size": 0.3, "n_estimators": 100, "min_samples_leaf": 5,
                     "factors": "5 independent: normal, binary_a (p 0.3), uniform, binary_b (p 0.3), lognormal"},
        "seeds": seeds,
        "calibration": calibration(sizes, seeds, n_estimators=100),
        "speed": speed(speed_sizes),
        "machine": {**machine_info("python", "processor"), "note": "timings on a shared machine are indicative only"},
    }
    write_json(args.output, result)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

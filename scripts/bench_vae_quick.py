"""The quickstart's model stage on a small synthetic cohort: time and summary of ``run_vae_scan``; JSON out.

Simulates ``--n`` synthetic records into ``--data`` (once), then calls
:func:`vaescan.workflows.vae_scan.run_vae_scan` with the quick configs into ``--output-dir``
(delete it to measure again: finished stages are skipped).

Usage::

    python scripts/bench_vae_quick.py [--n 300] [--threads 1] [-o runs/bench/bench_vae_quick.json]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import torch

from vaescan.bench import Stopwatch, bench_parser
from vaescan.data.synth import simulate_cohort
from vaescan.io import write_json
from vaescan.workflows.vae_scan import run_vae_scan


def main() -> int:
    parser = bench_parser(__doc__.split("\n\n")[0], "runs/bench/bench_vae_quick.json")
    parser.add_argument("--n", type=int, default=300, help="synthetic records (default 300)")
    parser.add_argument("--data", default="runs/synthetic_300", help="cohort folder (simulated if missing)")
    parser.add_argument("--output-dir", default="runs/bench/vae_quick", help="run_vae_scan output folder")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    load = {"before": os.getloadavg()}
    with Stopwatch() as simulate:
        if not (Path(args.data) / "metadata.csv").is_file():
            simulate_cohort(args.n, 0, args.data, progress=False)
    with Stopwatch() as run:
        summary = run_vae_scan(args.data, args.output_dir, progress=False)
    load["after"] = os.getloadavg()
    result = {"n_records": args.n, "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
              "simulate_s": simulate.seconds, "run_vae_scan_s": run.seconds, "load_average": load,
              "summary": summary}
    write_json(args.output, result)
    print(f"run_vae_scan: {run.seconds:.0f} s; generated {summary['generated_label']} QRS "
          f"{summary['generated_qrs_ms']} ms vs NORM {summary['reference_qrs_ms']} ms; wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

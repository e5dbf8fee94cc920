"""The quickstart's model stage on a small synthetic cohort: time and summary of ``run_vae_scan``; JSON out.

Simulates ``--n`` synthetic records into ``--data`` (once), then calls
:func:`vaescan.workflows.vae_scan.run_vae_scan` with the quick configs into ``--output-dir``
(delete it to measure again: finished stages are skipped).

Usage::

    python scripts/bench_vae_quick.py [--n 300] [--threads 1] [-o runs/bench/bench_vae_quick.json]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from vaescan.data.synth import simulate_cohort  # noqa: E402
from vaescan.io import write_json  # noqa: E402
from vaescan.workflows.vae_scan import run_vae_scan  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=300, help="synthetic records (default 300)")
    parser.add_argument("--data", default="runs/synthetic_300", help="cohort folder (simulated if missing)")
    parser.add_argument("--output-dir", default="runs/bench/vae_quick", help="run_vae_scan output folder")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("-o", "--output", default="runs/bench/bench_vae_quick.json", help="JSON output")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    load = {"before": os.getloadavg()}
    tic = time.perf_counter()
    if not (Path(args.data) / "metadata.csv").is_file():
        simulate_cohort(args.n, 0, args.data, progress=False)
    simulated = time.perf_counter()
    summary = run_vae_scan(args.data, args.output_dir, progress=False)
    done = time.perf_counter()
    load["after"] = os.getloadavg()
    result = {"n_records": args.n, "threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
              "simulate_s": simulated - tic, "run_vae_scan_s": done - simulated, "load_average": load,
              "summary": summary}
    write_json(args.output, result)
    print(f"run_vae_scan: {done - simulated:.0f} s; generated {summary['generated_label']} QRS "
          f"{summary['generated_qrs_ms']} ms vs NORM {summary['reference_qrs_ms']} ms; wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

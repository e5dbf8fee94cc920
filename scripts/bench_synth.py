"""Benchmark: how fast ``simulate_cohort`` writes a synthetic cohort (target: 1,000 records in < 60 s, one core).

Times the whole command path (simulation, WFDB writing, metadata) with ``jobs=1`` and reports
records per second. Timings depend on the machine and on what else runs on it.

    python scripts/bench_synth.py --n 1000 -o runs/bench/bench_synth.json
    python scripts/bench_synth.py --n 1000 --preset realistic -o runs/bench/bench_synth_realistic.json
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from vaescan.bench import Stopwatch, bench_parser, machine_info
from vaescan.data.synth import SynthConfig, simulate_cohort
from vaescan.io import write_json

TARGET_SECONDS_PER_1000 = 60.0


def main(argv: list[str] | None = None) -> int:
    p = bench_parser(__doc__, "runs/bench/bench_synth.json")
    p.add_argument("--n", type=int, default=1000, help="records to write (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="cohort seed (default 0)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1: the target is per core)")
    p.add_argument("--preset", choices=("easy", "realistic"), default="easy", help="the cohort's preset (default easy)")
    args = p.parse_args(argv)
    load = {"before": os.getloadavg()}  # the machine may be shared: timings mean little under load
    with tempfile.TemporaryDirectory() as tmp:
        with Stopwatch() as watch:
            simulate_cohort(args.n, args.seed, Path(tmp) / "cohort", SynthConfig.preset(args.preset), progress=False,
                            jobs=args.jobs)
        seconds = watch.seconds
        size = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file())
    per_1000 = seconds / args.n * 1000.0
    result = {
        "n_records": args.n, "seed": args.seed, "jobs": args.jobs, "preset": args.preset, "seconds": seconds,
        "records_per_s": args.n / seconds, "seconds_per_1000_records": per_1000,
        "target_seconds_per_1000_records": TARGET_SECONDS_PER_1000,
        "met": bool(per_1000 < TARGET_SECONDS_PER_1000), "bytes_written": size,
        "load_average": {**load, "after": os.getloadavg()},
        "machine": machine_info("platform", "python", "cpus"),
    }
    write_json(args.output, result)
    print(f"{args.n} records in {seconds:.1f} s ({args.n / seconds:.1f} records/s, {per_1000:.1f} s per 1000; "
          f"target < {TARGET_SECONDS_PER_1000:g} s) -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: throughput of median beats and of beats + features on 500 Hz, 10 s records.

Runs ``vaescan beats`` and ``vaescan features`` (reading, cleaning, QRS detection, median beat, and
for features the delineation) on a synthetic cohort with ``--jobs 1`` and ``--jobs 2``, and
extrapolates the time for the whole PTB-XL (21,799 records) at 500 Hz on 2 cores.
Targets (issue 2): >= 20 records/s on one core for beats; PTB-XL within 30 minutes on 2 cores.
Timings depend on the machine and on what else runs on it.

    python scripts/bench_data.py --n 400 -o runs/bench/bench_data.json
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from vaescan.bench import Stopwatch, bench_parser, machine_info
from vaescan.cli.main import main as vaescan_main
from vaescan.data.synth import simulate_cohort
from vaescan.io import write_json

PTBXL_RECORDS = 21_799
TARGET_BEATS_PER_S_ONE_CORE = 20.0
TARGET_PTBXL_MINUTES_TWO_CORES = 30.0


def _time(command: list[str]) -> float:
    with Stopwatch() as watch:
        code = vaescan_main(command)
    if code != 0:
        raise SystemExit(f"vaescan {' '.join(command)} failed with exit code {code}")
    return watch.seconds


def main(argv: list[str] | None = None) -> int:
    p = bench_parser(__doc__, "runs/bench/bench_data.json")
    p.add_argument("--n", type=int, default=400, help="records (default 400)")
    p.add_argument("--seed", type=int, default=0, help="cohort seed (default 0)")
    args = p.parse_args(argv)
    load = {"before": os.getloadavg()}  # the machine may be shared: timings mean little under load
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        cohort = Path(tmp) / "cohort"
        simulate_cohort(args.n, args.seed, cohort, progress=False)
        for jobs in (1, 2):
            for what, out in (("beats", "beats.npz"), ("features", "features.csv")):
                seconds = _time(["-q", what, str(cohort), "-o", str(Path(tmp) / out), "--jobs", str(jobs)])
                runs[f"{what}_jobs{jobs}"] = {"seconds": seconds, "records_per_s": args.n / seconds}
    ptbxl_minutes = {k: PTBXL_RECORDS / r["records_per_s"] / 60.0 for k, r in runs.items()}
    result = {
        "n_records": args.n, "fs_hz": 500, "duration_s": 10, "runs": runs,
        "ptbxl_minutes_extrapolated": ptbxl_minutes,
        "targets": {
            "beats_records_per_s_one_core": {"target": TARGET_BEATS_PER_S_ONE_CORE,
                                             "measured": runs["beats_jobs1"]["records_per_s"],
                                             "met": runs["beats_jobs1"]["records_per_s"]
                                             >= TARGET_BEATS_PER_S_ONE_CORE},
            "ptbxl_features_minutes_two_cores": {"target": TARGET_PTBXL_MINUTES_TWO_CORES,
                                                 "measured": ptbxl_minutes["features_jobs2"],
                                                 "met": ptbxl_minutes["features_jobs2"]
                                                 <= TARGET_PTBXL_MINUTES_TWO_CORES},
        },
        "load_average": {**load, "after": os.getloadavg()},
        "machine": machine_info("platform", "python", "cpus"),
    }
    write_json(args.output, result)
    for name, r in runs.items():
        print(f"{name:16s} {r['records_per_s']:6.1f} records/s  (PTB-XL: {ptbxl_minutes[name]:5.1f} min)")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

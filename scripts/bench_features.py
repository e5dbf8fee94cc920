"""Benchmark: how well ``vaescan features`` recovers the ground truth of the synthetic cohort.

Writes a synthetic cohort (or reuses one), runs ``vaescan features`` on it exactly as a user would,
and compares every interval with the truth in ``metadata.csv``: mean absolute error (MAE), median
and 95th percentile of the absolute error, overall and per label; for PR also how often a P wave
is missed (sinus rhythm, NaN measured) or invented (AF, a number measured where truth is NaN).

Targets (issue 3): MAE <= 10 ms for QRS, <= 20 ms for PR and QT, <= 2 bpm for HR.

    python scripts/bench_features.py --n 500 --seed 0 --jobs 2 -o runs/bench/bench_features.json
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

from vaescan.bench import Stopwatch, bench_parser
from vaescan.cli.main import main as vaescan_main
from vaescan.data.sources import load_cohort
from vaescan.data.synth import simulate_cohort
from vaescan.data.synth.recovery import feature_recovery
from vaescan.io import write_json


def evaluate(cohort_dir: Path, features_csv: Path) -> dict:
    """Compare a features CSV with the cohort's ground truth."""
    truth = load_cohort(cohort_dir).metadata.set_index("record_id")
    measured = pd.read_csv(features_csv, dtype={"record_id": str}).set_index("record_id")
    return feature_recovery(truth, measured)


def main(argv: list[str] | None = None) -> int:
    p = bench_parser(__doc__, "runs/bench/bench_features.json")
    p.add_argument("--n", type=int, default=500, help="records to simulate (default 500)")
    p.add_argument("--seed", type=int, default=0, help="cohort seed (default 0)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--cohort", type=Path, help="reuse this synthetic cohort instead of writing a new one")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        cohort_dir = args.cohort or Path(tmp) / "cohort"
        if args.cohort is None:
            simulate_cohort(args.n, args.seed, cohort_dir, progress=False, jobs=args.jobs)
        features_csv = Path(tmp) / "features.csv"
        with Stopwatch() as watch:
            code = vaescan_main(["-q", "features", str(cohort_dir), "-o", str(features_csv), "--jobs", str(args.jobs)])
        seconds = watch.seconds
        if code != 0:
            print(f"vaescan features failed with exit code {code}", file=sys.stderr)
            return code
        result = evaluate(cohort_dir, features_csv)
    result.update(seed=args.seed, jobs=args.jobs, features_seconds=seconds,
                  cohort=str(args.cohort) if args.cohort else f"simulate_cohort(n={args.n}, seed={args.seed})")
    write_json(args.output, result)
    for name, t in result["targets"].items():
        print(f"{name:8s} MAE {t['mae']:.2f} (target <= {t['target_mae']:g}) {'ok' if t['met'] else 'MISSED'}")
    for name in ("axis_deg", "rr_irregularity", "st_mv_anterior"):
        print(f"{name:8s} MAE {result['overall'][name]['mae']:.4f}")
    print(f"P waves: {result['p_wave']}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

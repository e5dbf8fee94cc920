"""The quickstart as a benchmark: run `vaescan quickstart` with an empty cache, measure its wall time, CPU time
and peak memory against the issue's budgets (default <= 20 min and 4 GB on 2 cores; --small <= 5 min), and keep
its trade-off table, age row and published comparison beside the numbers.

    python scripts/bench_quickstart.py -o docs/results/tradeoff_quickstart_realistic.json
    python scripts/bench_quickstart.py --small -o runs/bench/quickstart_small.json

Any other argument goes on to `vaescan quickstart` (e.g. `--preset easy`). The run's folder is kept (`--out`,
default a temporary folder that is removed). Peak memory is the largest resident set of the quickstart process
or of any one of its worker processes (`ru_maxrss`), not their sum.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from vaescan.bench import Stopwatch, bench_parser, machine_info
from vaescan.io import read_json, write_json

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = ["representation", "level", "n", "macro_auroc", "macro_auroc_low", "macro_auroc_high", "gap_to_best",
           "gap_low", "gap_high", "p_gap"]
AGE = ["representation", "r2", "r2_low", "r2_high", "mae"]
PUBLISHED = ["study", "ours_explainable", "ours_black_box", "ours_gap", "ours_gap_low", "ours_gap_high", "ours_p",
             "verdict"]


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """The rows of ``frame`` as dicts of ``columns``, floats rounded to 4 digits, missing values as None."""
    out = []
    for row in frame[columns].to_dict("records"):
        out.append({k: (None if isinstance(v, float) and v != v else round(v, 4) if isinstance(v, float) else v)
                    for k, v in row.items()})
    return out


def _results(run: Path) -> dict:
    """The trade-off table (levels 1-5), the age row and the published comparison of a quickstart's report."""
    report = run / "report"
    meta = read_json(report / "report.json")
    summary = pd.read_csv(report / "summary.csv")
    table = pd.read_csv(report / "tradeoff.csv")
    age = table[(table.task == "age") & (table.level <= 5)]
    published = report / "published.csv"
    return {"n_test": meta["n_test"], "n_boot": meta["n_boot"], "macro_labels": meta["macro_labels"],
            "best": meta["best"],
            "summary": _rows(summary[summary.level <= 5], SUMMARY),
            "digitised": _rows(summary[summary.level == 6], SUMMARY),
            "age": _rows(age, AGE),
            "published": _rows(pd.read_csv(published), PUBLISHED) if published.exists() else [],
            "step_seconds": {p.stem: read_json(p).get("seconds") for p in sorted((run / "steps").glob("*.json"))}}


def main() -> int:
    parser = bench_parser(__doc__.split("\n\n")[0], "docs/results/tradeoff_quickstart_realistic.json")
    parser.add_argument("--out", type=Path, help="keep the quickstart's folder here (default: a temporary folder)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2: the budget's 2 cores)")
    args, rest = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = args.out or Path(tmp) / "quickstart"
        cache = Path(tmp) / "cache"  # empty: nothing from an earlier run is reused
        command = [sys.executable, "-m", "vaescan", "quickstart", "-o", str(run), "--jobs", str(args.jobs), *rest]
        env = {**os.environ, "VAESCAN_CACHE_DIR": str(cache), "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
        load_before = [round(x, 2) for x in os.getloadavg()]
        with Stopwatch() as watch:
            subprocess.run(command, cwd=ROOT, env=env, check=True)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        small = "--small" in rest
        result = {
            "what": f"vaescan quickstart {' '.join(rest)} with an empty cache, {args.jobs} worker processes",
            "commands": [f"python scripts/bench_quickstart.py {' '.join(sys.argv[1:])}"],
            "machine": machine_info(),
            "load_average_before": load_before,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "wall_seconds": round(watch.seconds, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "max_rss_gb": round(usage.ru_maxrss / 2**20, 2),
            "budget": {"wall_seconds": 300 if small else 1200, "max_rss_gb": None if small else 4.0},
            **_results(run),
        }
    write_json(args.output, result)
    print(f"wall {result['wall_seconds']:.0f} s, CPU {result['cpu_seconds']:.0f} s, peak {result['max_rss_gb']} GB; "
          f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

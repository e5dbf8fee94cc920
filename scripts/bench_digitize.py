"""Benchmark: seconds per 200-dpi page on one core and peak memory of ``image_digitize``; writes JSON.

Usage: ``python scripts/bench_digitize.py [--pages 5] [-o bench_digitize.json]``.
Targets (issue 16, which replaced issue 4's 3 s and 2 GB once the lead labels were read): at most 4 s per page
on one core, at most 1 GB peak memory.
"""

from __future__ import annotations

import os
import resource
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy and OpenCV load their thread pools

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from vaescan.bench import Stopwatch, bench_parser  # noqa: E402
from vaescan.data.synth import simulate_records  # noqa: E402
from vaescan.digitize.pipeline import image_digitize  # noqa: E402
from vaescan.io import write_json  # noqa: E402
from vaescan.pages.render import PageStyle, ecg_render  # noqa: E402

TARGETS = {"seconds_per_page": 4.0, "peak_rss_mb": 1024}


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "bench_digitize.json")
    parser.add_argument("--pages", type=int, default=5)
    args = parser.parse_args(argv)
    load = {"before": os.getloadavg()}  # the machine may be shared: timings mean little under load
    cv2.setNumThreads(1)
    times = []
    for record, _ in simulate_records(args.pages, seed=0):
        image, _ = ecg_render(record, PageStyle(dpi=200))
        with Stopwatch() as watch:
            image_digitize(image)
        times.append(watch.seconds)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    warm = max(times[1:], default=None)  # the first page also loads the OCR models, once per process
    result = {"pages": args.pages, "dpi": 200, "threads": 1, "seconds_per_page_mean": round(float(np.mean(times)), 3),
              "seconds_per_page_max": round(float(np.max(times)), 3),
              "seconds_per_page": [round(t, 3) for t in times],
              "seconds_per_page_max_after_first": None if warm is None else round(warm, 3),
              "peak_rss_mb": round(peak_mb, 1),
              "targets": TARGETS,
              "meets_targets": bool(np.mean(times) <= TARGETS["seconds_per_page"]
                                    and (warm or 0.0) <= TARGETS["seconds_per_page"]
                                    and peak_mb <= TARGETS["peak_rss_mb"]),
              "load_average": {**load, "after": os.getloadavg()}, "cpus": os.cpu_count(),
              "note": "peak RSS of the whole process (render included); the first page also loads the label "
                      "reader's OCR models (once per process)"}
    write_json(args.output, result)
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Compare the classical and the learned trace mask: IoU with the truth trace on held-out rendered pages, and speed.

IoU: pages of vaescan's renderer drawn and augmented as in training (scripts/train_segmenter.py) but from
other records and another seed; each mask before the straight-line and shadow steps (which all share)
against the pen's coverage > 0.3: the classical mask, the network's alone (p > 0.5), and the pipeline's
``segmenter="learned"`` (the classical mask where p > LEARNED_KEEP). Text and grid left in a mask count
against it. Speed: the network alone (features, forward, resampling back) on the rectified outside pages,
one thread.

    OMP_NUM_THREADS=1 PYTHONPATH=. python scripts/bench_segmenter.py --pages 12 --outside ../shared/data/outside_pages \
        -o docs/results/bench_segmenter.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_segmenter import training_page  # noqa: E402

from vaescan.digitize.evaluate import eval_records  # noqa: E402
from vaescan.digitize.grid_lattice import grid_detect  # noqa: E402
from vaescan.digitize.ink import grid_darkness_map, ink_map, stroke_level, trace_mask  # noqa: E402
from vaescan.digitize.rectify import page_rectify  # noqa: E402
from vaescan.digitize.segment import LEARNED_KEEP, trace_probability  # noqa: E402
from vaescan.io import write_json  # noqa: E402
from vaescan.pages.image import image_read  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=16)
    ap.add_argument("--seed", type=int, default=99)
    ap.add_argument("--outside", type=Path)
    ap.add_argument("-o", "--output", type=Path)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(args.seed)
    rows = []
    for record in eval_records(args.pages, seed=5000 + args.seed):
        img, ink, alpha, ppm, phase = training_page(record, rng)
        truth = alpha > 0.3
        classical = trace_mask(ink, level=stroke_level(ink), floor=grid_darkness_map(ink, ppm, phase))
        p = trace_probability(ink, ppm)
        row = {}
        for name, m in (("classical", classical), ("learned", p > 0.5), ("veto", classical & (p > LEARNED_KEEP))):
            row[name] = float((m & truth).sum() / max((m | truth).sum(), 1))
            row[name + "_recall"] = float((m & truth).sum() / max(truth.sum(), 1))
            row[name + "_precision"] = float((m & truth).sum() / max(m.sum(), 1))
        rows.append(row)
        print({k: round(v, 3) for k, v in row.items()}, flush=True)
    out = {"pages": args.pages, "seed": args.seed,
           **{k: round(float(np.mean([r[k] for r in rows])), 4) for k in rows[0]}}
    if args.outside:
        times = []
        for path in sorted(args.outside.glob("*/page.*")):
            folder = path.parent
            image = image_read(path)
            lattice = grid_detect(image)
            if lattice is None:
                continue
            rect = page_rectify(image, lattice)
            ink = ink_map(rect, lattice.px_per_mm, lattice.phase_px)
            t = time.perf_counter()
            trace_probability(ink, lattice.px_per_mm)
            times.append((folder.name, time.perf_counter() - t, rect.shape[:2], lattice.px_per_mm))
        out["outside_seconds_mean"] = round(float(np.mean([t for _, t, _, _ in times])), 3)
        out["outside_seconds_max"] = round(float(np.max([t for _, t, _, _ in times])), 3)
        big = [t for _, t, shape, _ in times if shape[0] * shape[1] >= 1600 * 2200]
        out["outside_seconds_mean_200dpi"] = round(float(np.mean(big)), 3) if big else None
        out["outside_pages_timed"] = len(times)
    print(json.dumps(out, indent=2))
    if args.output:
        write_json(args.output, out)


if __name__ == "__main__":
    main()

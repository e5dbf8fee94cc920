"""Benchmark: precision, recall and seconds per page of the lead-label reader (``vaescan.digitize.labels``).

Usage: ``python scripts/bench_labels.py [--own 4] [--outside DIR] [-o docs/results/bench_labels.json]``.

Sources and what counts as right:
- own renderer (``ecg_render``, ``--own`` pages per style family, heldout fonts included): a label is right
  when its name is that of a printed label whose top-left lies within 1.5 mm (x) of the read box's left
  edge and whose band holds the read box's centre (y); the truth position is where the renderer draws it.
- outside pages (ECG-Image-Kit, ``../shared/data/outside_pages``): names are printed under each plotted
  segment's first sample. Where the page was not moved (clean, lowres, layout) and for photos (through the
  homography in ``render.json``), a read label is right when the nearest segment start (to the box's
  top-left) carries its name; on rotated and wrinkled pages (moved, no exact map) its name must be one not
  yet used up among the page's printed names. Each page is read as it is and after grid rectification
  (``grid_detect`` + ``page_rectify``, as the digitiser sees it); names only on the rectified page.
- real photos: no truth file; see docs/digitize.md (read by eye).
Precision: right labels / labels read. Recall: right labels / labels printed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before numpy and OpenCV load their thread pools

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from vaescan.bench import bench_parser  # noqa: E402
from vaescan.data.synth import simulate_records  # noqa: E402
from vaescan.digitize.grid_lattice import grid_detect  # noqa: E402
from vaescan.digitize.labels import LeadLabel, labels_read  # noqa: E402
from vaescan.digitize.rectify import page_rectify  # noqa: E402
from vaescan.io import write_json  # noqa: E402
from vaescan.pages.image import image_read  # noqa: E402
from vaescan.pages.render import STYLE_FAMILIES, ecg_render, random_style  # noqa: E402

POSITION_CATEGORIES = ("clean", "lowres", "layout", "photographed")


def own_truth_labels(truth: dict) -> list[dict]:
    """Printed labels of an ``ecg_render`` page: name, x (left, px), y band (top, bottom px)."""
    st = truth["style"]
    ppm = truth["px_per_mm"]
    if st["label_position"] == "none":
        return []
    size = st["label_mm"] * ppm
    out = []
    for p in truth["panels"]:
        b = p["baseline_px"]
        y = b - (st["label_mm"] + 4.0) * ppm if st["label_position"] == "above" else b + 3.5 * ppm
        out.append({"name": p["lead"], "x": p["x0_px"] + 1.0 * ppm, "y0": y - 1.0 * ppm, "y1": y + 1.5 * size + ppm})
    return out


def own_score(labels: list[LeadLabel], truth: dict) -> tuple[int, int, list]:
    """(right, printed, wrong readings) of labels read on an ``ecg_render`` page."""
    ppm = truth["px_per_mm"]
    printed = own_truth_labels(truth)
    used = set()
    right, wrong = 0, []
    for lab in labels:
        cy = 0.5 * (lab.box[1] + lab.box[3])
        hit = [i for i, t in enumerate(printed) if i not in used and t["name"] == lab.name
               and abs(lab.box[0] - t["x"]) <= 1.5 * ppm and t["y0"] <= cy <= t["y1"]]
        if hit:
            used.add(hit[0])
            right += 1
        else:
            wrong.append((lab.name, lab.text, lab.box))
    return right, len(printed), wrong


def outside_score(labels: list[LeadLabel], render: dict, positions: bool) -> tuple[int, int, list]:
    """(right, printed, wrong readings) on an ECG-Image-Kit page (see the module docstring)."""
    segs = render["plotted_segments"]
    pad = render["generator_config"]["pad_inches"] * render["generator_config"]["resolution"]
    starts = np.array([s["first_px_row_col"][::-1] for s in segs], float) + pad  # (x, y) on the page
    if "rephotograph" in render:
        H = np.array(render["rephotograph"]["homography_page_to_output"], float)
        starts = cv2.perspectiveTransform(starts[None], H)[0]
    names = [s["lead"] for s in segs]
    left = Counter(names)
    right, wrong = 0, []
    for lab in labels:
        ok = left[lab.name] > 0
        if ok and positions:
            d = np.hypot(starts[:, 0] - lab.box[0], starts[:, 1] - lab.box[1])
            ok = names[int(np.argmin(d))] == lab.name
        if ok:
            left[lab.name] -= 1
            right += 1
        else:
            wrong.append((lab.name, lab.text, lab.box))
    return right, len(segs), wrong


def timed_read(image: np.ndarray, ppm: float | None) -> tuple[list[LeadLabel], float]:
    t = time.perf_counter()
    labels = labels_read(image, ppm)
    return labels, time.perf_counter() - t


def summary(rows: list[dict]) -> dict:
    read = sum(r["read"] for r in rows)
    right = sum(r["right"] for r in rows)
    printed = sum(r["printed"] for r in rows)
    secs = [r["seconds"] for r in rows]
    return {"pages": len(rows), "labels_printed": printed, "labels_read": read, "right": right,
            "wrong": read - right, "precision": round(right / read, 4) if read else None,
            "recall": round(right / printed, 4) if printed else None,
            "seconds_per_page_mean": round(float(np.mean(secs)), 3) if secs else None,
            "seconds_per_page_max": round(float(np.max(secs)), 3) if secs else None}


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "docs/results/bench_labels.json")
    parser.add_argument("--own", type=int, default=4, help="own-renderer pages per style family")
    parser.add_argument("--outside", type=Path, default=Path("../shared/data/outside_pages"))
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    labels_read(np.full((60, 60, 3), 255, np.uint8))   # load the OCR model outside the timing
    result: dict = {"threads": 1, "load_average_before": os.getloadavg(), "own": {}, "outside": {}}
    wrong_all: list = []

    records = [r for r, _ in simulate_records(args.own * len(STYLE_FAMILIES), seed=7)]
    rng = np.random.default_rng(7)
    own_rows: list[dict] = []
    for f, fam in enumerate(STYLE_FAMILIES):
        rows = []
        for k in range(args.own):
            page, truth = ecg_render(records[f * args.own + k], random_style(rng, fam))
            labels, secs = timed_read(page, truth["px_per_mm"])
            right, printed, wrong = own_score(labels, truth)
            rows.append({"read": len(labels), "right": right, "printed": printed, "seconds": secs,
                         "font": truth["style"]["font"], "dpi": truth["dpi"]})
            wrong_all += [(f"own/{fam}/{k}", *w) for w in wrong]
        result["own"][fam] = {**summary(rows), "fonts": sorted({r["font"] for r in rows})}
        own_rows += rows
    result["own"]["all"] = summary(own_rows)

    per_cat: dict[str, list] = {}
    per_cat_rect: dict[str, list] = {}
    pages_out = []
    for d in sorted(p for p in args.outside.iterdir() if (p / "render.json").exists()):
        render = json.loads((d / "render.json").read_text())
        cat = render["category"]
        image = image_read(next(d.glob("page.*")))
        ppm = render["generator_config"]["resolution"] / 25.4
        if "rephotograph" in render:
            ppm *= render["rephotograph"]["downscale"]
        labels, secs = timed_read(image, None)
        right, printed, wrong = outside_score(labels, render, cat in POSITION_CATEGORIES)
        row = {"page": d.name, "read": len(labels), "right": right, "printed": printed, "seconds": round(secs, 3),
               "names": [lab.name for lab in labels]}
        per_cat.setdefault(cat, []).append(row)
        wrong_all += [(f"outside/{d.name}", *w) for w in wrong]
        lattice = grid_detect(image)
        if lattice is not None:
            rect = page_rectify(image, lattice)
            labels, secs = timed_read(rect, lattice.px_per_mm)
            right_r, _, wrong = outside_score(labels, render, False)
            per_cat_rect.setdefault(cat, []).append({"read": len(labels), "right": right_r, "printed": printed,
                                                     "seconds": secs})
            row["rectified"] = {"read": len(labels), "right": right_r}
            wrong_all += [(f"outside-rectified/{d.name}", *w) for w in wrong]
        pages_out.append(row)
        print(d.name, row, flush=True)
    result["outside"] = {c: summary(rows) for c, rows in per_cat.items()}
    result["outside"]["all"] = summary([r for rows in per_cat.values() for r in rows])
    result["outside_rectified"] = {c: summary(rows) for c, rows in per_cat_rect.items()}
    result["outside_rectified"]["all"] = summary([r for rows in per_cat_rect.values() for r in rows])
    result["outside_pages"] = pages_out
    result["wrong_readings"] = [list(map(str, w)) for w in wrong_all]
    result["load_average_after"] = os.getloadavg()
    write_json(args.output, result)
    print(json.dumps({k: result[k] for k in ("own", "outside", "outside_rectified")}, indent=1))
    print("wrong:", result["wrong_readings"])
    return 0


if __name__ == "__main__":
    sys.exit(main())

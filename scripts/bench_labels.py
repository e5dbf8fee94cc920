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
- real photos (``../shared/data/real_photos``): no truth file; the labels printed on each were read by eye
  (``REAL_PHOTO_LABELS``; half-cut or illegible ones left out). A name read is right while the photo prints it
  more often than it was read already (names only); read as it is and after grid rectification.
- the alternative, RapidOCR's whole pipeline (its text detector on the whole page, then the same
  recogniser, names parsed by ``lead_name_parse``, score >= 0.8) on the outside pages of ``--whole-page``
  categories (default: clean), scored the same way.
Precision: right labels / labels read. Recall: right labels / labels printed. Time: wall-clock and CPU seconds of
``labels_read`` per page (one thread; the machine may be shared, the load average is recorded).
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
from vaescan.digitize.labels import LeadLabel, labels_read, lead_name_parse  # noqa: E402
from vaescan.digitize.rectify import page_rectify  # noqa: E402
from vaescan.io import write_json  # noqa: E402
from vaescan.pages.image import image_read  # noqa: E402
from vaescan.pages.render import STYLE_FAMILIES, ecg_render, random_style  # noqa: E402

POSITION_CATEGORIES = ("clean", "lowres", "layout", "photographed")

_3X4 = ["I", "aVR", "V1", "V4", "II", "aVL", "V2", "V5", "III", "aVF", "V3", "V6"]
REAL_PHOTO_LABELS: dict[str, list[str]] = {
    "ecg00001.png": _3X4 + ["II"],
    "ecg00003.png": _3X4 + ["II"],
    "ecg00006.png": _3X4 + ["V1", "II", "V5"],
    "ecg00008.jpg": ["V4", "V5"],
    "ecg00013.jpg": _3X4,                      # the fourth row's label is cut off at the bottom edge
    "ecg00016.jpg": _3X4,
    "ecg00020.jpg": _3X4 + ["V4R", "V8", "V9"],
    "ecg00026.jpg": _3X4 + ["II"],
    "ecg00030.jpg": _3X4 + ["II"],
    "ecg00040.jpg": _3X4 + ["II"],
    "ecg00045.jpg": _3X4 + ["II"],
    "ecg00053.png": _3X4 + ["V1", "II", "V5"],
}
"""Lead labels printed on each real photo, read by eye (2026-12-02)."""


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


def timed_read(image: np.ndarray, ppm: float | None) -> tuple[list[LeadLabel], float, float]:
    """Labels, wall-clock and CPU seconds."""
    t, c = time.perf_counter(), time.process_time()
    labels = labels_read(image, ppm)
    return labels, time.perf_counter() - t, time.process_time() - c


def whole_page_read(image: np.ndarray) -> tuple[list[LeadLabel], float, float]:
    """RapidOCR's own detector + recogniser on the whole page (one thread): labels, wall and CPU seconds."""
    from rapidocr import RapidOCR

    global _WHOLE
    if _WHOLE is None:
        _WHOLE = RapidOCR(params={"Global.log_level": "error", "Global.use_cls": False,
                                  "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                                  "EngineConfig.onnxruntime.inter_op_num_threads": 1})
    t, c = time.perf_counter(), time.process_time()
    out = _WHOLE(image)
    labels = []
    for text, score, quad in zip(out.txts or (), out.scores or (), out.boxes if out.boxes is not None else ()):
        name = lead_name_parse(text)
        if name is not None and score >= 0.8:
            q = np.asarray(quad)
            box = (int(q[:, 0].min()), int(q[:, 1].min()), int(q[:, 0].max()), int(q[:, 1].max()))
            labels.append(LeadLabel(name, box, float(score), text))
    return labels, time.perf_counter() - t, time.process_time() - c


_WHOLE = None


def names_score(labels: list[LeadLabel], printed: list[str]) -> tuple[int, list]:
    """(right, wrong readings): a name is right while the page prints it more often than it was read."""
    left = Counter(printed)
    right, wrong = 0, []
    for lab in labels:
        if left[lab.name] > 0:
            left[lab.name] -= 1
            right += 1
        else:
            wrong.append((lab.name, lab.text, lab.box))
    return right, wrong


def summary(rows: list[dict]) -> dict:
    read = sum(r["read"] for r in rows)
    right = sum(r["right"] for r in rows)
    printed = sum(r["printed"] for r in rows)
    secs = [r["seconds"] for r in rows]
    cpu = [r["cpu_seconds"] for r in rows]
    return {"pages": len(rows), "labels_printed": printed, "labels_read": read, "right": right,
            "wrong": read - right, "precision": round(right / read, 4) if read else None,
            "recall": round(right / printed, 4) if printed else None,
            "seconds_per_page_mean": round(float(np.mean(secs)), 3) if secs else None,
            "seconds_per_page_max": round(float(np.max(secs)), 3) if secs else None,
            "cpu_seconds_per_page_mean": round(float(np.mean(cpu)), 3) if cpu else None,
            "cpu_seconds_per_page_max": round(float(np.max(cpu)), 3) if cpu else None}


def own_pages(per_family: int, seed: int = 7):
    """Per style family, its ``per_family`` (page, truth) of ``ecg_render``: records and styles drawn from ``seed``."""
    records = [r for r, _ in simulate_records(per_family * len(STYLE_FAMILIES), seed=seed)]
    rng = np.random.default_rng(seed)
    for f, fam in enumerate(STYLE_FAMILIES):
        yield fam, [ecg_render(records[f * per_family + k], random_style(rng, fam)) for k in range(per_family)]


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "docs/results/bench_labels.json")
    parser.add_argument("--own", type=int, default=4, help="own-renderer pages per style family")
    parser.add_argument("--outside", type=Path, default=Path("../shared/data/outside_pages"))
    parser.add_argument("--photos", type=Path, default=Path("../shared/data/real_photos"))
    parser.add_argument("--whole-page", default="clean", help="categories for the whole-page OCR comparison")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    labels_read(np.full((60, 60, 3), 255, np.uint8))   # load the OCR model outside the timing
    result: dict = {"threads": 1, "load_average_before": os.getloadavg(), "own": {}, "outside": {}}
    wrong_all: list = []

    own_rows: list[dict] = []
    for fam, pages in own_pages(args.own):
        rows = []
        for k, (page, truth) in enumerate(pages):
            labels, secs, cpu = timed_read(page, truth["px_per_mm"])
            right, printed, wrong = own_score(labels, truth)
            rows.append({"read": len(labels), "right": right, "printed": printed, "seconds": secs, "cpu_seconds": cpu,
                         "font": truth["style"]["font"], "dpi": truth["dpi"]})
            wrong_all += [(f"own/{fam}/{k}", *w) for w in wrong]
        result["own"][fam] = {**summary(rows), "fonts": sorted({r["font"] for r in rows})}
        own_rows += rows
    result["own"]["all"] = summary(own_rows)

    per_cat: dict[str, list] = {}
    per_cat_rect: dict[str, list] = {}
    pages_out = []
    whole: list[dict] = []
    for d in sorted(p for p in args.outside.iterdir() if (p / "render.json").exists()):
        render = json.loads((d / "render.json").read_text())
        cat = render["category"]
        image = image_read(next(d.glob("page.*")))
        ppm = render["generator_config"]["resolution"] / 25.4
        if "rephotograph" in render:
            ppm *= render["rephotograph"]["downscale"]
        labels, secs, cpu = timed_read(image, None)
        right, printed, wrong = outside_score(labels, render, cat in POSITION_CATEGORIES)
        row = {"page": d.name, "read": len(labels), "right": right, "printed": printed, "seconds": round(secs, 3),
               "cpu_seconds": round(cpu, 3), "names": [lab.name for lab in labels]}
        per_cat.setdefault(cat, []).append(row)
        wrong_all += [(f"outside/{d.name}", *w) for w in wrong]
        lattice = grid_detect(image)
        if lattice is not None:
            rect = page_rectify(image, lattice)
            labels, secs, cpu = timed_read(rect, lattice.px_per_mm)
            right_r, _, wrong = outside_score(labels, render, False)
            per_cat_rect.setdefault(cat, []).append({"read": len(labels), "right": right_r, "printed": printed,
                                                     "seconds": secs, "cpu_seconds": cpu})
            row["rectified"] = {"read": len(labels), "right": right_r}
            wrong_all += [(f"outside-rectified/{d.name}", *w) for w in wrong]
        if cat in args.whole_page.split(","):
            labels, secs, cpu = whole_page_read(image)
            right_w, _, wrong = outside_score(labels, render, cat in POSITION_CATEGORIES)
            whole.append({"read": len(labels), "right": right_w, "printed": printed, "seconds": secs,
                          "cpu_seconds": cpu})
            wrong_all += [(f"outside-whole-page/{d.name}", *w) for w in wrong]
        pages_out.append(row)
        print(d.name, row, flush=True)
    result["outside"] = {c: summary(rows) for c, rows in per_cat.items()}
    result["outside"]["all"] = summary([r for rows in per_cat.values() for r in rows])
    result["outside_rectified"] = {c: summary(rows) for c, rows in per_cat_rect.items()}
    result["outside_rectified"]["all"] = summary([r for rows in per_cat_rect.values() for r in rows])
    result["outside_pages"] = pages_out
    result["whole_page_ocr"] = {"categories": args.whole_page, **summary(whole)}

    photos, photos_rect, photo_rows = [], [], []
    for name, printed_names in REAL_PHOTO_LABELS.items():
        image = image_read(args.photos / name)
        labels, secs, cpu = timed_read(image, None)
        right, wrong = names_score(labels, printed_names)
        photos.append({"read": len(labels), "right": right, "printed": len(printed_names), "seconds": secs,
                       "cpu_seconds": cpu})
        wrong_all += [(f"photo/{name}", *w) for w in wrong]
        row = {"photo": name, "printed": len(printed_names), "names": [lab.name for lab in labels]}
        lattice = grid_detect(image)
        if lattice is not None:
            labels, secs, cpu = timed_read(page_rectify(image, lattice), lattice.px_per_mm)
            right, wrong = names_score(labels, printed_names)
            photos_rect.append({"read": len(labels), "right": right, "printed": len(printed_names),
                                "seconds": secs, "cpu_seconds": cpu})
            wrong_all += [(f"photo-rectified/{name}", *w) for w in wrong]
            row["names_rectified"] = [lab.name for lab in labels]
        photo_rows.append(row)
        print(row, flush=True)
    result["real_photos"] = summary(photos)
    result["real_photos_rectified"] = summary(photos_rect)
    result["real_photo_pages"] = photo_rows
    result["wrong_readings"] = [list(map(str, w)) for w in wrong_all]
    result["load_average_after"] = os.getloadavg()
    write_json(args.output, result)
    print(json.dumps({k: result[k] for k in ("own", "outside", "outside_rectified", "real_photos",
                                             "real_photos_rectified", "whole_page_ocr")}, indent=1))
    print("wrong:", result["wrong_readings"])
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Experiment: lead labels read by template matching against label strings rendered in many fonts, instead of OCR.

Usage: ``python scripts/bench_label_glyphs.py [--own 4] [-o docs/results/bench_label_glyphs.json]``.

The alternative that issue 16 names beside an OCR library: a small classifier of label glyphs. Here: the same
candidate words as ``vaescan.digitize.labels`` (its glyph finder, crossed-word rule and numeral line-up), each
word's ink resized to 32 x 96 px (left-aligned, height kept) and compared by correlation with the 18 lead names
drawn in the renderer's 14 fonts (matplotlib's TrueType fonts and OpenCV's Hershey stroke fonts); a word is
the best-matching name when its correlation is at least ``--min-corr`` and beats the best other name by
``--margin``. Scored like ``scripts/bench_labels.py`` (own renderer: names and places; outside pages:
names and, on unmoved pages, places).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from bench_labels import POSITION_CATEGORIES, outside_score, own_pages, own_score, summary  # noqa: E402

from vaescan.bench import bench_parser  # noqa: E402
from vaescan.digitize import labels as L  # noqa: E402
from vaescan.io import write_json  # noqa: E402
from vaescan.pages.image import image_read  # noqa: E402
from vaescan.pages.render import FONTS, _draw_text  # noqa: E402

H, W = 32, 96


def _feature(ink: np.ndarray) -> np.ndarray | None:
    """Ink (float 0-1) of one word -> zero-mean unit vector of its 32 x 96 px picture (left-aligned)."""
    ys, xs = np.nonzero(ink > 0.3)
    if ys.size < 4:
        return None
    ink = ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    h, w = ink.shape
    w2 = min(W, max(1, int(round(w * H / h))))
    pic = np.zeros((H, W), np.float32)
    pic[:, :w2] = cv2.resize(ink.astype(np.float32), (w2, H), interpolation=cv2.INTER_AREA)
    pic -= pic.mean()
    n = np.linalg.norm(pic)
    return (pic / n).ravel() if n > 0 else None


def templates() -> tuple[np.ndarray, list[str]]:
    feats, names = [], []
    for name in L.LABEL_NAMES:
        for font in FONTS:
            alpha = np.zeros((120, 400), np.float32)
            _draw_text(alpha, name, 10, 20, 40, font)
            f = _feature(alpha)
            if f is not None:
                feats.append(f)
                names.append(name)
    return np.array(feats), names


def glyph_read(image: np.ndarray, ppm: float | None, bank, min_corr: float, margin: float) -> list[L.LeadLabel]:
    feats, names = bank
    h, w = image.shape[:2]
    ppm = float(ppm) if ppm else max(h, w) / 280.0
    f = min(1.0, L.WORK_PX_PER_MM / ppm) if ppm >= L.MIN_PX_PER_MM else 6.0 / ppm   # as labels.page_text_read
    if f != 1.0:
        image = cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))),
                           interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)
        ppm *= f
    clean = L._paper_normalised(image, ppm)
    out = []
    for word in L._word_boxes(clean, ppm):
        if word.crossed:
            continue
        crop = cv2.cvtColor(L._crop(clean, word), cv2.COLOR_BGR2GRAY)
        feat = _feature((255.0 - crop) / 255.0)
        if feat is None:
            continue
        corr = feats @ feat
        order = np.argsort(corr)[::-1]
        best = names[order[0]]
        other = next((corr[i] for i in order if names[i] != best), -1.0)
        if corr[order[0]] >= min_corr and corr[order[0]] - other >= margin:
            box = tuple(int(round(v / f)) for v in word.box)
            out.append(L.LeadLabel(best, box, float(corr[order[0]]), best))
    return L._numerals_in_line(out)


def main(argv: list[str] | None = None) -> int:
    parser = bench_parser(__doc__, "docs/results/bench_label_glyphs.json")
    parser.add_argument("--own", type=int, default=4)
    parser.add_argument("--outside", type=Path, default=Path("../shared/data/outside_pages"))
    parser.add_argument("--min-corr", type=float, default=0.75)
    parser.add_argument("--margin", type=float, default=0.05)
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    bank = templates()
    result: dict = {"templates": len(bank[1]), "min_corr": args.min_corr, "margin": args.margin,
                    "load_average_before": os.getloadavg(), "own": {}, "outside": {}}
    wrong_all = []

    def timed(image, ppm):
        t, c = time.perf_counter(), time.process_time()
        labels = glyph_read(image, ppm, bank, args.min_corr, args.margin)
        return labels, time.perf_counter() - t, time.process_time() - c

    own_rows = []
    for fam, pages in own_pages(args.own):
        rows = []
        for k, (page, truth) in enumerate(pages):
            labels, secs, cpu = timed(page, truth["px_per_mm"])
            right, printed, wrong = own_score(labels, truth)
            rows.append({"read": len(labels), "right": right, "printed": printed, "seconds": secs, "cpu_seconds": cpu})
            wrong_all += [(f"own/{fam}/{k}", *w) for w in wrong]
        result["own"][fam] = summary(rows)
        own_rows += rows
    result["own"]["all"] = summary(own_rows)
    per_cat: dict[str, list] = {}
    for d in sorted(p for p in args.outside.iterdir() if (p / "render.json").exists()):
        render = json.loads((d / "render.json").read_text())
        labels, secs, cpu = timed(image_read(next(d.glob("page.*"))), None)
        right, printed, wrong = outside_score(labels, render, render["category"] in POSITION_CATEGORIES)
        per_cat.setdefault(render["category"], []).append({"read": len(labels), "right": right, "printed": printed,
                                                           "seconds": secs, "cpu_seconds": cpu})
        wrong_all += [(f"outside/{d.name}", *w) for w in wrong]
    result["outside"] = {c: summary(rows) for c, rows in per_cat.items()}
    result["outside"]["all"] = summary([r for rows in per_cat.values() for r in rows])
    result["wrong_readings"] = [list(map(str, w)) for w in wrong_all]
    result["load_average_after"] = os.getloadavg()
    write_json(args.output, result)
    print(json.dumps({k: result[k] for k in ("own", "outside")}, indent=1))
    print("wrong:", len(wrong_all), result["wrong_readings"][:20])
    return 0


if __name__ == "__main__":
    sys.exit(main())

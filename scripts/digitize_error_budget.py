"""Error budget of the digitiser: how much SNR each error source costs, on a fixed set of rendered pages.

Renders N clean and N distorted pages at 150 dpi (synthetic records without mains hum and muscle noise
unless ``--cohort-noise``; all style families, or only the held-out one with ``--heldout``), digitises
them and, per page, scores the mean Challenge 2024 SNR over leads after correcting one error source at
a time with the truth, cumulatively:

``raw`` -> ``fill`` (samples the digitiser left out taken from the truth: missing or dropped leads)
-> ``shift`` (best time shift within 0.2 s per lead: time origin) -> ``offset`` (median residual
removed: 0 mV line) -> ``scale`` (least-squares amplitude: gain). What remains after ``scale`` is
shape error (a wrong row followed, trace noise). Rejected pages are listed with their error.

    python scripts/digitize_error_budget.py --n 12 -o runs/bench/digitize_error_budget.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from vaescan.digitize.evaluate import DISTORTION_CATEGORIES, eval_records, signal_shift, snr_db, truth_signals
from vaescan.digitize.pipeline import DigitizeConfig, image_digitize
from vaescan.errors import VaescanError
from vaescan.io import atomic_path, write_json
from vaescan.pages.distort import Distortion, image_distort
from vaescan.pages.render import STYLE_FAMILIES, ecg_render, random_style

STAGES = ("raw", "fill", "shift", "offset", "scale")
MAX_SHIFT = 100  # samples at 500 Hz: 0.2 s


def lead_budget(x: np.ndarray, y: np.ndarray, shown: np.ndarray) -> tuple[dict[str, float], int]:
    """SNR (dB) of one lead after each cumulative correction, and the best shift (samples)."""
    xs, ys = x[shown], y[shown]
    out = {"raw": snr_db(xs, ys), "fill": snr_db(xs, np.where(np.isfinite(ys), ys, xs))}
    filled = np.where(np.isfinite(y), y, x)
    best, best_shift, best_y = -np.inf, 0, xs
    for s in range(-MAX_SHIFT, MAX_SHIFT + 1):
        ym = signal_shift(filled, s)[shown]
        ym = np.where(np.isfinite(ym), ym, xs)
        value = snr_db(xs, ym)
        if value > best:
            best, best_shift, best_y = value, s, ym
    out["shift"] = best
    out["offset"] = snr_db(xs, best_y - np.median(best_y - xs))
    a, b = np.linalg.lstsq(np.column_stack([xs, np.ones_like(xs)]), best_y, rcond=None)[0]
    out["scale"] = snr_db(xs, (best_y - b) / a if abs(a) > 0.05 else best_y)
    return out, best_shift


def page_budget(i: int, record, category: str, family: str, rng: np.random.Generator) -> dict:
    """Render, distort and digitise one page; its mean SNR after each correction and what was read."""
    style = random_style(rng, family, dpi=150)
    seed = int(rng.integers(2**31))  # drawn before the strengths: the page set stays fixed
    strengths = {k: float(rng.uniform(lo, hi)) for k, (lo, hi) in DISTORTION_CATEGORIES[category].items()}
    distortion = Distortion(seed=seed, **strengths)
    image, truth = ecg_render(record, style)
    if distortion.active():
        image = image_distort(image, distortion, truth)
    x, shown = truth_signals(record, truth)
    try:
        digitised, report = image_digitize(image, DigitizeConfig(speed_mm_s=style.speed_mm_s))
        y, error = digitised.signal, ""
    except VaescanError as exc:
        y, report, error = np.full_like(x, np.nan), {}, str(exc)
    stages = {k: [] for k in STAGES}
    shifts = []
    for lead in range(x.shape[1]):
        if shown[:, lead].any():
            snr, shift = lead_budget(x[:, lead], y[:, lead], shown[:, lead])
            for k in STAGES:
                stages[k].append(snr[k])
            shifts.append(shift)
    row = {"page": i, "category": category, "family": family, "layout": style.layout,
           "layout_read": report.get("layout"), "gain_mm_mv": style.gain_mm_mv,
           "gain_read": report.get("gain_mm_mv"), "calibration": style.calibration, "error": error,
           "median_shift_samples": float(np.median(shifts)) if shifts else np.nan}
    row.update({k: float(np.mean(np.clip(v, -20, 60))) for k, v in stages.items()})  # clip: inf/-inf leads
    return row


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=12, help="clean pages, and as many distorted ones (default 12)")
    p.add_argument("--cohort-noise", action="store_true", help="keep the cohort's mains hum and muscle noise")
    p.add_argument("--heldout", action="store_true", help="only the held-out style family")
    p.add_argument("-o", "--output", type=Path, default=Path("runs/bench/digitize_error_budget.csv"),
                   help="per-page CSV; the summary goes beside it as .json")
    args = p.parse_args(argv)

    families = ("heldout",) if args.heldout else STYLE_FAMILIES
    records = eval_records(2 * args.n, seed=0, noiseless=not args.cohort_noise)
    rng = np.random.default_rng(1)
    distorted = [c for c in DISTORTION_CATEGORIES if c != "clean"]
    rows = []
    for i, record in enumerate(records):
        category = "clean" if i < args.n else distorted[i % len(distorted)]
        rows.append(page_budget(i, record, category, families[i % len(families)], rng))
        print(pd.DataFrame([rows[-1]]).round(2).to_string(header=(i == 0), index=False), flush=True)
    table = pd.DataFrame(rows)
    read = table[table.error == ""]
    summary = {kind: read[read.category.eq("clean") == (kind == "clean")][list(STAGES)].mean().round(2).to_dict()
               for kind in ("clean", "distorted")}
    summary["rejected"] = table.loc[table.error != "", ["page", "category", "error"]].to_dict("records")
    with atomic_path(args.output) as tmp:
        table.to_csv(tmp, index=False)
    write_json(args.output.with_suffix(".json"), summary)
    print("mean SNR (dB) over pages read, after each cumulative correction:")
    print(pd.DataFrame({k: summary[k] for k in ("clean", "distorted")}).T.to_string())
    print(f"wrote {args.output} and {args.output.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Error budget of the digitiser on a fixed small set of rendered pages (150 dpi).

    python scripts/digitize_error_budget.py [N] [--cohort] [--heldout] [-o budget.csv]

Renders N clean and N distorted pages (synthetic records without hum and muscle noise unless
``--cohort``; all style families, or only the held-out one), digitises them and, per page, the mean
Challenge SNR over leads after correcting one error source at a time, cumulatively:
``raw`` -> ``fill`` (samples the digitiser left out taken from the truth: missing / dropped leads)
-> ``shift`` (best time shift within 0.2 s per lead: time origin) -> ``offset`` (median residual
removed: 0 mV line) -> ``scale`` (least-squares amplitude: gain). What remains after ``scale`` is
shape error (wrong row followed, trace noise). Rejected pages are listed with their error.
"""
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout too

from vaescan.digitize.evaluate import DISTORTION_CATEGORIES, eval_records, snr_db, truth_signals  # noqa: E402
from vaescan.digitize.render import random_style, ecg_render, STYLE_FAMILIES  # noqa: E402
from vaescan.digitize.distort import Distortion, image_distort  # noqa: E402
from vaescan.digitize.pipeline import image_digitize, DigitizeConfig  # noqa: E402
from vaescan.errors import VaescanError  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 12
noiseless = "--cohort" not in sys.argv
fams = ("heldout",) if "--heldout" in sys.argv else STYLE_FAMILIES
recs = eval_records(2 * N, seed=0, noiseless=noiseless)
rng = np.random.default_rng(1)
cats = [c for c in DISTORTION_CATEGORIES if c != "clean"]
rows = []
def shifted(y, s):
    out = np.full_like(y, np.nan)
    if s >= 0: out[:len(y)-s] = y[s:]
    else: out[-s:] = y[:len(y)+s]
    return out
for i in range(2 * N):
    cat = "clean" if i < N else cats[i % len(cats)]
    fam = fams[i % len(fams)]
    style = random_style(rng, fam, dpi=150)
    d = Distortion(seed=int(rng.integers(2**31)), **{k: float(rng.uniform(lo, hi)) for k, (lo, hi) in DISTORTION_CATEGORIES[cat].items()})
    img, truth = ecg_render(recs[i], style)
    if d.active(): img = image_distort(img, d, truth)
    x, shown = truth_signals(recs[i], truth)
    try:
        rec, rep = image_digitize(img, DigitizeConfig(speed_mm_s=style.speed_mm_s))
        y = rec.signal; err = ""
    except VaescanError as e:
        y = np.full_like(x, np.nan); rep = {}; err = str(e)[:60]
    st = {k: [] for k in ("raw", "fill", "shift", "offset", "scale")}
    bad = 0; shifts = []
    for k in range(12):
        m = shown[:, k]
        if not m.any(): continue
        xs, ys = x[m, k], y[m, k]
        st["raw"].append(snr_db(xs, ys))
        # fill missing with truth
        miss = ~np.isfinite(ys)
        yf = np.where(miss, xs, ys)
        st["fill"].append(snr_db(xs, yf))
        # shift
        best = (-1e9, 0)
        for s in range(-100, 101):
            yy = shifted(np.where(np.isfinite(y[:, k]), y[:, k], x[:, k]), s)[m]
            yy = np.where(np.isfinite(yy), yy, xs)
            v = snr_db(xs, yy)
            if v > best[0]: best = (v, s, yy)
        st["shift"].append(best[0]); shifts.append(best[1])
        yy = best[2]
        yo = yy - np.median(yy - xs)
        st["offset"].append(snr_db(xs, yo))
        A = np.vstack([xs, np.ones_like(xs)]).T
        a, b = np.linalg.lstsq(A, yy, rcond=None)[0]
        ya = (yy - b) / a if abs(a) > 0.05 else yy
        st["scale"].append(snr_db(xs, ya))
        if np.corrcoef(xs, yy)[0, 1] < 0.5: bad += 1
    r = dict(i=i, cat=cat, fam=fam, layout=style.layout, lay_f=rep.get("layout"), gain=style.gain_mm_mv,
             gain_f=rep.get("gain_mm_mv"), calib=style.calibration, speed=style.speed_mm_s, err=err, badleads=bad,
             medshift=float(np.median(shifts)) if shifts else np.nan, x0=rep.get("time_origin_from", "")[:20])
    r.update({k: float(np.mean(np.clip(v, -20, 60))) for k, v in st.items()})
    rows.append(r)
    print(pd.DataFrame([r]).round(2).to_string(header=(i == 0), index=False), flush=True)
df = pd.DataFrame(rows)
ok = df[df.err == ""]
print("mean over pages read (rejected pages left out), by clean (True) / distorted (False):")
print(ok.groupby(ok.cat == "clean")[["raw", "fill", "shift", "offset", "scale"]].mean().round(2))
df.to_csv(sys.argv[sys.argv.index("-o") + 1] if "-o" in sys.argv else "digitize_error_budget.csv", index=False)

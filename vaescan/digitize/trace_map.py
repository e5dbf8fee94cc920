"""The trace map of a user's page image, from what the digitiser read on it.

A rendered page's trace map comes from its truth (:func:`vaescan.pages.model_input.page_input`);
a scan or photo has none, so :func:`digitized_trace_map` places the digitised record's
samples where the digitiser read them: on the rectified page at ``time_origin_px + t *
px_per_s`` and ``baseline_px - v * px_per_mv`` (of the panel's row; report keys of
:func:`~vaescan.digitize.pipeline.image_digitize`), then through the grid's homography to
the image and the model input's letterbox.
"""

from __future__ import annotations

import os

import numpy as np

from vaescan.data.leads import LEADS
from vaescan.data.records import Record
from vaescan.digitize.grid_ruler import GridDrift, row_x_at
from vaescan.digitize.pipeline import DigitizeConfig, image_digitize
from vaescan.pages.image import image_read
from vaescan.pages.model_input import PageInputConfig, letterbox, trace_map_draw


def digitized_trace_map(image: str | os.PathLike[str] | np.ndarray, config: PageInputConfig | None = None,
                        digitize_config: DigitizeConfig | None = None) -> tuple[np.ndarray, Record]:
    """Digitise a page (file or RGB uint8 array); return its (H, W) trace map at model-input size and the record.

    Indices are ``lead * n_samples + sample`` of the digitised record (12 leads at
    ``digitize_config.fs``), -1 off the trace, as for a rendered page.

    Example
    -------
    >>> from vaescan.pages.model_input import page_style
    >>> from vaescan.pages.render import ecg_render
    >>> t = np.arange(5000) / 500.0
    >>> beats = np.exp(-((t % 0.8) - 0.4) ** 2 / 2e-4)
    >>> rec = Record(np.outer(beats, np.linspace(0.5, 1.5, 12)), 500.0, list(LEADS), name="demo")
    >>> page, _ = ecg_render(rec, page_style(PageInputConfig(dpi=100)))
    >>> tm, out = digitized_trace_map(page)
    >>> tm.shape, out.n_samples, bool((tm >= 0).mean() > 0.03)
    ((256, 384), 5000, True)
    """
    config = config or PageInputConfig()
    rgb = image if isinstance(image, np.ndarray) else image_read(image)
    record, report = image_digitize(rgb, digitize_config, name=None if isinstance(image, np.ndarray)
                                    else os.path.basename(os.fspath(image)))
    grey = rgb.mean(axis=2).astype(np.uint8)  # only the letterbox geometry is used, not the pixels
    _, affine = letterbox(grey, config.size)
    transform = affine @ np.asarray(report["grid"]["homography"], float)
    px_per_s = report["px_per_s"]
    n = record.n_samples
    lines = []
    for p in report["panels"]:
        if not p.get("written", True) or p["lead"] not in LEADS:   # the map holds the twelve leads
            continue
        i0, i1 = int(round(p["t0_s"] * record.fs)), min(int(round(p["t1_s"] * record.fs)), n)
        j = int(round(p.get("shift_s", 0.0) * record.fs))  # the panel shows the record's time t + shift
        i = np.arange(max(i0, -j), min(i1, n - j))
        k = LEADS.index(p["lead"])
        row = report["rows"][p["row"]]
        xs = row_x_at(row["time_origin_px"], i / record.fs, px_per_s, GridDrift.from_json(row.get("grid_drift")))
        lift = GridDrift.from_json(row.get("grid_lift"))
        ys = row["baseline_px"] + (0.0 if lift is None else lift(xs)) - record.signal[i + j, k] * report["px_per_mv"]
        lines.append((xs, ys, k * n + i + j))
    return trace_map_draw(lines, transform, config.size, config.trace_radius_px), record

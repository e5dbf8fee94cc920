"""Figure for docs/digitize.md: the lead names a page is read with, from the signals alone and with its printed labels.

Usage: ``python scripts/plot_digitize_labels.py PAGE [-o docs/images/digitize_labels.jpg]``.
Each panel's name is drawn at its start (where the digitiser put t = 0 of that panel): orange where the
layout named it, blue where a printed label confirmed it, red where a label contradicted the layout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from vaescan.digitize.pipeline import DigitizeConfig, image_digitize  # noqa: E402
from vaescan.errors import VaescanInputError  # noqa: E402
from vaescan.pages.image import image_read  # noqa: E402

COLOURS = {"layout": "#e66100", "label": "#1f78b4"}


def _names_drawn(ax, image: np.ndarray, report: dict, title: str) -> None:
    ax.imshow(image)
    to_image = np.asarray(report["grid"]["homography"], float)
    for p in report["panels"]:
        row = report["rows"][p["row"]]
        x = row["time_origin_px"] + p["t0_s"] * report["px_per_s"]
        u, v, w = to_image @ np.array([x, row["baseline_px"], 1.0])
        colour = COLOURS.get(p["name_from"], "#d7191c")
        ax.text(u / w, v / w, p["lead"], color="white", fontsize=7, fontweight="bold", va="bottom",
                bbox={"facecolor": colour, "edgecolor": "none", "pad": 1.0, "alpha": 0.9})
    ax.set_title(title, fontsize=9)
    ax.set_axis_off()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page")
    parser.add_argument("-o", "--output", default="docs/images/digitize_labels.jpg")
    args = parser.parse_args(argv)
    try:
        image = image_read(args.page)
        _, before = image_digitize(args.page, DigitizeConfig(read_labels=False))
        _, after = image_digitize(args.page)
    except VaescanInputError as err:
        print(f"plot_digitize_labels: error: {err}", file=sys.stderr)
        return 2
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), dpi=110)
    _names_drawn(axes[0], image, before, f"signals only: read as {before['layout']}")
    _names_drawn(axes[1], image, after, f"with the printed labels: read as {after['layout']}")
    fig.tight_layout()
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.output, pil_kwargs={"quality": 80})
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Saving figures (vaescan.report.ecg_plots.save_figure): large PNGs get a palette, small ones keep every colour."""

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from vaescan.report.ecg_plots import LARGE_PNG_BYTES, save_figure


def _noisy_figure() -> Figure:
    fig = Figure(figsize=(10, 6))
    fig.add_subplot().imshow(np.random.default_rng(0).random((300, 500)), cmap="magma")
    return fig


def test_a_large_png_is_stored_with_a_palette_and_looks_the_same(tmp_path):
    fig = _noisy_figure()
    full = tmp_path / "full.png"
    fig.savefig(full, dpi=120, bbox_inches="tight")
    path = save_figure(fig, tmp_path / "palette.png")
    assert full.stat().st_size > LARGE_PNG_BYTES
    assert Image.open(path).mode == "P"
    assert path.stat().st_size < 0.7 * full.stat().st_size       # measured 0.33 of the full-colour file
    a = np.asarray(Image.open(full).convert("RGB"), float)
    b = np.asarray(Image.open(path).convert("RGB"), float)
    assert a.shape == b.shape and np.abs(a - b).mean() < 4.0      # measured 3.0 of 255


def test_a_small_png_keeps_every_colour(tmp_path):
    fig = Figure(figsize=(4, 3))
    fig.add_subplot().plot(np.sin(np.linspace(0, 6, 100)))
    path = save_figure(fig, tmp_path / "line.png")
    assert Image.open(path).mode == "RGBA"

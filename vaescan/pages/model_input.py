"""Page images as model inputs (placeholder: only the config; the functions come with the page-input work).

Agreed interface: ``cohort_page_inputs(cohort, config, *, cache_dir=None, jobs=1, progress=True)`` (an object
with ``images`` (n, 1, H, W) float32, ``record_ids`` and ``skipped``) and ``image_file_input(path, config)``
((1, H, W) float32).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInputConfig:
    """How a record becomes a page image the image model sees.

    dpi: rendering resolution, dots per inch.
    size: (height, width) of the model input, px.
    layout: page layout name.
    distortion: strength of the renderer's distortions (0 = none).
    seed: seeds the distortions.
    trace_radius_px: radius of the trace mask around the drawn trace, px.
    """

    dpi: float = 50.0
    size: tuple[int, int] = (256, 384)
    layout: str = "3x4+II"
    distortion: float = 0.3
    seed: int = 0
    trace_radius_px: int = 2

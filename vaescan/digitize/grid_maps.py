"""The maps in which the ECG grid is looked for: darkness, and colour saturation for a coloured grid."""

from __future__ import annotations

import cv2
import numpy as np


def darkness(image: np.ndarray) -> np.ndarray:
    """Darkness of each pixel in [0, 1] from its darkest channel: coloured grids, grey grids and ink all show.

    Example
    -------
    >>> [round(float(v), 2) for v in darkness(np.array([[[255, 255, 255], [240, 130, 160], [0, 0, 0]]], np.uint8))[0]]
    [0.0, 0.49, 1.0]
    """
    r, g, b = cv2.split(np.ascontiguousarray(image))
    return 1.0 - cv2.min(cv2.min(r, g), b).astype(np.float32) / 255.0


def grid_maps(image: np.ndarray) -> list[np.ndarray]:
    """Maps in which to look for the grid, best first, as float32 in [0, 1].

    Colour saturation (brightest minus darkest channel) shows a coloured grid while
    black ink drops out; it comes first when the page has noticeable colour. The
    darkness, clipped at 0.5 so that heavy ink weighs no more than grid lines,
    serves grey grids and faded colour.

    Example
    -------
    >>> maps = grid_maps(np.array([[[255, 255, 255], [240, 130, 160], [0, 0, 0]]] * 4, np.uint8))
    >>> [[round(float(v), 2) for v in m[0]] for m in maps]
    [[0.0, 0.43, 0.0], [0.0, 0.49, 0.5]]
    """
    r, g, b = cv2.split(image)
    lo = cv2.min(cv2.min(r, g), b)
    chroma = cv2.subtract(cv2.max(cv2.max(r, g), b), lo).astype(np.float32) / 255.0
    dark = np.minimum(1.0 - lo.astype(np.float32) / 255.0, 0.5)
    return [chroma, dark] if float(np.percentile(chroma, 99)) > 0.08 else [dark]

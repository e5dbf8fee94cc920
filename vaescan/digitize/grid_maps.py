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


def paper_light(image: np.ndarray, window_px: float) -> np.ndarray:
    """The paper's own colour at every pixel (float32, like ``image``): a max filter over ``window_px`` removes lines,
    text and trace, computed on the image reduced about 6 times and blurred back up, so it follows shadows and tints.

    Example
    -------
    >>> page = np.full((120, 160, 3), (230, 160, 90), np.uint8)           # orange paper
    >>> page[:, ::8] = (200, 120, 60)                                     # its grid lines
    >>> paper = paper_light(page, 24.0)
    >>> [int(round(float(v))) for v in paper[60, 80]]
    [230, 160, 90]
    """
    img = np.asarray(image, np.float32)
    h, w = img.shape[:2]
    f = max(1, int(window_px // 6))
    small = cv2.resize(img, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    k = max(3, int(round(window_px / f)) | 1)
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    paper = cv2.GaussianBlur(paper, (0, 0), sigmaX=k)
    return cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)


PAPER_WINDOW = 1 / 55
"""The window of :func:`page_white_balanced`, as a share of the page's longer side (40 px on a 2200 px page:
about 5 mm at 200 dpi, wider than any grid cell)."""


def page_white_balanced(image: np.ndarray) -> np.ndarray:
    """The page with its paper made white (RGB uint8): each pixel divided by :func:`paper_light`.

    On tinted paper (a yellowed scan, an orange-cast photo) the paper itself is coloured and the grid's lines
    barely differ from it; evened out, they stand out as on white paper. Used where no grid is found otherwise.

    Example
    -------
    >>> page = np.full((120, 160, 3), (230, 160, 90), np.uint8)
    >>> page[:, ::8] = (200, 120, 60)
    >>> out = page_white_balanced(page)
    >>> out[60, 81].tolist(), out[60, 80].tolist()
    ([254, 254, 255], [221, 191, 170])
    """
    window = max(image.shape[:2]) * PAPER_WINDOW
    balanced = 255.0 * np.asarray(image, np.float32) / np.maximum(paper_light(image, window), 1.0)
    return np.clip(balanced, 0, 255).astype(np.uint8)

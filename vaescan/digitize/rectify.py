"""The rectified page: the page warped so its grid is axis-aligned, and what on it is not paper."""

from __future__ import annotations

import cv2
import numpy as np

from vaescan.digitize.grid_lattice import Lattice

SURROUND_DARK = 0.45
"""Pixels whose brightest channel is under this share of the paper's are dark enough to be the surround."""
SURROUND_GREY = 0.55
"""Up to this share they are the surround too where the page is flat around them (:func:`page_flat`) and the flat
area meets bright paper at an edge (:data:`PAPER_EDGE`): a grey table, whose brightest channel stands at
0.45-0.46 of the paper's on some of vaescan's own photographed pages, left a dashed rim along the page's edge
that was read as a trace row. A shadow this grey over the grid keeps the grid's lines (not flat); over a
blank margin it fades into the paper (no edge)."""
FLAT_SPREAD = 0.03
"""A pixel is flat where the brightness around it (2 mm) varies by less than this share of its mean."""
PAPER_EDGE = 0.75
"""A grey flat area is a surround only where, 1 mm beyond it, a third of the pixels are paper this bright: a table
meets the page at a sharp edge, a shadow on a blank margin fades into the paper."""


def _against_paper(areas: np.ndarray, bright_paper: np.ndarray, px_per_mm: float) -> np.ndarray:
    """The connected parts of ``areas`` that meet ``bright_paper`` (a mask) at a sharp edge (:data:`PAPER_EDGE`)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(areas.astype(np.uint8), connectivity=8)
    keep = np.zeros(n, bool)
    reach = max(1, int(round(px_per_mm)))
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    h, w = areas.shape
    for k in range(1, n):
        x, y, bw, bh = stats[k, :4]
        y0, y1, x0, x1 = max(0, y - reach), min(h, y + bh + reach), max(0, x - reach), min(w, x + bw + reach)
        part = labels[y0:y1, x0:x1] == k
        ring = (cv2.dilate(part.astype(np.uint8), disk) > 0) & ~part
        keep[k] = ring.any() and bright_paper[y0:y1, x0:x1][ring].mean() >= 1 / 3
    return keep[labels] & areas


def page_flat(bright: np.ndarray, px_per_mm: float, valid: np.ndarray | None = None) -> np.ndarray:
    """Where the brightness is flat over 2 mm (no grid line, trace or text nearby): a table, a cloth, a blank.

    ``bright``: brightness (0-255); ``valid``: where it was photographed (the rest, beyond the photo,
    is left out of the statistics). Sensor noise is smoothed first (0.25 mm); then the standard
    deviation over a 2 mm square, under :data:`FLAT_SPREAD` of the mean there, is flat. A page's
    1 mm grid puts two lines into every such square, shaded or not.

    Example
    -------
    >>> rng = np.random.default_rng(0)
    >>> bright = rng.normal(110, 12, (80, 160))                     # a grey table with sensor noise ...
    >>> bright[:, 80:] = 220; bright[:, 80:][:, ::4] = 150          # ... beside paper with a 1 mm grid
    >>> flat = page_flat(bright, 4.0)
    >>> bool(flat[40, 20]), bool(flat[40, 120])
    (True, False)
    """
    v = np.ones(bright.shape, np.float32) if valid is None else valid.astype(np.float32)
    sigma = max(0.5, 0.25 * px_per_mm)
    weight = np.maximum(cv2.GaussianBlur(v, (0, 0), sigma), 1e-6)
    b = cv2.GaussianBlur(np.asarray(bright, np.float32) * v, (0, 0), sigma) / weight
    k = max(3, int(round(2.0 * px_per_mm)) | 1)
    n = np.maximum(cv2.boxFilter(v, -1, (k, k), normalize=False), 1.0)
    mean = cv2.boxFilter(b * v, -1, (k, k), normalize=False) / n
    var = np.maximum(cv2.boxFilter(b * b * v, -1, (k, k), normalize=False) / n - mean * mean, 0.0)
    return np.sqrt(var) < FLAT_SPREAD * np.maximum(mean, 1.0)


def page_rectify(image: np.ndarray, lattice: Lattice) -> np.ndarray:
    """Warp the page so its grid is axis-aligned at ``lattice.px_per_mm`` (white outside the photo).

    Example
    -------
    >>> from vaescan.digitize.grid_lattice import grid_detect
    >>> from vaescan.pages.render import blank_page
    >>> page = blank_page(100)
    >>> lat = grid_detect(page, px_per_mm_out=4.0)
    >>> page_rectify(page, lat).shape[2]
    3
    """
    w, h = lattice.size
    shrink = lattice.px_per_mm / max(lattice.image_px_per_mm, 1e-9)
    flags = cv2.INTER_AREA if shrink < 0.7 else cv2.INTER_LINEAR
    src = image
    H = lattice.homography
    if flags == cv2.INTER_AREA:
        # pre-shrink so the warp does not alias thin lines, then warp from the smaller image
        f = shrink * 1.25
        src = cv2.resize(image, (max(1, int(round(image.shape[1] * f))), max(1, int(round(image.shape[0] * f)))),
                         interpolation=cv2.INTER_AREA)
        fx, fy = src.shape[1] / image.shape[1], src.shape[0] / image.shape[0]
        H = np.array([[fx, 0, 0.5 * fx - 0.5], [0, fy, 0.5 * fy - 0.5], [0, 0, 1]], np.float64) @ H
        flags = cv2.INTER_LINEAR
    return cv2.warpPerspective(src, H, (w, h), flags=flags | cv2.WARP_INVERSE_MAP,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))


def page_outside(image: np.ndarray, rectified: np.ndarray, lattice: Lattice) -> np.ndarray:
    """Boolean mask, on the rectified page, of what is not paper: beyond the photo, or the table around the page.

    A tilted page in a photo sits on a darker surround, and its edges would read as
    trace ink. Dark pixels (brightest channel under 45 % of the paper's, or under 55 %
    where the page is flat around them and meets the paper at an edge: :data:`SURROUND_GREY`) that connect
    to the region beyond the photo or to the image border are the surround; they are
    grown by 1 mm to cover the paper's edge.

    Example
    -------
    >>> from vaescan.digitize.grid_lattice import grid_detect
    >>> from vaescan.pages.render import blank_page
    >>> page = blank_page(100)
    >>> photo = np.full((page.shape[0] + 100, page.shape[1] + 100, 3), 70, np.uint8)   # page on a table
    >>> photo[50:-50, 50:-50] = page
    >>> lat = grid_detect(photo)
    >>> out = page_outside(photo, page_rectify(photo, lat), lat)
    >>> bool(out[0, 0]), bool(out[out.shape[0] // 2, out.shape[1] // 2])
    (True, False)
    """
    h, w = rectified.shape[:2]
    valid = cv2.warpPerspective(np.full(image.shape[:2], 255, np.uint8), lattice.homography, (w, h),
                                flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT,
                                borderValue=0) > 0
    bright = rectified.max(axis=2)
    paper = float(np.percentile(bright[valid], 90)) if valid.any() else 255.0
    # the surround is an area: dark lines (a black-and-white or dark blue grid, the traces) are opened away
    # first, else the grid's net, connected to the border, would take the whole page with it
    # the photo's own edge, blended with the white beyond it by the warp, is not paper either
    valid = cv2.erode(valid.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    dark = bright < SURROUND_DARK * paper
    grey = ~dark & (bright < SURROUND_GREY * paper)
    grey_flat = grey
    if grey.any():
        grey_flat = _against_paper(grey & page_flat(bright, lattice.px_per_mm, valid), bright > PAPER_EDGE * paper,
                                   lattice.px_per_mm)
    dark = (dark | grey_flat).astype(np.uint8)
    k = max(3, int(round(1.0 * lattice.px_per_mm)) | 1)
    dark = cv2.morphologyEx(dark, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    candidate = (~valid | (dark > 0)).astype(np.uint8)
    candidate[0, :] = candidate[-1, :] = 1
    candidate[:, 0] = candidate[:, -1] = 1
    n, labels = cv2.connectedComponents(candidate, connectivity=8)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    edge = edge[edge > 0]
    outside = np.isin(labels, edge) & (candidate > 0)
    if not outside.any():
        return outside
    if (outside & grey_flat).any():  # a grey surround is not flat within 1 mm of the page (the 2 mm square
        # holds paper): its rim is taken with it
        outside |= _grown(outside & grey_flat, 3.0 * lattice.px_per_mm) & grey
    return _grown(outside, 2.0 * lattice.px_per_mm)


def _grown(mask: np.ndarray, diameter_px: float) -> np.ndarray:
    """``mask`` dilated by a disk of about ``diameter_px`` (odd, at least 3 px)."""
    d = max(3, int(round(diameter_px)) | 1)
    return cv2.dilate(mask.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d))) > 0


"""The rectified page: the page warped so its grid is axis-aligned, and what on it is not paper."""

from __future__ import annotations

import cv2
import numpy as np

from vaescan.digitize.grid_lattice import Lattice


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
    trace ink. Dark pixels (brightest channel under 45 % of the paper's) that connect
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
    dark = (bright < 0.45 * paper).astype(np.uint8)
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
    grow = max(3, int(round(2 * lattice.px_per_mm)) | 1)
    return cv2.dilate(outside.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow, grow))) > 0


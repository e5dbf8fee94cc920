import numpy as np

from vaescan.digitize.grid_lattice import grid_detect
from vaescan.digitize.rectify import page_outside, page_rectify


def _dark_grid_page(px_per_mm: int = 8, size_mm: tuple[int, int] = (150, 200)) -> np.ndarray:
    """A black-and-white printout: grey 1 mm lines, near-black 5 mm lines that run to the image border."""
    h, w = size_mm[0] * px_per_mm, size_mm[1] * px_per_mm
    page = np.full((h, w, 3), 255, np.uint8)
    page[:, ::px_per_mm] = 190
    page[::px_per_mm, :] = 190
    page[:, ::5 * px_per_mm] = 100
    page[::5 * px_per_mm, :] = 100
    t = np.arange(w)
    y = (h // 2 + 40 * np.sin(t / 30.0)).astype(int)
    for dy in (-1, 0, 1):
        page[y + dy, t] = 0
    return page


def test_a_dark_grid_touching_the_border_is_paper_not_surround():
    # the major lines of a black-and-white page are darker than the surround threshold and reach the border;
    # before the opening they (and the trace crossing them) were all taken for the table around the page
    page = _dark_grid_page()
    lattice = grid_detect(page)
    out = page_outside(page, page_rectify(page, lattice), lattice)
    assert out.mean() < 0.04                 # measured 0.027: the 2 mm strip along the image border
    assert not out[page.shape[0] // 4:-page.shape[0] // 4, page.shape[1] // 4:-page.shape[1] // 4].any()


def test_the_table_around_a_photographed_dark_grid_page_is_surround():
    page = _dark_grid_page()
    photo = np.full((page.shape[0] + 200, page.shape[1] + 200, 3), 60, np.uint8)
    photo[100:-100, 100:-100] = page
    lattice = grid_detect(photo)
    rect = page_rectify(photo, lattice)
    out = page_outside(photo, rect, lattice)
    dark = rect.max(axis=2) < 80
    assert out[dark].mean() > 0.9            # the table is outside
    h, w = out.shape                         # the page itself is not (the strip along its edge is)
    assert not out[h // 4:-h // 4, w // 4:-w // 4].any()


def test_a_grey_table_and_the_page_edge_beside_it_are_surround():
    # a table whose brightest channel is 0.47 of the paper's (vaescan's own photographed pages draw tables up to
    # 0.46): above the 0.45 of a dark surround, it was paper, and the page's edge against it read as a trace row
    page = _dark_grid_page()
    photo = np.full((page.shape[0] + 200, page.shape[1] + 200, 3), (80, 80, 120), np.uint8)
    photo[100:-100, 100:-100] = page
    lattice = grid_detect(photo)
    rect = page_rectify(photo, lattice)
    out = page_outside(photo, rect, lattice)
    table = np.all(rect == (80, 80, 120), axis=2)
    assert out[table].mean() > 0.95          # measured 1.0 (0.09 with the 0.45 rule alone)
    h, w = out.shape
    assert not out[h // 4:-h // 4, w // 4:-w // 4].any()


def test_a_shadow_fading_over_a_blank_margin_is_paper():
    # a soft shadow darkens the blank left margin to 0.48 of the paper: grey and flat like a table, but it fades
    # into the page instead of meeting it at an edge, so the margin and the grid beside it stay paper
    r = 8
    page = np.full((150 * r, 200 * r, 3), 255, np.float32)
    grid = _dark_grid_page(r, (110, 160)).astype(np.float32)
    page[20 * r:130 * r, 20 * r:180 * r] = grid
    x = np.arange(page.shape[1]) / r
    page *= np.clip(0.48 + 0.52 * x / 40.0, 0, 1)[None, :, None]
    page = page.round().astype(np.uint8)
    lattice = grid_detect(page)
    out = page_outside(page, page_rectify(page, lattice), lattice)
    h = out.shape[0]
    assert not out[h // 4:-h // 4, 3 * r:40 * r].any()      # measured: none (taken without the edge test)

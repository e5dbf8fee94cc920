"""Page layouts: which lead sits in which row and column, and which time window it shows.

Shared by the renderer (where to draw each lead) and the digitiser (what a trace
at a given place on the page means). Clinical machines print the twelve leads in
a grid of rows and columns; every column shows its *own* time window, because
the leads are recorded simultaneously and the page has room for 10 s in one row:

- ``3x4``: rows ``I aVR V1 V4 / II aVL V2 V5 / III aVF V3 V6``; column k shows
  seconds ``2.5 k .. 2.5 (k + 1)`` (at 25 mm/s).
- ``6x2``: rows ``I V1 / II V2 / III V3 / aVR V4 / aVL V5 / aVF V6``; column k shows
  seconds ``5 k .. 5 (k + 1)``.
- ``12x1``: one lead per row, each showing the whole 10 s.
- ``3x5``: the 15-lead page, ``3x4`` with a fifth column of extra chest leads
  (``V4R / V8 / V9`` by default; pages printing others there are named by their
  labels); column k shows seconds ``2 k .. 2 (k + 1)``.

Any layout may add full-length rhythm strips below it (usually lead II, or
``V1, II, V5``). A layout is named ``"3x4"``, ``"3x4+II"`` or ``"3x4+V1,II,V5"``.

The total duration a row shows is the printed strip length divided by the paper
speed: 250 mm at 25 mm/s is 10 s, at 50 mm/s 5 s (:func:`shown_duration_s`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vaescan.data.leads import LEADS, normalise_lead_name
from vaescan.errors import VaescanInputError

GRIDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "3x4": (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6")),
    "6x2": (("I", "V1"), ("II", "V2"), ("III", "V3"), ("aVR", "V4"), ("aVL", "V5"), ("aVF", "V6")),
    "12x1": tuple((lead,) for lead in LEADS),
    "3x5": (("I", "aVR", "V1", "V4", "V4R"), ("II", "aVL", "V2", "V5", "V8"), ("III", "aVF", "V3", "V6", "V9")),
}
"""Lead grid of each base layout, row by row (top to bottom), column by column (left to right)."""

STRIP_MM = 250.0
"""Printed length of one row of traces in mm (10 s at the standard 25 mm/s)."""


@dataclass(frozen=True)
class Panel:
    """One lead's trace on the page: its row and column and the time window it shows (s)."""

    lead: str
    row: int
    column: int
    t0_s: float
    t1_s: float

    def sample_range(self, fs: float) -> tuple[int, int]:
        """Half-open range ``[i0, i1)`` of sample indices this panel shows at ``fs`` Hz.

        Example
        -------
        >>> Panel("V1", 0, 2, 5.0, 7.5).sample_range(500.0)
        (2500, 3750)
        """
        return int(round(self.t0_s * fs)), int(round(self.t1_s * fs))


def shown_duration_s(speed_mm_s: float = 25.0) -> float:
    """Seconds one row of a page shows at ``speed_mm_s`` (250 mm of strip).

    Example
    -------
    >>> shown_duration_s(25.0), shown_duration_s(50.0)
    (10.0, 5.0)
    """
    return STRIP_MM / speed_mm_s


def layout_name(base: str, rhythm: Sequence[str] = ()) -> str:
    """Compose a layout name from a base grid and rhythm leads.

    Example
    -------
    >>> layout_name("3x4", ["II"]), layout_name("3x4", ["V1", "II", "V5"]), layout_name("6x2")
    ('3x4+II', '3x4+V1,II,V5', '6x2')
    """
    return base + ("+" + ",".join(rhythm) if rhythm else "")


def parse_layout(name: str) -> tuple[str, tuple[str, ...]]:
    """Split a layout name into its base grid and rhythm leads; unknown names raise a clear error.

    Example
    -------
    >>> parse_layout("3x4+II")
    ('3x4', ('II',))
    >>> parse_layout("12x1")
    ('12x1', ())
    """
    base, _, strips = name.strip().partition("+")
    if base not in GRIDS:
        raise VaescanInputError(None, f"unknown layout {name!r}; base layouts: {', '.join(GRIDS)}")
    rhythm = []
    for part in filter(None, (s.strip() for s in strips.split(","))):
        lead = normalise_lead_name(part)
        if lead is None:
            raise VaescanInputError(None, f"layout {name!r}: {part!r} is not a 12-lead ECG lead")
        rhythm.append(lead)
    return base, tuple(rhythm)


def layout_rows(name: str) -> int:
    """Number of trace rows on a page with this layout.

    Example
    -------
    >>> layout_rows("3x4+II"), layout_rows("6x2"), layout_rows("3x4+V1,II,V5")
    (4, 6, 6)
    """
    base, rhythm = parse_layout(name)
    return len(GRIDS[base]) + len(rhythm)


def layout_panels(name: str, duration_s: float = 10.0) -> list[Panel]:
    """Every panel of a layout, row by row, with the time window (s) each shows.

    ``duration_s`` is what one full row shows (:func:`shown_duration_s`). Base-grid
    column k of C shows ``[k, k + 1) * duration_s / C``; rhythm strips show all of it.

    Example
    -------
    >>> panels = layout_panels("3x4+II")
    >>> [(p.lead, p.t0_s, p.t1_s) for p in panels if p.lead in ("I", "V1", "II")]
    [('I', 0.0, 2.5), ('V1', 5.0, 7.5), ('II', 0.0, 2.5), ('II', 0.0, 10.0)]
    """
    base, rhythm = parse_layout(name)
    grid = GRIDS[base]
    panels = []
    for r, row in enumerate(grid):
        width = duration_s / len(row)
        panels.extend(Panel(lead, r, k, k * width, (k + 1) * width) for k, lead in enumerate(row))
    panels.extend(Panel(lead, len(grid) + i, 0, 0.0, duration_s) for i, lead in enumerate(rhythm))
    return panels


def layout_shown_mask(name: str, fs: float = 500.0, n_samples: int = 5000,
                      duration_s: float | None = None) -> np.ndarray:
    """Boolean (samples, 12 leads) mask of which samples a page with this layout shows.

    ``duration_s`` defaults to ``n_samples / fs`` (the whole record on one row). Extra leads
    (a ``3x5`` page's fifth column) are not among the twelve and are left out.

    Example
    -------
    >>> m = layout_shown_mask("3x4+II")
    >>> [float(m[:, i].sum() / 500) for i in (0, 1, 6)]   # seconds shown of I, II, V1
    [2.5, 10.0, 2.5]
    >>> bool(m[2600, 6]), bool(m[2400, 6])                   # V1 is shown for 5-7.5 s only
    (True, False)
    """
    duration_s = n_samples / fs if duration_s is None else duration_s
    mask = np.zeros((n_samples, len(LEADS)), dtype=bool)
    for p in layout_panels(name, duration_s):
        if p.lead not in LEADS:
            continue
        i0, i1 = p.sample_range(fs)
        mask[max(i0, 0):min(i1, n_samples), LEADS.index(p.lead)] = True
    return mask

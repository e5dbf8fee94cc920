"""``image_digitize``: an ECG page image in, a 12-lead record and a report of how it was read out.

The steps, each in its own module: read the image (:mod:`~vaescan.pages.image`),
find the grid (:mod:`~vaescan.digitize.grid_lattice`) and rectify the page
(:mod:`~vaescan.digitize.rectify`), separate the ink (:mod:`~vaescan.digitize.ink`),
follow the traces (:mod:`~vaescan.digitize.runs`) with the grid as a ruler
(:mod:`~vaescan.digitize.grid_ruler`) and draw them as polylines
(:mod:`~vaescan.digitize.polyline`), read rows, calibration pulses, time origin and
layout (:mod:`~vaescan.digitize.page`), then cut each row into its panels
(:mod:`~vaescan.pages.layout`) and resample to ``fs``.

The record always has the 12 standard leads at ``fs`` for ``duration_s``, in mV;
samples a page does not show are NaN. The report says what was detected (layout,
rotation, px per mm, gain, which leads, a quality score and heart rate per lead)
and warns about every assumption made.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path as FsPath

import numpy as np

from vaescan.data.leads import LEADS
from vaescan.data.records import Record
from vaescan.digitize.column_time import column_shifts
from vaescan.digitize.grid_lattice import Lattice, grid_detect, grid_size_problem
from vaescan.digitize.grid_maps import grid_maps, page_white_balanced
from vaescan.digitize.grid_ruler import DRIFT_MIN_PX, LIFT_MIN_PX, GridDrift, grid_drift, grid_line_y, row_x_at
from vaescan.digitize.ink import grid_darkness_map, ink_map, shadow_blobs, straight_lines, stroke_level, trace_mask
from vaescan.digitize.label_layout import PlacedLabel, labels_place, layout_from_labels, panel_names
from vaescan.digitize.labels import labels_read
from vaescan.digitize.lead_checks import LIMB_BASIS, lead_checks
from vaescan.digitize.page import (
    find_pulse,
    find_rows,
    infer_layout,
    pulse_core_width,
    pulse_edge,
    rhythm_leads,
    time_origin,
    trace_end,
    trace_extent,
)
from vaescan.digitize.polyline import path_polyline, polyline_refine, polyline_sample
from vaescan.digitize.rectify import page_outside, page_rectify
from vaescan.digitize.runs import Path, column_runs, paths_unshare, pen_width, trace_follow
from vaescan.digitize.segment import LEARNED_KEEP, trace_mask_learned
from vaescan.digitize.strips import StripMatch, strip_matches
from vaescan.errors import VaescanInputError
from vaescan.pages.image import image_read
from vaescan.pages.layout import GRIDS, layout_panels, parse_layout, shown_duration_s

STANDARD_GAINS = (5.0, 10.0, 20.0)
STRETCH_MAX = 0.006
"""Largest difference between the rows' length and the grid's scale taken as the page's stretch along the rows
(0.3-0.45 % on the rotated outside pages, whose generator crops and resizes them)."""
HR_TOLERANCE = 0.1
"""A row whose heart rate differs from the median over rows by more than this share is flagged (kept)."""
EXTRA_DEFAULT = tuple(row[-1] for row in GRIDS["3x5"])
"""The extra leads a 15-lead (3x5) page is taken to print where their labels are not read (V4R, V8, V9)."""
UNIT_ALTERNATIVES = {1.0: (5.0,), 5.0: (1.0, 10.0)}
"""Where only one line spacing is seen, the sizes (mm) it may have besides the one taken."""
ROW_LENGTH_MISFIT = 0.35
"""A page that read nothing at the size its one line spacing suggested is taken at another size only where its rows'
median length is within this |log| of the layout's (x 0.7 to 1.4 of 250 mm): read at half or twice its scale, a
page's rows measure 125 or 500 mm (a shadowed 150 dpi page, its 5 mm lines taken for 10 mm, read at 2.95 px/mm)."""
INKED_ORIGIN = "where the rows' ink begins"
"""``time_origin_from`` when no trace end could be read (a mark drawn on at the start, a photo cropped at the end)."""


ECG_IMAGE_KIT_PULSE_LAG_MS = 3.0
"""ECG-Image-Kit draws the calibration pulse over 0.2 s plus four samples at 500 Hz, falling between its
0.202 and 0.204 s points, and the trace from 0.2 s: the stroke's centre stands 3 ms after the first sample.
Measured on its 8 clean outside pages: every lead read 2.5-3 ms early with the stroke taken as t = 0."""

SEGMENTERS = ("classical", "learned")
"""How the trace mask is made: ``classical`` (:func:`~vaescan.digitize.ink.trace_mask`, thresholds on the ink map)
or ``learned``: the classical mask where a small network shipped with the package
(:func:`~vaescan.digitize.segment.trace_probability`) gives the pixel a trace probability above
:data:`~vaescan.digitize.segment.LEARNED_KEEP`. Used alone, or joined to the classical mask, the network's mask
read the outside pages worse (docs/digitize.md, "A learned trace mask")."""

MAX_PULSE_LAG_MS = 40.0
"""The largest |pulse_lag_ms| accepted: 1 mm of paper at 25 mm/s."""


@dataclass
class DigitizeConfig:
    """Settings of :func:`image_digitize`.

    speed_mm_s: paper speed printed on the page (25 or 50); it cannot be seen from the grid.
    gain_mm_mv: voltage gain; ``None`` reads it from the calibration pulses (10 if none).
    layout: force a layout (``"3x4+II"``...); ``None`` infers it.
    fs: output sampling rate (Hz). duration_s: output length (s).
    max_px_per_mm: finest resolution worked at (larger images are reduced).
    read_labels: read the printed lead names (OCR, about 0.6 s a page) to check the layout and name the leads.
    pulse_lag_ms: where a trace is drawn on from a calibration pulse at its left, how long (ms of paper time)
    after the trace's first sample the pulse's falling stroke stands. It cannot be seen on the page: 0 (the
    stroke is the first sample) unless the printer is known; ECG-Image-Kit's pages (the PhysioNet Challenge
    2024 images) draw it 3 ms late (:data:`ECG_IMAGE_KIT_PULSE_LAG_MS`).
    segmenter: how the trace mask is made, one of :data:`SEGMENTERS` (``classical`` by default).
    """

    speed_mm_s: float = 25.0
    gain_mm_mv: float | None = None
    layout: str | None = None
    fs: float = 500.0
    duration_s: float = 10.0
    max_px_per_mm: float = 12.0
    read_labels: bool = True
    pulse_lag_ms: float = 0.0
    segmenter: str = "classical"

    def __post_init__(self) -> None:
        if self.segmenter not in SEGMENTERS:
            raise VaescanInputError(None, f"segmenter must be one of {', '.join(SEGMENTERS)} "
                                    f"(got {self.segmenter!r})")
        if self.speed_mm_s <= 0 or (self.gain_mm_mv is not None and self.gain_mm_mv <= 0):
            raise VaescanInputError(None, "speed_mm_s and gain_mm_mv must be positive")
        if not -MAX_PULSE_LAG_MS <= self.pulse_lag_ms <= MAX_PULSE_LAG_MS:
            raise VaescanInputError(None, f"pulse_lag_ms must lie within +-{MAX_PULSE_LAG_MS:g} ms "
                                    f"(got {self.pulse_lag_ms:g}): a pulse's stroke that far from the trace's "
                                    "start is not where the trace is drawn from")
        if self.layout is not None:
            parse_layout(self.layout)


@dataclass
class RowReading:
    """One trace row as read: its band, followed path, extent, pulses, baseline, line width and t = 0 (px)."""

    baseline_guess: float
    path: Path
    extent: tuple[int, int]
    width_px: float
    pulses: dict = field(default_factory=dict)
    baseline_px: float = float("nan")
    baseline_from: str = ""
    polyline: tuple[np.ndarray, np.ndarray] | None = None
    ends: dict = field(default_factory=dict)
    x0_px: float = float("nan")
    drift: GridDrift | None = None
    """The grid's drift along the row (:func:`~vaescan.digitize.grid_ruler.grid_drift`)."""
    lift: GridDrift | None = None
    """How far (px, down) the horizontal grid lines stand at each x from where they stand at the row's start: the
    row's 0 mV level moves with them (a row left tilted or bent by the rectification)."""

    def x_at(self, x0: float, t: np.ndarray, px_per_s: float) -> np.ndarray:
        """x (px) on the rectified page of times ``t`` (s) on this row, t = 0 at ``x0``: where the grid says."""
        return row_x_at(x0, t, px_per_s, self.drift)

    def level(self, x: np.ndarray) -> np.ndarray:
        """How far (px, down) the row's 0 mV level stands at columns ``x`` from where it stands at its start."""
        x = np.asarray(x, np.float64)
        return np.zeros_like(x) if self.lift is None else self.lift(x)

    def along(self, xa: float, xb: float) -> float:
        """The length (px) of the row from ``xa`` to ``xb`` as the grid counts it (drift taken out)."""
        if self.drift is None:
            return xb - xa
        d = self.drift(np.array([xa, xb]))
        return (xb - d[1]) - (xa - d[0])

    def end_undrifted(self, x_end: float, span: float) -> float:
        """Where an end at ``x_end`` (px) would stand, ``span`` px from its row's start, without the grid's drift."""
        return x_end - span + self.along(x_end - span, x_end)


def image_digitize(image: str | os.PathLike[str] | np.ndarray, config: DigitizeConfig | None = None,
                   name: str | None = None) -> tuple[Record, dict]:
    """Digitise one ECG page image (a file or an RGB uint8 array) into a 12-lead :class:`Record` and a report.

    Raises :class:`~vaescan.errors.VaescanInputError` with a specific reason when the image
    cannot be read as an ECG page ("no ECG grid found", "found 2 trace rows ...").

    Example
    -------
    >>> from vaescan.pages.render import ecg_render, PageStyle
    >>> t = np.arange(5000) / 500.0
    >>> beats = np.exp(-((t % 0.8) - 0.4) ** 2 / 2e-4)                 # one 'R wave' every 0.8 s
    >>> rec = Record(np.outer(beats, np.linspace(0.5, 1.5, 12)), 500.0, list(LEADS), name="demo")
    >>> page, truth = ecg_render(rec, PageStyle(dpi=100))
    >>> out, report = image_digitize(page, name="demo")
    >>> report["layout"], len(report["leads_found"]), round(float(np.nanmax(out.lead("V6"))), 1)
    ('3x4+II', 12, 1.5)
    """
    config = config or DigitizeConfig()
    source = None
    if not isinstance(image, np.ndarray):
        source = FsPath(image)
        name = name or source.stem
        image = image_read(source)
    name = name or "page"
    where = source if source is not None else name
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise VaescanInputError(where, f"expected an RGB uint8 image (height, width, 3), got {image.dtype} "
                                f"of shape {image.shape}")
    problem = grid_size_problem(image.shape)
    if problem is not None:
        raise VaescanInputError(where, problem)
    warnings: list[str] = []
    lattice = grid_detect(image, max_px_per_mm=config.max_px_per_mm)
    if lattice is None:
        # tinted or unevenly lit paper: the grid's lines barely differ from the paper until it is made white
        image = page_white_balanced(image)
        lattice = grid_detect(image, max_px_per_mm=config.max_px_per_mm)
        if lattice is None:
            raise VaescanInputError(where, "no ECG grid found (no regular 1 mm / 5 mm lattice on the page)")
        warnings.append("the grid was found only after the paper's colour was evened out (tinted or unevenly "
                        "lit paper)")
    warnings.extend(lattice.notes)
    reading, lattice, notes = _read_at_its_scale(image, lattice, config, where, warnings)
    record, report = _assemble(reading, lattice, config, name, notes, where)
    return record, report


def _read_at_its_scale(image: np.ndarray, lattice: Lattice, config: DigitizeConfig, where,
                       warnings: list[str]) -> tuple[_PageReading, Lattice, list[str]]:
    """Read the page; where the grid shows one line spacing only, at the size of it (1, 5 or 10 mm) that reads.

    The size the spacing suggests is read first. Where nothing is read there, the other sizes are tried (a scan
    under about 2 px per mm shows only its 5 mm lines, 10 px apart, which pass for 1 mm lines), and one is taken
    only where its rows are then a page's length (:data:`ROW_LENGTH_MISFIT`). Where something is read, another
    size replaces it where the pulse and the rows' length fit it better (:func:`_better_unit`). Returns the
    reading, the lattice it was read at, and the warnings with what was decided.
    """
    def read(lat: Lattice) -> tuple[_PageReading, list[str]]:
        notes = list(warnings)
        return _read_page(image, lat, config, where, notes), notes

    try:
        reading, notes = read(lattice)
        failed = None
    except VaescanInputError as exc:
        if not lattice.unit_ambiguous:
            raise
        reading, notes, failed = None, [], exc
    taken = lattice.unit_mm
    if reading is None:
        others: tuple[float, ...] = UNIT_ALTERNATIVES[taken]
    else:
        better = _better_unit(reading, lattice, config) if lattice.unit_ambiguous else None
        others = () if better is None else (better,)
    for unit in others:
        other = grid_detect(image, max_px_per_mm=config.max_px_per_mm, unit_mm=unit)
        if other is None:
            continue
        try:
            again, again_notes = read(other)
        except VaescanInputError:
            continue
        if failed is not None and _length_misfit(again, config) > ROW_LENGTH_MISFIT:
            continue    # read, but its rows are not a page's length at that size: a misreading, not a page
        notes = again_notes + [f"grid showed one line spacing only; taken as {unit:g} mm, not {taken:g} mm: " + (
            "nothing was read at that size" if failed is not None else
            "the calibration pulse and the rows' length fit it")]
        return again, other, notes
    if reading is None:
        raise failed
    if lattice.unit_ambiguous:
        notes.append(f"grid showed one line spacing only; taken as {lattice.unit_mm:g} mm")
    return reading, lattice, notes


def image_digitize_to(image: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                      config: DigitizeConfig | None = None) -> dict:
    """Digitise one image file into ``out_dir/<stem>.hea/.dat`` and ``out_dir/<stem>.json``; returns the report.

    Unusable images raise :class:`~vaescan.errors.VaescanInputError` (and write nothing),
    so :func:`vaescan.batch.run_batch` can log and skip them. The report is written last,
    after the record (and an older report of that name is removed first): a record with
    a report beside it is complete, and a re-run can skip it.

    Example
    -------
    >>> import tempfile
    >>> from vaescan.pages.render import page_write, PageStyle
    >>> t = np.arange(5000) / 500.0
    >>> beats = np.exp(-((t % 0.8) - 0.4) ** 2 / 2e-4)
    >>> tmp = FsPath(tempfile.mkdtemp())
    >>> png, _ = page_write(Record(np.outer(beats, np.ones(12)), 500.0, list(LEADS)), tmp / "p.png", PageStyle(dpi=100))
    >>> report = image_digitize_to(png, tmp / "out")
    >>> sorted(f.name for f in (tmp / "out").iterdir()), report["layout"]
    (['p.dat', 'p.hea', 'p.json'], '3x4+II')
    """
    from vaescan.data.records import write_record
    from vaescan.io import write_json

    source = FsPath(image)
    record, report = image_digitize(source, config)
    out_dir = FsPath(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report_path = out_dir / f"{source.stem}.json"
    report_path.unlink(missing_ok=True)          # no report may vouch for a record being rewritten
    write_record(record, out_dir / source.stem)
    report = {"image": str(source), **report}
    write_json(report_path, report)              # last: a record with a report is complete
    return report


@dataclass
class _PageReading:
    rows: list[RowReading]
    px_per_mm: float
    px_per_mv: float
    gain_mm_mv: float
    gain_from: str
    x0: float
    x0_from: str
    layout: str
    layout_from: str
    size: tuple[int, int]
    px_per_s: float
    labels: list[PlacedLabel]
    strips: list[StripMatch] = field(default_factory=list)
    column_shift: dict[int, float] = field(default_factory=dict)
    """Per grid column, the shift (s) from where its panels stand to the record's time they show."""


def _read_page(image: np.ndarray, lattice: Lattice, config: DigitizeConfig, where, warnings: list[str]) -> _PageReading:
    r = lattice.px_per_mm
    rect = page_rectify(image, lattice)
    ink = ink_map(rect, r, lattice.phase_px)
    outside = page_outside(image, rect, lattice)
    ink[outside] = 0.0
    level = stroke_level(ink)
    mask = trace_mask(ink, level=level, floor=grid_darkness_map(ink, r, lattice.phase_px))
    if config.segmenter == "learned":  # the network vetoes what it finds unlike a trace (text, grid, marks)
        mask &= trace_mask_learned(ink, r, threshold=LEARNED_KEEP)
    mask &= ~straight_lines(mask, r)
    mask &= ~shadow_blobs(mask, ink, r, level=level)
    runs = column_runs(mask, ink)
    h, w = mask.shape
    baselines = find_rows(mask, r)
    if len(baselines) < 3 and config.layout is None:
        raise VaescanInputError(where, f"found {len(baselines)} trace row(s); a 12-lead page has 3, 4, 6 or "
                                "12 rows (this looks like a partial page or not an ECG printout)")
    grid = grid_maps(rect)[0]
    rows = _follow_rows(runs, ink, baselines, r, (h, w), grid_y=(grid_line_y(grid, r), r))
    rows = [row for row in rows if row is not None]
    _drift_rows(rows, grid, baselines, r)
    for attr, what in (("drift", "the grid drifts along rows by {} px after rectification; rows are read where "
                        "the grid says"), ("lift", "the grid's horizontal lines move along rows by {} px after "
                                           "rectification; 0 mV is read level with them")):
        moved = [getattr(row, attr)(np.arange(row.extent[0], row.extent[1] + 1.0)) for row in rows
                 if getattr(row, attr) is not None]
        if moved:
            warnings.append(what.format(", ".join(f"{np.ptp(m):.1f}" for m in moved)))
    px_per_mv, gain, gain_from = _gain(rows, r, config, warnings)
    width = float(np.median([row.width_px for row in rows])) if rows else 1.0  # the pen (px)
    pulses = [pulse for row in rows for pulse in row.pulses.values()]
    core = pulse_core_width(ink, pulses, width) if pulses else None
    for row in rows:
        for side in ("left", "right"):
            if side not in row.pulses:
                row.ends[side] = trace_end(ink, row.path, row.extent, side, r, row.width_px)
            else:
                row.ends[side] = _attached_end(ink, row, side, r, core)
                if row.ends[side] is not None and side == "left":
                    row.ends[side] -= config.pulse_lag_ms / 1000.0 * config.speed_mm_s * r
    duration = shown_duration_s(config.speed_mm_s)
    px_per_s = config.speed_mm_s * r
    starts, ends, anchored = [], [], []
    span = (duration - 1.0 / config.fs) * px_per_s
    for row in rows:
        xa, xb = row.extent
        for side, x in row.ends.items():
            if x is not None and side in row.pulses:
                anchored.append(x if side == "left" else row.end_undrifted(x, span) - span)
        if row.ends.get("left") is not None and "left" not in row.pulses and not _cut(outside, row, xa, r, span):
            starts.append(row.ends["left"])
        if row.ends.get("right") is not None and "right" not in row.pulses and not _cut(outside, row, xb, r, span):
            ends.append(row.end_undrifted(row.ends["right"], span))
    tol = max(3.0, 0.6 * width)  # the row ends' cap error (px)
    # rows whose ends put t = 0 before the calibration pulses come down, where other rows' do not, were cut short
    # (a faint or hidden end) and are left out; where every row says so, the pulses are drawn over the traces'
    # start (vaescan's own pages can be)
    falls = [row.pulses["left"].x_fall for row in rows if "left" in row.pulses]
    if falls:
        floor = float(np.median(falls)) - tol
        if any(x >= floor for x in starts) or any(x - span >= floor for x in ends):
            starts = [x for x in starts if x >= floor]
            ends = [x for x in ends if x - span >= floor]
    x0, x0_from = time_origin(starts, ends, px_per_s, duration, config.fs)
    # a trace drawn on from its pulse starts (or ends) at the pulse's stroke, which caps do not blur. Taken
    # where it agrees with the start the row ends give, to within their cap error, or lies later by up to
    # STRETCH_MAX of the row (a page stretched along the rows); earlier, a lead-in line joins pulse and trace
    # (pulses are printed at one x on every row: anchors more than 1 mm apart are misread)

    def agrees(x: float) -> bool:
        return x - tol <= np.median(anchored) <= x + tol + STRETCH_MAX * span

    # the rows' ends agree with the anchors when their t = 0 does, or when half of the rows' own ends do (a crease
    # or a mark drawn on at the end of two rows of four moves the median of their ends, not the pulses). Row ends
    # that disagree among themselves by more than 1 mm where two or more pulses agree are misread (creases drawn on
    # at the ends of every row of wrinkled_06: 30 px apart, the pulses within 2 px): they do not outvote the pulses
    row_x0 = starts + [x - span for x in ends]
    ends_disagree = len(anchored) >= 2 and len(row_x0) >= 2 and max(row_x0) - min(row_x0) > 1.0 * r
    if anchored and max(anchored) - min(anchored) <= 1.0 * r and \
            (x0 is None or agrees(x0) or 2 * sum(agrees(x) for x in row_x0) >= len(row_x0) or ends_disagree):
        x0, x0_from = float(np.median(anchored)), "calibration pulse stroke the trace is drawn from"
        px_per_s = _time_scale(rows, px_per_s, span, width, warnings)
        span = (duration - 1.0 / config.fs) * px_per_s
    else:
        for row in rows:
            row.ends = {side: x for side, x in row.ends.items() if side not in row.pulses}
    if x0 is None:
        pulse_ends = [row.pulses["left"].x_fall for row in rows if "left" in row.pulses]
        inked = [row.extent[0] for row in rows if not _cut(outside, row, row.extent[0], r, span)]
        if pulse_ends:
            x0 = float(np.median(pulse_ends)) + 1.0 * r
            x0_from = "calibration pulse end"
            warnings.append("time origin taken 1 mm after the calibration pulses (rows cut at both ends)")
        elif inked:
            # no end to read (a mark drawn on at the start, the photo's edge through the end): where the ink begins
            x0, x0_from = float(np.median(inked)), INKED_ORIGIN
            warnings.append("time origin taken where the rows' ink begins (no trace end could be read): check "
                            "the time axis")
        else:
            raise VaescanInputError(where, "cannot tell where the traces start (both ends of every row are "
                                    "hidden or carry a pulse)")
    elif "rows are" in x0_from:
        warnings.append(f"rows do not span {duration:g} s at {config.speed_mm_s:g} mm/s; check the paper speed")
    for row in rows:
        _baseline(row, r)
    for row in rows:
        # each row from its own pulse where it has one: a page not quite flat or square leaves rows shifted
        # against each other by a few px after rectification (up to 0.5 mm on the rotated outside pages)
        own = [x if side == "left" else row.end_undrifted(x, span) - span for side, x in row.ends.items()
               if x is not None and side in row.pulses]
        row.x0_px = float(np.mean(own)) if own and abs(np.mean(own) - x0) <= 1.0 * r else x0
    rows_signal = [_row_signal(row, row.x0_px, px_per_s, px_per_mv, config.fs, duration) for row in rows]
    matched: dict[str, list[StripMatch]] = {}

    def matches_of(base: str) -> list[StripMatch]:  # each base grid's strip matches, computed once (0.1-0.4 s)
        if base not in matched:
            matched[base] = strip_matches(base, rows_signal, config.fs, duration)
        return matched[base]

    if config.layout is not None:
        layout, layout_from = config.layout, "given"
    else:
        layout, layout_from = infer_layout(len(rows), rows_signal, config.fs, duration, matches_of)
        if layout is None:
            raise VaescanInputError(where, f"found {len(rows)} trace rows: {layout_from}")
        if "assumed" in layout_from:
            warnings.append(layout_from)
    placed: list[PlacedLabel] = []
    if config.read_labels:
        labels = labels_read(rect, r)
        rows_y, rows_x0 = [row.baseline_px for row in rows], [row.x0_px for row in rows]
        if config.layout is None:
            shown_s = float(np.median([(row.extent[1] - row.x0_px) / px_per_s for row in rows]))
            better, why = layout_from_labels(labels, rows_y, rows_x0, px_per_s, layout, duration,
                                             lambda base: rhythm_leads(base, rows_signal, config.fs, duration,
                                                                       matches_of(base)), shown_s)
            if why:
                warnings.append(f"layout {better} from the {why}, not {layout} ({layout_from})")
                layout, layout_from = better, why
        placed = labels_place(labels, rows_y, rows_x0, px_per_s, layout, duration)
    base = parse_layout(layout)[0]
    strips = matches_of(base) if len(rows) > len(GRIDS[base]) else []
    # the time each column shows, from the beats it shares with the rhythm strips (not every printer gives each
    # column its own window: ECG-Image-Kit's 6x2 pages show 0-5 s in both)
    column_shift, _ = column_shifts([p for p in layout_panels(layout, duration) if p.row < len(rows)], rows_signal,
                                    config.fs, duration)
    offsets = baseline_from_leads(layout, rows_signal, [row.baseline_from == "calibration pulse" for row in rows],
                                  config.fs, duration, baselines_mv=[row.baseline_px / px_per_mv for row in rows],
                                  first_column_only=any(column_shift.values()))
    for row, c in zip(rows, offsets):
        if c != 0.0:
            row.baseline_px -= c * px_per_mv
            row.baseline_from += " + lead relations"
    return _PageReading(rows, r, px_per_mv, gain, gain_from, x0, x0_from, layout, layout_from, (w, h), px_per_s,
                        placed, strips, column_shift)


def _cut(outside: np.ndarray, row: RowReading, x: float, r: float, span: float) -> bool:
    """Whether a row's trace, ending at column ``x`` (px), is cut there: at the image's border, or within 1 mm of
    what is not paper while the row is shorter than the layout's ``span`` (px) by 2 mm or more (a photo cropped
    through the last column, ecg00020); its end then says nothing about where its time ends."""
    h, w = outside.shape
    if x <= 2 or x >= w - 3:
        return True
    y = int(round(row.baseline_guess))
    band = outside[max(0, y - int(2 * r)):y + int(2 * r) + 1, max(0, int(x - r)):int(x + r) + 2]
    return bool(band.any()) and row.along(*row.extent) < span - 2.0 * r


def _drift_rows(rows: list[RowReading], grid: np.ndarray, baselines: list[float], r: float) -> None:
    """Give each row the grid's drift and lift along it (:func:`~vaescan.digitize.grid_ruler.grid_drift` of the
    vertical and of the horizontal lines), in place.

    Only where the 1 mm lines measure it over all rows' bands together: one row's measurement on a page
    whose 1 mm lines are too faint for that is noise (rotated_05 of the outside pages: one row of four
    measured 6 px, and read on its own time scale the page lost 6 dB). Then in the row's own band, else
    (its lines too faint or crossed by the trace) the page's, so that rows of one page are not read on two
    time scales; kept where it reaches :data:`~vaescan.digitize.grid_ruler.DRIFT_MIN_PX` (the lift
    :data:`~vaescan.digitize.grid_ruler.LIFT_MIN_PX`) along the row. The lift is taken from the row's start,
    where its 0 mV level is read (the calibration pulse).
    """
    spacing = float(np.median(np.diff(baselines))) if len(baselines) > 1 else 20.0 * r
    for lines, least in (("vertical", DRIFT_MIN_PX), ("horizontal", LIFT_MIN_PX)):
        page = grid_drift(grid, (min(baselines) - 0.45 * spacing, max(baselines) + 0.45 * spacing), r, lines)
        if page is None:
            continue
        for row in rows:
            band = (row.baseline_guess - 0.45 * spacing, row.baseline_guess + 0.45 * spacing)
            drift = grid_drift(grid, band, r, lines) or page
            if np.ptp(drift(np.arange(row.extent[0], row.extent[1] + 1.0))) < least:
                continue
            if lines == "vertical":
                row.drift = drift
            else:
                start = float(drift(np.array([float(row.extent[0])]))[0])
                row.lift = GridDrift(drift.coef[:3] + (drift.coef[3] - start,), drift.lo, drift.hi)


def _follow_rows(runs, ink: np.ndarray, baselines: list[float], r: float,
                 shape: tuple[int, int], grid_y: tuple[float, float] | None = None) -> list[RowReading | None]:
    h, w = shape
    followed = []
    for i, y in enumerate(baselines):
        up = (y - baselines[i - 1]) if i > 0 else (baselines[1] - y if len(baselines) > 1 else 20 * r)
        down = (baselines[i + 1] - y) if i + 1 < len(baselines) else up
        home = (y - 0.5 * up, y + 0.5 * down)
        band = (max(0.0, y - 1.6 * up), min(h - 1.0, y + 1.6 * down))
        followed.append((y, home, trace_follow(runs, 0, w, band, home, r, start_y=y, grid_y=grid_y)))
    paths_unshare([path for _, _, path in followed], max_px=int(round(1.0 * r)))
    followed = [(y, home, path, trace_extent(path, r)) for y, home, path in followed]
    width = pen_width(ink, [_sub(path, extent) for _, _, path, extent in followed if extent is not None])
    out: list[RowReading | None] = []
    for y, home, path, extent in followed:
        if extent is None:
            out.append(None)
            continue
        row = RowReading(baseline_guess=y, path=path, extent=extent, width_px=width)
        for side in ("left", "right"):
            pulse = find_pulse(path, side, extent, r, width)
            # a pulse whose foot lies in another row's band is that row's (close rows: the path
            # climbed the next row's pulse, whose top reaches up to this row)
            if pulse is not None and home[0] <= pulse.base_px <= home[1]:
                row.pulses[side] = pulse
                # the pulse is not part of the trace: move the extent past it
                xa, xb = row.extent
                if side == "left" and pulse.x_fall > xa - 1:
                    after = _first_found(path, int(np.ceil(pulse.x_fall)) + 1, xb)
                    row.extent = (after, xb)
                elif side == "right" and pulse.x_rise < xb + 1:
                    before = _last_found(path, xa, int(np.floor(pulse.x_rise)) - 1)
                    row.extent = (xa, before)
        out.append(row)
    return out


def _time_scale(rows: list[RowReading], px_per_s: float, span: float, width_px: float,
                warnings: list[str]) -> float:
    """px per s from the rows' own length where the grid's spacing disagrees with it.

    A row drawn on from its pulse has an exact start (the pulse's stroke) and an end read to
    within about half the pen's width ``width_px``; when three or more such rows agree on their length to
    within that and their median length differs from ``span`` (the
    shown duration at the grid's scale) by more than that (a page scanned or photographed with a
    little more stretch along one axis than the other: 0.3 % on some rotated outside pages, 30 ms
    at the end of a row), the rows' length sets the time scale. Larger differences than
    :data:`STRETCH_MAX` are a different paper speed, a pulse drawn over the trace or a misread end,
    and leave the grid's scale.
    """
    lengths = [row.along(row.ends["left"], row.ends["right"]) for row in rows
               if "left" in row.pulses and "right" not in row.pulses
               and row.ends.get("left") is not None and row.ends.get("right") is not None]
    if len(lengths) < 3:
        return px_per_s
    length = float(np.median(lengths))
    tolerance = max(4.0, 1.0 * width_px)
    # the rows must agree with each other to within the end-reading error: one misread end is not a stretch
    if max(lengths) - min(lengths) <= tolerance < abs(length - span) and abs(length / span - 1) <= STRETCH_MAX:
        warnings.append(f"time scale taken from the rows' length ({length / span - 1:+.2%} against the grid's)")
        return px_per_s * length / span
    return px_per_s


def _attached_end(ink: np.ndarray, row: RowReading, side: str, r: float, core_px: float | None) -> float | None:
    """x (px) of the trace's first (left) or last (right) sample where it is drawn on from the calibration
    pulse's stroke (ECG-Image-Kit, many carts): that stroke's centre, which is exact whatever the pen's caps.
    None where the trace stands apart from the pulse (more than 0.3 mm away), or is joined to it by a flat line
    at the pulse's foot (a lead-in, as on vaescan's own pages). ``core_px``: the pen's core width over the page's
    pulses (:func:`~vaescan.digitize.page.pulse_core_width`)."""
    pulse = row.pulses[side]
    gap = (row.extent[0] - pulse.x_fall) if side == "left" else (pulse.x_rise - row.extent[1])
    if gap > max(2.0, 0.3 * r):
        return None
    # a flat line at the pulse's foot between pulse and trace (vaescan's own pages: 0.3-2 mm) is a lead-in: the
    # stroke comes down to the foot and the trace begins somewhere after it. A trace drawn on from the pulse
    # leaves the stroke at its own first value instead (the foot only by chance: then the ends are used)
    path, step = row.path, 1 if side == "left" else -1
    k = int(np.ceil(pulse.x_fall)) if side == "left" else int(np.floor(pulse.x_rise))
    k -= path.x0
    tall = 2.0 * row.width_px + 1
    while 0 <= k < len(path.centre) and np.isfinite(path.centre[k]) and path.bot[k] - path.top[k] + 1 > tall:
        k += step
    after = path.centre[[j for j in range(k, k + 3 * step, step) if 0 <= j < len(path.centre)]]
    after = after[np.isfinite(after)]
    if after.size == 0 or np.sum(np.abs(after - pulse.base_px) <= max(1.0, 0.15 * r)) >= 2:
        return None
    return pulse_edge(ink, pulse, "fall" if side == "left" else "rise", row.width_px, core_px)


def _sub(path: Path, extent: tuple[int, int]) -> Path:
    a, b = extent[0] - path.x0, extent[1] - path.x0 + 1
    return Path(path.x0 + a, path.top[a:b], path.bot[a:b], path.centre[a:b], path.jump_mm[a:b])


def _first_found(path: Path, x: int, limit: int) -> int:
    idx = np.flatnonzero(path.found[x - path.x0:limit - path.x0 + 1])
    return int(x + idx[0]) if idx.size else x


def _last_found(path: Path, limit: int, x: int) -> int:
    idx = np.flatnonzero(path.found[limit - path.x0:x - path.x0 + 1])
    return int(limit + idx[-1]) if idx.size else x


def _gain(rows: list[RowReading], r: float, config: DigitizeConfig, warnings: list[str]) -> tuple[float, float, str]:
    """px per mV, gain in mm/mV and where it came from. Pulses unlike the others (10 %) are dropped."""
    heights = [p.height_px for row in rows for p in row.pulses.values()]
    if heights:
        typical = float(np.median(heights))
        for row in rows:
            row.pulses = {side: p for side, p in row.pulses.items() if abs(p.height_px / typical - 1) <= 0.1}
        heights = [p.height_px for row in rows for p in row.pulses.values()]
    if config.gain_mm_mv is not None:
        return config.gain_mm_mv * r, config.gain_mm_mv, "given"
    if heights:
        mm = float(np.median(heights)) / r
        for g in STANDARD_GAINS:
            if abs(mm / g - 1) < 0.08:
                return g * r, g, "calibration pulse"
        # ECG machines print at 5, 10 or 20 mm/mV; a pulse of another height is misread (a heavy pen's
        # plateau broken at grid lines, a fragment of trace): neither its height nor its foot is used
        for row in rows:
            row.pulses = {}
        warnings.append(f"calibration pulse read as {mm:.1f} mm high, not a standard 5/10/20 mm/mV (misread): "
                        "ignored, assumed 10 mm/mV")
        return 10.0 * r, 10.0, "assumed"
    warnings.append("no calibration pulse found; assumed 10 mm/mV")
    return 10.0 * r, 10.0, "assumed"


def _baseline(row: RowReading, r: float) -> None:
    """0 mV of the row at its start: the calibration pulse's foot, else the most common trace level (isoelectric),
    each taken level with the grid's horizontal lines (:attr:`RowReading.lift`)."""
    feet = [p.base_px - float(row.level(0.5 * (p.x_rise + p.x_fall))) for p in row.pulses.values()]
    if feet:
        row.baseline_px, row.baseline_from = float(np.mean(feet)), "calibration pulse"
        return
    sub = _sub(row.path, row.extent)
    mid = sub.centre - row.level(sub.x0 + np.arange(sub.centre.size))
    mid = mid[np.isfinite(mid)]
    if mid.size == 0:
        row.baseline_px, row.baseline_from = row.baseline_guess, "row position"
        return
    step = 0.1 * r
    hist, edges = np.histogram(mid, bins=np.arange(mid.min() - step, mid.max() + 2 * step, step))
    smooth = np.convolve(hist, np.ones(5) / 5, mode="same")
    k = int(np.argmax(smooth))
    near = mid[np.abs(mid - 0.5 * (edges[k] + edges[k + 1])) <= 2 * step]
    row.baseline_px = float(np.median(near)) if near.size else float(0.5 * (edges[k] + edges[k + 1]))
    row.baseline_from = "isoelectric level"



def _lead_vector(lead: str) -> np.ndarray:
    """The lead in the basis (I, II, V1..V6): the limb leads are fixed combinations of I and II."""
    v = np.zeros(8)
    if lead in LIMB_BASIS:
        v[:2] = LIMB_BASIS[lead]
    else:
        v[2 + LEADS.index(lead) - 6] = 1.0
    return v


def baseline_from_leads(layout: str, rows_signal: list[np.ndarray], from_pulse: list[bool], fs: float,
                        duration_s: float, max_mv: float = 1.0, baselines_mv: list[float] | None = None,
                        first_column_only: bool = False) -> np.ndarray:
    """Corrections (mV, to subtract) of each row's 0 mV line from the relations between simultaneous leads.

    Leads recorded at the same time obey ``III = II - I``, ``aVR + aVL + aVF = 0`` and so on;
    a lead shown twice at once (rhythm strip) equals itself. Wherever a page shows such
    leads side by side in time (a 3x4 page: I, II, III in its first column), the mean
    of each relation over that time fixes a combination of the rows' 0 mV offsets. The
    offsets are the least-squares solution of those equations plus a prior pulling each
    row to its current baseline (strongly when it came from a calibration pulse, weakly
    when from the isoelectric level, which a wandering baseline or ST shift moves).
    With ``baselines_mv`` (each row's 0 mV line, page y in mV units) the rows of the lead
    grid are also held to equal spacing, as every printed layout draws them. ``first_column_only``: only the
    first column and the strips are used (a page whose columns all show the first seconds).

    Example
    -------
    >>> t = np.arange(5000) / 500.0
    >>> i_, ii = np.sin(2 * np.pi * t), np.cos(2 * np.pi * 1.3 * t)
    >>> rows = [i_ + 0.2, ii, ii - i_]                  # I (0.2 mV too high), II and III, first 2.5 s
    >>> c = baseline_from_leads("3x4", [np.where(t < 2.5, x, np.nan) for x in rows], [False, True, True], 500.0, 10.0)
    >>> [round(abs(float(v)), 1) for v in c]
    [0.2, 0.0, 0.0]
    """
    panels = [p for p in layout_panels(layout, duration_s) if p.row < len(rows_signal) and p.lead in LEADS
              and (p.column == 0 or not first_column_only)]   # an extra lead (V4R...) is in no relation
    n_rows = len(rows_signal)
    cuts = sorted({p.t0_s for p in panels} | {p.t1_s for p in panels})
    eqs, rhs = [], []
    for a, b in zip(cuts[:-1], cuts[1:]):
        active = [p for p in panels if p.t0_s <= a and p.t1_s >= b]
        if len(active) < 2:
            continue
        m = np.stack([_lead_vector(p.lead) for p in active], axis=1)        # 8 x k
        _, sv, vt = np.linalg.svd(m)
        rank = int((sv > 1e-9).sum())
        null = vt[rank:]                                                    # relations w: m @ w = 0
        if null.size == 0:
            continue
        margin = 0.05 * (b - a)
        i0, i1 = int(round((a + margin) * fs)), int(round((b - margin) * fs))
        seg = np.stack([rows_signal[p.row][i0:i1] for p in active], axis=1)
        ok = np.isfinite(seg).all(axis=1)
        if ok.sum() < 0.5 * fs * (b - a):
            continue
        for w in null:
            coeff = np.zeros(n_rows)
            for p, wk in zip(active, w):
                coeff[p.row] += wk
            if np.abs(coeff).max() < 1e-6:   # the same row twice: says nothing about offsets
                continue
            eqs.append(coeff)
            rhs.append(float(np.median(seg[ok] @ w)))
    if baselines_mv is not None:
        n_grid = min(len(GRIDS[parse_layout(layout)[0]]), n_rows)
        for k in range(1, n_grid - 1):
            coeff = np.zeros(n_rows)
            coeff[[k - 1, k, k + 1]] = (1.0, -2.0, 1.0)
            second = baselines_mv[k - 1] - 2.0 * baselines_mv[k] + baselines_mv[k + 1]
            eqs.append(coeff / np.sqrt(6.0))
            rhs.append(second / np.sqrt(6.0))
    if not eqs:
        return np.zeros(n_rows)
    prior = np.diag([10.0 if p else 0.1 for p in from_pulse])
    a_mat = np.vstack([np.array(eqs), prior])
    b_vec = np.concatenate([rhs, np.zeros(n_rows)])
    c = np.linalg.lstsq(a_mat, b_vec, rcond=None)[0]
    return np.where(np.abs(c) <= max_mv, c, 0.0)


def _row_signal(row: RowReading, x0: float, px_per_s: float, px_per_mv: float, fs: float,
                duration: float, window: tuple[float, float] | None = None) -> np.ndarray:
    """The row's trace in mV at ``fs`` over [0, duration) s (NaN where not traced).

    With ``window`` (t0, t1) only that panel is read: the pixel columns within a
    pen's reach of its edges (where the trace jumps to the neighbouring panel's
    lead, or that panel's pen tip lies) are left out and the panel's own trace is
    continued along its slope to its edges.
    """
    if row.polyline is None:
        path = _sub(row.path, row.extent)
        row.polyline = polyline_refine(path, *path_polyline(path, row.width_px))
    xs, ys = row.polyline
    t = np.arange(int(round(duration * fs))) / fs
    x_at = row.x_at(x0, t, px_per_s)
    if window is None:
        y = polyline_sample(xs, ys, x_at, max_gap=1.0)
    else:
        xa, xb = row.x_at(x0, np.asarray(window, np.float64), px_per_s)
        # the columns within a pen's reach of the panel's edge may hold the neighbouring panel's stroke
        # (a connecting line, a pen tip): left out, and the panel's own trace extended along its slope
        margin = 0.5 + 0.5 * row.width_px
        keep = np.isfinite(xs) & (xs >= np.round(xa) + margin) & (xs <= np.round(xb) - margin)
        keep |= ~np.isfinite(xs)
        sel = (t >= window[0]) & (t < window[1])
        y = np.full(len(t), np.nan)
        y[sel] = polyline_sample(xs[keep], ys[keep], x_at[sel], max_gap=margin + 1.5, extend=True)
    return (row.baseline_px + row.level(x_at) - y) / px_per_mv


def _length_misfit(reading: _PageReading, config: DigitizeConfig, scale: float = 1.0) -> float:
    """|log| of the rows' median length (mm, times ``scale``) over the layout's: 0 for rows of 250 mm."""
    lengths = float(np.median([(row.extent[1] - row.extent[0]) / reading.px_per_mm for row in reading.rows]))
    return abs(float(np.log(lengths * scale / (shown_duration_s(config.speed_mm_s) * config.speed_mm_s))))


def _better_unit(reading: _PageReading, lattice: Lattice, config: DigitizeConfig) -> float | None:
    """With one visible line spacing, the size (mm) of that spacing that explains the page better than the one
    taken (``lattice.unit_mm``), or None: the calibration pulse's height nearer a standard gain, or, where the
    pulse fits both as well (5 and 10 mm/mV are both standard), the rows' length nearer the layout's 250 mm.
    10 mm: a scan of about 2.5 px per mm, whose 5 mm lines come out lighter and darker in turn."""
    pulse = reading.gain_from.startswith("calibration")

    def off(scale: float) -> tuple[float, float]:  # mm on the page grow by ``scale`` with the spacing's size
        gain = min(abs(np.log(reading.px_per_mv / reading.px_per_mm * scale / g)) for g in STANDARD_GAINS)
        return (gain if pulse else 0.0), _length_misfit(reading, config, scale)

    now = off(1.0)
    fits = []
    for unit in UNIT_ALTERNATIVES[lattice.unit_mm]:
        gain, length = off(unit / lattice.unit_mm)
        if gain + 0.05 < now[0] or (gain <= now[0] + 0.05 and length + 0.1 < now[1]):
            fits.append((gain, length, unit))
    return min(fits)[2] if fits else None


def _assemble(reading: _PageReading, lattice: Lattice, config: DigitizeConfig, name: str,
              warnings: list[str], where=None) -> tuple[Record, dict]:
    n = int(round(config.duration_s * config.fs))
    duration = shown_duration_s(config.speed_mm_s)
    r = reading.px_per_mm
    px_per_s = reading.px_per_s
    panels = [p for p in layout_panels(reading.layout, duration) if p.row < len(reading.rows)]
    names = panel_names(reading.labels, panels)
    # the twelve leads, then any extra lead the page prints (a 3x5 page's V4R, V8, V9), under its own name
    sig_name = list(LEADS) + list(dict.fromkeys(lead for lead, _ in names.values() if lead not in LEADS))
    signal = np.full((n, len(sig_name)), np.nan)
    best_quality = np.full(len(sig_name), -1.0)
    quality: dict[str, float] = {}
    panels_out = []
    used_rows = sorted({p.row for p in panels})
    n_grid = len(GRIDS[parse_layout(reading.layout)[0]])         # the rows below the grid are rhythm strips
    shift_of = {(p.row, p.column): reading.column_shift.get(p.column, 0.0) if p.row < n_grid else 0.0
                for p in panels}
    for column, sh in sorted(reading.column_shift.items()):
        if sh != 0.0:
            p = next(q for q in panels if q.column == column and q.row < n_grid)
            warnings.append(f"column {column + 1} shows {p.t0_s + sh:g}-{p.t1_s + sh:g} s, not {p.t0_s:g}-{p.t1_s:g} s "
                            "(its beats line up with the rhythm strip's there)")
    # each panel as it is written (the row's trace over the panel's own time), and each row put back
    # together from its written panels
    segs = []
    written = {i: np.full(n, np.nan) for i in used_rows}
    for p in panels:
        i0, i1 = p.sample_range(config.fs)
        row = reading.rows[p.row]
        segs.append(_row_signal(row, row.x0_px, px_per_s, reading.px_per_mv, config.fs, duration,
                                window=(p.t0_s, p.t1_s))[i0:min(i1, n)])
        written[p.row][i0:i0 + len(segs[-1])] = segs[-1]
    # all leads are recorded at once, so every row shows the same heart rate. It is measured per row
    # over the row's panels put together, as written (a 2.5 s panel holds too few beats: on true signals
    # about one panel in ten reads >10 % off); a row whose rate disagrees with the others is misread and dropped
    row_rates = {i: _heart_rate(written[i], config.fs, [p.sample_range(config.fs) for p in panels if p.row == i])
                 for i in used_rows}
    known = [v for v in row_rates.values() if np.isfinite(v)]
    odd_rows: list[int] = []
    consensus = float(np.median(known)) if known else float("nan")
    if len(known) == 2 and max(known) / min(known) - 1 > HR_TOLERANCE:
        odd_rows = [i for i, v in row_rates.items() if np.isfinite(v)]
    elif len(known) >= 3:
        odd_rows = [i for i, v in row_rates.items() if np.isfinite(v) and abs(v / consensus - 1) > HR_TOLERANCE]
    odd_leads = [p.lead for p in panels if p.row in odd_rows]
    if odd_rows:
        # rhythms can differ between rows in life (an ectopic run, a pause), so the row is kept, and flagged
        warnings.append(f"row(s) {', '.join(str(i + 1) for i in odd_rows)} ({', '.join(odd_leads)}): heart rate "
                        f"differs from the other rows' {consensus:.0f} bpm by more than {HR_TOLERANCE:.0%}: kept; "
                        "check them (a misread trace, or a rhythm that changed)")
    contradicted = []
    for p, seg in zip(panels, segs):
        row = reading.rows[p.row]
        i0, i1 = p.sample_range(config.fs)
        i1 = min(i1, n)
        q = _panel_quality(row, *row.x_at(row.x0_px, np.array([p.t0_s, p.t1_s]), px_per_s), seg)
        lead, name_from = names[(p.row, p.column)]
        written = not name_from.startswith("not written")
        sh = shift_of[(p.row, p.column)]
        panels_out.append({"lead": lead, "row": p.row, "column": p.column, "t0_s": p.t0_s, "t1_s": p.t1_s,
                           "shift_s": sh, "quality": round(q, 3), "name_from": name_from, "written": written})
        if name_from not in ("label", "layout"):
            contradicted.append(f"row {p.row + 1} column {p.column + 1}: {name_from}")
        k = sig_name.index(lead)
        if not written or np.isfinite(seg).sum() == 0:
            continue
        # the panel's samples hold the record's time t + shift (s)
        start = i0 + int(round(sh * config.fs))
        i0 = max(0, start)
        seg = seg[i0 - start:]
        i1 = min(n, i0 + len(seg))
        seg = seg[:i1 - i0]
        # a lead shown twice (grid and rhythm strip): where both show it, keep the better reading
        current = signal[i0:i1, k]
        take = np.isfinite(seg) & (~np.isfinite(current) | (q > best_quality[k]))
        signal[i0:i1, k] = np.where(take, seg, current)
        best_quality[k] = max(best_quality[k], q)
        quality[lead] = round(max(quality.get(lead, 0.0), q), 3)
    found = [lead for k, lead in enumerate(sig_name) if np.isfinite(signal[:, k]).any()]
    rates = {lead: _heart_rate(signal[:, sig_name.index(lead)], config.fs) for lead in found}
    if not found:
        raise VaescanInputError(where if where is not None else name,
                                "no trace row could be read consistently (the rows disagree on heart rate)")
    low = [lead for lead, q in quality.items() if q < 0.6]
    if low:
        warnings.append(f"low quality in {', '.join(low)}")
    checks = _flag_labels(_flag_rows(lead_checks(signal, config.fs, sig_name), odd_leads, consensus), contradicted,
                          panels_out)
    checks = _flag_precordial(_flag_strips(checks, panels_out, reading.strips, n_grid), panels_out)
    checks = _flag_extra(checks, panels_out)
    if reading.x0_from == INKED_ORIGIN:
        _check_leads(checks, "time origin taken where the rows' ink begins (no trace end read): panels' times "
                     "unchecked")
    record = Record(signal, config.fs, sig_name, name=name,
                    comments=[f"digitised by vaescan from a {reading.layout} page"])
    report = {
        "name": name,
        "layout": reading.layout,
        "layout_from": reading.layout_from,
        "rotation_deg": round(lattice.rotation_deg, 2),
        "perspective": round(lattice.perspective, 4),
        "px_per_mm": round(lattice.image_px_per_mm, 4),
        "grid": lattice.to_json(),
        "speed_mm_s": config.speed_mm_s,
        "gain_mm_mv": reading.gain_mm_mv,
        "gain_from": reading.gain_from,
        "time_origin_from": reading.x0_from,
        "time_origin_px": round(reading.x0, 3),
        "px_per_s": round(px_per_s, 4),
        "px_per_mv": round(reading.px_per_mv, 4),
        "rows": [{"baseline_from": row.baseline_from, "baseline_px": round(row.baseline_px, 3),
                  "time_origin_px": round(row.x0_px, 3),
                  "grid_drift": None if row.drift is None else row.drift.to_json(),
                  "grid_lift": None if row.lift is None else row.lift.to_json(),
                  "pulses": sorted(row.pulses),
                  "extent_mm": [round(row.extent[0] / r, 2), round(row.extent[1] / r, 2)]} for row in reading.rows],
        "leads_found": found,
        "quality": {lead: quality[lead] for lead in found},
        "hr_bpm": {lead: (round(v, 1) if np.isfinite(v) else None) for lead, v in rates.items()},
        "hr_bpm_rows": [(round(row_rates[i], 1) if i in row_rates and np.isfinite(row_rates[i]) else None)
                        for i in range(len(reading.rows))],
        "panels": panels_out,
        "fs": config.fs,
        "config": dataclasses.asdict(config),
        "warnings": warnings,
        "labels": [{"name": pl.label.name, "box": list(pl.label.box), "score": round(pl.label.score, 3),
                    "panel": list(pl.panel) if pl.panel is not None else None} for pl in reading.labels],
        "strips": [{"row": p["row"], "lead": p["lead"], "name_from": p["name_from"], "repeats": m.lead,
                    "residual": _rounded(m.residual), "next": m.runner_up,
                    "next_residual": _rounded(m.runner_up_residual),
                    "row_next_residual": _rounded(m.row_next_residual), "confirmed": m.confirmed}
                   for p, m in zip([q for q in panels_out if q["row"] >= n_grid], reading.strips)],
        "lead_checks": checks,
    }
    return record, report


def _flag_labels(checks: dict, contradicted: list[str], panels: list[dict]) -> dict:
    """Say for each lead whether its printed label named it (``named_by``: "label" or "layout"), and where a
    label contradicted the layout (the page's verdict becomes "check leads", and a lead written under the label's
    name gets confidence <= 0.25 with the reason)."""
    for lead, entry in checks["leads"].items():
        mine = [p["name_from"] for p in panels if p["lead"] == lead and p["written"]]
        entry["named_by"] = "label" if any(src.startswith("label") for src in mine) else "layout"
    if contradicted:
        _check_leads(checks, "printed labels contradict the layout: " + "; ".join(contradicted))
    # a trace written under its label's name where the layout puts another lead: one of the two is misread, and
    # nothing else confirms the name (vaescan's own page013 of seed 0: a V4 panel under a label read as V1)
    for p in panels:
        if p["written"] and p["name_from"].startswith("label (layout:"):
            why = (f"named by its printed label in row {p['row'] + 1} column {p['column'] + 1}, where the layout "
                   f"puts {p['name_from'][len('label (layout: '):-1]}: the label or the layout is misread")
            _doubt_lead(checks, p["lead"], why)
    return checks


def _rounded(x: float) -> float | None:
    return round(float(x), 3) if np.isfinite(x) else None


def _flag_strips(checks: dict, panels: list[dict], strips: list[StripMatch], n_grid: int) -> dict:
    """Lower the confidence of a rhythm strip's lead where neither its printed label nor the grid panel it repeats
    names it (:func:`~vaescan.digitize.strips.strip_matches`), or where the two disagree, with the reason."""
    for p, m in zip([q for q in panels if q["row"] >= n_grid], strips):
        lead, by_label = p["lead"], p["name_from"].startswith("label")
        if not p["written"] or (m.confirmed and m.lead == lead):
            why = None
        elif m.confirmed:
            why = (f"the rhythm strip in row {p['row'] + 1} is named {lead} (from the {p['name_from']}) but repeats "
                   f"the grid's {m.lead} panel (residual {m.residual:.0%})")
        elif by_label:
            why = None
        elif m.row_again and m.lead is not None:
            why = (f"row {p['row'] + 1}, read as a rhythm strip named {lead}, matches several panels of one grid row "
                   f"(best {m.lead} residual {m.residual:.0%}, another of that row {m.row_next_residual:.0%}): "
                   "that row read a second time, not a strip?")
        else:
            why = (f"the rhythm strip in row {p['row'] + 1} is named {lead} by the layout only: no printed label read, "
                   f"and the grid panel it repeats is not certain (best {m.lead} residual "
                   f"{m.residual:.0%}, {m.runner_up} {m.runner_up_residual:.0%})")
        if why is None:
            continue
        _doubt_lead(checks, lead, why)
        _check_leads(checks, f"rhythm strip {lead} (row {p['row'] + 1}) not confirmed")
    return checks


def _flag_precordial(checks: dict, panels: list[dict]) -> dict:
    """Give a precordial lead, which no relation checks, the doubt of the limb leads printed in its row: where every
    limb lead of the row fails its relations (the row misread, or read shifted in time), so may the precordial one."""
    leads = checks["leads"]
    for row in sorted({p["row"] for p in panels}):
        mine = [p["lead"] for p in panels if p["row"] == row and p["written"]]
        limb = [leads[lead]["confidence"] for lead in mine if lead in LIMB_BASIS and lead in leads
                and leads[lead]["confidence"] is not None]
        if not limb or max(limb) >= 0.5:
            continue
        limb_names = ", ".join(lead for lead in mine if lead in LIMB_BASIS)
        for lead in mine:
            entry = leads.get(lead)
            if lead in LIMB_BASIS or entry is None or (entry["confidence"] is not None and entry["confidence"] < 0.5):
                continue
            _doubt_lead(checks, lead, f"the limb leads printed in its row ({limb_names}) fail their relations: the "
                        "row may be misread or shifted in time", cap=round(float(max(limb)), 3))
    return checks


def _flag_extra(checks: dict, panels: list[dict]) -> dict:
    """An extra lead (V4R, V7-V9...) named by the layout's default, not by its printed label: confidence <= 0.25
    with the reason (a 3x5 page may print any extra chest leads in its fifth column)."""
    for p in panels:
        if p["written"] and p["lead"] not in LEADS and p["name_from"] == "layout":
            _doubt_lead(checks, p["lead"], f"extra lead in row {p['row'] + 1} column {p['column'] + 1} named by the "
                        f"{'/'.join(EXTRA_DEFAULT)} default of a 15-lead page: its printed label was not read")
            _check_leads(checks, f"extra lead {p['lead']} named by the layout only")
    return checks


def _check_leads(checks: dict, reason: str) -> None:
    """A doubt found beside the lead relations: a "confident" page becomes "check leads", and the reason is added."""
    checks["verdict"] = "check leads" if checks["verdict"] == "confident" else checks["verdict"]
    checks["reasons"] = [*checks["reasons"], reason]


def _doubt_lead(checks: dict, lead: str, why: str, cap: float = 0.25) -> None:
    """Lower ``lead``'s confidence to at most ``cap`` and put ``why`` first among its reasons."""
    entry = checks["leads"].setdefault(lead, {"confidence": None, "reason": ""})
    entry["confidence"] = min(entry["confidence"] if entry["confidence"] is not None else 1.0, cap)
    entry["reason"] = f"{why}; {entry['reason']}" if entry["reason"] else why


def _flag_rows(checks: dict, leads: list[str], consensus_bpm: float) -> dict:
    """Lower the confidence of the leads of rows whose heart rate disagrees with the page's, with the reason."""
    if not leads:
        return checks
    why = f"its row's heart rate differs from the other rows' {consensus_bpm:.0f} bpm (misread, or the rhythm changed)"
    for lead in dict.fromkeys(leads):
        _doubt_lead(checks, lead, why)
    _check_leads(checks, f"heart rate differs in {', '.join(dict.fromkeys(leads))}")
    return checks


def _panel_quality(row: RowReading, x_from: float, x_to: float, seg: np.ndarray) -> float:
    """Share of the panel's columns with ink on the followed trace, less the share of big jumps."""
    a, b = int(round(x_from)) - row.path.x0, int(round(x_to)) - row.path.x0
    a, b = max(a, 0), min(b, len(row.path.centre))
    if b <= a:
        return 0.0
    found = row.path.found[a:b].mean()
    jumps = (row.path.jump_mm[a:b] > 3.0).mean()
    shown = np.isfinite(seg).mean() if seg.size else 0.0
    return float(np.clip(min(found, shown) - 2.0 * jumps, 0.0, 1.0))


def _heart_rate(x: np.ndarray, fs: float, segments: list[tuple[int, int]] | None = None) -> float:
    """Heart rate (bpm) of a lead's shown samples from QRS-energy peaks; NaN when fewer than 3 beats.

    ``segments``: sample ranges of different leads shown one after the other (a printed row); the QRS
    energy is scaled within each, so that a lead with small QRS complexes still shows its beats, and
    the joins between them (a jump from one lead to the next) are left out.
    """
    from scipy.signal import butter, find_peaks, sosfiltfilt

    ok = np.isfinite(x)
    if ok.sum() < fs:
        return float("nan")
    idx = np.flatnonzero(ok)
    if segments is None:
        segments = [(int(idx[0]), int(idx[-1]) + 1)]
    sos = butter(2, [5.0, 30.0], btype="band", fs=fs, output="sos")
    energy = np.zeros(len(x))
    edge = int(0.04 * fs)
    parts = []
    for a, b in segments:
        seg = x[a:b]
        if np.isfinite(seg).sum() < 0.3 * fs:
            continue
        seg = np.where(np.isfinite(seg), seg, np.nanmedian(seg))
        if len(seg) < 3 * 13:
            continue
        e = np.abs(sosfiltfilt(sos, seg))
        e = np.convolve(e, np.ones(int(0.05 * fs)) / int(0.05 * fs), mode="same")
        if len(segments) > 1:
            e[:edge] = 0.0
            e[len(e) - edge:] = 0.0
        parts.append((a, b, e))
    if len(segments) > 1 and parts:
        # each lead's QRS energy scaled to its own peak, but a lead whose QRS is small next to the
        # row's strongest is raised to a quarter of that at most: its T waves must not pass for beats
        # (on the true rows of 60 synthetic records, 3x4 and 6x2: 2 of 540 read >10 % off, 7 without
        # a floor)
        scale = np.array([float(np.percentile(e, 99)) for _, _, e in parts])
        floor = 0.25 * float(np.max(scale))
        parts = [(a, b, e / max(s, floor, 1e-12)) for (a, b, e), s in zip(parts, scale)]
    for a, b, e in parts:
        energy[a:b] = e
    peaks, _ = find_peaks(energy, height=0.5 * np.percentile(energy[energy > 0], 99) if (energy > 0).any() else 1.0,
                          distance=int(0.27 * fs))
    if len(peaks) < 3:
        return float("nan")
    return float(60.0 * fs / np.median(np.diff(peaks)))

"""Draw a record as a clinical ECG printout, and return exactly what is shown where.

:func:`ecg_render` turns a :class:`~vaescan.data.records.Record` into an RGB page
image and a *truth* dict: px per mm, the layout, and per panel the lead, the
exact sample range shown, the pixel position of its first sample, px per second,
its baseline (0 mV) in px, and its box. Distortions (:mod:`vaescan.pages.distort`)
add the transform they apply to the same dict, so a page can be scored without
guessing.

The style space (:class:`PageStyle`) is wide on purpose, so that a digitiser
developed against it does not learn one renderer's habits: base layouts with and
without rhythm strips, paper speed and gain, resolution, grid colour (red, pink,
green, blue, orange, grey or none) and form (lines or dots), line widths, fonts
(DejaVu, STIX, Computer Modern, OpenCV's Hershey fonts), label position,
calibration pulse at the left, right or absent, panel separators, margins and
printed header text. :func:`random_style` draws from it by *family*; one family
(``"heldout"``) is kept out of development and reported separately.

Geometry: grid lines sit every 1 mm (major every 5 mm) from the top-left corner
of the grid area; a trace's sample at time t of a panel starting at ``t0_s`` is
drawn at ``x0_px + (t - t0_s) * px_per_s`` and value v (mV) at
``baseline_px - v * gain_mm_mv * px_per_mm``. Pixel centres are at integer
coordinates.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from vaescan.data.leads import LEADS
from vaescan.data.records import Record
from vaescan.errors import VaescanInputError
from vaescan.pages.layout import STRIP_MM, Panel, layout_panels, layout_rows, parse_layout, shown_duration_s

if TYPE_CHECKING:
    from vaescan.pages.distort import Distortion

GRID_RGB: dict[str, tuple[int, int, int] | None] = {
    "red": (225, 45, 50),
    "pink": (240, 130, 160),
    "green": (40, 160, 80),
    "blue": (70, 120, 210),
    "orange": (235, 140, 40),
    "grey": (120, 120, 120),
    "none": None,
}
"""Major grid line colour of each grid name; minor lines are a lighter blend with the paper."""

TTF_FONTS: dict[str, str] = {
    "DejaVu Sans": "DejaVuSans.ttf",
    "DejaVu Sans Bold": "DejaVuSans-Bold.ttf",
    "DejaVu Serif": "DejaVuSerif.ttf",
    "DejaVu Sans Mono": "DejaVuSansMono.ttf",
    "STIX": "STIXGeneral.ttf",
    "STIX Bold": "STIXGeneralBol.ttf",
    "Computer Modern": "cmr10.ttf",
    "Computer Modern Sans": "cmss10.ttf",
    "Computer Modern Typewriter": "cmtt10.ttf",
}
"""TrueType fonts shipped with matplotlib (no extra download)."""

HERSHEY_FONTS: dict[str, int] = {
    "Hershey Simplex": cv2.FONT_HERSHEY_SIMPLEX,
    "Hershey Duplex": cv2.FONT_HERSHEY_DUPLEX,
    "Hershey Complex": cv2.FONT_HERSHEY_COMPLEX,
    "Hershey Triplex": cv2.FONT_HERSHEY_TRIPLEX,
    "Hershey Plain": cv2.FONT_HERSHEY_PLAIN,
}
"""Stroke fonts drawn by OpenCV."""

FONTS: tuple[str, ...] = tuple(TTF_FONTS) + tuple(HERSHEY_FONTS)

_CHOICES = {
    "minor_grid": ("lines", "dots", "none"),
    "label_position": ("above", "below", "none"),
    "calibration": ("left", "right", "none"),
    "separators": ("none", "ticks", "lines"),
}


@dataclass
class PageStyle:
    """How a page is printed. Lengths in mm, resolution in dpi, colours as RGB 0-255.

    layout: ``"3x4"``, ``"3x4+II"``, ``"3x4+V1,II,V5"``, ``"6x2"``, ``"12x1"``
    (:mod:`vaescan.pages.layout`). speed_mm_s: 25 or 50. gain_mm_mv: 5, 10 or 20.
    page_mm: (width, height). margins_mm: (left, top, right, bottom) around the grid.
    grid_color: a key of :data:`GRID_RGB`. minor_grid: ``lines``, ``dots`` or ``none``.
    label_position: lead names ``above`` or ``below`` the trace start, or ``none``.
    calibration: 1 mV pulse at the ``left`` or ``right`` end of each row, or ``none``.
    separators: marks at lead changes: ``none``, ``ticks`` or dashed ``lines``.
    connect_panels: draw a row as one line, with a vertical jump at each lead change.
    baseline_frac: where a row's 0 mV line sits within its band (0 top, 1 bottom).
    header: text printed above the grid (``{name}`` is replaced by the record name).
    footer: print speed and gain below the grid, as machines do.
    """

    layout: str = "3x4+II"
    speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0
    dpi: float = 200.0
    page_mm: tuple[float, float] = (297.0, 210.0)
    margins_mm: tuple[float, float, float, float] = (10.0, 22.0, 10.0, 12.0)
    grid_color: str = "pink"
    minor_grid: str = "lines"
    major_line_mm: float = 0.22
    minor_line_mm: float = 0.1
    trace_mm: float = 0.3
    trace_rgb: tuple[int, int, int] = (0, 0, 0)
    paper_rgb: tuple[int, int, int] = (255, 255, 255)
    text_rgb: tuple[int, int, int] = (0, 0, 0)
    font: str = "DejaVu Sans"
    label_mm: float = 3.0
    label_position: str = "above"
    calibration: str = "left"
    separators: str = "none"
    connect_panels: bool = True
    baseline_frac: float = 0.6
    header: str = ""
    footer: bool = True

    def __post_init__(self) -> None:
        parse_layout(self.layout)
        if self.grid_color not in GRID_RGB:
            raise VaescanInputError(None, f"unknown grid colour {self.grid_color!r}; known: {', '.join(GRID_RGB)}")
        if self.font not in FONTS:
            raise VaescanInputError(None, f"unknown font {self.font!r}; known: {', '.join(FONTS)}")
        for name, allowed in _CHOICES.items():
            if getattr(self, name) not in allowed:
                raise VaescanInputError(None, f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if not 20 <= self.dpi <= 1200:
            raise VaescanInputError(None, f"dpi must be within 20-1200, got {self.dpi}")
        if self.speed_mm_s <= 0 or self.gain_mm_mv <= 0:
            raise VaescanInputError(None, "speed_mm_s and gain_mm_mv must be positive")
        for name in ("page_mm", "margins_mm", "trace_rgb", "paper_rgb", "text_rgb"):
            setattr(self, name, tuple(getattr(self, name)))

    @property
    def px_per_mm(self) -> float:
        """Image resolution in px per mm."""
        return self.dpi / 25.4


def random_style(rng: np.random.Generator, family: str = "any", **fixed) -> PageStyle:
    """Draw a :class:`PageStyle` from a style family; ``fixed`` settings override the draw.

    Families differ in how a page *looks* (fonts, colours, line widths, margins,
    labels, separators); layout, speed, gain and resolution are drawn the same way
    in all of them. ``"heldout"`` (grey grids, OpenCV stroke fonts, heavy blue-black
    traces, wide margins, dashed separators) is not used while developing the
    digitiser and measures how it generalises. ``"any"`` draws one of the others.

    Example
    -------
    >>> style = random_style(np.random.default_rng(0), "classic", dpi=100)
    >>> style.dpi, style.grid_color in ("red", "pink")
    (100, True)
    """
    if family == "any":
        family = str(rng.choice(DEVELOPMENT_FAMILIES))
    if family not in STYLE_FAMILIES:
        raise VaescanInputError(None, f"unknown style family {family!r}; known: {', '.join(STYLE_FAMILIES)}")
    u = rng.uniform
    pick = lambda seq: seq[int(rng.integers(len(seq)))]  # noqa: E731
    layout = pick(("3x4+II",) * 4 + ("3x4",) * 2 + ("6x2",) * 2 + ("12x1", "3x4+V1,II,V5"))
    calibration = pick(("left",) * 3 + ("right", "none"))
    speed = 50.0 if rng.random() < 0.1 else 25.0
    gain = 5.0 if layout == "12x1" and rng.random() < 0.7 else 10.0
    if calibration != "none" and rng.random() < 0.2:
        gain = pick((5.0, 20.0))
    s: dict = dict(layout=layout, calibration=calibration, speed_mm_s=speed, gain_mm_mv=gain,
                   dpi=pick((100, 150, 200, 200, 250, 300)), baseline_frac=u(0.5, 0.7),
                   connect_panels=bool(rng.random() < 0.6))
    paper_mm = pick(((297.0, 210.0), (279.4, 215.9)))
    if family == "classic":
        s.update(grid_color=pick(("red", "pink")), minor_grid=pick(("lines", "lines", "dots")),
                 font=pick(("DejaVu Sans", "DejaVu Sans Bold", "DejaVu Serif")),
                 major_line_mm=u(0.15, 0.3), minor_line_mm=u(0.06, 0.12), trace_mm=u(0.2, 0.35),
                 label_position="above", label_mm=u(2.5, 4.0), separators=pick(("none", "ticks")),
                 margins=(u(5, 12), u(15, 30), u(5, 12), u(8, 15)), header=pick(("", "{name}")))
    elif family == "export":
        s.update(grid_color=pick(("red", "pink", "orange")), minor_grid="lines",
                 font=pick(("STIX", "Computer Modern", "DejaVu Serif")),
                 major_line_mm=u(0.1, 0.2), minor_line_mm=u(0.04, 0.08), trace_mm=u(0.15, 0.3),
                 label_position="below", label_mm=u(2.5, 3.5), separators="none",
                 margins=(u(8, 14), u(30, 45), u(8, 14), u(10, 18)), header=_MACHINE_HEADER)
    elif family == "print":
        s.update(grid_color=pick(("green", "blue", "pink", "orange")), minor_grid=pick(("dots", "lines", "none")),
                 font=pick(("DejaVu Sans Mono", "Computer Modern Sans", "Computer Modern Typewriter")),
                 major_line_mm=u(0.15, 0.35), minor_line_mm=u(0.08, 0.15), trace_mm=u(0.25, 0.45),
                 label_position=pick(("above", "below")), label_mm=u(2.0, 3.5), separators=pick(("ticks", "lines")),
                 paper_rgb=(int(u(240, 255)), int(u(235, 250)), int(u(215, 240))),
                 margins=(u(4, 10), u(12, 25), u(4, 10), u(6, 12)), header=pick(("", "{name}   25 mm/s")))
    else:  # heldout
        s.update(grid_color="grey", minor_grid=pick(("lines", "dots")), font=pick(tuple(HERSHEY_FONTS)),
                 major_line_mm=u(0.2, 0.4), minor_line_mm=u(0.08, 0.15), trace_mm=u(0.35, 0.55),
                 trace_rgb=(int(u(0, 30)), int(u(0, 30)), int(u(60, 110))), label_position=pick(("above", "below")),
                 label_mm=u(2.0, 4.5), separators="lines", paper_rgb=(int(u(235, 250)),) * 3,
                 margins=(u(12, 16), u(20, 35), u(5, 8), u(12, 20)), header=pick(("", _MACHINE_HEADER)))
    margins = s.pop("margins")
    # keep the strip on the page: grid width must hold pulse + 250 mm of trace
    spare = paper_mm[0] - STRIP_MM - _PULSE_SPACE_MM - 2.0
    left = min(margins[0], spare / 2)
    s.update(page_mm=paper_mm, margins_mm=(left, margins[1], min(margins[2], spare - left), margins[3]))
    s.update(fixed)
    return PageStyle(**s)


STYLE_FAMILIES: tuple[str, ...] = ("classic", "export", "print", "heldout")
DEVELOPMENT_FAMILIES: tuple[str, ...] = ("classic", "export", "print")
_MACHINE_HEADER = ("{name}\nVent. rate      72 BPM\nPR interval    160 ms\nQRS duration    92 ms\n"
                   "QT/QTc     380/412 ms\nNormal sinus rhythm")
_PULSE_SPACE_MM = 8.0  # room for the calibration pulse beside the traces
_PULSE_S = 0.2  # pulse width in seconds


def _coverage_1d(n: int, origin: float, pitch: float, every: int, width: float, major: bool) -> np.ndarray:
    """Exact fraction of each pixel [i-0.5, i+0.5] covered by lines at origin + k*pitch (k % every == 0 or not)."""
    x = np.arange(n, dtype=np.float64)
    k = np.round((x - origin) / pitch)
    out = np.zeros(n)
    for dk in (-1.0, 0.0, 1.0):  # neighbouring lines can touch a pixel when lines are wide
        kk = k + dk
        is_major = (kk % every) == 0
        keep = is_major if major else ~is_major
        centre = origin + kk * pitch
        cover = np.clip(np.minimum(x + 0.5, centre + width / 2) - np.maximum(x - 0.5, centre - width / 2), 0, 1)
        out += np.where(keep, cover, 0.0)
    return np.clip(out, 0.0, 1.0)


def _blend(canvas: np.ndarray, alpha: np.ndarray, rgb) -> None:
    """Paint ``rgb`` over ``canvas`` (float RGB 0-255) with per-pixel coverage ``alpha`` in place."""
    a = alpha[..., None]
    canvas *= 1.0 - a
    canvas += a * np.asarray(rgb, dtype=np.float32)


@functools.lru_cache(maxsize=64)
def _ttf(font: str, size_px: int):
    import matplotlib
    from PIL import ImageFont

    path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", TTF_FONTS[font])
    return ImageFont.truetype(path, max(size_px, 4))


def _draw_text(alpha: np.ndarray, text: str, x: float, y_top: float, height_px: float, font: str) -> None:
    """Draw ``text`` with its top-left at (x, y_top), capital height about ``height_px``, into ``alpha``."""
    if not text:
        return
    h, w = alpha.shape
    if font in HERSHEY_FONTS:
        face = HERSHEY_FONTS[font]
        (tw, th), base = cv2.getTextSize(text, face, 1.0, 1)
        scale = height_px / max(th, 1)
        thick = max(1, int(round(scale * 1.2)))
        (tw, th), base = cv2.getTextSize(text, face, scale, thick)
        layer = np.zeros((int(th + base + 2 * thick + 4), int(tw + 2 * thick + 4)), np.uint8)
        cv2.putText(layer, text, (thick + 2, int(th + thick + 2)), face, scale, 255, thick, cv2.LINE_AA)
    else:
        from PIL import Image, ImageDraw

        pil_font = _ttf(font, int(round(height_px * 1.4)))
        left, top, right, bottom = pil_font.getbbox(text)
        img = Image.new("L", (right - left + 4, bottom - top + 4), 0)
        ImageDraw.Draw(img).text((2 - left, 2 - top), text, font=pil_font, fill=255)
        layer = np.asarray(img)
    x0, y0 = int(round(x)), int(round(y_top))
    xa, ya, xb, yb = max(x0, 0), max(y0, 0), min(x0 + layer.shape[1], w), min(y0 + layer.shape[0], h)
    if xa < xb and ya < yb:
        part = layer[ya - y0:yb - y0, xa - x0:xb - x0].astype(np.float32) / 255.0
        np.maximum(alpha[ya:yb, xa:xb], part, out=alpha[ya:yb, xa:xb])


class _Pen:
    """Anti-aliased polylines of any width, drawn 2x (or 4x at low dpi) supersampled and averaged down."""

    def __init__(self, shape: tuple[int, int], width_px: float):
        self.factor = 4 if width_px < 2.0 else 2
        self.shape = shape
        self.layer = np.zeros((shape[0] * self.factor, shape[1] * self.factor), np.uint8)
        self.thickness = max(1, int(round(width_px * self.factor)))

    def line(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """Draw the polyline through (xs, ys) in page pixel coordinates; NaN breaks the line."""
        ok = np.isfinite(xs) & np.isfinite(ys)
        f = self.factor
        pts = np.stack([(xs * f + (f - 1) / 2) * 16, (ys * f + (f - 1) / 2) * 16], axis=1)
        for seg in np.split(np.arange(len(xs)), np.flatnonzero(np.diff(ok.astype(np.int8)) != 0) + 1):
            if len(seg) and ok[seg[0]]:
                poly = np.round(pts[seg]).astype(np.int32)
                if len(poly) == 1:
                    poly = np.vstack([poly, poly])
                cv2.polylines(self.layer, [poly], False, 255, self.thickness, cv2.LINE_AA, shift=4)

    def alpha(self) -> np.ndarray:
        """Coverage in [0, 1] at page resolution."""
        small = cv2.resize(self.layer, (self.shape[1], self.shape[0]), interpolation=cv2.INTER_AREA)
        return small.astype(np.float32) / 255.0


def ecg_render(record: Record, style: PageStyle | None = None) -> tuple[np.ndarray, dict]:
    """Render ``record`` as a printed ECG page; return the RGB image (uint8) and its truth dict.

    The truth holds ``px_per_mm``, the layout, speed and gain, the image size, the
    style, the calibration pulses and per panel: ``lead``, ``t0_s``/``t1_s``,
    ``samples`` (half-open index range into the record at its own ``fs``), ``x0_px``
    (x of the panel's first sample), ``px_per_s``, ``baseline_px`` (y of 0 mV),
    ``px_per_mv`` and ``box_px``. ``transform`` is the identity until a distortion
    is applied (:func:`vaescan.pages.distort.image_distort`).

    Example
    -------
    >>> from vaescan.data.leads import LEADS
    >>> t = np.arange(5000) / 500.0
    >>> rec = Record(np.outer(np.sin(2 * np.pi * 1.2 * t), np.ones(12)), 500.0, list(LEADS), name="demo")
    >>> image, truth = ecg_render(rec, PageStyle(dpi=100))
    >>> image.shape, truth["layout"], len(truth["panels"])
    ((827, 1169, 3), '3x4+II', 13)
    >>> p = truth["panels"][2]
    >>> p["lead"], p["samples"], round(p["px_per_s"], 2)
    ('V1', [2500, 3750], 98.43)
    """
    style = style or PageStyle()
    ppm = style.px_per_mm
    width, height = (int(round(v * ppm)) for v in style.page_mm)
    ml, mt, mr, mb = style.margins_mm
    grid_w_mm = style.page_mm[0] - ml - mr
    grid_h_mm = style.page_mm[1] - mt - mb
    if grid_w_mm < STRIP_MM + _PULSE_SPACE_MM or grid_h_mm < 40:
        raise VaescanInputError(None, f"page {style.page_mm} mm with margins {style.margins_mm} mm leaves "
                                f"{grid_w_mm:.0f}x{grid_h_mm:.0f} mm; need {STRIP_MM + _PULSE_SPACE_MM:.0f}x40 mm")
    paper = np.asarray(style.paper_rgb, np.float32)
    canvas = np.empty((height, width, 3), np.float32)
    canvas[:] = paper

    gx0, gy0 = ml * ppm, mt * ppm  # grid origin (a major line crossing), px
    gx1, gy1 = (style.page_mm[0] - mr) * ppm, (style.page_mm[1] - mb) * ppm
    grid_rgb = GRID_RGB[style.grid_color]
    if grid_rgb is not None:
        _draw_grid(canvas, style, ppm, (gx0, gy0, gx1, gy1), paper, np.asarray(grid_rgb, np.float32))

    duration = shown_duration_s(style.speed_mm_s)
    panels = layout_panels(style.layout, duration)
    n_rows = layout_rows(style.layout)
    row_h = (gy1 - gy0) / n_rows
    px_per_s = style.speed_mm_s * ppm
    px_per_mv = style.gain_mm_mv * ppm
    left_pulse = style.calibration == "left"
    trace_x0 = gx0 + (_PULSE_SPACE_MM if left_pulse else 2.0) * ppm
    baselines = [gy0 + (r + style.baseline_frac) * row_h for r in range(n_rows)]

    pen = _Pen((height, width), style.trace_mm * ppm)
    text = np.zeros((height, width), np.float32)
    signal, fs = record.signal, record.fs
    n = record.n_samples
    truth_panels, pulses = [], []
    for r in range(n_rows):
        row_panels = [p for p in panels if p.row == r]
        xs_row, ys_row = [], []
        for p in row_panels:
            i0, i1 = p.sample_range(fs)
            i1 = min(i1, n)
            if p.lead not in record.sig_name or i0 >= i1:
                continue
            v = signal[i0:i1, record.sig_name.index(p.lead)]
            x0 = trace_x0 + p.t0_s * px_per_s
            xs = x0 + (np.arange(i0, i1) / fs - p.t0_s) * px_per_s
            ys = baselines[r] - v * px_per_mv
            if style.connect_panels:
                xs_row.append(xs)
                ys_row.append(ys)
            else:
                pen.line(xs, ys)
            truth_panels.append(_panel_truth(p, i0, i1, x0, px_per_s, baselines[r], px_per_mv, row_h, style))
            _draw_label(text, style, p, x0, baselines[r], ppm)
            if p.column > 0 and style.separators != "none":
                _draw_separator(pen, style, x0, baselines[r], row_h, ppm)
        if xs_row:
            pen.line(np.concatenate(xs_row), np.concatenate(ys_row))
        if style.calibration != "none":
            end = trace_x0 + duration * px_per_s
            pulses.append(_draw_pulse(pen, style, r, baselines[r], ppm, gx0 + 1.0 * ppm if left_pulse
                                      else end + 1.5 * ppm))
    _draw_page_text(text, style, record.name, ppm, (gx0, gy0, gx1, gy1))
    _blend(canvas, text, style.text_rgb)
    _blend(canvas, pen.alpha(), style.trace_rgb)
    image = np.clip(np.round(canvas), 0, 255).astype(np.uint8)
    truth = {
        "record": record.name,
        "fs": fs,
        "n_samples": n,
        "layout": style.layout,
        "speed_mm_s": style.speed_mm_s,
        "gain_mm_mv": style.gain_mm_mv,
        "dpi": style.dpi,
        "px_per_mm": ppm,
        "image_size": [width, height],
        "grid_origin_px": [gx0, gy0],
        "grid_box_px": [gx0, gy0, gx1, gy1],
        "style": dataclasses.asdict(style),
        "panels": truth_panels,
        "calibration": pulses,
        "transform": {"homography": np.eye(3).tolist(), "distortion": None},
    }
    return image, truth


def _panel_truth(p: Panel, i0: int, i1: int, x0: float, px_per_s: float, baseline: float, px_per_mv: float,
                 row_h: float, style: PageStyle) -> dict:
    x1 = x0 + (p.t1_s - p.t0_s) * px_per_s
    top = baseline - style.baseline_frac * row_h
    return {"lead": p.lead, "row": p.row, "column": p.column, "t0_s": p.t0_s, "t1_s": p.t1_s,
            "samples": [i0, i1], "x0_px": x0, "px_per_s": px_per_s, "baseline_px": baseline,
            "px_per_mv": px_per_mv, "box_px": [x0, top, x1, top + row_h]}


def _draw_grid(canvas, style: PageStyle, ppm: float, box, paper, rgb) -> None:
    gx0, gy0, gx1, gy1 = box
    h, w = canvas.shape[:2]
    xa, ya = max(int(np.floor(gx0 - 1)), 0), max(int(np.floor(gy0 - 1)), 0)
    xb, yb = min(int(np.ceil(gx1 + 2)), w), min(int(np.ceil(gy1 + 2)), h)
    sub = canvas[ya:yb, xa:xb]
    inside_x = ((np.arange(xa, xb) >= gx0 - 0.5) & (np.arange(xa, xb) <= gx1 + 0.5)).astype(np.float32)
    inside_y = ((np.arange(ya, yb) >= gy0 - 0.5) & (np.arange(ya, yb) <= gy1 + 0.5)).astype(np.float32)
    inside = inside_y[:, None] * inside_x[None, :]
    if style.minor_grid != "none":
        width = style.minor_line_mm * ppm if style.minor_grid == "lines" else max(style.minor_line_mm * 2.5, 0.2) * ppm
        cx = _coverage_1d(xb - xa, gx0 - xa, ppm, 5, width, major=False).astype(np.float32)
        cy = _coverage_1d(yb - ya, gy0 - ya, ppm, 5, width, major=False).astype(np.float32)
        if style.minor_grid == "lines":
            a = 1.0 - (1.0 - cy[:, None]) * (1.0 - cx[None, :])
        else:  # dots on every 1 mm crossing (major lines are drawn over them)
            dot_x = _coverage_1d(xb - xa, gx0 - xa, ppm, 1, width, major=True).astype(np.float32)
            dot_y = _coverage_1d(yb - ya, gy0 - ya, ppm, 1, width, major=True).astype(np.float32)
            a = dot_y[:, None] * dot_x[None, :]
        minor_rgb = 0.55 * paper + 0.45 * rgb if style.minor_grid == "lines" else 0.3 * paper + 0.7 * rgb
        _blend(sub, a * inside, minor_rgb)
    width = style.major_line_mm * ppm
    cx = _coverage_1d(xb - xa, gx0 - xa, ppm, 5, width, major=True).astype(np.float32)
    cy = _coverage_1d(yb - ya, gy0 - ya, ppm, 5, width, major=True).astype(np.float32)
    _blend(sub, (1.0 - (1.0 - cy[:, None]) * (1.0 - cx[None, :])) * inside, rgb)


def _draw_pulse(pen: _Pen, style: PageStyle, row: int, baseline: float, ppm: float, x: float) -> dict:
    """A 1 mV, 0.2 s calibration pulse starting at x; returns its truth."""
    run = _PULSE_S * style.speed_mm_s * ppm
    lead_in = 1.0 * ppm
    top = baseline - style.gain_mm_mv * ppm
    xs = np.array([x, x + lead_in, x + lead_in, x + lead_in + run, x + lead_in + run, x + 2 * lead_in + run])
    ys = np.array([baseline, baseline, top, top, baseline, baseline])
    pen.line(xs, ys)
    return {"row": row, "x0_px": float(x + lead_in), "x1_px": float(x + lead_in + run),
            "baseline_px": float(baseline), "top_px": float(top)}


def _draw_label(text: np.ndarray, style: PageStyle, p: Panel, x0: float, baseline: float, ppm: float) -> None:
    if style.label_position == "none":
        return
    size = style.label_mm * ppm
    y = baseline - (style.label_mm + 4.0) * ppm if style.label_position == "above" else baseline + 3.5 * ppm
    _draw_text(text, p.lead, x0 + 1.0 * ppm, y, size, style.font)


def _draw_separator(pen: _Pen, style: PageStyle, x: float, baseline: float, row_h: float, ppm: float) -> None:
    if style.separators == "ticks":
        pen.line(np.array([x, x]), np.array([baseline - 2.5 * ppm, baseline + 2.5 * ppm]))
        return
    top, bottom = baseline - style.baseline_frac * row_h, baseline + (1 - style.baseline_frac) * row_h
    dash = 1.5 * ppm
    for y in np.arange(top, bottom - dash, 2 * dash):
        pen.line(np.array([x, x]), np.array([y, y + dash]))


def _draw_page_text(text: np.ndarray, style: PageStyle, name: str, ppm: float, box) -> None:
    gx0, gy0, gx1, gy1 = box
    if style.header:
        lines = style.header.replace("{name}", name).split("\n")
        size = 2.6 * ppm
        step = size * 1.6
        y = max(gy0 - 2.0 * ppm - step * len(lines), 1.0 * ppm)
        for i, line in enumerate(lines):
            col = i // 6  # long headers wrap into a second column
            _draw_text(text, line, gx0 + col * 90 * ppm, y + (i % 6) * step, size, style.font)
    if style.footer:
        _draw_text(text, f"{style.speed_mm_s:g} mm/s   {style.gain_mm_mv:g} mm/mV   0.05-150 Hz",
                   gx0, gy1 + 1.5 * ppm, 2.5 * ppm, style.font)


def blank_page(dpi: float) -> np.ndarray:
    """A page of grid only, at ``dpi``: a flat (all-zero) 10 s 12-lead record in the default style.

    An example page for trying the grid detector and the rectification on.

    Example
    -------
    >>> page = blank_page(100)
    >>> page.shape, page.dtype.name
    ((827, 1169, 3), 'uint8')
    """
    page, _ = ecg_render(Record(np.zeros((5000, 12)), 500.0, list(LEADS)), PageStyle(dpi=dpi))
    return page


def page_write(record: Record, path: str | os.PathLike[str], style: PageStyle | None = None,
               distortion: Distortion | None = None) -> tuple[Path, Path]:
    """Render ``record`` (and distort it) to an image file, with its truth as JSON beside it.

    Writes ``path`` (PNG, or JPEG by suffix) and ``path`` with suffix ``.json``; both atomic.
    Returns their paths. This is also the way to draw a record on ECG paper for a report.

    Example
    -------
    >>> import tempfile
    >>> from vaescan.data.leads import LEADS
    >>> t = np.arange(5000) / 500.0
    >>> rec = Record(np.outer(np.sin(2 * np.pi * 1.2 * t), np.ones(12)), 500.0, list(LEADS), name="demo")
    >>> png, js = page_write(rec, Path(tempfile.mkdtemp()) / "demo.png", PageStyle(dpi=100))
    >>> png.name, js.name
    ('demo.png', 'demo.json')
    """
    from vaescan.io import write_json
    from vaescan.pages.distort import image_distort
    from vaescan.pages.image import image_write

    path = Path(path)
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise VaescanInputError(path, "output image must end in .png, .jpg or .jpeg")
    image, truth = ecg_render(record, style)
    if distortion is not None and distortion.active():
        image = image_distort(image, distortion, truth)
    image_write(path, image)
    truth_path = path.with_suffix(".json")
    write_json(truth_path, truth)
    return path, truth_path

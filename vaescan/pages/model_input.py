"""Page images as the input of an image model, and the map from its pixels back to the record's samples.

:func:`page_input` renders a record on ECG paper (:mod:`vaescan.pages.render`), distorts
it like a scan or photo (:mod:`vaescan.pages.distort`: rotation, shadow, blur, noise,
JPEG, each drawn up to ``PageInputConfig.distortion`` per page; no creases, so the
geometry stays one exact homography) and brings it to the model's size. The image is
one channel with **ink high**: ``1 - grey / 255``, so blank paper is near 0 and "remove a pixel"
means "set it to the page's background" (:attr:`PageInput.background`). ``grey`` is the
luma (``PageInputConfig.ink = "grey"``) or the brightest of the three colour channels
(``"value"``, HSV's value): there a coloured grid (red, pink, green, blue) is nearly as bright
as the paper and fades out, while black ink stays dark, so the trace stands alone on the page.

Size: the page is scaled by one factor (aspect kept) to fit ``size`` and centred; the
rest is padded with the page's background (its median value). Rendered pages and a
user's image files (:func:`image_file_input`) are prepared the same way.

The *trace map* gives, for every model-input pixel within ``trace_radius_px`` of a
drawn trace, the index ``lead * n_samples + sample`` (lead in
:data:`~vaescan.data.leads.LEADS` order, sample at the record's ``fs``) of the nearest
drawn trace point, and -1 elsewhere. Rhythm strips map to their lead's samples too.
Through it a pixel attribution becomes a per-lead, per-sample one (:func:`trace_sums`),
and its mass off the trace can be measured (:func:`background_share`).
"""

from __future__ import annotations

import functools
import os
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
from scipy import ndimage

from vaescan.config import Limit, at_least, check_limits, one_of
from vaescan.data.cohort import Cohort
from vaescan.data.cohort_beats import cached_cohort, cohort_batch
from vaescan.data.leads import LEADS
from vaescan.data.records import Record, read_record
from vaescan.data.shards import ShardedArray, sharded_cohort
from vaescan.errors import VaescanInputError
from vaescan.io import load_npz, save_npz
from vaescan.pages.distort import Distortion, image_distort
from vaescan.pages.image import image_read
from vaescan.pages.layout import parse_layout
from vaescan.pages.render import PageStyle, ecg_render

INKS = ("grey", "value")
"""How a colour page becomes the model's one channel (:func:`ink_grey`)."""

DENSIFY_PX = 0.5
"""Largest step (model-input px) between the points a drawn trace is sampled at for the trace map."""


@dataclass(frozen=True)
class PageInputConfig:
    """How records become page images for an image model.

    dpi: render resolution (dots per inch). size: (height, width) of the model input in px.
    layout: page layout (:mod:`vaescan.pages.layout`). distortion: the largest strength (0-1) of each
    distortion (rotation, shadow, blur, noise, JPEG), drawn per page from (seed, index).
    seed: seed of those draws. trace_radius_px: the trace map covers pixels this close to the trace (px).
    ink: how colour becomes the one channel: ``grey`` (luma) or ``value`` (the brightest channel, which
    fades a coloured grid into the paper and keeps black ink; a grey grid stays).
    """

    dpi: float = 50.0
    size: tuple[int, int] = (256, 384)
    layout: str = "3x4+II"
    distortion: float = 0.3
    seed: int = 0
    trace_radius_px: int = 2
    ink: str = "grey"

    LIMITS: ClassVar[dict[str, Limit]] = {
        "dpi": at_least(20, 1200), "size": at_least(16, 8192), "distortion": at_least(0, 1),
        "seed": at_least(0), "trace_radius_px": at_least(0, 64), "ink": one_of(*INKS),
    }
    DISTORTIONS: ClassVar[tuple[str, ...]] = ("rotation", "shadow", "blur", "noise", "jpeg")

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", tuple(int(v) for v in self.size))
        if len(self.size) != 2:
            raise VaescanInputError(None, f"size must be (height, width), got {self.size}")
        check_limits(self)
        parse_layout(self.layout)


def page_style(config: PageInputConfig = PageInputConfig()) -> PageStyle:
    """The fixed print style of model-input pages: the config's layout and dpi, 25 mm/s, 10 mm/mV.

    Example
    -------
    >>> s = page_style(PageInputConfig(dpi=60))
    >>> s.dpi, s.layout, s.speed_mm_s, s.gain_mm_mv
    (60.0, '3x4+II', 25.0, 10.0)
    """
    return PageStyle(layout=config.layout, dpi=float(config.dpi), speed_mm_s=25.0, gain_mm_mv=10.0)


def page_distortion(config: PageInputConfig, index: int) -> Distortion:
    """The distortion of page ``index``: each strength uniform in [0, ``config.distortion``], from (seed, index).

    Example
    -------
    >>> d = page_distortion(PageInputConfig(distortion=0.3), 7)
    >>> d == page_distortion(PageInputConfig(distortion=0.3), 7), d.crease, 0 <= d.rotation <= 0.3
    (True, 0.0, True)
    """
    if config.distortion == 0:
        return Distortion()
    rng = np.random.default_rng([config.seed, index])
    strengths = rng.uniform(0.0, config.distortion, len(config.DISTORTIONS))
    return Distortion(seed=int(rng.integers(2**31)), **dict(zip(config.DISTORTIONS, strengths.tolist())))


@dataclass
class PageInput:
    """One page as model input. ``image`` (H, W) float32, ink high (1 - grey/255), paper near 0.

    ``trace_map`` (H, W) int32: ``lead * n_samples + sample`` of the nearest drawn trace point
    within the trace radius, -1 elsewhere. ``background``: the page's background value (median).
    ``transform``: 3x3 homography from rendered-page px to model-input px. ``truth``: the render's truth.
    """

    image: np.ndarray
    trace_map: np.ndarray
    n_samples: int
    background: float
    transform: np.ndarray
    truth: dict = field(repr=False, default_factory=dict)


def letterbox(grey: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Scale a uint8 image by one factor to fit ``size`` (height, width), centred, padded with its median.

    Returns the (H, W) uint8 image and the 3x3 affine from input px to output px
    (pixel centres at integer coordinates, as :func:`cv2.resize` places them).

    Example
    -------
    >>> out, affine = letterbox(np.full((100, 300), 200, np.uint8), (64, 96))
    >>> out.shape, np.round(affine @ [149.5, 49.5, 1], 2).tolist()   # the centre stays the centre
    ((64, 96), [47.5, 31.5, 1.0])
    """
    h, w = grey.shape
    height, width = size
    scale = min(height / h, width / w)
    nw, nh = min(max(int(round(w * scale)), 1), width), min(max(int(round(h * scale)), 1), height)
    small = cv2.resize(grey, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.full((height, width), int(np.median(small)), np.uint8)
    ox, oy = (width - nw) // 2, (height - nh) // 2
    out[oy:oy + nh, ox:ox + nw] = small
    sx, sy = nw / w, nh / h
    affine = np.array([[sx, 0.0, 0.5 * sx - 0.5 + ox], [0.0, sy, 0.5 * sy - 0.5 + oy], [0.0, 0.0, 1.0]])
    return out, affine


def _ink_high(grey: np.ndarray) -> np.ndarray:
    return (255 - grey).astype(np.float32) / 255.0


def ink_grey(rgb: np.ndarray, ink: str = "grey") -> np.ndarray:
    """An RGB uint8 image (H, W, 3) as one uint8 channel: its luma (``grey``) or its brightest channel (``value``).

    Example
    -------
    >>> pink_grid, black_ink = [240, 130, 160], [0, 0, 0]   # the renderer's major pink grid line
    >>> rgb = np.array([[pink_grid, black_ink]], np.uint8)
    >>> ink_grey(rgb, "grey").tolist(), ink_grey(rgb, "value").tolist()
    ([[166, 0]], [[240, 0]])
    """
    rgb = np.ascontiguousarray(rgb)
    if ink == "value":
        return rgb.max(axis=2)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def trace_map_draw(polylines: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], transform: np.ndarray,
                   size: tuple[int, int], radius_px: int) -> np.ndarray:
    """The trace map of drawn polylines: each (xs, ys, index) in page px (NaN breaks a line).

    Points go through the 3x3 ``transform`` to model-input px, consecutive points are
    joined by points at most :data:`DENSIFY_PX` apart (each taking the index of the nearer
    end), and every pixel within ``radius_px`` of one takes the index of the nearest; -1
    elsewhere. Returns (H, W) int32.

    Example
    -------
    >>> xs = np.arange(10.0); line = (xs, np.full(10, 5.0), np.arange(10))
    >>> tm = trace_map_draw([line], np.eye(3), (12, 12), 1)
    >>> tm[5, :10].tolist() == list(range(10)), int(tm[4, 3]), int(tm[6, 3]), int(tm[2, 3])
    (True, 3, 3, -1)
    """
    height, width = size
    seed_index = np.full((height, width), -1, np.int32)
    seed_err = np.full((height, width), np.inf)
    for xs, ys, index in polylines:
        pts = np.stack([np.asarray(xs, float), np.asarray(ys, float), np.ones(len(xs))])
        pts = transform @ pts
        x, y = pts[0] / pts[2], pts[1] / pts[2]
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            continue
        index = np.asarray(index)
        link = ok[:-1] & ok[1:]
        step = np.hypot(np.diff(x), np.diff(y))
        n = np.where(link, np.maximum(np.ceil(np.nan_to_num(step) / DENSIFY_PX), 1), 1).astype(int)
        start = np.repeat(np.arange(len(x) - 1), n)
        frac = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        frac = frac / np.repeat(n, n)
        frac = np.where(link[start], frac, 0.0)
        nxt = np.minimum(start + 1, len(x) - 1)
        px = np.concatenate([x[start] + np.where(frac > 0, frac * (x[nxt] - x[start]), 0.0), x[-1:]])
        py = np.concatenate([y[start] + np.where(frac > 0, frac * (y[nxt] - y[start]), 0.0), y[-1:]])
        pi = np.concatenate([np.where(frac < 0.5, index[start], index[nxt]),
                             index[-1:]])
        keep = np.isfinite(px) & np.isfinite(py)
        px, py, pi = px[keep], py[keep], pi[keep]
        cx, cy = np.round(px).astype(int), np.round(py).astype(int)
        inside = (cx >= 0) & (cx < width) & (cy >= 0) & (cy < height)
        cx, cy, pi = cx[inside], cy[inside], pi[inside]
        err = np.hypot(px[inside] - cx, py[inside] - cy)
        order = np.argsort(-err, kind="stable")  # the point nearest a pixel's centre is written last
        cx, cy, pi, err = cx[order], cy[order], pi[order], err[order]
        better = err < seed_err[cy, cx]
        seed_index[cy[better], cx[better]] = pi[better]
        seed_err[cy[better], cx[better]] = err[better]
    if (seed_index < 0).all():
        return seed_index
    dist, (iy, ix) = ndimage.distance_transform_edt(seed_index < 0, return_indices=True)
    return np.where(dist <= radius_px, seed_index[iy, ix], -1).astype(np.int32)


def _render_polylines(record: Record, truth: dict) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every panel's samples at their rendered page px, with their index lead * n_samples + sample."""
    out = []
    n = record.n_samples
    for p in truth["panels"]:
        if p["lead"] not in LEADS:   # the map holds the twelve leads; a 3x5 page's extra leads are not in it
            continue
        i0, i1 = p["samples"]
        i = np.arange(i0, i1)
        v = record.signal[i0:i1, record.sig_name.index(p["lead"])]
        xs = p["x0_px"] + (i / record.fs - p["t0_s"]) * p["px_per_s"]
        ys = p["baseline_px"] - v * p["px_per_mv"]
        out.append((xs, ys, LEADS.index(p["lead"]) * n + i))
    return out


def page_input(record: Record, config: PageInputConfig = PageInputConfig(), index: int = 0) -> PageInput:
    """Render, distort (draw ``index``) and size ``record`` as model input, with its trace map.

    Example
    -------
    >>> t = np.arange(5000) / 500.0
    >>> rec = Record(np.outer(np.sin(2 * np.pi * 1.2 * t), np.ones(12)), 500.0, list(LEADS), name="demo")
    >>> page = page_input(rec, PageInputConfig(distortion=0.0))
    >>> page.image.shape, page.trace_map.shape, page.image.dtype.name
    ((256, 384), (256, 384), 'float32')
    >>> bool(page.image[page.trace_map >= 0].mean() > page.image[page.trace_map < 0].mean())
    True
    """
    page, truth = ecg_render(record, page_style(config))
    distortion = page_distortion(config, index)
    if distortion.active():
        page = image_distort(page, distortion, truth)
    grey, affine = letterbox(ink_grey(page, config.ink), config.size)
    transform = affine @ np.asarray(truth["transform"]["homography"], float)
    trace_map = trace_map_draw(_render_polylines(record, truth), transform, config.size, config.trace_radius_px)
    image = _ink_high(grey)
    return PageInput(image, trace_map, record.n_samples, float(np.median(image)), transform, truth)


def image_file_input(path: str | os.PathLike[str], config: PageInputConfig = PageInputConfig()) -> np.ndarray:
    """A page image file as model input (1, H, W) float32, ink high, prepared like :func:`page_input`.

    The image is made one channel (``config.ink``), scaled by one factor to fit ``config.size`` and centred; the
    margin left by another aspect ratio is filled with the image's median (its paper).

    Example
    -------
    >>> import tempfile
    >>> from vaescan.pages.render import page_write
    >>> rec = Record(np.zeros((5000, 12)), 500.0, list(LEADS), name="flat")
    >>> png, _ = page_write(rec, Path(tempfile.mkdtemp()) / "p.png", page_style())
    >>> image_file_input(png).shape
    (1, 256, 384)
    """
    grey, _ = letterbox(ink_grey(image_read(path), config.ink), config.size)
    return _ink_high(grey)[None]


def trace_sums(pixel_map: np.ndarray, trace_map: np.ndarray, *, n_samples: int, n_leads: int = len(LEADS)
               ) -> np.ndarray:
    """Sum a pixel map (..., H, W) onto (..., n_leads, n_samples) through ``trace_map``; off-trace pixels drop out.

    Example
    -------
    >>> tm = np.array([[0, 0, -1], [3, -1, 5]])
    >>> trace_sums(np.ones((2, 3)), tm, n_samples=3, n_leads=2).tolist()
    [[2.0, 0.0, 0.0], [1.0, 0.0, 1.0]]
    """
    pixel_map = np.asarray(pixel_map, float)
    trace_map = np.asarray(trace_map)
    if pixel_map.shape[-2:] != trace_map.shape:
        raise VaescanInputError(None, f"pixel map {pixel_map.shape} does not end in the trace map's {trace_map.shape}")
    lead_samples = n_leads * n_samples
    if trace_map.max(initial=-1) >= lead_samples:
        raise VaescanInputError(None, f"trace map index {trace_map.max()} is beyond {n_leads} x {n_samples} samples")
    batch = pixel_map.shape[:-2]
    flat = pixel_map.reshape(-1, trace_map.size)
    on = np.flatnonzero(trace_map.ravel() >= 0)
    target = trace_map.ravel()[on][None, :] + lead_samples * np.arange(len(flat))[:, None]
    sums = np.bincount(target.ravel(), weights=flat[:, on].ravel(), minlength=len(flat) * lead_samples)
    return sums.reshape(*batch, n_leads, n_samples)


def trace_restrict(pixel_map: np.ndarray, trace_map: np.ndarray) -> np.ndarray:
    """The pixel map (..., H, W) on the trace only: zero where ``trace_map`` is -1.

    Example
    -------
    >>> trace_restrict(np.ones((1, 3)), np.array([[4, -1, 0]])).tolist()
    [[1.0, 0.0, 1.0]]
    """
    return np.where(np.asarray(trace_map) >= 0, pixel_map, 0.0)


def background_share(pixel_map: np.ndarray, trace_map: np.ndarray) -> float:
    """Share of the absolute mass of a pixel map (..., H, W) off the trace (``trace_map`` -1); NaN for a zero map.

    Example
    -------
    >>> background_share(np.array([[1.0, -3.0]]), np.array([[0, -1]]))
    0.75
    """
    mass = np.abs(np.asarray(pixel_map, float))
    total = float(mass.sum())
    if total == 0:
        return float("nan")
    return float(mass[..., np.asarray(trace_map) < 0].sum() / total)


@dataclass
class PageInputSet:
    """Model inputs of many pages: ``images`` (n, 1, H, W) float32, ink high; ``record_ids`` in order.

    Trace maps are kept sparse (the pixels on the trace of page i are
    ``trace_pixels[trace_offsets[i]:trace_offsets[i + 1]]`` (flat index) with indices
    ``trace_values[...]``); :meth:`trace_map` gives one page's (H, W) map. Every page
    maps onto ``n_samples`` samples per lead. ``skipped``: (record id, reason).
    """

    images: np.ndarray
    record_ids: list[str]
    n_samples: int
    trace_pixels: np.ndarray
    trace_values: np.ndarray
    trace_offsets: np.ndarray
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def trace_map(self, i: int) -> np.ndarray:
        """The (H, W) int32 trace map of page ``i``."""
        out = np.full(self.images.shape[-2] * self.images.shape[-1], -1, np.int32)
        a, b = self.trace_offsets[i], self.trace_offsets[i + 1]
        out[self.trace_pixels[a:b]] = self.trace_values[a:b]
        return out.reshape(self.images.shape[-2:])

    @property
    def trace_maps(self) -> np.ndarray:
        """All trace maps (n, H, W) int32 (memory: 4 bytes a pixel a page)."""
        return np.stack([self.trace_map(i) for i in range(len(self.record_ids))]) if self.record_ids \
            else np.zeros((0, *self.images.shape[-2:]), np.int32)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the set as a compressed ``.npz`` (images as uint8; atomic, no pickles)."""
        return save_npz(path, images=np.round(self.images * 255).astype(np.uint8),
                        record_ids=np.array(self.record_ids, dtype=str), n_samples=np.int64(self.n_samples),
                        trace_pixels=self.trace_pixels, trace_values=self.trace_values,
                        trace_offsets=self.trace_offsets,
                        skipped=np.array([f"{r}\t{why}" for r, why in self.skipped], dtype=str))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PageInputSet:
        """Read a set written by :meth:`save`."""
        data = load_npz(path)
        missing = [k for k in ("images", "record_ids", "n_samples", "trace_pixels", "trace_values", "trace_offsets")
                   if k not in data]
        if missing:
            raise VaescanInputError(path, f"not a vaescan page-input file (missing {missing})")
        skipped = [tuple(s.split("\t", 1)) for s in data.get("skipped", np.array([], dtype=str)).tolist()]
        return cls(data["images"].astype(np.float32) / 255.0, data["record_ids"].tolist(), int(data["n_samples"]),
                   data["trace_pixels"], data["trace_values"], data["trace_offsets"], skipped)  # type: ignore[arg-type]


def page_index(record_id: str) -> int:
    """The distortion draw of a record's page: a stable hash of its id, so a record's page is the same page
    whichever cohort or folder it is read from (training, ``vaescan predict`` and ``vaescan explain`` alike).

    Example
    -------
    >>> page_index("00001") == page_index("00001"), page_index("00001") == page_index("00002")
    (True, False)
    """
    return zlib.crc32(str(record_id).encode())


def _page_item(config: PageInputConfig, item: tuple[str, Path]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Ink-high uint8 page, on-trace flat pixels and their indices, n_samples (module level for workers)."""
    record_id, path = item
    page = page_input(read_record(path), config, page_index(record_id))
    on = np.flatnonzero(page.trace_map.ravel() >= 0).astype(np.int32)
    grey = np.round(page.image * 255).astype(np.uint8)
    return grey, on, page.trace_map.ravel()[on], page.n_samples


def cohort_page_inputs(cohort: Cohort, config: PageInputConfig = PageInputConfig(), *,
                       cache_dir: str | os.PathLike[str] | None = None, use_cache: bool = True, jobs: int = 1,
                       progress: bool = True) -> PageInputSet:
    """Model-input pages of every record of ``cohort`` (distortion drawn by :func:`page_index`), cached.

    Cached in ``<cache_dir>/pages/<key>.npz`` like median beats
    (:func:`vaescan.data.cohort_beats.cached_cohort`). Records that cannot be read, or
    whose length differs from the most common one, are listed in ``skipped``.

    Example
    -------
    >>> from vaescan.data.sources import load_cohort
    >>> pages = cohort_page_inputs(load_cohort("runs/quickstart/cohort"))  # doctest: +SKIP
    >>> pages.images.shape  # doctest: +SKIP
    (500, 1, 256, 384)
    """
    return cached_cohort(cohort, config, "pages", functools.partial(_cohort_pages, cohort, config, jobs, progress),
                         PageInputSet.load, PageInputSet.save, cache_dir=cache_dir, use_cache=use_cache)


def _common_length(record_ids: Sequence[str], lengths: Sequence[int]) -> tuple[np.ndarray, int, list[tuple[str, str]]]:
    """The pages that keep the most common record length (mask), that length, and the others as skipped."""
    n_samples = Counter(lengths).most_common(1)[0][0]
    keep = np.array([n == n_samples for n in lengths], dtype=bool)
    skipped = [(rid, f"{rid}: {n} samples; the other pages map onto {n_samples}")
               for rid, n in zip(record_ids, lengths) if n != n_samples]
    return keep, int(n_samples), skipped


def _cohort_pages(cohort: Cohort, config: PageInputConfig, jobs: int, progress: bool) -> PageInputSet:
    done_all, skipped = cohort_batch(cohort, functools.partial(_page_item, config), what="a page image",
                                     desc="page images", jobs=jobs, progress=progress)
    keep, n_samples, other_lengths = _common_length([rid for rid, _ in done_all], [res[3] for _, res in done_all])
    done = [d for d, k in zip(done_all, keep) if k]
    skipped += other_lengths
    counts = np.array([0] + [len(res[1]) for _, res in done], np.int64)
    return PageInputSet(
        images=np.stack([res[0] for _, res in done])[:, None].astype(np.float32) / 255.0,
        record_ids=[rid for rid, _ in done], n_samples=int(n_samples),
        trace_pixels=np.concatenate([res[1] for _, res in done]),
        trace_values=np.concatenate([res[2] for _, res in done]).astype(np.int32),
        trace_offsets=np.cumsum(counts), skipped=skipped)


def _page_row(config: PageInputConfig, item: tuple[str, Path]) -> np.ndarray:
    """A record's ink-high page as a (1, H, W) uint8 row (module level so worker processes can run it)."""
    return _page_item(config, item)[0][None]


def _record_length(item: tuple[str, Path]) -> np.ndarray:
    """A record's samples per lead as a one-number row (module level so worker processes can run it)."""
    return np.array([read_record(item[1]).n_samples], dtype=np.int64)


def _unit_float(rows: np.ndarray) -> np.ndarray:
    """uint8 pages to the model's float32 in 0..1, as :meth:`PageInputSet.load` does."""
    return rows.astype(np.float32) / 255.0


def cohort_page_images(cohort: Cohort, config: PageInputConfig = PageInputConfig(), *, shard_size: int,
                       cache_dir: str | os.PathLike[str] | None = None, jobs: int = 1,
                       progress: bool = True) -> tuple[ShardedArray, list[tuple[str, str]]]:
    """The model-input pages of :func:`cohort_page_inputs` as shards on disk, read on demand; and the skipped.

    The pages (uint8, as in the ``.npz`` cache) are written ``shard_size`` records a shard by
    :func:`~vaescan.data.shards.sharded_cohort` in ``<cache_dir>/pages/<key>-shards<N>/``, each record's
    length (samples per lead) beside them in ``<cache_dir>/page_lengths/``. The returned
    :class:`~vaescan.data.shards.ShardedArray` (n, 1, H, W) gives float32 in 0..1 and holds the same records
    as :func:`cohort_page_inputs`: those of the most common length (the others are in the skipped list, with
    the same reasons). The trace maps are not kept (training needs the pages only).

    Example
    -------
    >>> import tempfile
    >>> from vaescan.data.synth import simulate_cohort
    >>> cohort = simulate_cohort(3, seed=0, out_dir=tempfile.mkdtemp(), progress=False)
    >>> config = PageInputConfig(dpi=25.0, size=(64, 96))
    >>> images, skipped = cohort_page_images(cohort, config, shard_size=2, cache_dir=tempfile.mkdtemp(),
    ...                                      progress=False)
    >>> images.shape, images.dtype.name, skipped
    ((3, 1, 64, 96), 'float32', [])
    >>> pages = cohort_page_inputs(cohort, config, use_cache=False, progress=False)
    >>> bool(np.array_equal(images[:], pages.images)), images.record_ids == pages.record_ids
    (True, True)
    """
    options = dict(shard_size=shard_size, cache_dir=cache_dir, jobs=jobs, progress=progress)
    pages = sharded_cohort(cohort, config, "pages", functools.partial(_page_row, config), **options)
    lengths = sharded_cohort(cohort, config, "page_lengths", _record_length, **options)
    length_of = dict(zip(lengths.record_ids, np.asarray(lengths)[:, 0].tolist()))
    keep, _, other_lengths = _common_length(pages.record_ids, [length_of[rid] for rid in pages.record_ids])
    return pages[keep].map(_unit_float), list(pages.skipped) + other_lengths

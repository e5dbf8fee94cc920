"""Scan and phone-photo distortions of a rendered page, each with a strength and a seed.

:func:`image_distort` applies, in the order a real capture does: the page's
geometry (rotation, a phone held at an angle = perspective, paper creases and
wrinkles bending the page), the light (uneven lighting and shadows, the dark and
bright sides of folds), the camera (blur, sensor noise) and the file (JPEG).
Every strength is in [0, 1]; 1 is the worst a usable photo shows:

============  ==========================================================
rotation      up to 10 degrees, either way
perspective   corners pulled in by up to 8 % of the page size
shadow        lighting gradient and soft shadows darkening the page by up to 60 %
crease        up to 3 folds (dark line, bright side) and a wrinkle warp of up to 0.6 mm
blur          Gaussian blur of up to 0.15 mm (sigma)
noise         sensor noise of up to 12 grey levels (sigma, 0-255 scale)
jpeg          JPEG quality from 95 (strength 0) down to 20 (strength 1)
============  ==========================================================

The geometric part is returned (and written into a render's truth dict) as the
homography from page pixels to image pixels plus the wrinkle field's parameters,
so the truth stays exact.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from vaescan.errors import VaescanInputError

MAX_ROTATION_DEG = 10.0
MAX_PERSPECTIVE = 0.08
MAX_SHADOW = 0.6
MAX_WRINKLE_MM = 0.6
MAX_BLUR_MM = 0.15
MAX_NOISE = 12.0


@dataclass(frozen=True)
class Distortion:
    """Strengths in [0, 1] of each distortion, and the seed that draws their details.

    Example
    -------
    >>> Distortion(rotation=0.5, seed=1).active()
    ['rotation']
    """

    rotation: float = 0.0
    perspective: float = 0.0
    shadow: float = 0.0
    crease: float = 0.0
    blur: float = 0.0
    noise: float = 0.0
    jpeg: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in self.kinds():
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise VaescanInputError(None, f"distortion strength {name}={value} is outside [0, 1]")

    @staticmethod
    def kinds() -> tuple[str, ...]:
        """Names of the distortions, in the order they are applied."""
        return ("rotation", "perspective", "crease", "shadow", "blur", "noise", "jpeg")

    def active(self) -> list[str]:
        """Names of the distortions with a non-zero strength."""
        return [k for k in self.kinds() if getattr(self, k) > 0]


def parse_distortion(spec: str, seed: int = 0) -> Distortion:
    """Parse ``"rotation=0.5,shadow=0.3"`` (a bare name means strength 1) into a :class:`Distortion`.

    Example
    -------
    >>> parse_distortion("rotation=0.5,blur", seed=3)
    Distortion(rotation=0.5, perspective=0.0, shadow=0.0, crease=0.0, blur=1.0, noise=0.0, jpeg=0.0, seed=3)
    """
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in Distortion.kinds():
            raise VaescanInputError(None, f"unknown distortion {name!r}; known: {', '.join(Distortion.kinds())}")
        try:
            values[name] = float(value) if value else 1.0
        except ValueError:
            raise VaescanInputError(None, f"distortion {name}: strength {value!r} is not a number") from None
    return Distortion(seed=seed, **values)


def image_distort(image: np.ndarray, distortion: Distortion, truth: dict | None = None,
                  px_per_mm: float | None = None) -> np.ndarray:
    """Apply ``distortion`` to an RGB uint8 page; returns the new image.

    When the page's ``truth`` dict (from :func:`vaescan.pages.render.ecg_render`)
    is given, its ``transform`` is updated with the homography from page px to
    image px, the wrinkle field and the distortion settings, and its
    ``image_size`` with the new size. ``px_per_mm`` (default: the truth's) scales
    blur and wrinkles.

    Example
    -------
    >>> page = np.full((200, 300, 3), 255, np.uint8)
    >>> out = image_distort(page, Distortion(rotation=1.0, seed=0), px_per_mm=4.0)
    >>> out.shape[0] > 200 and out.shape[1] > 300   # the canvas grows to hold the rotated page
    True
    """
    if px_per_mm is None:
        px_per_mm = float(truth["px_per_mm"]) if truth else 200 / 25.4
    rng = np.random.default_rng(distortion.seed)
    h, w = image.shape[:2]
    homography = _page_homography(w, h, distortion, rng)
    corners = cv2.perspectiveTransform(np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float64), homography)[0]
    lo = np.floor(corners.min(axis=0))
    hi = np.ceil(corners.max(axis=0))
    shift = np.array([[1, 0, -lo[0]], [0, 1, -lo[1]], [0, 0, 1]], np.float64)
    homography = shift @ homography
    out_w, out_h = int(hi[0] - lo[0]), int(hi[1] - lo[1])
    table = tuple(float(v) for v in rng.uniform(40, 110, 3)) if distortion.rotation or distortion.perspective \
        else (255.0, 255.0, 255.0)
    wrinkle = _wrinkle_field(distortion, rng, px_per_mm)
    if wrinkle is None:
        out = cv2.warpPerspective(image, homography, (out_w, out_h), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=table)
    else:
        out = _warp_with_wrinkles(image, homography, (out_w, out_h), wrinkle, table)
    out = out.astype(np.float32)
    if distortion.crease:
        _creases(out, distortion.crease, rng, px_per_mm)
    if distortion.shadow:
        out *= _lighting(out.shape[:2], distortion.shadow, rng)[..., None]
    if distortion.blur:
        sigma = distortion.blur * MAX_BLUR_MM * px_per_mm
        out = cv2.GaussianBlur(out, (0, 0), sigmaX=max(sigma, 0.1))
    if distortion.noise:
        out += rng.normal(0.0, distortion.noise * MAX_NOISE, out.shape).astype(np.float32)
    out = np.clip(np.round(out), 0, 255).astype(np.uint8)
    if distortion.jpeg:
        quality = int(round(95 - 75 * distortion.jpeg))
        ok, buf = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        out = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    if truth is not None:
        truth["transform"] = {"homography": homography.tolist(), "wrinkle": wrinkle,
                              "distortion": dataclasses.asdict(distortion)}
        truth["image_size"] = [out.shape[1], out.shape[0]]
    return out


def _page_homography(w: int, h: int, d: Distortion, rng: np.random.Generator) -> np.ndarray:
    """Rotation about the page centre, then a perspective pull of the corners."""
    angle = d.rotation * MAX_ROTATION_DEG * rng.choice([-1.0, 1.0])
    rot = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), float(angle), 1.0), [0, 0, 1]])
    if not d.perspective:
        return rot
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    # a phone tilted about one axis: one edge shrinks; plus some random corner jitter
    pull = d.perspective * MAX_PERSPECTIVE
    dst = src.copy()
    side = int(rng.integers(4))
    a, b = side, (side + 1) % 4
    centre = src.mean(axis=0)
    for k in (a, b):
        dst[k] += (centre - src[k]) * pull * rng.uniform(0.7, 1.0)
    dst += rng.uniform(-0.25, 0.25, dst.shape).astype(np.float32) * pull * np.array([w, h], np.float32)
    persp = cv2.getPerspectiveTransform(src, dst).astype(np.float64)
    return rot @ persp


def _wrinkle_field(d: Distortion, rng: np.random.Generator, px_per_mm: float) -> dict | None:
    """Sinusoidal displacement along a random direction: amplitude (px), wavelength (px), angle, phase."""
    if not d.crease:
        return None
    return {"amplitude_px": float(d.crease * MAX_WRINKLE_MM * px_per_mm),
            "wavelength_px": float(rng.uniform(30, 80) * px_per_mm),
            "angle_rad": float(rng.uniform(0, np.pi)), "phase_rad": float(rng.uniform(0, 2 * np.pi))}


def _warp_with_wrinkles(image, homography, size, wrinkle: dict, border) -> np.ndarray:
    """Image px -> (inverse homography) -> page px, displaced by the wrinkle field, sampled by remap."""
    out_w, out_h = size
    inv = np.linalg.inv(homography)
    ys, xs = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    den = inv[2, 0] * xs + inv[2, 1] * ys + inv[2, 2]
    px = (inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]) / den
    py = (inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]) / den
    c, s = np.cos(wrinkle["angle_rad"]), np.sin(wrinkle["angle_rad"])
    disp = wrinkle["amplitude_px"] * np.sin(2 * np.pi * (px * c + py * s) / wrinkle["wavelength_px"]
                                            + wrinkle["phase_rad"])
    map_x = (px + disp * c).astype(np.float32)
    map_y = (py + disp * s).astype(np.float32)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border)


def _creases(img: np.ndarray, strength: float, rng: np.random.Generator, px_per_mm: float) -> None:
    """Folds: a thin dark line with a brighter band on one side, across the page, in place."""
    h, w = img.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(int(rng.integers(1, 4))):
        angle = rng.uniform(0, np.pi)
        nx, ny = np.cos(angle), np.sin(angle)
        offset = rng.uniform(0.2, 0.8) * (abs(nx) * w + abs(ny) * h) + min(nx * w, 0) + min(ny * h, 0)
        dist = (xs * nx + ys * ny - offset) / px_per_mm  # mm from the fold
        dark = 0.35 * strength * np.exp(-(dist / 0.25) ** 2)
        light = 0.08 * strength * (np.exp(-((dist - 2.0) / 2.0) ** 2) - np.exp(-((dist + 2.0) / 2.0) ** 2))
        img *= (1.0 - dark + light)[..., None]


def _lighting(shape: tuple[int, int], strength: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth illumination field in (0, 1]: a gradient across the page and soft-edged shadows."""
    h, w = shape
    small_h, small_w = max(h // 8, 2), max(w // 8, 2)
    ys, xs = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    ys /= small_h
    xs /= small_w
    angle = rng.uniform(0, 2 * np.pi)
    slope = np.cos(angle) * (xs - 0.5) + np.sin(angle) * (ys - 0.5)
    field = 1.0 - 0.5 * strength * MAX_SHADOW * (0.5 + 0.5 * slope * 2)
    for _ in range(int(rng.integers(1, 3))):
        # a shadow: half-plane (a hand, a phone) with a blurred edge
        a = rng.uniform(0, 2 * np.pi)
        across = np.cos(a) * (xs - rng.uniform(0.2, 0.8)) + np.sin(a) * (ys - rng.uniform(0.2, 0.8))
        edge = across / rng.uniform(0.03, 0.12)
        field *= 1.0 - strength * MAX_SHADOW * rng.uniform(0.5, 1.0) / (1.0 + np.exp(-edge))
    field = cv2.resize(np.clip(field, 0.2, 1.0).astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    return field

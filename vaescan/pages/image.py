"""Reading and writing page images, with clear errors for files that are not usable images.

:func:`image_read` accepts whatever Pillow reads (PNG, JPEG, TIFF, BMP, WebP, ...),
honours the EXIF orientation of phone photos, flattens transparency onto white
and returns RGB uint8 whatever the file's mode and bit depth (1-bit, greyscale,
16-bit and 32-bit greyscale, palette, CMYK, with or without alpha). Files that are
empty, truncated, not an image or larger than :data:`MAX_PIXELS` raise
:class:`~vaescan.errors.VaescanInputError` naming the file and the problem; the size
is read from the file's header, so a decompression bomb (a small file that decodes
to a huge image) is refused before it is decoded.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np

from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path

MAX_PIXELS = 60_000_000
"""Largest image accepted (60 megapixels: a 600 dpi A4 scan or a 50 MP phone photo)."""

MIN_SIDE = 100
"""Smallest width or height accepted, in px."""

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif")
"""Suffixes taken as images when a folder is expanded (compared in lower case)."""

_FULL_SCALE = {"I;16": 65535.0, "I;16L": 65535.0, "I;16B": 65535.0, "I;16N": 65535.0, "I": 65535.0}
"""White of the integer greyscale modes deeper than 8 bits (Pillow reads 16-bit PNGs as ``I;16`` or ``I``)."""


def image_read(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an image file as an RGB uint8 array (height, width, 3).

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "page.png"
    >>> _ = image_write(p, np.full((120, 160, 3), 200, np.uint8))
    >>> image_read(p).shape
    (120, 160, 3)
    >>> _ = p.write_bytes(b"hello")
    >>> image_read(p)
    Traceback (most recent call last):
    ...
    vaescan.errors.VaescanInputError: ...page.png: not an image (Pillow cannot identify the format)
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise VaescanInputError(path, "file not found")
    if path.stat().st_size == 0:
        raise VaescanInputError(path, "empty file")
    try:
        with warnings.catch_warnings():
            # Pillow checks the header's size against its own limit while opening (before decoding)
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                w, h = img.size
                if w * h > MAX_PIXELS:
                    raise VaescanInputError(path, f"image is {w}x{h} px ({w * h / 1e6:.0f} MP); the limit is "
                                            f"{MAX_PIXELS / 1e6:.0f} MP: scale it down (300 dpi is plenty)")
                if min(w, h) < MIN_SIDE:
                    raise VaescanInputError(path, f"image is only {w}x{h} px; need at least {MIN_SIDE} px a side")
                img = ImageOps.exif_transpose(img)
                rgb = _to_rgb(img, path)
    except VaescanInputError:
        raise
    except UnidentifiedImageError:
        raise VaescanInputError(path, "not an image (Pillow cannot identify the format)") from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        size = re.search(r"\((\d+) pixels\)", str(exc))
        mp = f"{int(size.group(1)) / 1e6:.0f} MP" if size else "too many pixels"
        raise VaescanInputError(path, f"image header declares {mp}; the limit is {MAX_PIXELS / 1e6:.0f} MP "
                                "(refused before decoding: a decompression bomb or a far too large scan)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise VaescanInputError(path, f"truncated or corrupt image ({_one_line(exc)})") from None
    return np.ascontiguousarray(rgb)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__


def _to_rgb(img, path: Path) -> np.ndarray:
    """RGB uint8 of a Pillow image of any mode: deep greyscale scaled (not clipped), transparency onto white."""
    from PIL import Image

    mode = img.mode
    if mode in _FULL_SCALE or mode == "F":
        grey = np.asarray(img, dtype=np.float64)
        if mode == "F":  # floating point: [0, 1], 8-bit or 16-bit range, whichever holds the values
            top = float(np.nanmax(grey)) if grey.size and np.isfinite(grey).any() else 1.0
            full = 1.0 if top <= 1.0 else 255.0 if top <= 255.0 else 65535.0
        else:
            full = _FULL_SCALE[mode]
        grey = np.nan_to_num(grey, nan=0.0, posinf=full, neginf=0.0)
        grey = np.clip(np.rint(grey * (255.0 / full)), 0, 255).astype(np.uint8)
        return np.repeat(grey[:, :, None], 3, axis=2)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(canvas, rgba)
    try:
        return np.asarray(img.convert("RGB"))
    except ValueError as exc:  # a mode Pillow cannot turn into RGB
        raise VaescanInputError(path, f"unsupported image mode {mode} ({_one_line(exc)})") from None


def image_write(path: str | os.PathLike[str], image: np.ndarray, quality: int = 95) -> Path:
    """Write an RGB uint8 image atomically; the format follows the suffix (.png, .jpg, ...).

    Example
    -------
    >>> import tempfile, pathlib
    >>> p = image_write(pathlib.Path(tempfile.mkdtemp()) / "a.jpg", np.zeros((100, 100, 3), np.uint8))
    >>> p.suffix
    '.jpg'
    """
    from PIL import Image

    path = Path(path)
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise VaescanInputError(path, f"unknown image suffix {path.suffix!r} (use .png or .jpg)")
    with atomic_path(path) as tmp:
        Image.fromarray(np.asarray(image, np.uint8)).save(tmp, format=fmt, **({"quality": quality}
                                                                             if fmt == "JPEG" else {}))
    return path


def image_paths(path: str | os.PathLike[str]) -> list[Path]:
    """The page images ``path`` names: the file itself if it is an image, else the images directly in the
    folder (sorted), or none (``path`` holds records).

    Example
    -------
    >>> image_paths("no/such/page.png"), image_paths("data/records")
    ([], [])
    """
    path = Path(path)
    if path.is_file():
        return [path] if path.suffix.lower() in IMAGE_SUFFIXES else []
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    return []

"""Reading and writing page images, with clear errors for files that are not usable images.

:func:`image_read` accepts whatever Pillow reads (PNG, JPEG, TIFF, BMP, WebP, ...),
honours the EXIF orientation of phone photos, flattens transparency onto white
and returns RGB uint8. Files that are empty, truncated, not an image or larger
than :data:`MAX_PIXELS` raise :class:`~vaescan.errors.VaescanInputError` naming
the file and the problem.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from vaescan.errors import VaescanInputError
from vaescan.io import atomic_path

MAX_PIXELS = 60_000_000
"""Largest image accepted (60 megapixels: a 600 dpi A4 scan or a 50 MP phone photo)."""

MIN_SIDE = 100
"""Smallest width or height accepted, in px."""


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
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                w, h = img.size
                if w * h > MAX_PIXELS:
                    raise VaescanInputError(path, f"image is {w}x{h} px ({w * h / 1e6:.0f} MP); the limit is "
                                            f"{MAX_PIXELS / 1e6:.0f} MP: scale it down (300 dpi is plenty)")
                if min(w, h) < MIN_SIDE:
                    raise VaescanInputError(path, f"image is only {w}x{h} px; need at least {MIN_SIDE} px a side")
                img = ImageOps.exif_transpose(img)
                if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                    rgba = img.convert("RGBA")
                    canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                    img = Image.alpha_composite(canvas, rgba)
                rgb = np.asarray(img.convert("RGB"))
    except VaescanInputError:
        raise
    except UnidentifiedImageError:
        raise VaescanInputError(path, "not an image (Pillow cannot identify the format)") from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise VaescanInputError(path, f"image too large ({exc})") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise VaescanInputError(path, f"truncated or corrupt image ({exc})") from None
    return np.ascontiguousarray(rgb)


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

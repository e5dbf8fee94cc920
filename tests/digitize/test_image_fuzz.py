"""Fuzz the image edge: whatever file a user gives, ``image_read`` and ``image_digitize`` end in a one-line
:class:`~vaescan.errors.VaescanInputError` or in a result, within bounded time and memory.

Generated: sizes from 1x1 up (with long strips), every Pillow mode and bit depth vaescan reads (1-bit, 8 and
16-bit greyscale, 32-bit int and float, palette, LA, RGBA, CMYK, YCbCr), noise, flat or grid-like content,
every image suffix, truncated files and random bytes under image suffixes. Sizes are bounded so that the
test takes a few seconds at the 'ci' profile (40 examples); HYPOTHESIS_PROFILE=nightly runs 2000.
"""

from __future__ import annotations

import functools
import io
import time
import tracemalloc

import cv2
import numpy as np
from hypothesis import event, given
from hypothesis import strategies as st
from PIL import Image

from vaescan.digitize.pipeline import image_digitize
from vaescan.errors import VaescanInputError
from vaescan.pages.image import IMAGE_SUFFIXES, image_read

SAVE_AS = {  # mode -> suffixes Pillow writes it to
    "1": (".png", ".bmp", ".tif", ".gif"), "L": (".png", ".jpg", ".tif", ".bmp", ".webp", ".gif"),
    "P": (".png", ".gif", ".bmp", ".tif"), "LA": (".png", ".tif"), "RGB": (".png", ".jpg", ".tif", ".bmp", ".webp"),
    "RGBA": (".png", ".tif", ".webp"), "CMYK": (".jpg", ".tif"), "YCbCr": (".jpg",), "I;16": (".png", ".tif"),
    "I": (".tif",), "F": (".tif",),
}
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".tif": "TIFF", ".bmp": "BMP", ".webp": "WEBP", ".gif": "GIF"}
CPU_SECONDS = 60.0  # per example and step (CPU time, so a busy shared machine does not fail it): catches runaways
PEAK_MB = 600.0  # numpy and Python allocations traced per example


class Case:
    """A generated file: its suffix, bytes and how it was made (a short repr for hypothesis' reports)."""

    def __init__(self, suffix: str, data: bytes, what: str):
        self.suffix, self.data, self.what = suffix, data, what

    def __repr__(self) -> str:
        return f"Case({self.suffix!r}, {len(self.data)} bytes: {self.what})"


@functools.lru_cache(maxsize=1)
def _ecg_page() -> np.ndarray:
    from vaescan.data.leads import LEADS
    from vaescan.data.records import Record
    from vaescan.pages.render import PageStyle, ecg_render

    t = np.arange(5000) / 500.0
    beats = np.exp(-((t % 0.8) - 0.4) ** 2 / 2e-4)
    page, _ = ecg_render(Record(np.outer(beats, np.linspace(0.5, 1.5, 12)), 500.0, list(LEADS)), PageStyle(dpi=60))
    return page


@st.composite
def image_files(draw) -> Case:
    """A generated image file, a truncated one or random bytes under an image suffix."""
    kind = draw(st.sampled_from(["image"] * 5 + ["truncated", "bytes"]))
    if kind == "bytes":
        return Case(draw(st.sampled_from(IMAGE_SUFFIXES)), draw(st.binary(max_size=2000)), "random bytes")
    shape = draw(st.sampled_from(["small", "page", "page", "strip"]))
    if shape == "small":
        h, w = draw(st.integers(1, 140)), draw(st.integers(1, 140))
    elif shape == "page":
        h, w = draw(st.integers(100, 700)), draw(st.integers(100, 700))
    else:
        h, w = draw(st.integers(100, 160)), draw(st.integers(1200, 4000))
        if draw(st.booleans()):
            h, w = w, h
    mode = draw(st.sampled_from(sorted(SAVE_AS)))
    suffix = draw(st.sampled_from(SAVE_AS[mode]))
    content = draw(st.sampled_from(["noise", "flat", "grid", "ecg", "ecg"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if content == "ecg":  # a real page squeezed to the drawn size: the digitiser goes deep before it gives up
        rgb = cv2.resize(_ecg_page(), (w, h), interpolation=cv2.INTER_AREA)
    elif content == "noise":
        rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    elif content == "flat":
        rgb = np.full((h, w, 3), draw(st.integers(0, 255)), np.uint8)
    else:  # a pink 1 mm / 5 mm grid at a random pitch, with a little noise
        pitch = draw(st.integers(2, 12))
        rgb = np.full((h, w, 3), 255, np.uint8)
        for step, colour in ((pitch, (245, 190, 200)), (5 * pitch, (230, 120, 150))):
            rgb[::step] = colour
            rgb[:, ::step] = colour
        rgb = np.clip(rgb + rng.normal(0, 8, rgb.shape), 0, 255).astype(np.uint8)
    img = Image.fromarray(rgb)
    if mode in ("I;16", "I", "F"):
        grey = np.asarray(img.convert("L")).astype(np.float64)
        img = (Image.fromarray((grey * 257).astype(np.uint16)) if mode == "I;16"
               else Image.fromarray((grey * 257).astype(np.int32), mode="I") if mode == "I"
               else Image.fromarray((grey / 255).astype(np.float32), mode="F"))
    else:
        img = img.convert(mode)
    buffer = io.BytesIO()
    img.save(buffer, format=FORMATS[suffix])
    data = buffer.getvalue()
    what = f"{w}x{h} {mode} {content}"
    if kind == "truncated":
        data = data[:draw(st.integers(0, max(0, len(data) - 1)))]
        what += f" truncated to {len(data)} bytes"
    return Case(suffix, data, what)


@given(image_files())
def test_any_image_file_ends_in_one_line_or_a_result(tmp_path_factory, case):
    path = tmp_path_factory.mktemp("fuzz") / f"page{case.suffix}"
    path.write_bytes(case.data)
    for step in (image_read, image_digitize):
        start = time.process_time()
        tracemalloc.start()
        try:
            out = step(path)
        except VaescanInputError as exc:
            message = str(exc)
            assert message.startswith(str(path)) and "\n" not in message and len(message) < 400, message
            out = None
            event(f"{step.__name__}: {exc.problem.split(' (')[0].split(':')[0][:40]}")
        finally:
            peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
        assert time.process_time() - start < CPU_SECONDS, step.__name__
        assert peak_mb < PEAK_MB, (step.__name__, peak_mb)
        if step is image_read:
            if out is None:
                break          # unreadable: image_digitize must give the same refusal, nothing more to learn
            assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
        else:
            assert out is None or (out[0].signal.shape == (5000, 12) and isinstance(out[1], dict))

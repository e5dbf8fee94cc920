"""Reading page images: every mode and bit depth as RGB uint8, and clear errors for unusable files."""

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from vaescan.errors import VaescanInputError
from vaescan.pages.image import MAX_PIXELS, image_read


def _pattern(h: int = 120, w: int = 160) -> np.ndarray:
    """A pink grid on white with a black stroke: the colours of an ECG page."""
    rgb = np.full((h, w, 3), 255, np.uint8)
    rgb[::5] = (240, 130, 160)
    rgb[:, ::5] = (240, 130, 160)
    rgb[60:62] = 0
    return rgb


def test_16bit_greyscale_is_scaled_not_clipped(tmp_path):
    grey = np.tile(np.linspace(0, 65535, 160).round().astype(np.uint16), (120, 1))
    for suffix in (".png", ".tif"):
        path = tmp_path / f"scan{suffix}"
        Image.fromarray(grey).save(path)   # mode I;16
        rgb = image_read(path)
        want = np.round(grey / 257.0)
        assert rgb.dtype == np.uint8 and rgb.shape == (120, 160, 3)
        assert np.abs(rgb[:, :, 0].astype(float) - want).max() <= 1, suffix
        assert (rgb[:, :, 0] == rgb[:, :, 2]).all()
        assert rgb[:, :80].mean() < 100                      # the dark half stays dark (was clipped to white)


def test_32bit_int_and_float_greyscale(tmp_path):
    grey = np.tile(np.linspace(0, 1, 160), (120, 1))
    Image.fromarray((grey * 65535).round().astype(np.int32), mode="I").save(tmp_path / "i.tif")
    Image.fromarray(grey.astype(np.float32), mode="F").save(tmp_path / "f.tif")
    for name in ("i.tif", "f.tif"):
        rgb = image_read(tmp_path / name)
        assert np.abs(rgb[:, :, 1].astype(float) - grey * 255).max() <= 1.5, name


@pytest.mark.parametrize("mode,suffix", [("1", ".png"), ("L", ".png"), ("P", ".png"), ("P", ".gif"),
                                         ("LA", ".png"), ("RGBA", ".png"), ("CMYK", ".tif"), ("CMYK", ".jpg"),
                                         ("YCbCr", ".jpg"), ("RGB", ".bmp"), ("RGB", ".webp")])
def test_modes_read_as_rgb(tmp_path, mode, suffix):
    src = Image.fromarray(_pattern())
    img = src.convert(mode)
    path = tmp_path / f"page{suffix}"
    img.save(path, **({"quality": 98} if suffix == ".jpg" else {"lossless": True} if suffix == ".webp" else {}))
    rgb = image_read(path)
    want = np.asarray(img.convert("RGB"))     # opaque: alpha changes nothing
    tol = 12 if suffix == ".jpg" else 0
    assert rgb.shape == (120, 160, 3) and rgb.dtype == np.uint8
    assert np.abs(rgb.astype(int) - want.astype(int)).mean() <= tol + 0.01, mode


def test_transparency_is_white(tmp_path):
    rgba = np.zeros((120, 160, 4), np.uint8)
    rgba[60:62, :, 3] = 255          # an opaque black stroke, the rest transparent
    Image.fromarray(rgba).save(tmp_path / "a.png")
    Image.fromarray(rgba[:, :, [0, 3]]).save(tmp_path / "la.png")
    for name in ("a.png", "la.png"):
        rgb = image_read(tmp_path / name)
        assert (rgb[0] == 255).all() and (rgb[60] == 0).all(), name


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height, with a tiny (wrong) image stream."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [8000, 10000, 100000])
def test_decompression_bomb_refused_from_the_header(tmp_path, side):
    """64 MP (over vaescan's limit), 100 MP (over Pillow's warning) and 10 GP (over Pillow's error): the
    header alone is read, and the message names vaescan's limit (decoding would report a truncated file)."""
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(side, side))
    with pytest.raises(VaescanInputError) as exc:
        image_read(path)
    message = str(exc.value)
    assert f"the limit is {MAX_PIXELS / 1e6:.0f} MP" in message and "\n" not in message, message
    assert "truncated" not in message


def test_unusable_files(tmp_path):
    path = tmp_path / "x.png"
    cases = {b"": "empty file", b"hello": "not an image"}
    for data, words in cases.items():
        path.write_bytes(data)
        with pytest.raises(VaescanInputError, match=words):
            image_read(path)
    Image.fromarray(_pattern()).save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(VaescanInputError, match="truncated or corrupt"):
        image_read(path)
    with pytest.raises(VaescanInputError, match="file not found"):
        image_read(tmp_path / "missing.png")

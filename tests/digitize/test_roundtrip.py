"""Render -> digitise round trips at a stated SNR, and bad input gives a clear error.

Regression floors, about 2.5 dB under what these pages measure: clean and shadowed
150 dpi pages of a noiseless synthetic record reach a mean Challenge SNR of at least
16 dB (measured 18.60 dB clean, 18.49 dB shadowed). The issue's targets are 20 dB clean,
12 dB distorted; see docs/digitize.md.
"""

import numpy as np
import pytest

from vaescan.data.synth import NoiseConfig, SynthConfig, simulate_records
from vaescan.digitize.evaluate import record_snr, truth_signals
from vaescan.digitize.pipeline import image_digitize
from vaescan.errors import VaescanInputError
from vaescan.pages.distort import Distortion, image_distort
from vaescan.pages.image import image_write
from vaescan.pages.render import PageStyle, ecg_render

QUIET = SynthConfig(noise=NoiseConfig(wander_mv=(0.02, 0.1), powerline_mv=(0.0, 0.0), muscle_mv=(0.0, 0.0)))


@pytest.fixture(scope="module")
def record():
    return next(simulate_records(1, seed=1, config=QUIET))[0]


@pytest.mark.parametrize("distortion", [None, Distortion(shadow=0.7, seed=2)], ids=["clean", "shadow"])
def test_round_trip_snr(record, distortion):
    image, truth = ecg_render(record, PageStyle(dpi=150))
    if distortion is not None:
        image = image_distort(image, distortion, truth)
    out, report = image_digitize(image)
    assert report["layout"] == "3x4+II"
    assert out.signal.shape == (5000, 12) and out.fs == 500.0
    x, shown = truth_signals(record, truth)
    got = np.isfinite(out.signal)
    assert not (got & ~shown).any()                          # NaN wherever the page shows nothing
    assert got[shown].mean() > 0.98                          # and a value nearly everywhere it does
    snr = record_snr(x, out.signal, shown, 500.0)["snr_db"]
    assert np.nanmean(snr) >= 16.0, snr                      # measured 18.60 dB clean, 18.49 dB shadowed


@pytest.mark.parametrize("dpi, floor, unit", [(50, 9.0, "taken as 5 mm, not 1 mm"),
                                              (64, 15.0, "taken as 10 mm, not 5 mm")], ids=["1.97px/mm", "2.52px/mm"])
def test_small_scans_showing_one_line_spacing_are_read_at_the_right_scale(dpi, floor, unit):
    """Scans of 2-2.5 px per mm show only their 5 mm lines; at 50 dpi they are 10 px apart and pass for 1 mm lines
    (nothing was read: "found 0 trace rows"), at 64 dpi every other one comes out lighter and the lattice took
    10 mm for 5 (read at twice the scale: -0.7 dB). Each is read at the size that reads, or that the pulse and the
    rows' 250 mm fit."""
    from vaescan.digitize.evaluate import eval_records

    rec = eval_records(1, seed=5, noiseless=True)[0]
    image, truth = ecg_render(rec, PageStyle(dpi=dpi))
    out, report = image_digitize(image)
    assert abs(report["px_per_mm"] / truth["px_per_mm"] - 1) < 0.01 and any(unit in w for w in report["warnings"])
    x, shown = truth_signals(rec, truth)
    snr = record_snr(x, out.signal, shown, 500.0)["snr_db"]
    assert report["layout"] == "3x4+II" and np.nanmean(snr) >= floor, snr    # measured 10.76 and 17.79 dB


def test_two_lead_page_is_rejected(record, tmp_path):
    image, truth = ecg_render(record, PageStyle(dpi=100, layout="12x1", calibration="none"))
    rows = [p for p in truth["panels"] if p["row"] < 2]
    bottom = int(max(p["box_px"][3] for p in rows))
    path = image_write(tmp_path / "two.png", image[:bottom])
    with pytest.raises(VaescanInputError, match=r"two.png: found [012] trace row"):
        image_digitize(path)


def test_bad_images(tmp_path, monkeypatch):
    from vaescan.pages import image as image_module

    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "empty.png").write_bytes(b"")
    good = image_write(tmp_path / "ok.png", np.full((300, 400, 3), 255, np.uint8)).read_bytes()
    (tmp_path / "cut.png").write_bytes(good[: len(good) // 2])
    rng = np.random.default_rng(0)
    noise = (rng.random((600, 800, 3)) * 255).astype(np.uint8)
    gradient = np.broadcast_to(np.linspace(0, 255, 800, dtype=np.uint8)[None, :, None], (600, 800, 3)).copy()
    image_write(tmp_path / "noise.png", noise)
    image_write(tmp_path / "gradient.png", gradient)
    cases = {"text.png": "not an image", "empty.png": "empty file", "cut.png": "truncated or corrupt",
             "noise.png": "no ECG grid found", "gradient.png": "no ECG grid found"}
    for name, problem in cases.items():
        with pytest.raises(VaescanInputError, match=f"{name}: {problem}"):
            image_digitize(tmp_path / name)
    monkeypatch.setattr(image_module, "MAX_PIXELS", 100_000)  # ok.png is 120 000 px: over this cap
    with pytest.raises(VaescanInputError, match=r"ok.png: image is 400x300 px .* the limit is"):
        image_digitize(tmp_path / "ok.png")


def test_page_bulged_along_its_rows_is_read_where_the_grid_says(record, monkeypatch):
    """Paper pushed along x, 6 px one way in the left half and 6 px the other in the right (one bulge, the
    projective rectification absorbs), moves grid and trace together; read at the lattice's even spacing,
    rows are up to 30 ms off."""
    import cv2

    import vaescan.digitize.pipeline as pipeline

    image, truth = ecg_render(record, PageStyle(dpi=200))
    h, w = image.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    bulged = cv2.remap(image, xs - 6.0 * np.sin(2 * np.pi * xs / w), ys, cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    x, shown = truth_signals(record, truth)

    def snr() -> float:
        out, report = image_digitize(bulged)
        return float(np.nanmean(record_snr(x, out.signal, shown, 500.0)["snr_db"])), report["warnings"]

    read, warnings = snr()
    monkeypatch.setattr(pipeline, "DRIFT_MIN_PX", np.inf)           # the drift measured but not used
    plain, _ = snr()
    assert any("the grid drifts along rows" in w for w in warnings)
    assert read >= 14.5 and read - plain >= 10.0, (read, plain)    # measured 16.21 / 2.21 (unwarped: 17.92)

"""Model-input pages: the trace map sends pixels to the samples drawn there, through rotations; sums keep mass."""

import dataclasses

import numpy as np
import pytest

import vaescan.pages.model_input as mi
from tests.conftest import AnalyticECG, analytic_ecg, write_toy_cohort
from vaescan.data.leads import LEADS
from vaescan.data.sources import load_cohort
from vaescan.errors import VaescanInputError
from vaescan.pages.distort import Distortion
from vaescan.pages.render import ecg_render, page_write

CLEAN = mi.PageInputConfig(distortion=0.0)


@pytest.fixture(scope="module")
def record():
    return analytic_ecg(AnalyticECG(duration_s=10.0, qrs_ms=120.0))[0]


@pytest.fixture(scope="module")
def clean(record):
    return mi.page_input(record, CLEAN)


def _sample_positions(record, truth, transform):
    """Model-input (x, y) of every drawn (lead, sample), from the truth's panel geometry: index -> list of points."""
    pos = {}
    for p in truth["panels"]:
        i = np.arange(*p["samples"])
        v = record.signal[i, record.sig_name.index(p["lead"])]
        pts = transform @ np.stack([p["x0_px"] + (i / record.fs - p["t0_s"]) * p["px_per_s"],
                                    p["baseline_px"] - v * p["px_per_mv"], np.ones(len(i))])
        for k, x, y in zip(LEADS.index(p["lead"]) * record.n_samples + i, pts[0] / pts[2], pts[1] / pts[2]):
            pos.setdefault(int(k), []).append((x, y))
    return pos


def test_letterbox_scale_is_the_page_scale(record, clean):
    # the transform of an undistorted page is one scale and a centring shift, computed here independently
    w, h = clean.truth["image_size"]
    scale = min(256 / h, 384 / w)
    nw, nh = round(w * scale), round(h * scale)
    expected = np.array([[nw / w, 0, 0.5 * nw / w - 0.5 + (384 - nw) // 2],
                         [0, nh / h, 0.5 * nh / h - 0.5 + (256 - nh) // 2], [0, 0, 1]])
    np.testing.assert_allclose(clean.transform, expected, atol=1e-12)


def test_mapped_pixels_lie_at_their_samples_and_cover_the_ink(record, clean):
    pos = _sample_positions(record, clean.truth, clean.transform)
    ys, xs = np.nonzero(clean.trace_map >= 0)
    far = []
    for y, x in zip(ys, xs):
        pts = np.array(pos[int(clean.trace_map[y, x])])
        far.append(np.hypot(pts[:, 0] - x, pts[:, 1] - y).min())
    far = np.array(far)
    assert far.max() <= CLEAN.trace_radius_px + 1, far.max()  # measured: 2.61 (radius 2, pixel rounding)
    assert np.mean(far <= CLEAN.trace_radius_px + 0.5) > 0.98  # measured 0.992
    # every lead maps, the strip too: lead II samples beyond 2.5 s (only on the strip) are hit
    leads = np.unique(clean.trace_map[clean.trace_map >= 0] // record.n_samples)
    assert leads.tolist() == list(range(12))
    ii = clean.trace_map[clean.trace_map // record.n_samples == LEADS.index("II")] % record.n_samples
    assert ii.max() > 0.95 * record.n_samples
    # the ink of a trace-only page of the same geometry lies in the mask
    style = dataclasses.replace(mi.page_style(CLEAN), grid_color="none", label_position="none", footer=False)
    page, truth = ecg_render(record, style)
    ink = 1 - mi.letterbox(mi.ink_grey(page), CLEAN.size)[0] / 255.0
    x_first = (clean.transform @ [min(p["x0_px"] for p in truth["panels"]), 0, 1])[0]
    ink[:, :int(np.ceil(x_first))] = 0  # calibration pulses are no trace
    dark = ink > 0.03
    share = float(np.mean(clean.trace_map[dark] >= 0))
    assert share > 0.995, share  # measured: 1.0 (4329 pixels)
    assert 0.05 < np.mean(clean.trace_map >= 0) < 0.15


def test_rotated_page_maps_onto_its_ink(record, monkeypatch):
    thin = dataclasses.replace(CLEAN, trace_radius_px=0)
    upright = mi.page_input(record, thin)
    monkeypatch.setattr(mi, "page_distortion", lambda config, index: Distortion(rotation=1.0, seed=3))
    page = mi.page_input(record, thin)
    h = np.asarray(page.truth["transform"]["homography"])
    assert abs(np.degrees(np.arctan2(h[1, 0], h[0, 0]))) > 9  # 10 degrees
    on = page.trace_map >= 0
    inked = page.image[on] > page.background + 0.1
    assert inked.mean() > 0.95, inked.mean()  # measured 0.993
    # the upright page's map misses the rotated ink
    assert (page.image[upright.trace_map >= 0] > page.background + 0.1).mean() < 0.3  # measured 0.14


def test_default_distortions_keep_the_map_on_the_ink(record):
    page = mi.page_input(record, dataclasses.replace(mi.PageInputConfig(), trace_radius_px=0), index=5)
    on = page.trace_map >= 0
    assert page.image[on].mean() > page.image[~on].mean() + 0.25  # measured 0.47 vs 0.14


def test_trace_sums_conserve_mass_and_land_on_the_sample(clean):
    rng = np.random.default_rng(0)
    maps = rng.normal(size=(2, 3, *clean.trace_map.shape))
    sums = mi.trace_sums(maps, clean.trace_map, n_samples=clean.n_samples)
    assert sums.shape == (2, 3, 12, clean.n_samples)
    on = clean.trace_map >= 0
    np.testing.assert_allclose(sums.sum(axis=(-1, -2)), maps[..., on].sum(axis=-1))
    y, x = np.argwhere(on)[len(np.argwhere(on)) // 2]
    one = np.zeros(clean.trace_map.shape)
    one[y, x] = 2.5
    out = mi.trace_sums(one, clean.trace_map, n_samples=clean.n_samples)
    k = clean.trace_map[y, x]
    assert out[k // clean.n_samples, k % clean.n_samples] == 2.5 and out.sum() == 2.5
    np.testing.assert_array_equal(mi.trace_restrict(maps, clean.trace_map)[..., ~on], 0)
    with pytest.raises(VaescanInputError, match="beyond"):
        mi.trace_sums(one, clean.trace_map, n_samples=10)


def test_background_share(clean):
    on = (clean.trace_map >= 0).astype(float)
    assert mi.background_share(on, clean.trace_map) == 0.0
    assert mi.background_share(-np.ones_like(on), clean.trace_map) == pytest.approx(1 - on.mean())
    assert np.isnan(mi.background_share(np.zeros_like(on), clean.trace_map))


def test_image_file_matches_the_rendered_input(record, clean, tmp_path):
    png, _ = page_write(record, tmp_path / "p.png", mi.page_style(CLEAN))
    from_file = mi.image_file_input(png, CLEAN)
    assert from_file.shape == (1, 256, 384)
    assert np.abs(from_file[0] - clean.image).max() <= 1 / 255 + 1e-6
    # another aspect ratio is scaled by one factor and padded with paper
    tall = mi.letterbox(np.full((400, 200), 250, np.uint8), (256, 384))[0]
    assert (tall == 250).all()


def test_cohort_pages_are_cached(tmp_path, monkeypatch):
    cohort = load_cohort(write_toy_cohort(tmp_path / "cohort", n=3))
    config = mi.PageInputConfig(distortion=0.3)
    pages = mi.cohort_page_inputs(cohort, config, cache_dir=tmp_path / "cache", progress=False)
    assert pages.images.shape == (3, 1, 256, 384) and pages.images.dtype == np.float32
    assert pages.record_ids == ["r000", "r001", "r002"] and not pages.skipped
    direct = mi.page_input(cohort.read_record(1), config, index=mi.page_index("r001"))
    np.testing.assert_array_equal(pages.trace_map(1), direct.trace_map)
    np.testing.assert_array_equal(pages.images[1, 0], direct.image)
    monkeypatch.setattr(mi, "cohort_batch", lambda *a, **k: pytest.fail("recomputed despite the cache"))
    again = mi.cohort_page_inputs(cohort, config, cache_dir=tmp_path / "cache", progress=False)
    np.testing.assert_array_equal(again.images, pages.images)
    np.testing.assert_array_equal(again.trace_maps, pages.trace_maps)
    assert again.record_ids == pages.record_ids and again.n_samples == pages.n_samples == 3000


def test_streamed_pages_hold_the_pages_and_records_of_the_cached_ones(tmp_path):
    """The shards of cohort_page_images give the very pages of cohort_page_inputs, and leave out the same record
    of another length (r002: 5 s among 6 s records) with the same reason."""
    from vaescan.data.records import write_record

    root = write_toy_cohort(tmp_path / "cohort", n=4)
    write_record(analytic_ecg(AnalyticECG(duration_s=5.0))[0], root / "records" / "r002")
    cohort = load_cohort(root)
    config = mi.PageInputConfig(dpi=25.0, size=(64, 96), distortion=0.3)
    pages = mi.cohort_page_inputs(cohort, config, use_cache=False, progress=False)
    images, skipped = mi.cohort_page_images(cohort, config, shard_size=3, cache_dir=tmp_path / "cache",
                                            progress=False)
    assert images.record_ids == pages.record_ids == ["r000", "r001", "r003"]
    assert skipped == pages.skipped == [("r002", "r002: 2500 samples; the other pages map onto 3000")]
    assert images.shape == pages.images.shape and images.dtype == pages.images.dtype
    np.testing.assert_array_equal(images[:], pages.images)


def test_config_limits():
    with pytest.raises(VaescanInputError, match="distortion"):
        mi.PageInputConfig(distortion=1.5)
    with pytest.raises(VaescanInputError):
        mi.PageInputConfig(layout="5x5")


def test_trace_map_draw_joins_far_samples_and_splits_at_the_midpoint():
    # two samples 10 px apart (a steep QRS at a low sampling rate): the line between is continuous
    tm = mi.trace_map_draw([(np.array([3.0, 3.0]), np.array([1.0, 11.0]), np.array([7, 8]))], np.eye(3), (13, 6), 0)
    assert tm[1:12, 3].tolist() == [7] * 5 + [8] * 6 and (tm >= 0).sum() == 11
    # NaN breaks the line; the transform is applied
    tm = mi.trace_map_draw([(np.array([0.0, np.nan, 4.0]), np.array([0.0, 0.0, 0.0]), np.arange(3))],
                           np.diag([2.0, 2.0, 1.0]), (4, 10), 0)
    assert np.argwhere(tm >= 0).tolist() == [[0, 0], [0, 8]]

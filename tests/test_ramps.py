"""Ramp extraction (roman_lab.ramp.extract_ramps) on the small demo field."""

import shutil

import astropy.units as u
import numpy as np
import pytest
import roman_datamodels as rdm
from astropy.coordinates import SkyCoord
from regions import CircleSkyRegion

import roman_lab
from roman_lab.demo import field
from roman_lab.ramp import RampCube, extract_ramps


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("ramp-stores")


@pytest.fixture(scope="module")
def faint(small_demo):
    return small_demo["faint_cosmic_ray"]


@pytest.fixture(scope="module")
def region(small_demo, faint):
    # the recorded pixels are within sqrt(2) px of the brightest one: 1.6 px of this demo's scale
    radius = 1.6 * small_demo["pixel_scale_arcsec"] * u.arcsec
    return CircleSkyRegion(SkyCoord(faint["ra"], faint["dec"], unit="deg"), radius)


@pytest.fixture(scope="module")
def cube(small_demo, faint, region, cache):
    return extract_ramps(small_demo.path(faint["exposure"]), region, cache_dir=cache)


def _sky_of_pixel(path, x, y):
    with roman_lab.open(path) as rf:
        lon, lat = rf.wcs(float(x), float(y), with_bounding_box=False)
    return SkyCoord(float(lon), float(lat), unit="deg")


def test_recorded_pixels_are_in_the_cube(cube, faint, small_demo):
    assert isinstance(cube, RampCube)
    assert cube.pixels.dtype.kind == "i" and cube.pixels.shape[1] == 2
    got = {tuple(p) for p in cube.pixels.tolist()}
    for p in faint["pixels"]:
        assert (p["x"], p["y"]) in got
    assert cube.counts.shape == (len(cube.pixels), len(cube.times))
    assert cube.counts.dtype == np.float64
    assert cube.note == ""
    assert cube.l1_path.name == faint["uncal"]
    assert cube.l2_path.name == faint["exposure"]
    # a 1.6 px circle around a pixel centre holds the 3 x 3 block exactly
    assert len(cube.pixels) == 9


def test_pixel_selection_is_exact(cube, faint, region, small_demo):
    # every returned centre is inside, and the neighbours just outside the box are not
    path = small_demo.path(faint["exposure"])
    for x, y in cube.pixels:
        assert _sky_of_pixel(path, x, y).separation(region.center) <= region.radius
    xs, ys = cube.pixels[:, 0], cube.pixels[:, 1]
    for x, y in [(xs.min() - 1, ys.min() + 1), (xs.max() + 1, ys.min() + 1), (xs.min() + 1, ys.max() + 1)]:
        assert _sky_of_pixel(path, x, y).separation(region.center) > region.radius


def test_faint_jump_is_in_the_ramp(cube, faint):
    k = faint["resultant"]
    p = faint["pixels"][0]  # the brightest one: amplitude_dn is its charge
    i = next(i for i, (x, y) in enumerate(cube.pixels.tolist()) if (x, y) == (p["x"], p["y"]))
    ramp = cube.counts[i]
    diffs, dt = np.diff(ramp), np.diff(cube.times)
    others = np.arange(1, len(ramp)) != k
    rate = diffs[others].sum() / dt[others].sum()  # from the other differences
    excess = diffs[k - 1] - rate * dt[k - 1]
    assert abs(excess - faint["amplitude_dn"]) <= 0.3 * faint["amplitude_dn"]
    # the jump stands out from the typical (rate-normalised) differences
    typical = np.median(diffs[others] / dt[others]) * dt[k - 1]
    assert diffs[k - 1] - typical > 0.7 * faint["amplitude_dn"]


def test_times_follow_the_read_pattern(cube, small_demo):
    expected = np.array([field.FRAME_TIME * np.mean(g) for g in field.READ_PATTERN])
    np.testing.assert_allclose(cube.times, expected, rtol=0, atol=1e-12)
    noise = small_demo["noise"]
    np.testing.assert_allclose(cube.times, noise["resultant_times_s"], atol=1e-4)
    assert cube.read_pattern == [list(g) for g in noise["read_pattern"]]


def test_counts_equal_the_l1_file(cube, faint, small_demo):
    with rdm.open(small_demo.path(faint["uncal"])) as m:
        data = np.asarray(m.data)
    xs, ys = cube.pixels[:, 0], cube.pixels[:, 1]
    np.testing.assert_array_equal(cube.counts, data[:, ys + 4, xs + 4].T.astype(np.float64))
    for p in faint["pixels"]:
        assert (p["l1_x"], p["l1_y"]) == (p["x"] + 4, p["y"] + 4)


def test_tuple_region_and_plain_arcsec(cube, faint, region, small_demo, cache):
    again = extract_ramps(small_demo.path(faint["exposure"]), (region.center, region.radius.to_value(u.arcsec)),
                          cache_dir=cache)
    np.testing.assert_array_equal(again.pixels, cube.pixels)
    np.testing.assert_array_equal(again.counts, cube.counts)


def test_circle_on_the_corner_is_clipped_with_a_note(small_demo, faint, cache):
    path = small_demo.path(faint["exposure"])
    radius = 2.2 * small_demo["pixel_scale_arcsec"] * u.arcsec
    c = _sky_of_pixel(path, 0, 0)
    cube = extract_ramps(path, (c, radius), cache_dir=cache)
    assert (cube.pixels >= 0).all()
    assert {(0, 0), (1, 0), (0, 1), (2, 0), (1, 1)} <= {tuple(p) for p in cube.pixels.tolist()}
    assert "off the detector" in cube.note
    n_off = int(cube.note.split()[0])
    # a 2.2 px circle around a pixel centre holds 13 centres (|dx|, |dy| <= 2, dx^2 + dy^2 <= 4):
    # those on the detector (the 6 of the quadrant x, y >= 0) plus those off it
    assert len(cube.pixels) == 6
    assert len(cube.pixels) + n_off == 13
    with rdm.open(small_demo.path(faint["uncal"])) as m:
        data = np.asarray(m.data)
    xs, ys = cube.pixels[:, 0], cube.pixels[:, 1]
    np.testing.assert_array_equal(cube.counts, data[:, ys + 4, xs + 4].T)


def test_circle_off_the_detector_raises(small_demo, faint, cache):
    path = small_demo.path(faint["exposure"])
    c = _sky_of_pixel(path, -300, 128)
    with pytest.raises(ValueError, match="off the detector"):
        extract_ramps(path, (c, 5 * u.arcsec), cache_dir=cache)


def test_missing_level1_raises(small_demo, faint, region, tmp_path, cache):
    lonely = tmp_path / faint["exposure"]
    shutil.copy(small_demo.path(faint["exposure"]), lonely)
    with pytest.raises(roman_lab.RomanFileError, match=faint["uncal"]) as info:
        extract_ramps(lonely, region, cache_dir=cache)
    assert info.value.status == 404
    assert str(tmp_path) in str(info.value)  # it says where it looked


def test_mismatched_level1_shape_raises(small_demo, faint, region, tmp_path, cache):
    l2 = tmp_path / faint["exposure"]
    shutil.copy(small_demo.path(faint["exposure"]), l2)
    with rdm.open(small_demo.path(faint["uncal"])) as m:
        m.data = np.ascontiguousarray(np.asarray(m.data)[:, :-8, :])
        m.amp33 = np.ascontiguousarray(np.asarray(m.amp33)[:, :-8, :])
        m.save(tmp_path / faint["uncal"])
    with pytest.raises(roman_lab.RomanFileError, match="should be") as info:
        extract_ramps(l2, region, cache_dir=cache)
    assert info.value.status == 422


def test_bad_region_and_cap(small_demo, faint, region, cache):
    path = small_demo.path(faint["exposure"])
    with pytest.raises(TypeError):
        extract_ramps(path, "not a circle", cache_dir=cache)
    with pytest.raises(ValueError, match="positive"):
        extract_ramps(path, (region.center, 0 * u.arcsec), cache_dir=cache)
    with pytest.raises(roman_lab.RomanFileError, match="cap") as info:
        extract_ramps(path, region, cache_dir=cache, max_pixels=4)
    assert info.value.status == 413

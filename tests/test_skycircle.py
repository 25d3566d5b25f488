"""The one circle rule (`roman_lab.skycircle`): a radius is an angle Quantity or a bare number of
arcsec, the same in find_exposures, ramps and the Viewer (the magics and HTTP: test_magics, test_http)."""

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from regions import CircleSkyRegion

import roman_lab
from roman_lab.skycircle import circle_from_degrees, sky_circle

CENTRE = SkyCoord(10.0, 20.0, unit="deg")


def test_every_form_gives_the_same_circle():
    for region in (CircleSkyRegion(CENTRE, 3 * u.arcsec), (CENTRE, 3 * u.arcsec), (CENTRE, 3), (CENTRE, np.float32(3)),
                   (CENTRE.galactic, 0.05 * u.arcmin), [CENTRE, 3.0]):
        circle = sky_circle(region)
        assert circle.radius.unit == u.arcsec and circle.radius.value == pytest.approx(3)
        assert circle.ra_dec_radius_deg == pytest.approx((10.0, 20.0, 3 / 3600))
    assert circle_from_degrees(10, 20, 3).ra_dec_radius_deg == pytest.approx(sky_circle((CENTRE, 3)).ra_dec_radius_deg)


def test_a_point_only_where_asked():
    assert sky_circle((CENTRE, 0), point=True).radius == 0 * u.arcsec
    assert sky_circle((CENTRE, 0), point=True).to_region().radius.to_value(u.arcsec) == pytest.approx(1e-6)
    with pytest.raises(ValueError, match="radius must be finite and positive"):
        sky_circle((CENTRE, 0 * u.deg))


@pytest.mark.parametrize(
    "region, error, words",
    [
        (42, TypeError, "a circle is a regions.CircleSkyRegion or a (SkyCoord, radius) pair, not int"),
        (((10, 20), 3), TypeError, "centre must be a SkyCoord"),
        ((SkyCoord([1, 2], [3, 4], unit="deg"), 3), ValueError, "a single position"),
        ((CENTRE, "3"), TypeError, "an angle Quantity (e.g. 2 * u.arcsec) or a bare number of arcsec, not a str"),
        ((CENTRE, 3 * u.m), ValueError, "an angle Quantity"),
        ((CENTRE, -1 * u.arcsec), ValueError, "finite and not negative"),
        ((CENTRE, np.inf), ValueError, "finite and not negative"),
        ((SkyCoord(np.nan, 1, unit="deg"), 1), ValueError, "centre must be finite"),
    ],
)
def test_bad_circles_are_said_plainly(region, error, words):
    with pytest.raises(error) as info:
        sky_circle(region, point=True)
    assert words in str(info.value)


def test_find_exposures_takes_a_bare_number_as_arcsec(small_demo):
    """2 (arcsec) one degree off the field covers nothing; 2 degrees covers the whole field."""
    faint = small_demo["faint_cosmic_ray"]
    off = SkyCoord(faint["ra"], faint["dec"], unit="deg").directional_offset_by(0 * u.deg, 1 * u.deg)
    mosaic = small_demo.path(small_demo["mosaic"]["file"])
    assert list(roman_lab.find_exposures((off, 2), mosaic=mosaic)) == []
    assert list(roman_lab.find_exposures((off, 1800), mosaic=mosaic)) == []  # half a degree
    assert len(roman_lab.find_exposures((off, 2 * u.deg), mosaic=mosaic)) >= 2
    assert len(roman_lab.find_exposures((off, 2 * 3600), mosaic=mosaic)) >= 2


def test_ramps_and_the_viewer_take_a_bare_number_as_arcsec(small_demo, tmp_path):
    faint = small_demo["faint_cosmic_ray"]
    centre = SkyCoord(faint["ra"], faint["dec"], unit="deg")
    radius = 3 * small_demo["pixel_scale_arcsec"]
    cal = small_demo.path(faint["exposure"])
    bare = roman_lab.ramps(cal, (centre, radius), cache_dir=tmp_path)
    quantity = roman_lab.ramps(cal, CircleSkyRegion(centre, radius * u.arcsec), cache_dir=tmp_path)
    assert 0 < len(bare) == len(quantity)
    viewer = roman_lab.Viewer()
    assert viewer.add_region((centre, 2)).radius == 2 * u.arcsec
    viewer.regions = [(centre, 1.5)]
    assert viewer.get_region().radius == 1.5 * u.arcsec

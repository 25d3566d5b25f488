"""One circle on the sky, read the same way by every entry point.

`find_exposures`, `ramps`, the Viewer's circle methods, the `%roman` magics and the HTTP API
all read their circle through `sky_circle` (or `circle_from_degrees` for the JSON/HTTP form),
so a radius means one thing everywhere: an angle Quantity (preferred: `2 * u.arcsec`,
`0.1 * u.deg`) or a bare number of arcseconds.
"""

from __future__ import annotations

import math
from typing import NamedTuple

RADIUS_RULE = "an angle Quantity (e.g. 2 * u.arcsec) or a bare number of arcsec"
POINT_RADIUS_ARCSEC = 1e-6  # regions wants a positive radius: a point (radius 0) becomes 1 micro-arcsec


class SkyCircle(NamedTuple):
    """A circle on the sky: its ICRS centre (a scalar SkyCoord) and radius (a Quantity in arcsec;
    0 is a single position, "what covers this pixel")."""

    center: object
    radius: object

    @property
    def ra_dec_radius_deg(self):
        """(RA, Dec, radius) as floats in degrees, for the spherical geometry on plain numbers."""
        return float(self.center.ra.deg), float(self.center.dec.deg), float(self.radius.to_value("deg"))

    def to_region(self, meta=None, visual=None):
        """As a `regions.CircleSkyRegion`."""
        import astropy.units as u
        from regions import CircleSkyRegion

        radius = max(self.radius, POINT_RADIUS_ARCSEC * u.arcsec)
        return CircleSkyRegion(self.center, radius, meta=meta, visual=visual)


def sky_circle(region, *, point=False):
    """The `SkyCircle` of `region`: a `regions.CircleSkyRegion`, or a `(SkyCoord, radius)` pair
    whose radius is an angle Quantity or a bare number of arcsec.

    point: a radius of 0 (a single position) is allowed.
    Raises TypeError for something that is not a circle, ValueError for a bad centre or radius.
    """
    from astropy.coordinates import SkyCoord

    center, radius = _parts(region)
    if not isinstance(center, SkyCoord):
        raise TypeError(f"the circle's centre must be a SkyCoord, not {type(center).__name__}")
    if not center.isscalar:
        raise ValueError("the circle's centre must be a single position, not an array of them")
    center = center.icrs
    return _checked(center, _radius(radius), point)


def circle_from_degrees(ra, dec, radius_arcsec, *, point=False):
    """The `SkyCircle` of the JSON and HTTP form: RA and Dec in ICRS degrees, the radius in arcsec."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    ra, dec, radius_arcsec = float(ra), float(dec), float(radius_arcsec)
    if not (math.isfinite(ra) and math.isfinite(dec) and -90 <= dec <= 90):
        raise ValueError(_bad_centre(ra, dec))
    return _checked(SkyCoord(ra * u.deg, dec * u.deg, frame="icrs"), radius_arcsec * u.arcsec, point)


def _parts(region):
    """(centre, radius) of a CircleSkyRegion or a (centre, radius) pair."""
    if hasattr(region, "center") and hasattr(region, "radius"):
        return region.center, region.radius
    if isinstance(region, (tuple, list)) and len(region) == 2:
        return region
    raise TypeError(f"a circle is a regions.CircleSkyRegion or a (SkyCoord, radius) pair, not {type(region).__name__}")


def _radius(radius):
    """The radius in arcsec: a Quantity converted, a bare number taken as arcsec."""
    import astropy.units as u

    if isinstance(radius, u.Quantity):
        if not radius.isscalar or radius.unit.physical_type != "angle":
            raise ValueError(f"the circle's radius is {RADIUS_RULE}, not {radius}")
        return radius.to(u.arcsec)
    if isinstance(radius, bool) or not hasattr(radius, "__float__"):
        raise TypeError(f"the circle's radius is {RADIUS_RULE}, not a {type(radius).__name__}")
    return float(radius) * u.arcsec


def _checked(center, radius, point):
    ra, dec = float(center.ra.deg), float(center.dec.deg)
    if not (math.isfinite(ra) and math.isfinite(dec)):
        raise ValueError(_bad_centre(ra, dec))
    value = float(radius.value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not point):
        wanted = "finite and not negative" if point else "finite and positive"
        raise ValueError(f"the circle's radius must be {wanted} ({RADIUS_RULE}), got {value:g} arcsec")
    return SkyCircle(center, radius)


def _bad_centre(ra, dec):
    return f"the circle's centre must be finite and its Dec must be within +-90 deg (got RA {ra:g}, Dec {dec:g})"

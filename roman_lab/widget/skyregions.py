"""Circles on the sky: `regions.CircleSkyRegion` in Python, {"ra", "dec", "radius_arcsec", "id"}
(ICRS degrees) in JSON. The JSON id is the region's `meta["name"]`."""

from __future__ import annotations

import uuid

from ..skycircle import circle_from_degrees, sky_circle
from ..state import check_region


def new_id():
    return uuid.uuid4().hex[:8]


def as_region(value):
    """A CircleSkyRegion with an id, from a CircleSkyRegion, a JSON dict or a (SkyCoord, radius)
    pair; the radius an angle Quantity or a bare number of arcsec (`roman_lab.skycircle`)."""
    from regions import CircleSkyRegion

    if isinstance(value, dict):
        spec = check_region(value)
        circle = circle_from_degrees(spec["ra"], spec["dec"], spec["radius_arcsec"])
        return circle.to_region(meta={"name": spec.get("id") or new_id()})
    circle = sky_circle(value)
    if not isinstance(value, CircleSkyRegion):
        return circle.to_region(meta={"name": new_id()})
    if value.meta.get("name"):
        return value
    return CircleSkyRegion(value.center, value.radius, meta={**value.meta, "name": new_id()}, visual=value.visual)


def region_json(region):
    import astropy.units as u

    center = region.center.icrs
    return {
        "ra": float(center.ra.deg),
        "dec": float(center.dec.deg),
        "radius_arcsec": float(region.radius.to_value(u.arcsec)),
        "id": str(region.meta["name"]),
    }


def regions_to_json(regions, _widget=None):
    """ipywidgets serializer of the `regions` trait."""
    return [region_json(r) for r in regions]

"""Circles on the sky: `regions.CircleSkyRegion` in Python, {"ra", "dec", "radius_arcsec", "id"}
(ICRS degrees) in JSON. The JSON id is the region's `meta["name"]`."""

from __future__ import annotations

import uuid


def new_id():
    return uuid.uuid4().hex[:8]


def as_region(value):
    """A CircleSkyRegion with an id, from a CircleSkyRegion, a JSON dict or a (SkyCoord, radius) pair."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from regions import CircleSkyRegion

    if isinstance(value, dict):
        from roman_lab.state import check_region

        spec = check_region(value)
        center = SkyCoord(spec["ra"], spec["dec"], unit="deg", frame="icrs")
        return CircleSkyRegion(center, spec["radius_arcsec"] * u.arcsec, meta={"name": spec.get("id") or new_id()})
    if isinstance(value, CircleSkyRegion):
        if value.meta.get("name"):
            return value
        return CircleSkyRegion(value.center, value.radius, meta={**value.meta, "name": new_id()}, visual=value.visual)
    if isinstance(value, (tuple, list)) and len(value) == 2 and isinstance(value[0], SkyCoord):
        center, radius = value
        radius = radius if isinstance(radius, u.Quantity) else radius * u.arcsec
        return CircleSkyRegion(center, radius, meta={"name": new_id()})
    raise TypeError(f"a region is a regions.CircleSkyRegion (or a (SkyCoord, radius) pair), not {type(value).__name__}")


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

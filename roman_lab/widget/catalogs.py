"""Catalog markers: the image display API's tables in Python, JSON points for the browser.

A loaded table is kept whole in Python (extra columns included) with its positions under the
canonical names x, y, coord; the `catalogs` trait carries what the browser draws: sky points
{"ra", "dec"} when the positions are known on the sky, else pixel points {"x", "y"} in the
pixels of the image named by "frame".
"""

from __future__ import annotations

import math

DEFAULT_STYLE = {"shape": "circle", "color": "red", "size": 5}


def prepared_table(table, x_colname, y_colname, skycoord_colname, use_skycoord, wcs_for, shape=None):
    """A copy of `table` with positions completed where a WCS allows and renamed to x, y, coord.

    `wcs_for(required)` gives the WCS to convert with (None when there is none); `required`
    says whether the call cannot succeed without one (it may then raise). `shape` (ny, nx):
    the image's, for sky -> pixel (`roman_lab.io.skypixel.world_to_pixel`)."""
    coords = table[skycoord_colname] if skycoord_colname in table.colnames else None
    xy = (table[x_colname], table[y_colname]) if {x_colname, y_colname} <= set(table.colnames) else None
    wcs = wcs_for((xy is None and coords is not None) or (coords is None and use_skycoord))
    out = table.copy()
    if xy is None:
        if wcs is not None and coords is not None:
            from roman_lab.io.skypixel import world_to_pixel

            x, y = world_to_pixel(wcs, coords, shape=shape)
            out[x_colname], out[y_colname] = x, y
            xy = (x, y)
        else:
            out[x_colname] = out[y_colname] = None
    if not use_skycoord and xy is None:
        raise ValueError("Cannot use pixel coordinates without pixel columns or both coordinates and a WCS.")
    if coords is None:
        if use_skycoord and wcs is None:
            raise ValueError("Cannot use sky coordinates without a SkyCoord column or WCS.")
        if xy is not None and wcs is not None:
            out[skycoord_colname] = wcs.pixel_to_world(xy[0], xy[1])
        else:
            out[skycoord_colname] = None
    out.rename_columns([x_colname, y_colname, skycoord_colname], ["x", "y", "coord"])
    return out


def _finite(values):
    return all(v is not None and math.isfinite(v) for v in values)


def trait_value(table, style, frame_id):
    """The `catalogs` trait entry of a prepared table: sky points when it has sky positions."""
    from astropy.coordinates import SkyCoord

    coord = table["coord"]
    if isinstance(coord, SkyCoord):
        icrs = coord.icrs
        pairs = zip(icrs.ra.deg.tolist(), icrs.dec.deg.tolist())
        points = [{"ra": ra, "dec": dec} for ra, dec in pairs if _finite((ra, dec))]
        frame_id = None
    else:
        pairs = zip(table["x"].tolist(), table["y"].tolist())
        points = [{"x": float(x), "y": float(y)} for x, y in pairs if _finite((x, y))]
    return {"points": points, "style": trait_style(style), "frame": frame_id}


def trait_style(style):
    """What the browser draws with: marker (the API's shape), color, size."""
    return {"marker": style["shape"], "color": style["color"], "size": float(style["size"])}


def table_from_trait(value):
    """A catalog table rebuilt from the trait (after a state restore, or one drawn in the browser)."""
    from astropy.coordinates import SkyCoord
    from astropy.table import Table

    points = value["points"]
    n = len(points)
    if points and "ra" in points[0]:
        coord = SkyCoord([p["ra"] for p in points], [p["dec"] for p in points], unit="deg", frame="icrs")
        return Table({"x": [None] * n, "y": [None] * n, "coord": coord})
    return Table({"x": [p["x"] for p in points], "y": [p["y"] for p in points], "coord": [None] * n})


def style_from_trait(value):
    style = value["style"]
    return {"shape": style["marker"], "color": style["color"], "size": style["size"]}

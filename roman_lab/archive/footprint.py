# Own code, not regions or spherical_geometry: regions tests containment through a pixel projection and spherical_geometry has no point-to-edge distance, which "full" coverage needs.
"""Sky footprints of exposures and exact spherical geometry on them.

A footprint is the detector EDGE (not just the corners: distortion bends the edges) sampled
through the exposure's gwcs, joined by great-circle arcs. All the geometry is done on unit
vectors, so it is the same at RA = 0 and at a pole as anywhere else:

- point in polygon: gnomonic projection about the polygon's centre (great circles map to
  straight lines, so the planar crossing test is exact for great-circle edges);
- circle vs polygon: the angular distance from the circle centre to every edge arc decides
  "full" (the whole circle is inside), "partial" (they overlap) or None (disjoint).

Footprints are assumed smaller than a hemisphere (a detector is ~0.13 deg on a side).
"""

from __future__ import annotations

import math

import numpy as np

SAMPLES_PER_SIDE = 16


def unit(ra, dec):
    """Unit vectors (..., 3) from RA/Dec in degrees."""
    ra, dec = np.radians(np.asarray(ra, float)), np.radians(np.asarray(dec, float))
    cd = np.cos(dec)
    return np.stack([cd * np.cos(ra), cd * np.sin(ra), np.sin(dec)], axis=-1)


def radec(v):
    """RA (0..360) and Dec in degrees from unit vectors (..., 3)."""
    v = np.asarray(v, float)
    ra = np.degrees(np.arctan2(v[..., 1], v[..., 0])) % 360.0
    dec = np.degrees(np.arcsin(np.clip(v[..., 2] / np.linalg.norm(v, axis=-1), -1, 1)))
    return ra, dec


def cross(a, b):
    """np.cross for (..., 3) arrays, without np.cross's overhead on small arrays."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = np.broadcast_arrays(a, b)
    out = np.empty(a.shape)
    out[..., 0] = a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1]
    out[..., 1] = a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2]
    out[..., 2] = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    return out


def angle(a, b):
    """Angle in radians between unit vectors (broadcasting), accurate at small angles."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.arctan2(np.linalg.norm(cross(a, b), axis=-1), np.sum(a * b, axis=-1))


def edge_pixels(shape, per_side=SAMPLES_PER_SIDE):
    """Pixel coordinates (x, y) walking the outer edge of a (ny, nx) grid, corners included,
    counter-clockwise in pixel space, `per_side` points per side (no point repeated)."""
    ny, nx = shape
    x0, x1, y0, y1 = -0.5, nx - 0.5, -0.5, ny - 0.5
    t = np.linspace(0.0, 1.0, per_side, endpoint=False)
    xs = np.concatenate([x0 + (x1 - x0) * t, np.full(per_side, x1), x1 - (x1 - x0) * t, np.full(per_side, x0)])
    ys = np.concatenate([np.full(per_side, y0), y0 + (y1 - y0) * t, np.full(per_side, y1), y1 - (y1 - y0) * t])
    return xs, ys


def _sky(wcs, x, y):
    """Pixel -> (ra, dec) through a gwcs, ignoring the bounding box (the edge is on it)."""
    try:
        ra, dec = wcs(x, y, with_bounding_box=False)
    except TypeError:  # an astropy-like WCS
        ra, dec = wcs.pixel_to_world_values(x, y)
    return np.asarray(ra, float), np.asarray(dec, float)


def wcs_shape(wcs, shape=None):
    """(ny, nx) of the pixel grid: given, or from the gwcs bounding box."""
    if shape is not None:
        return tuple(int(s) for s in shape[-2:])
    bbox = wcs.bounding_box
    (xl, xu), (yl, yu) = bbox.bounding_box(order="F")
    return round(yu - yl), round(xu - xl)


class Footprint:
    """A spherical polygon (RA/Dec vertices in degrees, great-circle edges)."""

    def __init__(self, ra, dec):
        v = unit(ra, dec)
        if len(v) < 3:
            raise ValueError("a footprint needs at least 3 vertices")
        self.ra, self.dec = np.asarray(ra, float).ravel(), np.asarray(dec, float).ravel()
        self.vertices = v
        c = v.sum(axis=0)
        norm = np.linalg.norm(c)
        if norm == 0:
            raise ValueError("degenerate footprint")
        self.centre = c / norm
        # tangent-plane basis at the centre (gnomonic projection)
        ref = np.array([0.0, 0.0, 1.0]) if abs(self.centre[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
        e1 = cross(ref, self.centre)
        self._e1 = e1 / np.linalg.norm(e1)
        self._e2 = cross(self.centre, self._e1)
        if np.any(v @ self.centre <= 0):
            raise ValueError("footprint larger than a hemisphere")
        self._px, self._py = self._project(v)
        # edges: great circles a -> b, normals n = a x b (normalised)
        a, b = v, np.roll(v, -1, axis=0)
        n = cross(a, b)
        nn = np.linalg.norm(n, axis=1)
        keep = nn > 0
        self._a, self._b = a[keep], b[keep]
        self._n = n[keep] / nn[keep, None]
        self.radius = float(np.max(angle(self.centre, v)))  # bounding cap, radians

    @classmethod
    def from_wcs(cls, wcs, shape=None, per_side=SAMPLES_PER_SIDE):
        xs, ys = edge_pixels(wcs_shape(wcs, shape), per_side)
        ra, dec = _sky(wcs, xs, ys)
        return cls(ra, dec)

    @classmethod
    def from_json(cls, pairs):
        arr = np.asarray(pairs, float)
        return cls(arr[:, 0], arr[:, 1])

    def to_json(self):
        return [[round(float(r), 9), round(float(d), 9)] for r, d in zip(self.ra, self.dec)]

    def _project(self, v):
        v = np.atleast_2d(v)
        z = v @ self.centre
        with np.errstate(divide="ignore", invalid="ignore"):
            return (v @ self._e1) / z, (v @ self._e2) / z

    def contains_vectors(self, p):
        """Boolean array: unit vectors p (..., 3) strictly inside (or on) the polygon."""
        p = np.atleast_2d(np.asarray(p, float))
        front = p @ self.centre > 0
        px, py = self._project(p)
        xs, ys = self._px, self._py
        x1, y1 = xs[:, None], ys[:, None]
        x2, y2 = np.roll(xs, -1)[:, None], np.roll(ys, -1)[:, None]
        cond = (y1 > py) != (y2 > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
        crossings = np.sum(cond & (px < xcross), axis=0)
        return front & (crossings % 2 == 1)

    def contains(self, ra, dec):
        """Point(s) inside the polygon (scalar bool for a scalar point)."""
        out = self.contains_vectors(unit(np.atleast_1d(ra), np.atleast_1d(dec)))
        return bool(out[0]) if np.ndim(ra) == 0 else out

    def distance_to_edge(self, ra, dec):
        """Smallest angle (radians) from a point to the polygon boundary."""
        p = unit(ra, dec)
        a, b, n = self._a, self._b, self._n
        s = n @ p  # sine of the distance to each great circle
        q = p[None, :] - s[:, None] * n  # the foot of the perpendicular (unnormalised)
        # on the arc when it is between a and b (arcs are shorter than 180 deg)
        on_arc = (np.sum(cross(a, q) * n, axis=-1) >= 0) & (np.sum(cross(q, b) * n, axis=-1) >= 0)
        d_line = np.arcsin(np.clip(np.abs(s), 0, 1))
        d_end = np.minimum(angle(p, a), angle(p, b))
        return float(np.min(np.where(on_arc, d_line, d_end)))

    def overlap(self, ra, dec, radius_deg):
        """'full' when the circle lies inside the polygon, 'partial' when they overlap,
        None when they are disjoint."""
        r = math.radians(max(float(radius_deg), 0.0))
        c = unit(ra, dec)
        if angle(c, self.centre) > self.radius + r:
            return None
        inside = bool(self.contains_vectors(c)[0])
        d = self.distance_to_edge(ra, dec)
        if inside:
            return "full" if d >= r else "partial"
        return "partial" if d < r else None

    def __repr__(self):
        ra, dec = radec(self.centre)
        return f"<Footprint {len(self.ra)} vertices around ({float(ra):.5f}, {float(dec):.5f})>"


def pixel_of(wcs, ra, dec, shape=None):
    """The (x, y) pixel (0-based) of an ICRS sky position (degrees) through a gwcs or an astropy
    WCS (of a detector of `shape`), off the detector too; NaN where it cannot be mapped
    (`roman_lab.io.skypixel`: never gwcs's numerical `invert`). A WCS in another frame
    (romanisim's is FK5, ~20 mas from ICRS) gets the position in its frame."""
    from astropy.coordinates import ICRS, SkyCoord

    from roman_lab.io.skypixel import celestial_frame, sky_to_pixel

    frame = celestial_frame(wcs)
    if frame is not None and not isinstance(frame, ICRS):
        try:
            s = SkyCoord(ra, dec, unit="deg", frame="icrs").transform_to(frame).spherical
            ra, dec = s.lon.deg, s.lat.deg
        except Exception:  # noqa: BLE001, S110 - a frame astropy cannot reach: the values as they are
            pass
    x, y = sky_to_pixel(wcs, ra, dec, shape=shape)
    return float(x), float(y)


def coverage_of(footprint, wcs, shape, ra, dec, radius_deg):
    """(coverage, x, y) of a circle on one exposure: the footprint's answer ('full', 'partial'
    or None), made exact at the centre by its pixel through the gwcs; x, y None if undefined."""
    coverage = footprint.overlap(ra, dec, radius_deg) if footprint is not None else None
    x, y = pixel_of(wcs, ra, dec, shape)
    centre_on = on_detector(x, y, shape)
    if radius_deg <= 0:
        coverage = "full" if centre_on else None
    elif (centre_on and coverage is None) or (not centre_on and coverage == "full"):
        coverage = "partial"
    if not (np.isfinite(x) and np.isfinite(y)):
        x = y = None
    return coverage, x, y


def on_detector(x, y, shape):
    """True when pixel (x, y) falls on a (ny, nx) detector (pixel edges at -0.5, n - 0.5)."""
    ny, nx = shape
    return bool(np.isfinite(x) and np.isfinite(y) and -0.5 <= x < nx - 0.5 and -0.5 <= y < ny - 0.5)

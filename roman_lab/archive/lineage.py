"""Exposures from a mosaic's own lineage.

The members are `meta.resample.members` (then `meta.individual_image_meta` file names), in
that order, resolved against `root` or the mosaic's folder. For a sky circle:

- covering: the member's footprint (its detector edge through its gwcs) overlaps the circle,
  and the circle centre's pixel through the gwcs decides exactly for a single point;
- contributing: the mosaic's `context` array (uint32 planes; bit i of plane j set where
  member 32*j + i went into that output pixel) has the member's bit set in at least one
  mosaic pixel inside the circle (the nearest pixel when the circle is smaller than a pixel).

A member covering the region whose pixels there were all masked (a flagged cosmic ray, a bad
pixel) is listed with `contributing=False`. Without `context`, contributing = covering.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..skycircle import sky_circle
from ._meta import exposure_fields
from .base import Archive, Exposure, ExposureList
from .footprint import Footprint, angle, coverage_of, pixel_of, unit


class _Member:
    def __init__(self, index, name, path):
        self.index, self.name, self.path = index, name, path
        self.summary, self.wcs, self.shape, self.footprint, self.error = {}, None, None, None, None


class LineageArchive(Archive):
    """The L2 members of a mosaic (`mosaic_path`), found locally under `root` (default: the
    mosaic's folder)."""

    name = "lineage"

    def __init__(self, mosaic_path, root=None, cache_dir=None):
        from ..io import open as open_roman

        self.mosaic_path = Path(mosaic_path).expanduser()
        self.root = Path(root).expanduser() if root is not None else self.mosaic_path.parent
        self.cache_dir = cache_dir
        with open_roman(self.mosaic_path) as rf:
            if rf.level != 3:
                raise ValueError(f"{self.mosaic_path.name} is a level {rf.level} {rf.model_type}, not a mosaic")
            self.members_names = list(rf.lineage.get("members") or [])
            self.wcs = rf.wcs
            self.shape = rf.shape
            self.has_context = "context" in rf.arrays
        self._context = None
        self._members = None

    # -- members ---------------------------------------------------------------------------
    def _resolve(self, name):
        for folder in (self.root, self.mosaic_path.parent):
            candidate = folder / name
            if candidate.exists():
                return candidate
        return None

    @property
    def members(self):
        if self._members is None:
            from ..io import open as open_roman

            out = []
            for i, name in enumerate(self.members_names):
                m = _Member(i, name, self._resolve(name))
                if m.path is not None:
                    try:
                        with open_roman(m.path) as rf:
                            m.summary, m.wcs, m.shape = dict(rf.summary), rf.wcs, rf.shape
                        m.footprint = Footprint.from_wcs(m.wcs, m.shape)
                    except Exception as exc:  # noqa: BLE001 - one unreadable member must not stop the rest
                        m.error = str(exc)
                out.append(m)
            self._members = out
        return self._members

    # -- context ---------------------------------------------------------------------------
    def context(self):
        """The mosaic's context array, or None: the cached store's (zarr, read by chunk) when the
        mosaic was converted already, else read once from the ASDF (converting a whole mosaic
        to answer one query costs seconds; the array alone, a fraction)."""
        if not self.has_context:
            return None
        if self._context is None:
            from ..io import open as open_roman
            from ..store import cached_store

            store = cached_store(self.mosaic_path, cache_dir=self.cache_dir)
            if store is not None and "context" in store.arrays:
                self._context = store.arrays["context"]
            else:
                with open_roman(self.mosaic_path) as rf:
                    self._context = rf.read("context")
        return self._context

    def region_pixels(self, ra, dec, radius_deg):
        """(ys, xs) of the mosaic pixels whose centres lie in the circle; the nearest pixel when
        none does (a circle smaller than a pixel); empty when the centre is off the mosaic."""
        ny, nx = self.shape
        cx, cy = pixel_of(self.wcs, ra, dec, self.shape)
        if not (np.isfinite(cx) and np.isfinite(cy)):
            return np.zeros(0, int), np.zeros(0, int)
        # pixel scale at the centre
        r1, d1 = self.wcs(cx + 1.0, cy, with_bounding_box=False)
        r0, d0 = self.wcs(cx, cy, with_bounding_box=False)
        scale = math.degrees(float(angle(unit(r0, d0), unit(r1, d1))))
        rpix = radius_deg / scale + 1.5
        x0, x1 = max(0, math.floor(cx - rpix)), min(nx - 1, math.ceil(cx + rpix))
        y0, y1 = max(0, math.floor(cy - rpix)), min(ny - 1, math.ceil(cy + rpix))
        if x0 <= x1 and y0 <= y1:
            yy, xx = np.mgrid[y0 : y1 + 1, x0 : x1 + 1]
            pra, pdec = self.wcs(xx.ravel().astype(float), yy.ravel().astype(float), with_bounding_box=False)
            d = np.degrees(angle(unit(pra, pdec), unit(ra, dec)))
            inside = d <= radius_deg
            if inside.any():
                return yy.ravel()[inside], xx.ravel()[inside]
        xi, yi = round(cx), round(cy)
        if 0 <= xi < nx and 0 <= yi < ny:
            return np.array([yi]), np.array([xi])
        return np.zeros(0, int), np.zeros(0, int)

    def contributing_indices(self, ra, dec, radius_deg):
        """Set of member indices with a context bit in the region's mosaic pixels (None
        without context)."""
        ctx = self.context()
        if ctx is None:
            return None
        ys, xs = self.region_pixels(ra, dec, radius_deg)
        if ys.size == 0:
            return set()
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        try:
            block = np.asarray(ctx[:, y0:y1, x0:x1])
        except Exception:  # noqa: BLE001 - the store was evicted from the cache since: reopen
            self._context = None
            block = np.asarray(self.context()[:, y0:y1, x0:x1])
        bits = np.bitwise_or.reduce(block[:, ys - y0, xs - x0], axis=1)  # one uint32 per plane
        out = set()
        for j, word in enumerate(bits):
            word = int(word)
            for i in range(32):
                if word >> i & 1:
                    out.add(32 * j + i)
        return out

    # -- the query -------------------------------------------------------------------------
    def find(self, region):
        ra, dec, radius = sky_circle(region, point=True).ra_dec_radius_deg
        contributing = self.contributing_indices(ra, dec, radius)
        found, unreadable = [], []
        for m in self.members:
            contrib = None if contributing is None else m.index in contributing
            x = y = None
            coverage = None
            if m.footprint is not None:
                coverage, x, y = coverage_of(m.footprint, m.wcs, m.shape, ra, dec, radius)
            elif contrib:
                coverage = "partial"  # not on disk: its context bits say it is there
            if m.error:
                unreadable.append(m.name)
            if coverage is None:
                continue
            if contrib is None:
                contrib = True
            found.append(
                Exposure(
                    name=m.name,
                    source="lineage",
                    path=str(m.path) if m.path is not None else None,
                    x=x,
                    y=y,
                    coverage=coverage,
                    contributing=contrib,
                    **exposure_fields(m.summary),
                )
            )
        message = ""
        if not found:
            message = (
                f"No member of {self.mosaic_path.name} ({len(self.members_names)} members) covers "
                f"RA {ra:.6f}, Dec {dec:.6f} (radius {radius * 3600:.2f} arcsec)."
            )
        missing = [m.name for m in self.members if m.path is None]
        if missing:
            message += f" {len(missing)} member(s) not found under {self.root}."
        if unreadable:
            message += f" {len(unreadable)} member(s) unreadable: {', '.join(unreadable[:3])}."
        return ExposureList(found, message=message.strip(), archive=self)

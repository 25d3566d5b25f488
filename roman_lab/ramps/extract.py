"""Extract the L1 ramps of every L2 science pixel whose centre lies inside a sky circle.

Pixel selection: the circle's centre is mapped through the L2 gwcs (world -> pixel), the
circle's radius is turned into pixels with the local pixel scale (with a margin), and every
candidate pixel centre of that box is mapped back to the sky and kept when its exact
spherical separation from the centre is <= the radius. L1 pixel = L2 pixel + 4 (the
reference-pixel border). The ramps are read from the L1 zarr store (`roman_lab.convert`),
only the small box covering the circle (1 to 4 chunks of 128 x 128 for small circles).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

L1_BORDER = 4  # reference pixels on each side of the L1 array
DEFAULT_MAX_PIXELS = 100_000  # a circle with more pixel centres than this is refused


@dataclass
class RampCube:
    """The ramps of the pixels inside a circle.

    pixels: (N, 2) int, L2 science (x, y); times: (n_resultants,) mean time of each
    resultant in seconds since reset; counts: (N, n_resultants) float64 DN (L1 data at
    (y + 4, x + 4)); note: "" or a remark such as how many circle pixels are off the detector.
    """

    pixels: np.ndarray
    times: np.ndarray
    counts: np.ndarray
    l2_path: Path
    l1_path: Path
    note: str = ""
    read_pattern: list = field(default_factory=list)

    def __len__(self):
        return len(self.pixels)

    def __repr__(self):
        n, k = self.counts.shape
        extra = f", note={self.note!r}" if self.note else ""
        return f"RampCube({n} pixels x {k} resultants, l2={Path(self.l2_path).name!r}, l1={Path(self.l1_path).name!r}{extra})"


def resultant_times(read_pattern, frame_time):
    """Mean time (s since reset) of each resultant: frame_time x mean of its 1-based read numbers
    (the same definition as `roman_lab.demo.field.read_times` and the store's `resultant_times`)."""
    return np.array([float(frame_time) * float(np.mean(group)) for group in read_pattern], dtype=np.float64)


def _circle(region):
    """(SkyCoord, radius Quantity in angle units) from a CircleSkyRegion or (SkyCoord, radius)."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    if hasattr(region, "center") and hasattr(region, "radius"):
        center, radius = region.center, region.radius
    else:
        try:
            center, radius = region
        except (TypeError, ValueError):
            raise TypeError("region must be a regions.CircleSkyRegion or a (SkyCoord, radius) pair") from None
    if not isinstance(center, SkyCoord):
        raise TypeError(f"the circle's centre must be a SkyCoord, not {type(center).__name__}")
    if not center.isscalar:
        raise ValueError("the circle's centre must be a single position")
    radius = radius if isinstance(radius, u.Quantity) else float(radius) * u.arcsec  # plain number: arcsec
    radius = radius.to(u.arcsec)
    if not np.isfinite(radius.value) or radius.value <= 0:
        raise ValueError(f"the circle's radius must be positive, got {radius}")
    return center, radius


def _sky(wcs, x, y):
    """(lon, lat) in degrees of pixel centres, beyond the bounding box too."""
    lon, lat = wcs(np.asarray(x, float), np.asarray(y, float), with_bounding_box=False)
    return np.asarray(lon, float), np.asarray(lat, float)


def _select(wcs, shape, center, radius, max_pixels):
    """Science pixels (x, y) of `shape` (ny, nx) whose centres are inside the circle, and a note."""
    from astropy.coordinates import angular_separation

    ny, nx = shape
    frame = wcs.output_frame.reference_frame
    c = center.transform_to(frame)
    lon0, lat0 = c.spherical.lon.rad, c.spherical.lat.rad
    cx, cy = (float(v) for v in wcs.invert(c.spherical.lon.deg, c.spherical.lat.deg, with_bounding_box=False))
    if not (np.isfinite(cx) and np.isfinite(cy)):
        raise ValueError(f"the circle's centre {center.to_string('decimal')} cannot be mapped onto the detector")
    # local scale (arcsec / px): smallest step of one pixel along x or y, so the box is never too small
    lon, lat = _sky(wcs, [cx, cx + 1, cx], [cy, cy, cy + 1])
    steps = angular_separation(np.radians(lon[0]), np.radians(lat[0]), np.radians(lon[1:]), np.radians(lat[1:]))
    scale = float(np.degrees(np.min(steps)) * 3600)
    r_px = radius.value / scale * 1.05 + 1.5
    bx0, bx1 = int(np.floor(cx - r_px)), int(np.ceil(cx + r_px))
    by0, by1 = int(np.floor(cy - r_px)), int(np.ceil(cy + r_px))
    x0, x1, y0, y1 = max(bx0, 0), min(bx1, nx - 1), max(by0, 0), min(by1, ny - 1)
    where = (f"the circle (centre {center.to_string('decimal', precision=6)}, radius {radius.value:.3g} arcsec) "
             f"maps to pixel ({cx:.1f}, {cy:.1f}) with radius {radius.value / scale:.1f} px")
    if x0 > x1 or y0 > y1:
        raise ValueError(f"{where}: entirely off the detector ({nx} x {ny} pixels)")
    full = (bx1 - bx0 + 1) * (by1 - by0 + 1)
    if full > 4 * max_pixels + 1000:
        raise ValueError(f"{where}: more than {max_pixels} pixels (the cap, max_pixels)")

    def inside(xa, xb, ya, yb):
        yy, xx = np.mgrid[ya:yb + 1, xa:xb + 1]
        xx, yy = xx.ravel(), yy.ravel()
        lon, lat = _sky(wcs, xx, yy)
        sep = np.degrees(angular_separation(lon0, lat0, np.radians(lon), np.radians(lat))) * 3600
        keep = sep <= radius.value
        return xx[keep], yy[keep]

    xs, ys = inside(bx0, bx1, by0, by1)  # the whole box, off-detector pixel centres too
    on = (xs >= 0) & (xs < nx) & (ys >= 0) & (ys < ny)
    n_off = int((~on).sum())
    xs, ys = xs[on], ys[on]
    if len(xs) == 0:
        if n_off:
            raise ValueError(f"{where}: entirely off the detector ({nx} x {ny} pixels)")
        raise ValueError(f"{where}: it contains no pixel centre")
    if len(xs) > max_pixels:
        raise ValueError(f"{where}: {len(xs)} pixels, more than the cap of {max_pixels} (max_pixels)")
    note = ""
    if n_off:
        note = f"{n_off} pixel{'s' if n_off != 1 else ''} of the circle {'are' if n_off != 1 else 'is'} off the detector"
    order = np.lexsort((xs, ys))  # row by row
    return np.stack([xs[order], ys[order]], axis=1).astype(np.int64), note


def extract_ramps(l2_path, region, cache_dir=None, max_pixels=DEFAULT_MAX_PIXELS):
    """The L1 ramps of the L2 science pixels whose centres fall inside a sky circle.

    l2_path: an L2 `_cal` exposure; its L1 `_uncal` is found with `roman_lab.level1_for`
    (FileNotFoundError naming where it looked). region: `regions.CircleSkyRegion` or
    (SkyCoord, radius) (radius a Quantity, or a number of arcsec). cache_dir: the store cache
    (see `roman_lab.convert`). Raises ValueError when the circle is entirely off the detector,
    holds no pixel centre or more than `max_pixels`, or when the L1 does not match the L2
    (shape other than L2 + 8 on each image axis, or another read pattern).
    """
    import roman_lab
    from roman_lab.archive import level1_for

    l2_path = Path(l2_path)
    center, radius = _circle(region)
    with roman_lab.open(l2_path) as rf:
        if rf.level != 2:
            raise ValueError(f"{l2_path.name} is a level {rf.level} file; extract_ramps needs an L2 exposure")
        wcs = rf.wcs
        if wcs is None:
            raise ValueError(f"{l2_path.name} has no WCS")
        shape = tuple(rf.arrays["data"]["shape"])
        l2_pattern = rf.summary.get("read_pattern")
    l1_path = Path(level1_for(l2_path))
    pixels, note = _select(wcs, shape, center, radius, max_pixels)

    store = roman_lab.convert(l1_path, cache_dir=cache_dir, progress=False)
    if store.level != 1:
        raise ValueError(f"{l1_path.name} is not a Level 1 file (level {store.level})")
    data = store.arrays["data"]
    summary = store.attrs.get("summary") or {}
    pattern, frame_time = summary.get("read_pattern"), summary.get("frame_time")
    ny, nx = shape
    expected = (ny + 2 * L1_BORDER, nx + 2 * L1_BORDER)
    if data.ndim != 3 or tuple(data.shape[1:]) != expected:
        raise ValueError(f"{l1_path.name} has shape {tuple(data.shape)}; for the {ny} x {nx} L2 {l2_path.name} "
                         f"it should be (n_resultants, {expected[0]}, {expected[1]})")
    if not pattern or not frame_time:
        raise ValueError(f"{l1_path.name} has no read pattern or frame time (meta.exposure)")
    if len(pattern) != data.shape[0]:
        raise ValueError(f"{l1_path.name} has {data.shape[0]} resultants but its read pattern has {len(pattern)}")
    if l2_pattern and [list(g) for g in l2_pattern] != [list(g) for g in pattern]:
        raise ValueError(f"the read pattern of {l1_path.name} differs from that of {l2_path.name}")

    xs, ys = pixels[:, 0], pixels[:, 1]
    x0, y0 = int(xs.min()), int(ys.min())
    box = np.asarray(data[:, y0 + L1_BORDER:int(ys.max()) + L1_BORDER + 1,
                          x0 + L1_BORDER:int(xs.max()) + L1_BORDER + 1])
    counts = box[:, ys - y0, xs - x0].T.astype(np.float64)
    return RampCube(pixels=pixels, times=resultant_times(pattern, frame_time), counts=counts,
                    l2_path=l2_path, l1_path=l1_path, note=note, read_pattern=[list(g) for g in pattern])

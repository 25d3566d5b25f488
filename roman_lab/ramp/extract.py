"""Extract the L1 ramps of every L2 science pixel whose centre lies inside a sky circle.

Pixel selection: the circle's centre is mapped through the L2 gwcs (world -> pixel), the
circle's radius is turned into pixels with the local pixel scale (with a margin), and every
candidate pixel centre of that box is mapped back to the sky and kept when its exact
spherical separation from the centre is <= the radius. L1 pixel = L2 pixel + 4 (the
reference-pixel border). The ramps are read from the L1 zarr store (`roman_lab.convert`),
only the chunks covering the circle (1 to 4 chunks of 128 x 128 for small circles); the
other pixels of those chunks are a free sample for estimating the read noise. The L2 DQ of
the pixels comes from the L2 store. Bad input raises RomanFileError (a ValueError) with an
HTTP-like status: 400 circle, 404 no L1, 413 too many pixels, 422 L1 and L2 do not match.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..io import RomanFileError
from ..skycircle import sky_circle

L1_BORDER = 4  # reference pixels on each side of the L1 array
DEFAULT_MAX_PIXELS = 100_000  # a circle with more pixel centres than this is refused
CACHED_FILES = 128  # L2 trees and open stores kept per process: a stack of a hundred exposures stays warm
NOISE_SAMPLE_PIXELS = 2048  # at most this many pixels of the chunks read are kept for noise estimates


@dataclass
class RampCube:
    """The ramps of the pixels inside a circle.

    pixels: (N, 2) int, L2 science (x, y); times: (n_resultants,) mean time of each
    resultant in seconds since reset; counts: (N, n_resultants) float64 DN (L1 data at
    (y + 4, x + 4)); note: "" or a remark such as how many circle pixels are off the detector;
    dq: (N,) uint32 L2 DQ of the pixels (None when not read); pipeline_jumps: (K, 2) int (pixel
    index, resultant) of the jumps the pipeline recorded in the L2's `jump_indices` (romancal's
    `record_jumps`) for these pixels, None when the L2 has none; groupdq: (N, n) L1 group DQ or
    None; sample: (M, n) ramps of other science pixels of the same chunks (noise estimates);
    top: the largest value the L1 data type holds (a clipped ADC); summary: the L2's metadata
    summary (detector, start time, filter, ...: `RomanFile.summary`).
    """

    pixels: np.ndarray
    times: np.ndarray
    counts: np.ndarray
    l2_path: Path
    l1_path: Path
    note: str = ""
    read_pattern: list = field(default_factory=list)
    frame_time: float | None = None
    dq: np.ndarray | None = None
    pipeline_jumps: np.ndarray | None = None
    groupdq: np.ndarray | None = None
    sample: np.ndarray | None = None
    top: float = np.inf
    summary: dict = field(default_factory=dict)

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
    """(ICRS SkyCoord, radius Quantity in arcsec) of the circle (`roman_lab.skycircle`), a bad one as a 400."""
    try:
        return sky_circle(region)
    except ValueError as err:
        raise RomanFileError(str(err), 400) from None


def _sky(wcs, x, y):
    """(lon, lat) in degrees of pixel centres, beyond the bounding box too."""
    lon, lat = wcs(np.asarray(x, float), np.asarray(y, float), with_bounding_box=False)
    return np.asarray(lon, float), np.asarray(lat, float)


def _select(wcs, to_pixel, shape, center, radius, max_pixels):
    """Science pixels (x, y) of `shape` (ny, nx) whose centres are inside the circle, and a note."""
    from astropy.coordinates import angular_separation

    ny, nx = shape
    frame = wcs.output_frame.reference_frame
    c = center.transform_to(frame)
    lon0, lat0 = c.spherical.lon.rad, c.spherical.lat.rad
    cx, cy = (float(v) for v in to_pixel(c.spherical.lon.deg, c.spherical.lat.deg))
    if not (np.isfinite(cx) and np.isfinite(cy)):
        raise RomanFileError(f"the circle's centre {center.to_string('decimal')} is far off the detector "
                             "of this exposure (its WCS cannot map it to a pixel)", 400)
    # local scale (arcsec / px): smallest step of one pixel along x or y, so the box is never too small
    lon, lat = _sky(wcs, [cx, cx + 1, cx], [cy, cy, cy + 1])
    steps = angular_separation(np.radians(lon[0]), np.radians(lat[0]), np.radians(lon[1:]), np.radians(lat[1:]))
    scale = float(np.degrees(np.min(steps)) * 3600)
    if not (np.isfinite(scale) and scale > 0):
        raise RomanFileError(f"the circle's centre {center.to_string('decimal')} is far off the detector "
                             "of this exposure (its WCS has no usable pixel scale there)", 400)
    r_px = radius.value / scale * 1.05 + 1.5
    if not np.isfinite(r_px):
        raise RomanFileError(f"a radius of {radius.value:.3g} arcsec is more than {max_pixels} pixels, the cap "
                             "(max_pixels); draw a smaller circle", 413)
    bx0, bx1 = int(np.floor(cx - r_px)), int(np.ceil(cx + r_px))
    by0, by1 = int(np.floor(cy - r_px)), int(np.ceil(cy + r_px))
    x0, x1, y0, y1 = max(bx0, 0), min(bx1, nx - 1), max(by0, 0), min(by1, ny - 1)
    where = (f"the circle (centre {center.to_string('decimal', precision=6)}, radius {radius.value:.3g} arcsec) "
             f"maps to pixel ({cx:.1f}, {cy:.1f}) with radius {radius.value / scale:.1f} px")
    if x0 > x1 or y0 > y1:
        raise RomanFileError(f"{where}: entirely off the detector ({nx} x {ny} pixels)", 400)
    full = (bx1 - bx0 + 1) * (by1 - by0 + 1)
    if full > 4 * max_pixels + 1000:
        raise RomanFileError(f"{where}: more than {max_pixels} pixels, the cap (max_pixels); draw a smaller circle", 413)

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
            raise RomanFileError(f"{where}: entirely off the detector ({nx} x {ny} pixels)", 400)
        raise RomanFileError(f"{where}: it contains no pixel centre; draw a larger circle", 400)
    if len(xs) > max_pixels:
        raise RomanFileError(f"{where}: {len(xs)} pixels, more than the cap of {max_pixels} (max_pixels); "
                             "draw a smaller circle", 413)
    note = ""
    if n_off:
        note = (f"{n_off} pixel{'s' if n_off != 1 else ''} of the circle {'are' if n_off != 1 else 'is'} "
                f"off the detector; the {len(xs)} inside are shown")
    order = np.lexsort((xs, ys))  # row by row
    return np.stack([xs[order], ys[order]], axis=1).astype(np.int64), note


def _version(path):
    """(real path, size, mtime_ns): what the caches below are keyed by, so a changed file is read again."""
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError:
        raise RomanFileError(f"{Path(path).name} does not exist", 404, path) from None
    return real, st.st_size, st.st_mtime_ns


@lru_cache(maxsize=CACHED_FILES)
def _l2_facts(version):
    """(gwcs, sky -> pixel function, science shape, read pattern or None, jump_indices or None,
    metadata summary) of an L2 exposure, from its ASDF tree. Kept per file version: parsing the tree (the gwcs) and preparing its inverse
    (`roman_lab.io.skypixel`: the analytic one where it round-trips, else Newton on the forward
    transform; never gwcs's numerical `invert`) cost more than everything else of a request."""
    from roman_lab.io.skypixel import sky_to_pixel

    from ..io import open as open_roman

    l2_path = Path(version[0])
    with open_roman(l2_path) as rf:
        if rf.level != 2:
            raise RomanFileError(f"{l2_path.name} is a level {rf.level} file; ramps need an L2 exposure "
                                 "(or its L1 beside it)", 422, l2_path)
        if rf.wcs is None:
            raise RomanFileError(f"{l2_path.name} has no WCS, so a sky circle cannot be placed on it", 422, l2_path)
        wcs = rf.wcs
        shape = tuple(rf.arrays["data"]["shape"])

        def to_pixel(lon, lat):
            return sky_to_pixel(wcs, lon, lat, shape=shape)

        to_pixel(*_sky(wcs, [(shape[-1] - 1) / 2], [(shape[-2] - 1) / 2]))  # prepared once here
        # the pipeline's jumps as (resultant, y, x), where it recorded them (~0.2 MB a file)
        jump_indices = rf.read("jump_indices").astype(np.int64) if "jump_indices" in rf.arrays else None
        return wcs, to_pixel, shape, rf.summary.get("read_pattern"), jump_indices, dict(rf.summary)


_level1_found = {}  # L2 version -> its L1 path, while that file exists


def _find_level1(l2_path):
    from roman_lab.archive import level1_for

    key = _version(l2_path)
    found = _level1_found.get(key)
    if found is not None and found.exists():
        return found
    try:
        found = Path(level1_for(l2_path))
    except FileNotFoundError as err:
        raise RomanFileError(str(err), 404, l2_path) from None
    if len(_level1_found) >= CACHED_FILES:
        _level1_found.clear()
    _level1_found[key] = found
    return found


_stores = {}  # (file version, cache dir) -> (Store, {name: zarr array}), while the store exists


def _store_arrays(path, cache_dir, names):
    """(Store, {name: zarr array}) of a file's store, converted if needed; kept open per file
    version and cache dir (opening a store and its arrays costs milliseconds a request)."""
    from ..store import convert

    key = (_version(path), str(cache_dir))
    cached = _stores.get(key)
    if cached is not None and cached[0].path.exists():
        cached[0].touch()
        return cached
    store = convert(path, cache_dir=cache_dir, progress=False)
    arrays = {name: store.group[key_] for name, key_ in names.items() if name in store.attrs["arrays"]}
    if len(_stores) >= CACHED_FILES:
        _stores.clear()
    _stores[key] = store, arrays
    return store, arrays


def _checked_l1_store(l1_path, l2_path, shape, l2_pattern, cache_dir):
    """The L1 store's arrays (data, groupdq when there), read pattern and frame time, refusing an
    L1 that does not belong to this L2 (shape, read pattern)."""
    store, arrays = _store_arrays(l1_path, cache_dir, {"data": "data", "groupdq": "groupdq"})
    if store.level != 1:
        raise RomanFileError(f"{l1_path.name} is not a Level 1 file (level {store.level})", 422, l1_path)
    data = arrays["data"]
    summary = store.attrs.get("summary") or {}
    pattern, frame_time = summary.get("read_pattern"), summary.get("frame_time")
    ny, nx = shape
    expected = (ny + 2 * L1_BORDER, nx + 2 * L1_BORDER)
    if data.ndim != 3 or tuple(data.shape[1:]) != expected:
        raise RomanFileError(f"{l1_path.name} has shape {tuple(data.shape)}; for the {ny} x {nx} L2 {l2_path.name} "
                             f"it should be (n_resultants, {expected[0]}, {expected[1]})", 422, l1_path)
    if not pattern or not frame_time:
        raise RomanFileError(f"{l1_path.name} has no read pattern or frame time (meta.exposure)", 422, l1_path)
    if len(pattern) != data.shape[0]:
        raise RomanFileError(f"{l1_path.name} has {data.shape[0]} resultants but its read pattern has "
                             f"{len(pattern)}", 422, l1_path)
    if l2_pattern and [list(g) for g in l2_pattern] != [list(g) for g in pattern]:
        raise RomanFileError(f"the read pattern of {l1_path.name} {pattern} differs from that of {l2_path.name} "
                             f"{l2_pattern}: they are not the same exposure", 422, l1_path)
    return arrays, [list(g) for g in pattern], float(frame_time)


def _chunk_box(lo, hi, chunk, size):
    """[start, stop) of the whole chunks holding indices lo..hi (inclusive), within size."""
    return (lo // chunk) * chunk, min(size, (hi // chunk + 1) * chunk)


def _read_chunks(array, ys, xs):
    """(box, y0, x0): the whole chunks of `array` (n, Y, X) covering L1 pixels (ys, xs); reading
    whole chunks costs what reading the pixels does (a chunk is decompressed whole)."""
    _, cy, cx = array.chunks
    y0, y1 = _chunk_box(int(ys.min()), int(ys.max()), cy, array.shape[1])
    x0, x1 = _chunk_box(int(xs.min()), int(xs.max()), cx, array.shape[2])
    return np.asarray(array[:, y0:y1, x0:x1]), y0, x0


def _noise_sample(box, y0, x0, shape):
    """Up to NOISE_SAMPLE_PIXELS science-pixel ramps of the box, evenly strided, (M, n) float."""
    ny, nx = shape
    inner = box[:, max(L1_BORDER - y0, 0):L1_BORDER + ny - y0, max(L1_BORDER - x0, 0):L1_BORDER + nx - x0]
    flat = inner.reshape(inner.shape[0], -1)
    step = max(1, flat.shape[1] // NOISE_SAMPLE_PIXELS)
    return flat[:, ::step].T.astype(np.float64)


def _pipeline_jumps(jump_indices, pixels):
    """(K, 2) (pixel index, resultant) of the recorded jumps (resultant, y, x) at `pixels`."""
    if jump_indices is None or jump_indices.ndim != 2 or jump_indices.shape[1] != 3:
        return None
    xs, ys = pixels[:, 0], pixels[:, 1]
    r, y, x = jump_indices.T
    near = jump_indices[(x >= xs.min()) & (x <= xs.max()) & (y >= ys.min()) & (y <= ys.max())]
    index = {(int(px), int(py)): i for i, (px, py) in enumerate(pixels)}
    rows = [(index[(x, y)], r) for r, y, x in near.tolist() if (x, y) in index]
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


def _l2_dq(l2_path, pixels, cache_dir):
    """The L2 DQ of the pixels, from the L2 store (converted if needed)."""
    dq = _store_arrays(l2_path, cache_dir, {"dq": "dq"})[1].get("dq")
    if dq is None:
        return None
    xs, ys = pixels[:, 0], pixels[:, 1]
    box = np.asarray(dq[int(ys.min()):int(ys.max()) + 1, int(xs.min()):int(xs.max()) + 1])
    return box[ys - ys.min(), xs - xs.min()].astype(np.uint32)


def extract_ramps(l2_path, region, cache_dir=None, max_pixels=DEFAULT_MAX_PIXELS, l1_path=None, with_dq=True):
    """The L1 ramps of the L2 science pixels whose centres fall inside a sky circle.

    l2_path: an L2 `_cal` exposure; its L1 `_uncal` is `l1_path` or found with
    `roman_lab.level1_for` (RomanFileError 404 naming where it looked). region:
    `regions.CircleSkyRegion` or (SkyCoord, radius) (radius an angle Quantity, or a bare number of arcsec).
    cache_dir: the store cache (see `roman_lab.convert`). with_dq: also read the L2 DQ of the
    pixels (from the L2 store). Raises RomanFileError when the circle is entirely off the
    detector, holds no pixel centre or more than `max_pixels`, or when the L1 does not match
    the L2 (shape other than L2 + 8 on each image axis, or another read pattern).
    """
    l2_path = Path(l2_path)
    center, radius = _circle(region)
    wcs, to_pixel, shape, l2_pattern, jump_indices, summary = _l2_facts(_version(l2_path))
    l1_path = Path(l1_path) if l1_path is not None else _find_level1(l2_path)
    pixels, note = _select(wcs, to_pixel, shape, center, radius, max_pixels)
    arrays, pattern, frame_time = _checked_l1_store(l1_path, l2_path, shape, l2_pattern, cache_dir)

    ys, xs = pixels[:, 1] + L1_BORDER, pixels[:, 0] + L1_BORDER
    data = arrays["data"]
    box, y0, x0 = _read_chunks(data, ys, xs)
    counts = box[:, ys - y0, xs - x0].T.astype(np.float64)
    groupdq = None
    if "groupdq" in arrays:
        gbox, gy0, gx0 = _read_chunks(arrays["groupdq"], ys, xs)
        groupdq = gbox[:, ys - gy0, xs - gx0].T
    top = float(np.iinfo(data.dtype).max) if np.dtype(data.dtype).kind in "ui" else np.inf
    return RampCube(pixels=pixels, times=resultant_times(pattern, frame_time), counts=counts,
                    l2_path=l2_path, l1_path=l1_path, note=note, read_pattern=pattern, frame_time=frame_time,
                    dq=_l2_dq(l2_path, pixels, cache_dir) if with_dq else None,
                    pipeline_jumps=_pipeline_jumps(jump_indices, pixels), groupdq=groupdq,
                    sample=_noise_sample(box, y0, x0, shape), top=top, summary=summary)

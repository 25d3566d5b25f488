"""Pyramid levels and statistics of an image, with NumPy only (the heavy loops release the GIL)."""

from __future__ import annotations

import math

import numpy as np

PERCENTILES = (0.5, 1, 5, 50, 95, 99, 99.5, 99.9)
HIST_BINS = 256
STATS_SAMPLE = 2_000_000  # percentiles/histogram on a regular subsample of at most ~this many pixels


def downsample2(a):
    """Mean of each 2x2 block, ignoring NaN/inf; an odd edge's blocks are its 1 or 2 pixels
    (a block with no finite pixel is NaN). Pairs of rows are summed first (contiguous rows, fast),
    then pairs of columns of that half-height image, with the finite pixels counted alongside
    (no padded copy of the image: a mosaic's sides are often odd)."""
    a = np.asarray(a, dtype=np.float32)
    ok = np.isfinite(a)
    finite = bool(ok.all())
    ny, nx = a.shape
    if finite and ny % 2 == 0 and nx % 2 == 0:  # fast path: every block has its 4 pixels
        out = a[0::2, 0::2] + a[1::2, 0::2]
        out += a[0::2, 1::2]
        out += a[1::2, 1::2]
        out *= np.float32(0.25)
        return out
    z = a if finite else np.where(ok, a, np.float32(0))
    ones = ok.view(np.uint8)
    hy, hx = ny // 2, nx // 2  # whole pairs of rows and of columns
    sy, sx = (ny + 1) // 2, (nx + 1) // 2
    rows = np.empty((sy, nx), np.float32)
    counts = np.empty((sy, nx), np.uint8)
    np.add(z[0:2 * hy:2], z[1:2 * hy:2], out=rows[:hy])
    np.add(ones[0:2 * hy:2], ones[1:2 * hy:2], out=counts[:hy])
    if sy > hy:  # the odd last row
        rows[hy], counts[hy] = z[-1], ones[-1]
    s = np.empty((sy, sx), np.float32)
    n = np.empty((sy, sx), np.float32)
    np.add(rows[:, 0:2 * hx:2], rows[:, 1:2 * hx:2], out=s[:, :hx])
    np.add(counts[:, 0:2 * hx:2], counts[:, 1:2 * hx:2], out=n[:, :hx], dtype=np.float32)
    if sx > hx:  # the odd last column
        s[:, hx], n[:, hx] = rows[:, -1], counts[:, -1]
    with np.errstate(invalid="ignore", divide="ignore"):
        s /= n  # 0 / 0: NaN, a block with no finite pixel
    return s


def pyramid_shapes(shape, max_side=512):
    """The shapes of `[a] + pyramid(a, max_side)` for an image of `shape`."""
    shapes = [tuple(shape)]
    while max(shapes[-1]) > max_side:
        shapes.append(tuple((side + 1) // 2 for side in shapes[-1]))
    return shapes


def coarsest_level(a, max_side=512):
    """The last level of `[a] + pyramid(a, max_side)` without the levels between: when every
    pixel is finite and the sides divide by 2^k (k halvings), each pixel is the mean of its
    2^k x 2^k block in one pass over `a` (a full-size L2: ~6 against ~25 ms), equal to the
    chain's within float32 rounding; otherwise the chain's own (its NaN and odd-edge rules).
    Whether every pixel is finite is read from the block sums (NaN and infinities carry into
    them), not from a pass over `a`."""
    k = len(pyramid_shapes(a.shape, max_side)) - 1
    f = 2**k
    ny, nx = a.shape
    if k == 0:
        return a
    if ny % f or nx % f:
        return pyramid(a, max_side)[-1]
    rows = a.reshape(ny // f, f, nx).sum(axis=1, dtype=np.float32)
    out = rows.reshape(ny // f, nx // f, f).sum(axis=2, dtype=np.float32)
    if not np.isfinite(out).all():  # a NaN or an infinity in a block (or a sum past float32)
        return pyramid(a, max_side)[-1]
    out *= np.float32(1 / f**2)
    return out


def pyramid(a, max_side=512):
    """[level1, level2, ...] halving until both sides are <= max_side (level 0 is `a` itself)."""
    levels = []
    cur = a
    while max(cur.shape) > max_side:
        cur = downsample2(cur)
        levels.append(cur)
    return levels


QUANTILES = 1025  # evenly ranked values (histeq knots, percentile limits), every 100/1024 percent
# The tails, where percentile limits fall (PercentileInterval(99.5) takes ranks 0.25 and 99.75)
# and where the 1025 knots are too sparse: ranks 0-2 and 98-100 percent every 0.01 percent.
TAIL_STEP = 0.01
TAIL_WIDTH = 2
_TAIL_KNOTS = round(TAIL_WIDTH / TAIL_STEP) + 1  # 201 on each side
TAIL_PERCENTILES = tuple(round(i * TAIL_STEP, 2) for i in range(_TAIL_KNOTS)) + tuple(
    round(100 - TAIL_WIDTH + i * TAIL_STEP, 2) for i in range(_TAIL_KNOTS)
)


def ranked_values(ranked, percents):
    """numpy.percentile's default ('linear') values at `percents` (0-100) of an already sorted
    1-D array, as float64 (numpy's own interpolation formula, without re-sorting)."""
    n = ranked.size
    pos = np.asarray(percents, dtype=np.float64) / 100.0 * (n - 1)
    i = np.clip(np.floor(pos).astype(np.int64), 0, n - 1)
    j = np.minimum(i + 1, n - 1)
    t = pos - i
    a = ranked[i].astype(np.float64)
    b = ranked[j].astype(np.float64)
    d = b - a
    out = a + d * t
    high = t >= 0.5
    out[high] = (b - d * (1 - t))[high]
    return np.where(a == b, a, out)


def statistics(a):
    """min, max, percentiles, ranked values and a 256-bin histogram over the finite values of a 2-D image.

    min/max/counts are exact. Everything else comes from a regular subsample (every `step`-th
    pixel on both axes, at most ~2 million pixels): for a 4088x4088 image step is 3 (1.86 M
    pixels). The subsample is sorted once; the percentiles, the 1025 evenly ranked `quantiles`
    and the dense `tail_quantiles` are read from it (numpy's 'linear' percentile of the
    subsample), with rank 0 and 100 the exact min and max. Percentile limits interpolated in
    rank between these knots (roman_lab.display.percentile_limits, and the browser's
    percentileLimits) lie within 0.1 percentile rank of astropy's on the full image,
    heavy-tailed images included (tests/test_display_limits.py: ~0.02 in the tails, where
    display limits fall; up to ~0.06 at mid ranks, the subsample's own sampling error).
    """
    a = np.asarray(a)
    n = a.size
    step = max(1, int(math.ceil(math.sqrt(n / STATS_SAMPLE))))
    sample = a[::step, ::step] if a.ndim == 2 else a.reshape(-1)[::step * step]
    sample = sample[np.isfinite(sample)]
    # NaN propagates through min and max, and an infinity is one of them: both are finite only
    # when every pixel is, which then costs no pass of its own (the common case)
    extremes = (a.min(), a.max()) if n else None
    if extremes is not None and np.isfinite(extremes).all():
        finite_mask, finite_count = None, n
    else:
        extremes = None
        finite_mask = np.isfinite(a)
        finite_count = int(np.count_nonzero(finite_mask))
    out = {
        "count": int(n),
        "finite": finite_count,
        "nan": int(np.count_nonzero(np.isnan(a))) if finite_count < n else 0,
        "subsample_step": step,
        "subsample_count": int(sample.size),
    }
    if finite_count == 0 or sample.size == 0:
        out.update({"min": None, "max": None, "mean": None, "std": None, "zscale": None, "quantiles": None,
                    "tail_quantiles": None, "percentiles": {str(p): None for p in PERCENTILES},
                    "histogram": None})
        return out
    finite = a[finite_mask] if finite_count < n else a.reshape(-1)
    out["min"], out["max"] = (float(v) for v in (extremes or (finite.min(), finite.max())))
    zscale_samples = zscale_sample(finite)
    del finite
    ranked = np.sort(sample)  # once, in the image's dtype (float32: numpy's SIMD sort, ~10 ms for 1.9 M)

    def at(percents):
        values = ranked_values(ranked, percents)
        # the ends are the exact extremes of the whole image, not of the subsample
        values[np.asarray(percents) <= 0] = out["min"]
        values[np.asarray(percents) >= 100] = out["max"]
        return values

    qs = ranked_values(ranked, PERCENTILES)
    out["percentiles"] = {_pkey(p): float(q) for p, q in zip(PERCENTILES, qs)}
    sample = sample.astype(np.float64, copy=False)
    out["mean"] = float(sample.mean())
    out["std"] = float(sample.std())
    lo, hi = out["min"], out["max"]
    if hi <= lo:
        hi = lo + 1.0
    counts, edges = ranked_histogram(ranked, lo, hi)
    # the same over the display range [p0.5, p99.9], which is what a stretch UI draws
    dlo, dhi = out["percentiles"]["0.5"], out["percentiles"]["99.9"]
    if dhi <= dlo:
        dhi = dlo + 1.0
    dcounts, _ = ranked_histogram(ranked, dlo, dhi)
    out["histogram"] = {
        "range": [float(edges[0]), float(edges[-1])],
        "bins": HIST_BINS,
        "counts": counts.astype(int).tolist(),
        "scale": step * step,  # multiply counts by this for full-image estimates
    }
    # astropy's own ZScaleInterval of the whole image (given the ~1000 pixels it samples), and
    # evenly ranked values for histogram equalisation and percentile limits: the browser then
    # matches astropy for the full image at any zoom, not only for the pixels it has loaded
    from astropy.visualization import ZScaleInterval

    out["zscale"] = [float(v) for v in ZScaleInterval().get_limits(zscale_samples)]
    out["quantiles"] = at(np.linspace(0, 100, QUANTILES)).tolist()
    out["tail_quantiles"] = {"percentiles": list(TAIL_PERCENTILES), "values": at(TAIL_PERCENTILES).tolist()}
    out["histogram_display"] = {
        "range": [float(dlo), float(dhi)],
        "bins": HIST_BINS,
        "counts": dcounts.astype(int).tolist(),
        "below": int(np.searchsorted(ranked, dlo, side="left")),
        "above": int(ranked.size - np.searchsorted(ranked, dhi, side="right")),
        "scale": step * step,
    }
    return out


def ranked_histogram(ranked, lo, hi, bins=HIST_BINS):
    """`numpy.histogram(ranked, bins, range=(lo, hi))` of an already sorted array: the same
    edges and counts (numpy's bins hold edge[i] <= x < edge[i + 1], the last one its right
    edge too), from 257 binary searches instead of a pass over ~2 M values (~15 ms)."""
    edges = np.linspace(lo, hi, bins + 1)
    cuts = np.searchsorted(ranked, edges, side="left")
    cuts[-1] = np.searchsorted(ranked, edges[-1], side="right")
    return np.diff(cuts), edges


def zscale_sample(finite, n_samples=1000):
    """The pixels astropy's `ZScaleInterval(n_samples).get_limits` samples from an image whose
    finite values, in order, are `finite`: given these alone it returns the same limits
    (they are fewer than `n_samples`, so it takes them all), without its copy of every finite
    pixel of the image (~50 ms of a 4088^2 L2's statistics)."""
    stride = int(max(1.0, finite.size / n_samples))
    return finite[::stride][:n_samples]


def _pkey(p):
    return str(p) if not float(p).is_integer() else str(int(p))

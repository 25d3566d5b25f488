"""Pyramid levels and statistics of an image, with NumPy only (the heavy loops release the GIL)."""

from __future__ import annotations

import math

import numpy as np

PERCENTILES = (0.5, 1, 5, 50, 95, 99, 99.5, 99.9)
HIST_BINS = 256
STATS_SAMPLE = 2_000_000  # percentiles/histogram on a regular subsample of at most ~this many pixels


def downsample2(a):
    """Mean of each 2x2 block, ignoring NaN/inf; odd edges are padded (a block of NaN stays NaN)."""
    a = np.asarray(a, dtype=np.float32)
    ny, nx = a.shape
    py, px = ny % 2, nx % 2
    if py or px:
        a = np.pad(a, ((0, py), (0, px)), constant_values=np.nan)
    q = (a[0::2, 0::2], a[1::2, 0::2], a[0::2, 1::2], a[1::2, 1::2])
    if not (py or px) and np.isfinite(a).all():  # fast path: no NaN anywhere
        out = q[0] + q[1]
        out += q[2]
        out += q[3]
        out *= np.float32(0.25)
        return out
    s = np.zeros(q[0].shape, np.float32)
    n = np.zeros(q[0].shape, np.float32)
    for part in q:
        ok = np.isfinite(part)
        s += np.where(ok, part, np.float32(0))
        n += ok
    with np.errstate(invalid="ignore", divide="ignore"):
        out = s / n
    out[n == 0] = np.nan
    return out


def pyramid(a, max_side=512):
    """[level1, level2, ...] halving until both sides are <= max_side (level 0 is `a` itself)."""
    levels = []
    cur = a
    while max(cur.shape) > max_side:
        cur = downsample2(cur)
        levels.append(cur)
    return levels


QUANTILES = 1025  # histeq knots the browser gets
QUANTILE_SAMPLE = 1 << 17  # values they are ranked from (a regular subsample)


def statistics(a):
    """min, max, percentiles and a 256-bin histogram over the finite values of a 2-D image.

    min/max/counts are exact. Percentiles and the histogram come from a regular subsample
    (every `step`-th pixel on both axes, at most ~2 million pixels): for a 4088x4088 image
    step is 3 (1.86 M pixels); the percentiles then differ from the exact ones by well under
    0.1 percentile rank for smooth images (tests check this against numpy on the full data).
    """
    a = np.asarray(a)
    n = a.size
    step = max(1, int(math.ceil(math.sqrt(n / STATS_SAMPLE))))
    sample = a[::step, ::step] if a.ndim == 2 else a.reshape(-1)[::step * step]
    sample = sample[np.isfinite(sample)].astype(np.float64, copy=False)
    finite_mask = np.isfinite(a)
    finite_count = int(np.count_nonzero(finite_mask))
    out = {
        "count": int(n),
        "finite": finite_count,
        "nan": int(np.count_nonzero(np.isnan(a))) if a.dtype.kind == "f" else 0,
        "subsample_step": step,
        "subsample_count": int(sample.size),
    }
    if finite_count == 0 or sample.size == 0:
        out.update({"min": None, "max": None, "mean": None, "std": None, "zscale": None, "quantiles": None,
                    "percentiles": {str(p): None for p in PERCENTILES}, "histogram": None})
        return out
    if finite_count < n:
        vals = a[finite_mask]
        out["min"], out["max"] = float(vals.min()), float(vals.max())
        del vals
    else:
        out["min"], out["max"] = float(a.min()), float(a.max())
    qs = np.percentile(sample, PERCENTILES)
    out["percentiles"] = {_pkey(p): float(q) for p, q in zip(PERCENTILES, qs)}
    out["mean"] = float(sample.mean())
    out["std"] = float(sample.std())
    lo, hi = out["min"], out["max"]
    if hi <= lo:
        hi = lo + 1.0
    counts, edges = np.histogram(sample, bins=HIST_BINS, range=(lo, hi))
    # the same over the display range [p0.5, p99.9], which is what a stretch UI draws
    dlo, dhi = out["percentiles"]["0.5"], out["percentiles"]["99.9"]
    if dhi <= dlo:
        dhi = dlo + 1.0
    dcounts, _ = np.histogram(sample, bins=HIST_BINS, range=(dlo, dhi))
    out["histogram"] = {
        "range": [float(edges[0]), float(edges[-1])],
        "bins": HIST_BINS,
        "counts": counts.astype(int).tolist(),
        "scale": step * step,  # multiply counts by this for full-image estimates
    }
    # astropy's own ZScaleInterval on the whole image (it samples ~1000 pixels itself), and
    # evenly ranked values for histogram equalisation: the browser then matches astropy for
    # the full image at any zoom, not only for the pixels it has loaded
    from astropy.visualization import ZScaleInterval

    out["zscale"] = [float(v) for v in ZScaleInterval().get_limits(a)]
    coarse = sample[:: max(1, sample.size // QUANTILE_SAMPLE)]
    out["quantiles"] = np.quantile(coarse, np.linspace(0, 1, QUANTILES)).tolist()
    out["histogram_display"] = {
        "range": [float(dlo), float(dhi)],
        "bins": HIST_BINS,
        "counts": dcounts.astype(int).tolist(),
        "below": int(np.count_nonzero(sample < dlo)),
        "above": int(np.count_nonzero(sample > dhi)),
        "scale": step * step,
    }
    return out


def _pkey(p):
    return str(p) if not float(p).is_integer() else str(int(p))

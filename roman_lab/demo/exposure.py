"""Simulate one exposure: the L1 ramp (uint16 resultants) and the L2 rate fitted from it.

The detector is processed in blocks of rows on a small thread pool: numpy releases the GIL
in the random draws and array arithmetic, so both cores work. Each block draws
from its own seeded generator, so the result does not depend on the number of threads.
"""

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field as dc_field

import numpy as np

from . import field, ramps, sky
from . import wcs as demo_wcs
from .rampfit import RampFitter

BLOCK_ROWS = 128
AMP33_COLUMNS = 128


@dataclass
class ExposureData:
    """Arrays and facts of one simulated exposure, ready to be written as L1 and L2."""

    exposure: field.Exposure
    wcs: object
    ra_ref: float
    dec_ref: float
    sky_level: float
    l1: np.ndarray  # (nres, n+8, n+8) uint16
    amp33: np.ndarray  # (nres, n+8, 128) uint16
    l2: dict  # data, dq, err, var_poisson, var_rnoise, chisq, dumo
    n_cosmic_rays: int
    faint: dict = dc_field(default_factory=dict)  # set on the exposure with the missed cosmic ray


def _rng(*key):
    return np.random.default_rng([field.SEED, *key])


def _bias(detector, y0, shape):
    """Per-pixel bias of a detector (a fixed pattern: same in every exposure)."""
    bias = np.empty(shape, np.float32)
    _rng(7, int(detector[3:]), y0).standard_normal(out=bias, dtype=np.float32)
    bias *= np.float32(field.BIAS_SPREAD)
    bias += np.float32(field.BIAS_LEVEL)
    return bias


def _faint_pixels(wcs, npix):
    """Science pixels (x, y, fraction) of the missed cosmic ray, centred at its sky position."""
    ra, dec = demo_wcs.tangent_to_sky(*field.FAINT_CR_OFFSET, field.GALAXY_RA, field.GALAXY_DEC)
    x, y = (int(np.rint(v)) for v in wcs.backward_transform(ra, dec))
    pixels = [(x + dx, y + dy, frac) for dx, dy, frac in field.FAINT_CR_SHAPE]
    if not all(0 <= px < npix and 0 <= py < npix for px, py, _ in pixels):
        raise RuntimeError("the faint cosmic ray falls off its exposure; fix field.FAINT_CR_OFFSET")
    return pixels


def simulate(index, exposure, size, stars, ramp, threads=2):
    """Exposure number `index` of the field: scene, cosmic rays, L1 resultants and the L2 fit."""
    n, b = size.npix, field.REF_BORDER
    ra_ref, dec_ref = demo_wcs.pointing(exposure)
    wcs = demo_wcs.detector_wcs(exposure.detector, exposure.roll, ra_ref, dec_ref, size)
    sky_level = sky.SKY_RATE * (1 + 0.05 * np.sin(1.7 * index))
    rate = sky.render(wcs, size, stars, sky=sky_level)

    is_faint = index == field.FAINT_CR_EXPOSURE
    faint_pixels = _faint_pixels(wcs, n) if is_faint else []
    hits, n_events = ramps.strong_cosmic_rays(
        _rng(3, index), size.n_cosmic_rays, n, ramp, avoid=[(x, y) for x, y, _ in faint_pixels], avoid_radius=10
    )
    deltas = hits.deltas(ramp).astype(np.float32)
    jump = np.full((n, n), 127, np.int8)  # resultant of the earliest flagged jump, -1 for none
    np.minimum.at(jump, (hits.y, hits.x), ramp.resultant_of_read(hits.read).astype(np.int8))
    jump[jump == 127] = -1

    l1 = np.empty((ramp.nres, n + 2 * b, n + 2 * b), np.uint16)
    l2 = {
        "data": np.empty((n, n), np.float32),
        "dq": np.empty((n, n), np.uint32),
        **{k: np.empty((n, n), np.float16) for k in ("var_poisson", "var_rnoise", "chisq", "dumo")},
    }
    fitter = RampFitter(ramp)

    def block(y0):
        y1 = min(n, y0 + BLOCK_ROWS)
        res = ramps.simulate(rate[y0:y1], _bias(exposure.detector, y0, (y1 - y0, n)), ramp, _rng(11, index, y0))
        mine = (hits.y >= y0) & (hits.y < y1)
        if mine.any():
            for k in range(ramp.nres):
                np.add.at(res[k], (hits.y[mine] - y0, hits.x[mine]), deltas[mine, k])
        digital = ramps.to_uint16(res)
        l1[:, y0 + b : y1 + b, b : n + b] = digital
        fitted = fitter.fit(digital.astype(np.float32), jump[y0:y1])
        for key, values in fitted.items():
            l2[key][y0:y1] = values

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(block, range(0, n, BLOCK_ROWS)))

    _reference_pixels(l1, ramp, exposure.detector, index)
    amp33 = ramps.to_uint16(
        ramps.simulate(np.zeros((n + 2 * b, AMP33_COLUMNS), np.float32),
                       np.full((n + 2 * b, AMP33_COLUMNS), field.BIAS_LEVEL, np.float32), ramp, _rng(13, index))
    )
    data = ExposureData(exposure, wcs, ra_ref, dec_ref, float(sky_level), l1, amp33, l2, n_events)
    l2["err"] = np.sqrt(l2["var_poisson"].astype(np.float32) + l2["var_rnoise"].astype(np.float32)).astype(np.float16)
    if is_faint:
        data.faint = _plant_faint(data, faint_pixels, ramp, fitter)
    return data


def _reference_pixels(l1, ramp, detector, index):
    """The 4-pixel border: bias and read noise only (no light reaches it)."""
    b = field.REF_BORDER
    full = l1.shape[1]
    strips = [(slice(0, b), slice(None)), (slice(full - b, full), slice(None)),
              (slice(b, full - b), slice(0, b)), (slice(b, full - b), slice(full - b, full))]
    for i, (ys, xs) in enumerate(strips):
        shape = l1[0][ys, xs].shape
        bias = _bias(detector, 100_000 + i, shape)
        l1[:, ys, xs] = ramps.to_uint16(ramps.simulate(np.zeros(shape, np.float32), bias, ramp, _rng(12, index, i)))


def _plant_faint(data, nominal, ramp, fitter):
    """Add the cosmic ray the jump step misses, not flagged: a jump between resultants k-1 and
    k, sized so that its brightest pixel's jump has the target significance.

    Where exactly it lands (within 2 pixels of the nominal place) is chosen so that the ramp
    is otherwise clean and the knot it leaves in the L2 rate is about 5 sigma: visible in
    this one exposure, as the science case needs, whatever the noise did there.
    """
    b, k = field.REF_BORDER, field.FAINT_CR_RESULTANT
    l1, l2 = data.l1, data.l2
    n = l2["data"].shape[0]
    no_jump = np.full((1, 1), -1, np.int8)
    candidates = []
    for dy, dx in itertools.product(range(-2, 3), repeat=2):
        pixels = [(x + dx, y + dy, frac) for x, y, frac in nominal]
        x0, y0, _ = pixels[0]
        if not all(2 <= x < n - 2 and 2 <= y < n - 2 and l2["dq"][y, x] == 0 for x, y, _ in pixels):
            continue
        column = l1[:, y0 + b, x0 + b].astype(np.float32)
        s0, sigma, _ = ramp.jump_significance(column, k)
        amplitude = (field.FAINT_CR_SIGNIFICANCE - s0) * sigma
        column[k:] += amplitude
        others = [ramp.jump_significance(column, j)[0] for j in range(1, ramp.nres) if j != k]
        if amplitude <= 0 or max(np.abs(others)) > 3:
            continue
        rate = fitter.fit(column[:, None, None], no_jump)["data"][0, 0]
        around = l2["data"][max(y0 - 8, 0) : y0 + 9, max(x0 - 8, 0) : x0 + 9]
        knot = (rate - np.nanmedian(around)) / float(l2["err"][y0, x0])
        candidates.append((abs(knot - 5.0), pixels, amplitude))
    if not candidates:
        raise RuntimeError("no clean place for the faint cosmic ray; change field.FAINT_CR_OFFSET")
    _, pixels, amplitude = min(candidates, key=lambda c: c[0])
    x0, y0, _ = pixels[0]
    for x, y, frac in pixels:
        column = l1[:, y + b, x + b].astype(np.float32)
        column[k:] += amplitude * frac
        l1[:, y + b, x + b] = ramps.to_uint16(column)
        refit = fitter.fit(l1[:, y + b, x + b].astype(np.float32)[:, None, None], no_jump)
        for key, values in refit.items():
            l2[key][y, x] = values[0, 0]
        l2["err"][y, x] = np.sqrt(np.float32(l2["var_poisson"][y, x]) + np.float32(l2["var_rnoise"][y, x]))
    significance, sigma, rate = ramp.jump_significance(l1[:, y0 + b, x0 + b], k)
    ra, dec = data.wcs(x0, y0)
    return {
        "exposure": data.exposure.cal_name,
        "uncal": data.exposure.uncal_name,
        "resultant": k,
        "read": int(ramp.first_read[k]),
        "amplitude_dn": round(float(amplitude), 2),
        "significance": round(significance, 3),
        "difference_sigma_dn": round(sigma, 3),
        "rate_dn_s": round(rate, 4),
        "pixels": [{"x": x, "y": y, "l1_x": x + b, "l1_y": y + b, "amplitude_dn": round(float(amplitude * f), 2)}
                   for x, y, f in pixels],
        "ra": float(ra),
        "dec": float(dec),
    }

"""Jump detection in up-the-ramp resultants, with a significance for every difference.

The significance of difference k of a pixel is the generalised-least-squares test of a step
at k: D_k minus its best prediction from the pixel's other differences (through the ramp's
rate and the correlations of the differences, `noise.DifferenceNoise`), over the standard
deviation of that residual. Without a jump it is N(0, 1) for any read pattern, rate and
resultant; a jump of J DN gives J / sigma_k more, sigma_k = 1 / sqrt(Q_kk) (`step_sigma`).

Like the pipeline's two-point difference, the search iterates: the strongest difference above
the threshold is flagged, dropped (the rate is then re-estimated without it) and the others are
tested again, until none is above. Differences that touch a saturated resultant are never
tested as jumps; the step into a pixel's first saturated resultant is tested the same way and
reported apart (a cosmic ray may have pushed the pixel there). Only positive steps are jumps
(cosmic rays add charge); significance keeps its sign.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

# false jumps per pixel ramp the default threshold allows (spread over the n - 1 differences)
DEFAULT_FALSE_JUMPS_PER_RAMP = 0.005


def default_threshold(n_differences, false_jumps_per_ramp=DEFAULT_FALSE_JUMPS_PER_RAMP):
    """Threshold (sigma) at which Gaussian differences give `false_jumps_per_ramp` per ramp."""
    return float(norm.isf(false_jumps_per_ramp / n_differences))


@dataclass
class JumpResult:
    """significance, amplitude: (N, m), NaN where untestable; jump: (N, m) bool, the flagged steps;
    into_saturation: (N, m) bool, steps above the threshold into the first saturated resultant
    (not jumps: the saturated value is only a lower bound); rate: (N,) DN/s of the noise model
    (median of the differences left after the jumps)."""

    significance: np.ndarray
    amplitude: np.ndarray
    jump: np.ndarray
    into_saturation: np.ndarray
    rate: np.ndarray


def step_tests(noise, diffs, active, rate, read_noise, gain):
    """Significance and amplitude (DN) of a step at each active difference, NaN elsewhere.

    Dropped differences are marginalised (zero mean, unit variance, no rate information), which
    for a Gaussian equals fitting a free step there; a pixel with fewer than 2 active
    differences has nothing to predict from.
    """
    cov = noise.covariance(rate, read_noise, gain)
    off = ~active
    cov[off[:, :, None] | off[:, None, :]] = 0.0
    idx = np.nonzero(off)
    cov[idx[0], idx[1], idx[1]] = 1.0
    d = np.where(active, diffs, 0.0)
    x = np.where(active, noise.dt, 0.0)
    w = np.linalg.inv(cov)
    wx = np.einsum("nij,nj->ni", w, x)
    wd = np.einsum("nij,nj->ni", w, d)
    xwx = np.einsum("ni,ni->n", x, wx)
    with np.errstate(all="ignore"):
        qd = wd - wx * (np.einsum("ni,ni->n", x, wd) / xwx)[:, None]
        qdiag = np.diagonal(w, axis1=1, axis2=2) - wx**2 / xwx[:, None]
        testable = active & (active.sum(axis=1) >= 2)[:, None] & (qdiag > 0)
        significance = np.where(testable, qd / np.sqrt(qdiag), np.nan)
        amplitude = np.where(testable, qd / qdiag, np.nan)
    return significance, amplitude


def step_sigma(noise, rate, read_noise, gain):
    """(N, m) noise (DN) of the step test at each difference with every difference active:
    a jump of A * step_sigma has significance A on average."""
    rate = np.atleast_1d(np.asarray(rate, float))
    w = np.linalg.inv(noise.covariance(rate, read_noise, gain))
    wx = w @ noise.dt
    xwx = wx @ noise.dt
    return 1 / np.sqrt(np.diagonal(w, axis1=1, axis2=2) - wx**2 / xwx[:, None])


def _noise_rate(noise, diffs, active):
    """Median rate (DN/s) of each pixel's active differences: robust to the jump being sought."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a pixel without an active difference
        rate = np.nanmedian(np.where(active, diffs / noise.dt, np.nan), axis=1)
    return np.maximum(np.nan_to_num(rate), 0.0)


def detect_jumps(noise, counts, saturated, threshold, read_noise, gain):
    """Iterative step search over the ramps `counts` (N, n) DN with `saturated` (N, n) bool.

    Returns a JumpResult; the significance of a flagged difference is its test with every other
    flagged difference dropped, that of the others is the last test before the search stopped.
    """
    counts = np.asarray(counts, float)
    diffs = np.diff(counts, axis=1)
    usable = ~(saturated[:, 1:] | saturated[:, :-1]) & np.isfinite(diffs)
    active = usable.copy()
    jump = np.zeros_like(usable)
    significance = np.full(diffs.shape, np.nan)
    amplitude = np.full(diffs.shape, np.nan)
    searching = np.arange(len(counts))
    while searching.size:
        rows = active[searching]
        sig, amp = step_tests(noise, diffs[searching], rows, _noise_rate(noise, diffs[searching], rows),
                              read_noise, gain)
        significance[searching] = np.where(rows, sig, significance[searching])
        amplitude[searching] = np.where(rows, amp, amplitude[searching])
        best = np.argmax(np.nan_to_num(sig, nan=-np.inf), axis=1)
        found = np.take_along_axis(np.nan_to_num(sig, nan=-np.inf), best[:, None], axis=1)[:, 0] >= threshold
        hit, k = searching[found], best[found]
        jump[hit, k] = True
        active[hit, k] = False
        searching = hit
    _retest(noise, diffs, active, jump, significance, amplitude, read_noise, gain)
    first = np.argmax(saturated, axis=1)
    into = np.zeros_like(jump)
    edge = np.nonzero(saturated.any(axis=1) & (first >= 1) & np.isfinite(diffs[np.arange(len(diffs)), first - 1]))[0]
    into[edge, first[edge] - 1] = True
    _retest(noise, diffs, active, into, significance, amplitude, read_noise, gain)
    into &= significance >= threshold
    return JumpResult(significance, amplitude, jump, into, _noise_rate(noise, diffs, active))


def _retest(noise, diffs, active, chosen, significance, amplitude, read_noise, gain):
    """Each chosen difference tested with the active ones (the jumps dropped)."""
    pixel, k = np.nonzero(chosen)
    if not pixel.size:
        return
    rows = active[pixel].copy()
    rows[np.arange(len(pixel)), k] = True
    sig, amp = step_tests(noise, diffs[pixel], rows, _noise_rate(noise, diffs[pixel], active[pixel]),
                          read_noise, gain)
    significance[pixel, k] = sig[np.arange(len(pixel)), k]
    amplitude[pixel, k] = amp[np.arange(len(pixel)), k]

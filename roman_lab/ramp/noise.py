"""The noise of successive resultant differences, and read noise estimated from the data.

A resultant R_k is the mean of the n_k reads of its group (read a at time a * frame_time).
With read noise s (DN per read) and gain g (e-/DN), a pixel of rate r (DN/s) has

    Cov(R_i, R_j) = s^2 / n_i [i == j] + (r / g) * M_ij,   M_ij = mean over a in i, b in j of min(t_a, t_b)

so the successive differences D_k = R_k - R_(k-1) (k = 1..n-1) have Cov = s^2 Rd + (r / g) Pd with
Rd = A diag(1/n) A^T and Pd = A M A^T (A the difference operator). Neighbouring differences are
anti-correlated through the read noise of the resultant they share; resultants averaging more
reads are less noisy. Both facts matter for a jump test near the statistical limit.
"""

from __future__ import annotations

import warnings

import numpy as np

# Roman-typical values for the WFI (per read, in DN; gain in e-/DN), used when not given
DEFAULT_READ_NOISE_DN = 6.0
DEFAULT_GAIN = 2.0
MIN_SAMPLES_FOR_ESTIMATE = 200  # second differences needed to estimate the read noise
_MEDIAN_ABS_NORMAL = 0.6744897501960817  # median of |N(0, 1)|


class DifferenceNoise:
    """Noise model of the successive differences of one read pattern."""

    def __init__(self, read_pattern, frame_time):
        self.read_pattern = [[int(r) for r in group] for group in read_pattern]
        self.frame_time = float(frame_time)
        if len(self.read_pattern) < 3:
            raise ValueError(f"a jump test needs at least 3 resultants; the read pattern has {len(self.read_pattern)}")
        reads = [self.frame_time * np.asarray(group, float) for group in self.read_pattern]
        self.nreads = np.array([len(group) for group in self.read_pattern], float)
        self.times = np.array([t.mean() for t in reads])
        poisson = np.array([[np.minimum.outer(a, b).mean() for b in reads] for a in reads])
        n = len(reads)
        ops = np.zeros((n - 1, n))
        ops[np.arange(n - 1), np.arange(1, n)] = 1.0
        ops[np.arange(n - 1), np.arange(n - 1)] = -1.0
        self.dt = ops @ self.times  # (m,) time between successive resultants' means
        self.read_part = ops @ np.diag(1 / self.nreads) @ ops.T  # (m, m) per unit read variance
        self.poisson_part = ops @ poisson @ ops.T  # (m, m) per unit rate / gain

    @property
    def n_differences(self):
        return len(self.dt)

    def covariance(self, rate, read_noise, gain):
        """(N, m, m) covariance of the differences of N pixels of these rates (DN/s, clipped at 0)."""
        rate = np.maximum(np.asarray(rate, float), 0.0)
        return read_noise**2 * self.read_part + (rate / gain)[:, None, None] * self.poisson_part

    def sigma(self, rate, read_noise, gain):
        """(N, m) standard deviation of each difference alone."""
        return np.sqrt(np.diagonal(self.covariance(np.atleast_1d(rate), read_noise, gain), axis1=1, axis2=2))


def _rate_free_pairs(noise, diffs, usable):
    """Per-pixel rate differences D_k/dt_k - D_(k+1)/dt_(k+1) (zero mean whatever the rate), their
    read and Poisson variance coefficients, and the pixels' median rates."""
    rates = diffs / noise.dt
    k = np.arange(noise.n_differences - 1)
    a = np.zeros((len(k), noise.n_differences))
    a[k, k], a[k, k + 1] = 1 / noise.dt[k], -1 / noise.dt[k + 1]
    read_coef = np.einsum("ij,jk,ik->i", a, noise.read_part, a)
    poisson_coef = np.einsum("ij,jk,ik->i", a, noise.poisson_part, a)
    values = rates[:, :-1] - rates[:, 1:]
    ok = usable[:, :-1] & usable[:, 1:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a pixel without a usable difference
        pixel_rate = np.nanmedian(np.where(usable, rates, np.nan), axis=1)
    return values, ok, read_coef, poisson_coef, np.maximum(np.nan_to_num(pixel_rate), 0.0)


def estimate_read_noise(noise, counts, usable=None, gain=DEFAULT_GAIN):
    """Read noise (DN per read) from the robust scatter of rate differences between successive
    differences, or None when there are fewer than MIN_SAMPLES_FOR_ESTIMATE of them.

    The Poisson part is accounted for with each pixel's median rate and `gain` (and samples where
    it dominates are left out when there are enough others); the median of |x| / sigma(s) =
    0.6745 is solved for s by bisection, so jumps and outliers barely matter.
    """
    counts = np.asarray(counts, float)
    diffs = np.diff(counts, axis=1)
    usable = np.isfinite(diffs) if usable is None else usable & np.isfinite(diffs)
    values, ok, read_coef, poisson_coef, rate = _rate_free_pairs(noise, diffs, usable)
    poisson_var = rate[:, None] / gain * poisson_coef
    read_coef = np.broadcast_to(read_coef, ok.shape)
    # where photon noise dominates, the read noise is poorly constrained: use the faint ones
    faint = ok & (poisson_var <= read_coef * DEFAULT_READ_NOISE_DN**2)
    if faint.sum() >= MIN_SAMPLES_FOR_ESTIMATE:
        ok = faint
    if ok.sum() < MIN_SAMPLES_FOR_ESTIMATE:
        return None
    values, poisson_var, read_coef = values[ok], poisson_var[ok], read_coef[ok]
    magnitude = np.abs(values)

    def excess(s):  # > 0 while s is too small
        return np.median(magnitude / np.sqrt(s * s * read_coef + poisson_var)) - _MEDIAN_ABS_NORMAL

    low, high = 1e-1, 1e3  # DN; 24 halvings of the log range: 1e-6 relative
    for _ in range(24):
        mid = np.sqrt(low * high)
        low, high = (mid, high) if excess(mid) > 0 else (low, mid)
    return float(np.sqrt(low * high))

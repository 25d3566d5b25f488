"""Up-the-ramp physics: resultant statistics, noise, and cosmic-ray jumps.

A Roman resultant is the mean of a group of reads. Rather than simulating every read, each
resultant is drawn from its exact joint distribution (Gaussian approximation of the Poisson
counts): mean bias + rate * t_k, Poisson covariance rate/gain * M with
M[i, j] = mean over reads a in group i, b in group j of min(t_a, t_b), and read noise
sigma^2 / n_k. That is 2 random numbers per resultant and pixel instead of one per read.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import erf

from . import field


class ReadPattern:
    """Times and covariances of a multi-accumulation table's resultants."""

    def __init__(self, pattern=field.READ_PATTERN, frame_time=field.FRAME_TIME,
                 read_noise=field.READ_NOISE, gain=field.GAIN):
        self.pattern = [list(map(int, group)) for group in pattern]
        self.frame_time = frame_time
        self.read_noise = read_noise
        self.gain = gain
        self.nres = len(self.pattern)
        self.nreads = np.array([len(g) for g in self.pattern], dtype=float)
        self.times = field.read_times(self.pattern, frame_time)
        t = [frame_time * np.asarray(g, dtype=float) for g in self.pattern]
        self.poisson_cov = np.array([[np.minimum.outer(a, b).mean() for b in t] for a in t])
        self.chol = np.linalg.cholesky(self.poisson_cov)
        self.first_read = np.array([g[0] for g in self.pattern])
        self.last_read = int(self.pattern[-1][-1])

    def fraction_after(self, read):
        """(n_hits, nres): fraction of each resultant's reads taken at or after read number `read`."""
        read = np.asarray(read)[:, None]
        return np.stack([(np.asarray(g)[None, :] >= read).mean(axis=1) for g in self.pattern], axis=1)

    def resultant_of_read(self, read):
        return np.searchsorted(self.first_read, np.asarray(read), side="right") - 1

    def difference_sigma(self, rate):
        """Expected noise (DN) of each successive resultant difference D_k = R_k - R_(k-1), k >= 1."""
        m = self.poisson_cov
        k = np.arange(1, self.nres)
        poisson = m[k, k] + m[k - 1, k - 1] - 2 * m[k, k - 1]
        read = self.read_noise**2 * (1 / self.nreads[k] + 1 / self.nreads[k - 1])
        rate = np.maximum(np.asarray(rate, dtype=float), 0.0)[..., None]
        return np.sqrt(read + rate / self.gain * poisson)

    def jump_significance(self, resultants, k):
        """Significance of the jump between resultants k-1 and k of one pixel's ramp.

        The rate is estimated from the other differences (sum of differences over their time
        span), so a jump does not inflate its own noise estimate.
        """
        r = np.asarray(resultants, dtype=float)
        diffs, dt = np.diff(r), np.diff(self.times)
        others = np.arange(1, self.nres) != k
        rate = diffs[others].sum() / dt[others].sum()
        sigma = self.difference_sigma(rate)[k - 1]
        return float((diffs[k - 1] - rate * dt[k - 1]) / sigma), float(sigma), float(rate)


def simulate(rate, bias, ramp, rng):
    """Resultants (nres, ny, nx) float32 in DN for a block of pixels of count rate `rate` (DN/s).

    Random numbers are drawn into preallocated arrays (numpy then releases the GIL, so blocks
    run in parallel on threads), and the correlated Poisson part is the lower-triangular
    Cholesky factor applied term by term (a BLAS call would fight the threads for cores).
    """
    shape = rate.shape
    n = rate.size
    flat_rate, flat_bias = rate.reshape(n), bias.reshape(n)
    z = np.empty((ramp.nres, n), np.float32)
    rng.standard_normal(out=z, dtype=np.float32)
    amp = np.sqrt(np.maximum(flat_rate, 0) / np.float32(ramp.gain))
    chol = ramp.chol.astype(np.float32)
    out = np.empty((ramp.nres, n), np.float32)
    acc = np.empty(n, np.float32)
    for k in range(ramp.nres):
        np.multiply(z[0], chol[k, 0], out=acc)
        for i in range(1, k + 1):
            acc += chol[k, i] * z[i]
        acc *= amp
        acc += flat_bias
        acc += flat_rate * np.float32(ramp.times[k])
        out[k] = acc
    rng.standard_normal(out=z, dtype=np.float32)
    for k in range(ramp.nres):
        out[k] += np.float32(ramp.read_noise / np.sqrt(ramp.nreads[k])) * z[k]
    return out.reshape((ramp.nres,) + shape)


def to_uint16(resultants):
    """Digitise: clip at the saturation level and round."""
    return np.rint(np.clip(resultants, 0, field.SATURATION)).astype(np.uint16)


@dataclass
class Hits:
    """Pixels hit by cosmic rays: science pixel (y, x), read number of the hit, charge in DN."""

    y: np.ndarray
    x: np.ndarray
    read: np.ndarray
    amp: np.ndarray

    def deltas(self, ramp):
        """(n_hits, nres) charge each hit adds to each resultant."""
        return self.amp[:, None] * ramp.fraction_after(self.read)


def strong_cosmic_rays(rng, n_events, npix, ramp, avoid=(), avoid_radius=6):
    """Cosmic rays the jump step catches: 1 to several pixels, 150-20000 DN, short tracks.

    Charge is spread along a straight track and by diffusion (Gaussian, 0.35 px); pixels with
    less than max(10 DN, 5% of the peak) are dropped so that every jump left is one the
    pipeline would see and flag. Events near `avoid` pixels (x, y) are left out.
    """
    cx, cy = rng.uniform(-0.5, npix - 0.5, (2, n_events))
    for ax, ay in avoid:
        keep = np.hypot(cx - ax, cy - ay) > avoid_radius
        cx, cy = cx[keep], cy[keep]
    n = len(cx)
    energy = np.clip(rng.lognormal(np.log(600.0), 1.0, n), 150.0, 20000.0)
    length = rng.exponential(1.0, n)
    angle = rng.uniform(0, np.pi, n)
    reads = rng.integers(2, ramp.last_read + 1, n)

    samples = np.linspace(-0.5, 0.5, 9)
    tx = cx[:, None] + samples * length[:, None] * np.cos(angle)[:, None]  # (n, s)
    ty = cy[:, None] + samples * length[:, None] * np.sin(angle)[:, None]
    half = 4
    x0, y0 = np.rint(cx).astype(int), np.rint(cy).astype(int)
    grid = np.arange(-half, half + 1)
    sigma = 0.35 * np.sqrt(2)

    def weights(track, origin):
        edges = origin[:, None, None] + grid[None, None, :]  # (n, 1, g)
        t = track[:, :, None]
        return 0.5 * (erf((edges + 0.5 - t) / sigma) - erf((edges - 0.5 - t) / sigma))  # (n, s, g)

    wx, wy = weights(tx, x0), weights(ty, y0)
    deposit = np.einsum("nsi,nsj->nij", wy, wx) * (energy / len(samples))[:, None, None]  # (n, y, x)
    peak = deposit.max(axis=(1, 2))
    keep = deposit >= np.maximum(10.0, 0.05 * peak)[:, None, None]
    yy = y0[:, None, None] + grid[None, :, None]
    xx = x0[:, None, None] + grid[None, None, :]
    yy, xx = np.broadcast_arrays(yy, xx)
    keep &= (yy >= 0) & (yy < npix) & (xx >= 0) & (xx < npix)
    event = np.broadcast_to(np.arange(n)[:, None, None], deposit.shape)
    return Hits(yy[keep], xx[keep], reads[event[keep]], deposit[keep].astype(np.float32)), n

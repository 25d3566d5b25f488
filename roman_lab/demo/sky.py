"""The sky of the demo field and its image, in DN/s per pixel, as one detector sees it.

The scene is defined on the sky (arcsec east/north of the galaxy centre) so every exposure
sees the same galaxy, clumps and stars wherever they land on the detector. Extended emission
is given per pixel (so the small data set looks like the full one); stars use a pixel-sized
PSF (Roman's F158 PSF is about 1.4 pixels wide).
"""

from dataclasses import dataclass

import numpy as np

from . import field
from .wcs import PixelMap, tangent_offsets, tangent_to_sky

SKY_RATE = 0.5  # DN/s per pixel: zodiacal light in F158
PSF_FWHM = 1.4  # pixels
PSF_BETA = 2.5
N_STARS = 300
STAR_BOX = 700.0  # arcsec square around the galaxy where stars are scattered

# Exponential discs: (central DN/s per pixel, scale length arcsec, axis ratio, PA deg).
DISCS = [(0.16, 6.0, 0.72, 35.0), (0.04, 16.0, 0.8, 35.0)]
# Star-forming clumps: (east, north arcsec, peak DN/s per pixel, sigma arcsec).
CLUMPS = [
    (-17.6, 13.0, 0.22, 0.35),
    (9.5, 6.0, 0.3, 0.4),
    (4.0, -11.0, 0.18, 0.35),
    (-8.0, -4.5, 0.25, 0.3),
    (14.0, 15.5, 0.14, 0.45),
    (-3.0, 20.5, 0.12, 0.35),
]
GALAXY_RADIUS = 150.0  # arcsec beyond which the galaxy is negligible (< 1e-5 DN/s)


@dataclass
class Stars:
    ra: np.ndarray
    dec: np.ndarray
    rate: np.ndarray  # DN/s, total


def make_stars(seed=field.SEED):
    """A few hundred stars from 13.8 to 24.5 mag; the brightest keep away from the galaxy."""
    rng = np.random.default_rng([seed, 1])
    bright = np.array([13.8, 14.6, 15.3, 16.2, 16.8])
    # dN/dm ~ 10^(0.3 m) between 17 and 24.5 mag
    u = rng.uniform(size=N_STARS - len(bright))
    lo, hi = 10 ** (0.3 * 17.0), 10 ** (0.3 * 24.5)
    faint = np.log10(lo + u * (hi - lo)) / 0.3
    mags = np.r_[bright, faint]
    xi, eta = rng.uniform(-STAR_BOX / 2, STAR_BOX / 2, (2, len(mags)))
    cr_xi, cr_eta = field.FAINT_CR_OFFSET
    for i in range(len(mags)):
        # bright stars stay off the galaxy; nothing sits on the faint cosmic ray
        while (mags[i] < 17 and np.hypot(xi[i], eta[i]) < 80) or np.hypot(xi[i] - cr_xi, eta[i] - cr_eta) < 4:
            xi[i], eta[i] = rng.uniform(-STAR_BOX / 2, STAR_BOX / 2, 2)
    ra, dec = tangent_to_sky(xi, eta, field.GALAXY_RA, field.GALAXY_DEC)
    return Stars(np.asarray(ra), np.asarray(dec), field.mag_to_rate(mags))


def galaxy_rate(xi, eta):
    """The galaxy's DN/s per pixel at tangent-plane offsets (arcsec) from its centre."""
    out = np.zeros(np.shape(xi), dtype=np.float32)
    for peak, scale, q, pa in DISCS:
        a = np.deg2rad(pa)
        major = xi * np.sin(a) + eta * np.cos(a)
        minor = xi * np.cos(a) - eta * np.sin(a)
        r = np.sqrt(major**2 + (minor / q) ** 2)
        out += (peak * np.exp(-r / scale)).astype(np.float32)
    for cx, cy, peak, sigma in CLUMPS:
        out += (peak * np.exp(-0.5 * ((xi - cx) ** 2 + (eta - cy) ** 2) / sigma**2)).astype(np.float32)
    return out


def _moffat_stamps(dx, dy, radius, sub=4):
    """PSF stamps (n, 2r+1, 2r+1), each summing to 1, for sub-pixel offsets dx, dy of the centre."""
    alpha = PSF_FWHM / (2 * np.sqrt(2 ** (1 / PSF_BETA) - 1))
    grid = np.arange(-radius, radius + 1)
    offs = (np.arange(sub) + 0.5) / sub - 0.5
    px = (grid[:, None] + offs[None, :]).ravel()  # sub-sampled pixel positions
    x = px[None, None, :] - dx[:, None, None]
    y = px[None, :, None] - dy[:, None, None]
    prof = (1 + (x**2 + y**2) / alpha**2) ** (-PSF_BETA)
    n = 2 * radius + 1
    prof = prof.reshape(len(dx), n, sub, n, sub).sum(axis=(2, 4))
    return prof / prof.sum(axis=(1, 2), keepdims=True)


def _add_stars(image, x, y, rate, radius):
    ny, nx = image.shape
    xi, yi = np.rint(x).astype(int), np.rint(y).astype(int)
    keep = (xi > -radius) & (xi < nx + radius) & (yi > -radius) & (yi < ny + radius)
    if not keep.any():
        return
    xi, yi, x, y, rate = xi[keep], yi[keep], x[keep], y[keep], rate[keep]
    stamps = _moffat_stamps(x - xi, y - yi, radius) * rate[:, None, None].astype(float)
    grid = np.arange(-radius, radius + 1)
    yy = yi[:, None, None] + grid[None, :, None]
    xx = xi[:, None, None] + grid[None, None, :]
    yy, xx = np.broadcast_arrays(yy, xx)
    inside = (xx >= 0) & (xx < nx) & (yy >= 0) & (yy < ny)
    np.add.at(image, (yy[inside], xx[inside]), stamps[inside].astype(np.float32))


def render(wcs, size, stars, sky=SKY_RATE):
    """Noiseless count rate (DN/s) on the science pixels of a detector with gwcs `wcs`."""
    n = size.npix
    image = np.full((n, n), sky, dtype=np.float32)

    def offsets(x, y):
        return tangent_offsets(*wcs.forward_transform(x, y), field.GALAXY_RA, field.GALAXY_DEC)

    gx, gy = wcs.backward_transform(field.GALAXY_RA, field.GALAXY_DEC)
    r = GALAXY_RADIUS / size.scale
    x0, x1 = int(max(0, gx - r)), int(min(n, gx + r + 1))
    y0, y1 = int(max(0, gy - r)), int(min(n, gy + r + 1))
    if x1 > x0 and y1 > y0:
        sky_map = PixelMap(offsets, (n, n), step=max(8, n // 128))
        xi, eta = sky_map.block(y0, y1, x0, x1)
        image[y0:y1, x0:x1] += galaxy_rate(xi, eta)

    sx, sy = wcs.backward_transform(stars.ra, stars.dec)
    bright = stars.rate > field.mag_to_rate(17.0)
    _add_stars(image, sx[~bright], sy[~bright], stars.rate[~bright], radius=8)
    _add_stars(image, sx[bright], sy[bright], stars.rate[bright], radius=24)
    return image

"""gwcs objects shaped like Roman's: detector -> v2v3 (distortion) -> world (TAN), and a mosaic TAN.

gwcs 1.0.3 can only invert a pipeline whose every step has an inverse, so the distortion
polynomial carries a fitted inverse (fitted in coordinates scaled to ~1). Whole-detector
maps are evaluated on a coarse grid and interpolated with a bicubic spline: the maps are
smooth, and evaluating an astropy compound model on 16 million pixels would take minutes.
"""

import numpy as np
from astropy import coordinates
from astropy import units as u
from astropy.modeling import fitting, models
from gwcs import coordinate_frames as cf
from gwcs import wcs as gwcs_wcs
from scipy.interpolate import RectBivariateSpline

from . import field

# Distortion at the detector corners, in native (0.11") pixels, as cubic polynomial terms in
# coordinates scaled to [-1, 1]: (term exponents (i, j) of u^i v^j) -> (dx, dy). It is
# defined on the sky, so the small data set has the same distortion in arcsec.
_DISTORTION = {
    (2, 0): (1.5, 0.7),
    (1, 1): (-0.8, 1.1),
    (0, 2): (0.6, -1.3),
    (3, 0): (1.2, 0.0),
    (2, 1): (0.0, 0.5),
    (1, 2): (0.4, 0.0),
    (0, 3): (0.0, 1.0),
}
_INVERSE_DEGREE = 5
_FIT_RANGE = 1.3  # the inverse is fitted a little beyond the detector edge


def _detector_frame():
    return cf.Frame2D(name="detector", axes_order=(0, 1), unit=(u.pix, u.pix))


def _v2v3_frame():
    return cf.Frame2D(name="v2v3", axes_order=(0, 1), axes_names=("v2", "v3"), unit=(u.arcsec, u.arcsec))


def _world_frame():
    return cf.CelestialFrame(reference_frame=coordinates.ICRS(), name="world", axes_order=(0, 1),
                             axes_names=("lon", "lat"), unit=(u.deg, u.deg))


def _ideal_to_v2v3_matrix():
    """SIAF convention: V2 = V2Ref + p X cos(a) + Y sin(a), V3 = V3Ref - p X sin(a) + Y cos(a)."""
    a = np.deg2rad(field.V3YANGLE)
    p = field.VPARITY
    return np.array([[p * np.cos(a), np.sin(a)], [-p * np.sin(a), np.cos(a)]])


def _polynomial(coeffs, degree):
    return models.Polynomial2D(degree, **{f"c{i}_{j}": c for (i, j), c in coeffs.items()})


def detector_distortion(detector, size):
    """detector pixels -> (v2, v3) arcsec, with a fitted inverse. Centre pixel maps to the reference."""
    half = size.npix / 2.0
    centre = (size.npix - 1) / 2.0
    v2_ref, v3_ref = field.DETECTORS[detector]
    matrix = _ideal_to_v2v3_matrix()
    # Each detector is distorted a little differently.
    tweak = 1.0 + 0.15 * (int(detector[3:]) - 2)
    ideal = {(1, 0): (size.scale * half, 0.0), (0, 1): (0.0, size.scale * half)}
    for term, (dx, dy) in _DISTORTION.items():
        ideal[term] = (dx * field.NATIVE_SCALE * tweak, dy * field.NATIVE_SCALE * tweak)
    v2_coeffs, v3_coeffs = {(0, 0): v2_ref}, {(0, 0): v3_ref}
    for term, (ix, iy) in ideal.items():
        v2_coeffs[term] = matrix[0, 0] * ix + matrix[0, 1] * iy
        v3_coeffs[term] = matrix[1, 0] * ix + matrix[1, 1] * iy
    to_scaled = (models.Shift(-centre) & models.Shift(-centre)) | (models.Scale(1 / half) & models.Scale(1 / half))
    forward = to_scaled | models.Mapping((0, 1, 0, 1)) | (_polynomial(v2_coeffs, 3) & _polynomial(v3_coeffs, 3))

    # Fit the inverse in scaled coordinates: (v2, v3) offsets / (scale * half) -> (u, v).
    grid = np.linspace(-_FIT_RANGE, _FIT_RANGE, 41)
    uu, vv = np.meshgrid(grid, grid)
    v2, v3 = forward(uu * half + centre, vv * half + centre)
    span = size.scale * half
    p, q = (v2 - v2_ref) / span, (v3 - v3_ref) / span
    fitter = fitting.LinearLSQFitter()
    start = models.Polynomial2D(_INVERSE_DEGREE)
    inv_u, inv_v = fitter(start, p, q, uu), fitter(start, p, q, vv)
    backward = (
        (models.Shift(-v2_ref) & models.Shift(-v3_ref))
        | (models.Scale(1 / span) & models.Scale(1 / span))
        | models.Mapping((0, 1, 0, 1))
        | (inv_u & inv_v)
        | (models.Scale(half) & models.Scale(half))
        | (models.Shift(centre) & models.Shift(centre))
    )
    forward.inverse = backward
    forward.name = "distortion"
    return forward


def v2v3_to_world(v2_ref, v3_ref, roll, ra_ref, dec_ref):
    """(v2, v3) arcsec -> (ra, dec): rotate V3 to position angle `roll`, then a TAN projection.

    +V3 points to PA = roll (east of north) and +V2 to PA = roll + 90 on the tangent plane.
    """
    model = (
        (models.Shift(-v2_ref) & models.Shift(-v3_ref))
        | models.Rotation2D(-roll)
        | (models.Scale(1 / 3600) & models.Scale(1 / 3600))
        | models.Pix2Sky_TAN()
        | models.RotateNative2Celestial(ra_ref, dec_ref, 180.0)
    )
    model.name = "v2v3_to_world"
    return model


def detector_wcs(detector, roll, ra_ref, dec_ref, size):
    """The L2 gwcs: 'detector' -> 'v2v3' -> 'world', bounded to the science pixels."""
    v2_ref, v3_ref = field.DETECTORS[detector]
    pipeline = [
        (_detector_frame(), detector_distortion(detector, size)),
        (_v2v3_frame(), v2v3_to_world(v2_ref, v3_ref, roll, ra_ref, dec_ref)),
        (_world_frame(), None),
    ]
    wcs = gwcs_wcs.WCS(pipeline)
    wcs.bounding_box = ((-0.5, size.npix - 0.5), (-0.5, size.npix - 0.5))
    return wcs


def mosaic_wcs(ra, dec, size):
    """North-up TAN grid centred on (ra, dec), `size.scale` arcsec per pixel."""
    n = size.mosaic_npix
    centre = (n - 1) / 2.0
    cdelt = size.scale / 3600.0
    model = (
        (models.Shift(-centre) & models.Shift(-centre))
        | (models.Scale(-cdelt) & models.Scale(cdelt))
        | models.Pix2Sky_TAN()
        | models.RotateNative2Celestial(ra, dec, 180.0)
    )
    wcs = gwcs_wcs.WCS([(_detector_frame(), model), (_world_frame(), None)])
    wcs.bounding_box = ((-0.5, n - 0.5), (-0.5, n - 0.5))
    return wcs


def tangent_offsets(ra, dec, ra0, dec0):
    """Gnomonic (xi east, eta north) offsets in arcsec of (ra, dec) from (ra0, dec0), in degrees in."""
    ra, dec = np.deg2rad(ra), np.deg2rad(dec)
    ra0, dec0 = np.deg2rad(ra0), np.deg2rad(dec0)
    cos_c = np.sin(dec0) * np.sin(dec) + np.cos(dec0) * np.cos(dec) * np.cos(ra - ra0)
    xi = np.cos(dec) * np.sin(ra - ra0) / cos_c
    eta = (np.cos(dec0) * np.sin(dec) - np.sin(dec0) * np.cos(dec) * np.cos(ra - ra0)) / cos_c
    return np.rad2deg(xi) * 3600.0, np.rad2deg(eta) * 3600.0


def tangent_to_sky(xi, eta, ra0, dec0):
    """Inverse of `tangent_offsets`: arcsec offsets -> (ra, dec) degrees."""
    model = models.Pix2Sky_TAN() | models.RotateNative2Celestial(ra0, dec0, 180.0)
    return model(np.asarray(xi) / 3600.0, np.asarray(eta) / 3600.0)


def pointing(exposure):
    """(ra_ref, dec_ref) of the detector reference pixel that puts the galaxy where `exposure` says."""
    matrix = _ideal_to_v2v3_matrix()
    dv2, dv3 = matrix @ np.asarray(exposure.galaxy_offset, dtype=float)
    # The tangent-plane offset of the galaxy from the reference point (see v2v3_to_world).
    a = np.deg2rad(exposure.roll)
    xi = dv2 * np.cos(a) + dv3 * np.sin(a)
    eta = -dv2 * np.sin(a) + dv3 * np.cos(a)
    ra, dec = tangent_to_sky(-xi, -eta, field.GALAXY_RA, field.GALAXY_DEC)
    return float(ra), float(dec)


def s_region(wcs, npix):
    """POLYGON ICRS of the outer corners of the pixel grid."""
    corners = np.array([[-0.5, -0.5], [npix - 0.5, -0.5], [npix - 0.5, npix - 0.5], [-0.5, npix - 0.5]])
    ra, dec = wcs.forward_transform(corners[:, 0], corners[:, 1])
    return "POLYGON ICRS " + " ".join(f"{r:.8f} {d:.8f}" for r, d in zip(ra, dec))


def position_angle_of_y(wcs, x, y):
    """Position angle (deg east of north) of the pixel +y axis at (x, y)."""
    ra0, dec0 = wcs.forward_transform(x, y)
    xi, eta = tangent_offsets(*wcs.forward_transform(x, y + 10.0), ra0, dec0)
    return float(np.rad2deg(np.arctan2(xi, eta)) % 360.0)


class PixelMap:
    """A smooth map of a pixel grid (e.g. pixel -> other pixel) from a coarse grid of exact values.

    `func(x, y) -> (a, b)` is evaluated every `step` pixels (and on the last row/column);
    `block(y0, y1, x0, x1)` interpolates (a, b) on a block of pixels with a bicubic spline.
    """

    def __init__(self, func, shape, step=32):
        ny, nx = shape
        self.yc = np.unique(np.r_[np.arange(0, ny, step), ny - 1]).astype(float)
        self.xc = np.unique(np.r_[np.arange(0, nx, step), nx - 1]).astype(float)
        xx, yy = np.meshgrid(self.xc, self.yc)
        a, b = func(xx, yy)
        k = min(3, len(self.xc) - 1, len(self.yc) - 1)
        self._a = RectBivariateSpline(self.yc, self.xc, np.asarray(a, dtype=float), kx=k, ky=k)
        self._b = RectBivariateSpline(self.yc, self.xc, np.asarray(b, dtype=float), kx=k, ky=k)
        self.func = func
        self.nx = nx

    def block(self, y0, y1, x0=0, x1=None, dtype=np.float32):
        ys = np.arange(y0, y1, dtype=float)
        xs = np.arange(x0, self.nx if x1 is None else x1, dtype=float)
        return self._a(ys, xs).astype(dtype), self._b(ys, xs).astype(dtype)

    def max_error(self, n=4000, seed=0, where=None):
        """Largest interpolation error against `func` at random points (in the map's units),
        only counting points whose exact value satisfies `where(a, b)` if given."""
        rng = np.random.default_rng(seed)
        x = rng.uniform(self.xc[0], self.xc[-1], n)
        y = rng.uniform(self.yc[0], self.yc[-1], n)
        a, b = self.func(x, y)
        keep = np.ones(n, bool) if where is None else where(a, b)
        if not keep.any():
            return 0.0
        da = self._a(y[keep], x[keep], grid=False) - a[keep]
        db = self._b(y[keep], x[keep], grid=False) - b[keep]
        return float(np.max(np.hypot(da, db)))


def roundtrip_error(wcs, npix, n=2000, seed=0):
    """Worst pixel -> world -> pixel error (pixels) at random points of the detector."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-0.5, npix - 0.5, (2, n))
    ra, dec = wcs(x, y)
    x2, y2 = wcs.backward_transform(ra, dec)  # the analytic inverse this measures
    return float(np.max(np.hypot(x2 - x, y2 - y)))


def sip_error(wcs, npix, degree=None, max_pix_error=0.01):
    """Fit the TAN-SIP header the store service will make; return its worst error in pixels."""
    from astropy.wcs import WCS

    bbox = ((-0.5, npix - 0.5), (-0.5, npix - 0.5))
    header = wcs.to_fits_sip(bounding_box=bbox, max_pix_error=max_pix_error, degree=degree,
                             max_inv_pix_error=max_pix_error, inv_degree=degree)
    fits_wcs = WCS(header)
    grid = np.linspace(-0.5, npix - 0.5, 25)
    x, y = (a.ravel() for a in np.meshgrid(grid, grid))
    ra, dec = wcs(x, y)
    xs, ys = fits_wcs.all_world2pix(ra, dec, 0)
    return float(np.max(np.hypot(xs - x, ys - y)))

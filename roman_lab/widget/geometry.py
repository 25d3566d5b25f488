"""What Python needs to know of an image to convert view positions: its shape and its WCS.

Read lazily (a Roman ASDF tree costs ~40 ms to open, so loading 50 exposures never reads
them); an astropy WCS or a gwcs, both used through the shared APE 14 interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..io.fitsfile import pick_image_hdu
from ..io.names import is_fits_name


@dataclass
class Geometry:
    """shape: (ny, nx) of the displayed plane; wcs: an astropy WCS (celestial) or gwcs, or None."""

    shape: tuple[int, int]
    wcs: Any = None

    @property
    def largest_axis(self):
        """The numpy axis of the largest dimension (0 = y, 1 = x; 0 when square)."""
        return int(self.shape[1] > self.shape[0])

    @property
    def largest_dimension(self):
        return max(self.shape)

    @property
    def center_pixel(self):
        """The centre of the image in 0-based pixel-centre coordinates."""
        ny, nx = self.shape
        return ((nx - 1) / 2, (ny - 1) / 2)

    def pixel_scale(self):
        """Degrees per pixel along the largest dimension (the axis a field of view is measured on)."""
        from astropy.wcs import WCS
        from astropy.wcs.utils import proj_plane_pixel_scales

        # proj_plane_pixel_scales is ordered by WCS pixel axis (0 = x), the numpy shape by (0 = y)
        wcs_axis = 1 - self.largest_axis
        if isinstance(self.wcs, WCS):
            return float(proj_plane_pixel_scales(self.wcs)[wcs_axis])
        x, y = self.center_pixel
        step = np.array([[1.0, 0.0], [0.0, 1.0]])[wcs_axis]
        a = self.wcs.pixel_to_world(x - step[0] / 2, y - step[1] / 2)
        b = self.wcs.pixel_to_world(x + step[0] / 2, y + step[1] / 2)
        return float(a.separation(b).deg)


def celestial(wcs):
    """The celestial part of an astropy WCS (None when it has none); a gwcs without its
    bounding box, so that view positions off the detector still convert (the view can be
    centred anywhere; a Roman gwcs extrapolates smoothly)."""
    import copy

    from astropy.wcs import WCS

    if wcs is None:
        return None
    if isinstance(wcs, WCS):
        if not wcs.has_celestial:
            return None
        return wcs if wcs.naxis == 2 else wcs.celestial
    if getattr(wcs, "bounding_box", None) is not None:
        wcs = copy.deepcopy(wcs)
        wcs.bounding_box = None
    return wcs


def read_geometry(path):
    """The Geometry of an image file: FITS (the image HDU `roman_lab.io` picks, its header WCS)
    or Roman ASDF (gwcs)."""
    path = Path(path)
    if is_fits_name(path):
        from astropy.io import fits
        from astropy.wcs import WCS

        with fits.open(path, memmap=False) as hdul:
            header = hdul[pick_image_hdu(path, hdul)[0]].header
            shape = (int(header["NAXIS2"]), int(header["NAXIS1"]))
            return Geometry(shape, celestial(WCS(header, naxis=2)))
    from ..io import open as open_roman

    with open_roman(path) as rf:
        return Geometry(tuple(rf.shape[-2:]), celestial(rf.wcs))


def read_data(path, plane=True):
    """The pixels of an image file as a numpy array; `plane`: only the displayed 2-D plane
    (of an L1 ramp, its last resultant)."""
    path = Path(path)
    if is_fits_name(path):
        from astropy.io import fits

        with fits.open(path, memmap=False) as hdul:
            return np.asarray(hdul[pick_image_hdu(path, hdul)[0]].data)
    from ..io import open as open_roman

    with open_roman(path) as rf:
        data = rf.read("data")
    return data[-1] if plane and data.ndim == 3 else data


def wcs_header(wcs, shape):
    """A FITS header for a WCS: an astropy WCS as it is, a gwcs as its TAN-SIP fit
    (`roman_lab.store.wcsfit.fit_sip`, the approximation the viewer evaluates anyway)."""
    from astropy.io import fits
    from astropy.wcs import WCS

    if wcs is None:
        return fits.Header()
    if isinstance(wcs, WCS):
        return wcs.to_header(relax=True)
    from roman_lab.store.wcsfit import fit_sip

    header_dict, _error, details = fit_sip(wcs, shape)
    if header_dict is None:
        raise ValueError(f"this gwcs cannot be written as a FITS header: {details.get('error')}")
    header = fits.Header()
    for key, value in header_dict.items():
        if key not in ("NAXIS", "NAXIS1", "NAXIS2"):
            header[key] = value
    return header

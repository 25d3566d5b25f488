"""A FITS TAN-SIP header, kept as a dict in a store, evaluated as the browser evaluates it: the
store's fit (`roman_lab.store.wcsfit`) measures its error with these, and `skypixel` seeds
its sky -> pixel search with them."""

from __future__ import annotations

import warnings

import numpy as np


def header_to_wcs(header_dict):
    """astropy.wcs.WCS from the stored header dictionary."""
    from astropy.io import fits
    from astropy.wcs import WCS

    header = fits.Header()
    for k, v in header_dict.items():
        header[k] = v
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return WCS(header)


def sip_polynomial(hd, prefix, u, v):
    """The SIP polynomial `prefix` (A, B, AP, BP) of a header dict at (u, v); 0 when it has none."""
    order = hd.get(f"{prefix}_ORDER")
    out = np.zeros_like(u)
    if not order:
        return out
    for i in range(int(order) + 1):
        for j in range(int(order) + 1 - i):
            c = hd.get(f"{prefix}_{i}_{j}")
            if c:
                out = out + c * u**i * v**j
    return out


def sip_pix2world(hd, w, x, y):
    """Pixel (0-based) -> sky by the FITS SIP convention, as the browser evaluates it."""
    crpix1, crpix2 = hd["CRPIX1"], hd["CRPIX2"]
    u, v = x + 1.0 - crpix1, y + 1.0 - crpix2
    U, V = u + sip_polynomial(hd, "A", u, v), v + sip_polynomial(hd, "B", u, v)
    return w.wcs_pix2world(U + crpix1, V + crpix2, 1)


def sip_world2pix(hd, w, ra, dec):
    """Sky -> pixel (0-based): core TAN WCS, then the AP/BP inverse polynomials."""
    crpix1, crpix2 = hd["CRPIX1"], hd["CRPIX2"]
    pu, pv = w.wcs_world2pix(ra, dec, 1)
    U, V = pu - crpix1, pv - crpix2
    u, v = U + sip_polynomial(hd, "AP", U, V), V + sip_polynomial(hd, "BP", U, V)
    return u + crpix1 - 1.0, v + crpix2 - 1.0

"""The browser's TAN-SIP header for a FITS image's own WCS, with its measured worst error.

The browser evaluates only RA---TAN(-SIP) / DEC--TAN(-SIP) in ICRS. A FITS header that is
already that (no other distortion) is copied, normalised to CRPIX/CRVAL/CD/LONPOLE and the
SIP coefficients; AP/BP are fitted when the file has none. Anything else (SIN, ZEA, a TPV
or lookup-table distortion, FK5 or galactic axes) is fitted by least squares to a grid of
the image's own sky positions (astropy's evaluation), the SIP degree raised until the goal
is met. Either way the error is measured against astropy's evaluation of the
original header, exactly as for Roman files (`wcsfit.measure_sky`).
"""

from __future__ import annotations

import warnings

import numpy as np

from .wcsfit import GOAL_PX, fit_inverse_to_goal, grid, measure_sky

FIT_POINTS = 48  # n x n sky positions fitted (edges included)
MAX_FIT_DEGREE = 9


def icrs_sky(wcs):
    """sky(x, y) -> (ra, dec) in ICRS degrees of 0-based pixels, through astropy (all distortions)."""
    from astropy import units as u
    from astropy.coordinates import ICRS, SkyCoord
    from astropy.wcs.utils import wcs_to_celestial_frame

    frame = wcs_to_celestial_frame(wcs)

    def sky(x, y):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            world = wcs.all_pix2world(x, y, 0)
        lon, lat = np.asarray(world[wcs.wcs.lng], float), np.asarray(world[wcs.wcs.lat], float)
        if isinstance(frame, ICRS):
            return lon, lat
        good = np.isfinite(lon) & np.isfinite(lat)
        ra, dec = np.full_like(lon, np.nan), np.full_like(lat, np.nan)
        icrs = SkyCoord(lon[good] * u.deg, lat[good] * u.deg, frame=frame).icrs
        ra[good], dec[good] = icrs.ra.deg, icrs.dec.deg
        return ra, dec

    return sky


def _is_browser_tan_sip(wcs):
    w = wcs.wcs
    return (
        list(w.ctype) in (["RA---TAN", "DEC--TAN"], ["RA---TAN-SIP", "DEC--TAN-SIP"])
        and w.radesys == "ICRS"
        and not w.get_pv()
        and wcs.cpdis1 is None and wcs.cpdis2 is None and wcs.det2im1 is None and wcs.det2im2 is None
    )


def normalised_header(wcs):
    """The keywords the browser reads, from an ICRS TAN(-SIP) astropy WCS: CD, not PC x CDELT."""
    w = wcs.wcs
    cd = wcs.pixel_scale_matrix
    sip = wcs.sip
    suffix = "-SIP" if sip is not None else ""
    hd = {
        "CTYPE1": f"RA---TAN{suffix}", "CTYPE2": f"DEC--TAN{suffix}",
        "CRPIX1": float(w.crpix[0]), "CRPIX2": float(w.crpix[1]),
        "CRVAL1": float(w.crval[0]), "CRVAL2": float(w.crval[1]),
        "CD1_1": float(cd[0, 0]), "CD1_2": float(cd[0, 1]), "CD2_1": float(cd[1, 0]), "CD2_2": float(cd[1, 1]),
        "CUNIT1": "deg", "CUNIT2": "deg",
        "LONPOLE": float(w.lonpole), "LATPOLE": float(w.latpole), "RADESYS": "ICRS",
    }
    if sip is not None:
        for prefix, coeffs, order in (("A", sip.a, sip.a_order), ("B", sip.b, sip.b_order),
                                      ("AP", sip.ap, sip.ap_order), ("BP", sip.bp, sip.bp_order)):
            if coeffs is None:
                continue
            hd[f"{prefix}_ORDER"] = int(order)
            for i in range(order + 1):
                for j in range(order + 1 - i):
                    if coeffs[i, j]:
                        hd[f"{prefix}_{i}_{j}"] = float(coeffs[i, j])
    return hd


def _with_inverse(hd, sky, shape, goal):
    """AP/BP fitted when the header has forward SIP only (or all-zero AP/BP): the browser
    starts its Newton inverse from them."""

    def measure_of(h):
        return measure_sky(h, sky, shape)

    if "A_ORDER" in hd and not any(k.startswith("AP_") and k != "AP_ORDER" for k in hd):
        hd, fwd, inv = fit_inverse_to_goal(hd, shape, measure_of, goal)
        return hd, fwd, inv, "least-squares"
    fwd, inv = measure_of(hd)
    return hd, fwd, inv, "header" if "AP_ORDER" in hd else None


def _tan_core(crval):
    """An astropy TAN WCS whose 1-based 'pixels' are the intermediate world coordinates (deg)."""
    from astropy.wcs import WCS

    core = WCS(naxis=2)
    core.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    core.wcs.crval = crval
    core.wcs.crpix = [0.0, 0.0]
    core.wcs.radesys = "ICRS"
    return core


def _fit_degree(u, v, xi, eta, degree, scale):
    """CD and SIP A/B of degree `degree` (1: pure TAN) by linear least squares on
    (xi, eta) = CD . (u + A(u, v), v + B(u, v)); the linear terms are the CD matrix."""
    terms = [(i, j) for i in range(degree + 1) for j in range(degree + 1 - i) if i + j >= 1]
    m = np.column_stack([(u / scale) ** i * (v / scale) ** j for i, j in terms])
    cx, *_ = np.linalg.lstsq(m, xi, rcond=None)
    cy, *_ = np.linalg.lstsq(m, eta, rcond=None)
    coeff = {t: np.array([a, b]) / scale ** sum(t) for t, a, b in zip(terms, cx, cy)}
    cd = np.column_stack([coeff[(1, 0)], coeff[(0, 1)]])
    inverse = np.linalg.inv(cd)
    sip = {t: inverse @ c for t, c in coeff.items() if sum(t) >= 2}
    return cd, sip


def _fitted(wcs, sky, shape, goal):
    """(header, forward px, inverse px, degree): a TAN-SIP fitted to the image's own sky positions.

    The tangent point is the image centre (its true sky position, so no constant term is
    needed); CD and the SIP terms come from one linear least-squares fit per degree, raised
    from 1 (pure TAN) until the forward error is well inside the goal. (astropy's
    fit_wcs_from_points stalls at 0.09 px on a 20-degree SIN field from degree 3 on, its SIP
    terms being unscaled; this reaches 0.002 px there.)
    """
    ny, nx = shape
    centre = sky(np.array([(nx - 1) / 2]), np.array([(ny - 1) / 2]))
    if not (np.isfinite(centre[0][0]) and np.isfinite(centre[1][0])):
        return None
    crval = [float(centre[0][0]), float(centre[1][0])]
    x, y = grid(shape, FIT_POINTS)
    ra, dec = sky(x, y)
    good = np.isfinite(ra) & np.isfinite(dec)
    if good.sum() < 10:
        return None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        xi, eta = _tan_core(crval).wcs_world2pix(ra[good], dec[good], 1)
    u, v = x[good] - (nx - 1) / 2, y[good] - (ny - 1) / 2
    scale = max(np.abs(u).max(), np.abs(v).max(), 1.0)
    best = None
    for degree in range(1, MAX_FIT_DEGREE + 1):
        cd, sip = _fit_degree(u, v, xi, eta, degree, scale)
        hd = {
            "CTYPE1": "RA---TAN-SIP" if sip else "RA---TAN", "CTYPE2": "DEC--TAN-SIP" if sip else "DEC--TAN",
            "CRPIX1": (nx + 1) / 2, "CRPIX2": (ny + 1) / 2, "CRVAL1": crval[0], "CRVAL2": crval[1],
            "CD1_1": float(cd[0, 0]), "CD1_2": float(cd[0, 1]), "CD2_1": float(cd[1, 0]), "CD2_2": float(cd[1, 1]),
            "CUNIT1": "deg", "CUNIT2": "deg", "LONPOLE": 180.0, "RADESYS": "ICRS",
        }
        if sip:
            hd["A_ORDER"] = hd["B_ORDER"] = degree
            for (i, j), (a, b) in sip.items():
                hd[f"A_{i}_{j}"], hd[f"B_{i}_{j}"] = float(a), float(b)
        hd, fwd, inv, _ = _with_inverse(hd, sky, shape, goal)
        if best is None or max(fwd, inv) < max(best[1], best[2]):
            best = (hd, fwd, inv, degree)
        if max(fwd, inv) < goal / 5:  # as wcsfit asks of gwcs: well inside the goal when cheap
            break
    return best


def tan_sip(wcs, shape, goal=GOAL_PX):
    """(header dict, worst error px, details) of the browser's TAN-SIP for an astropy celestial
    WCS over an image of `shape` (ny, nx); (None, None, details with "error") when no TAN-SIP
    can be made: the image then has no WCS rather than failing to convert."""
    original = {"ctype": list(wcs.wcs.ctype), "radesys": wcs.wcs.radesys or None}
    try:
        sky = icrs_sky(wcs)
        if _is_browser_tan_sip(wcs):
            hd, fwd, inv, inverse_fit = _with_inverse(normalised_header(wcs), sky, shape, goal)
            method = "header"
        else:
            best = _fitted(wcs, sky, shape, goal)
            if best is None:
                raise ValueError("too few pixels have sky coordinates")
            hd, fwd, inv, _degree = best
            method, inverse_fit = "fit", "least-squares" if "AP_ORDER" in hd else None
    except Exception as exc:  # noqa: BLE001 - an unknown frame, a sky TAN cannot hold, a singular fit
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return None, None, {"original": original, "error": f"no TAN-SIP approximates this WCS ({reason})"}
    details = {
        "forward_px": fwd,
        "inverse_px": inv,
        "a_order": hd.get("A_ORDER"),
        "ap_order": hd.get("AP_ORDER"),
        "inverse_fit": inverse_fit,
        "method": method,
        "original": original,
        "grid": "101x101 over the whole image, edges included",
    }
    return hd, max(fwd, inv), details

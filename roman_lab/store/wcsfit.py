# Own code: gwcs's `to_fits_sip` cannot fit the inverse of a distortion without an inverse, and the error must be measured as the browser evaluates the header.
"""A FITS TAN-SIP approximation of a gwcs that a browser can evaluate, with its measured error.

`fit_sip(gwcs, shape)` fits forward (A, B) and inverse (AP, BP) SIP polynomials with
`gwcs.WCS.to_fits_sip` over the whole science area, then measures the worst error on a dense
grid that includes the detector edges and corners, in both directions:

- forward: pixel -> sky through the SIP header vs the gwcs, as an angle divided by the
  local pixel scale;
- inverse: sky (from the gwcs) -> pixel through the header's core WCS and the AP/BP
  polynomials, vs the original pixel.

The degree is raised until the worst error is below the goal (0.05 px). gwcs 1.0.3 cannot
fit the inverse of a pipeline whose distortion has no inverse; the inverse polynomials are
then fitted here by linear least squares on the forward SIP's focal-plane coordinates,
which needs no gwcs inverse at all.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..io.sipheader import header_to_wcs, sip_pix2world, sip_polynomial, sip_world2pix

GOAL_PX = 0.05


def _header_to_dict(header):
    out = {}
    for card in header.cards:
        key = card.keyword
        if not key or key in ("COMMENT", "HISTORY", ""):
            continue
        value = card.value
        if isinstance(value, (np.generic,)):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            continue
        out[key] = value
    return out


def grid(shape, n):
    ny, nx = shape
    xs = np.linspace(-0.5, nx - 0.5, n)
    ys = np.linspace(-0.5, ny - 0.5, n)
    xx, yy = np.meshgrid(xs, ys)
    return xx.ravel(), yy.ravel()


def _sky(gw, x, y):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        out = gw(x, y, with_bounding_box=False)
    ra, dec = out[0], out[1]
    return np.asarray(ra, float), np.asarray(dec, float)


def _pixel_scale_deg(w):
    cd = w.wcs.cd if w.wcs.has_cd() else w.wcs.get_pc() * w.wcs.cdelt[:, None]
    return math.sqrt(abs(np.linalg.det(cd)))


def measure(header_dict, gw, shape, n=101):
    """Worst forward and inverse error (pixels) of the SIP header against the gwcs."""
    return measure_sky(header_dict, lambda x, y: _sky(gw, x, y), shape, n)


def measure_sky(header_dict, sky, shape, n=101):
    """Worst forward and inverse error (pixels) of the SIP header against `sky(x, y) -> (ra, dec)`
    (0-based pixels, ICRS degrees) on an n x n grid over the whole image, edges included."""
    from astropy.coordinates import angular_separation

    w = header_to_wcs(header_dict)
    x, y = grid(shape, n)
    ra, dec = sky(x, y)
    good = np.isfinite(ra) & np.isfinite(dec)
    x, y, ra, dec = x[good], y[good], ra[good], dec[good]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ra2, dec2 = sip_pix2world(header_dict, w, x, y)
        fwd = float(np.nanmax(np.degrees(angular_separation(*np.radians([ra, dec, ra2, dec2])))) / _pixel_scale_deg(w))
        xi, yi = sip_world2pix(header_dict, w, ra, dec)
    inv = float(np.nanmax(np.hypot(xi - x, yi - y)))
    return fwd, inv


def fit_inverse(header_dict, shape, degree, n=64):
    """AP/BP by least squares on a grid: (U, V) = (u, v) + A/B(u, v)  ->  u - U, v - V."""
    hd = header_dict
    x, y = grid(shape, n)
    u, v = x + 1.0 - hd["CRPIX1"], y + 1.0 - hd["CRPIX2"]
    U, V = u + sip_polynomial(hd, "A", u, v), v + sip_polynomial(hd, "B", u, v)
    terms = [(i, j) for i in range(degree + 1) for j in range(degree + 1 - i)]
    s = max(np.abs(U).max(), np.abs(V).max(), 1.0)  # conditioning
    M = np.column_stack([(U / s) ** i * (V / s) ** j for i, j in terms])
    cu, *_ = np.linalg.lstsq(M, u - U, rcond=None)
    cv, *_ = np.linalg.lstsq(M, v - V, rcond=None)
    out = {k: val for k, val in hd.items() if not k.startswith(("AP_", "BP_"))}
    out["AP_ORDER"] = degree
    out["BP_ORDER"] = degree
    for (i, j), a, b in zip(terms, cu, cv):
        out[f"AP_{i}_{j}"] = float(a / s ** (i + j))
        out[f"BP_{i}_{j}"] = float(b / s ** (i + j))
    return out


def fit_inverse_to_goal(header_dict, shape, measure_of, goal=GOAL_PX):
    """(header with AP/BP, forward px, inverse px): the least-squares inverse, its degree raised
    from the forward's until `measure_of(header) -> (forward, inverse)` meets the goal (max 9)."""
    order = int(header_dict.get("A_ORDER", 3))
    for deg in range(max(order, 2), 10):
        cand = fit_inverse(header_dict, shape, deg)
        fwd, inv = measure_of(cand)
        if inv < goal or deg == 9:
            return cand, fwd, inv


def fit_sip(gw, shape, goal=GOAL_PX):
    """(header dict, worst error px, details) for a gwcs over an image of `shape` (ny, nx)."""
    ny, nx = shape
    bbox = ((-0.5, nx - 0.5), (-0.5, ny - 0.5))
    attempts = [
        dict(max_pix_error=goal / 5, max_inv_pix_error=goal / 5, npoints=32),
        dict(max_pix_error=goal / 25, max_inv_pix_error=goal / 25, npoints=48),
        dict(degree=7, inv_degree=7, npoints=64),
    ]
    best = None
    for kw in attempts:
        header = None
        inverse_by = "gwcs"
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                header = gw.to_fits_sip(bounding_box=bbox, **kw)
        except Exception:  # noqa: BLE001 - no usable gwcs inverse: fit the forward only
            try:
                fwd_kw = {k: v for k, v in kw.items() if not k.startswith(("max_inv", "inv_"))}
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    header = gw.to_fits_sip(bounding_box=bbox, max_inv_pix_error=None, **fwd_kw)
                inverse_by = "least-squares"
            except Exception:  # noqa: BLE001
                continue
        hd = _header_to_dict(header)
        try:
            fwd, inv = measure(hd, gw, shape)
        except Exception:  # noqa: BLE001
            continue
        if inverse_by == "gwcs" and not (inv < goal):
            inverse_by = "least-squares"
        if inverse_by == "least-squares":
            hd, fwd, inv = fit_inverse_to_goal(hd, shape, lambda h: measure(h, gw, shape), goal)
        err = max(fwd, inv)
        details = {
            "forward_px": fwd,
            "inverse_px": inv,
            "a_order": hd.get("A_ORDER"),
            "ap_order": hd.get("AP_ORDER"),
            "inverse_fit": inverse_by,
            "grid": "101x101 over the whole image, edges included",
        }
        if best is None or err < best[1]:
            best = (hd, err, details)
        if err < goal:
            break
    if best is None:
        return None, None, {"error": "the gwcs could not be approximated by TAN-SIP"}
    return best

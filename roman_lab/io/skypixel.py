"""Sky -> pixel through any WCS roman-lab meets, never through gwcs's numerical inverse.

gwcs 1.0.3's `WCS.invert` / `world_to_pixel` on a WCS whose forward transform has no analytic
inverse (romanisim's L2 WCS: SIP polynomials | Pix2Sky_TAN | RotateNative2Celestial) raise
`AttributeError: 'Pix2Sky_Gnomonic' object has no attribute '__name__'` under astropy 8
(issue 15). Every sky -> pixel mapping of roman-lab goes through `sky_to_pixel` (values in
the WCS's own celestial frame) or `world_to_pixel` (a SkyCoord, converted to that frame):

1. a gwcs with an analytic inverse (`backward_transform`): its answer, kept for each point
   whose round trip (the forward transform of that pixel) lands within `tol` pixels of the
   asked position;
2. every other point of a gwcs: the store's fitted SIP inverse when the caller has it
   (`sip=`, a store's `attrs["fits_wcs"]`), else a polynomial inverse fitted here (once per
   WCS and shape, on a 25 x 25 grid of the forward transform over the detector and half a
   detector size around it), kept where it round-trips; else Newton's method on the forward
   transform from there, in the gnomonic plane tangent at the detector centre: chord steps
   with the fitted inverse's Jacobian (one forward evaluation a step), then, where they stop
   contracting, steps with a finite-difference Jacobian, halved while they make the residual
   grow; `max_iter` iterations at most;
3. an astropy (FITS) WCS: astropy's own iterative `all_world2pix`, its answers checked the
   same way (by the pixel scale of the WCS); no horizon or margin rule of its own there.

The contract: arrays of the broadcast shape of `lon`, `lat` (0-d for scalars), computed
without the bounding box (points off the detector are answered). A finite pixel is one whose
forward image is within `tol` pixels of the asked position by the local pixel scale (the
residual through the finite-difference Jacobian at that pixel). NaN otherwise: non-finite
input, a point that did not converge, one more than 80 degrees from the detector centre
(near or behind the tangent-plane horizon; gwcs), a Newton solution more than `margin`
detector sizes off the detector (where a distortion polynomial may fold back and give a
second, meaningless preimage; an analytic inverse's answer that round-trips is kept
wherever it is). Nothing numerical raises. Cost: ~0.2-0.35 s for 100,000 points of
romanisim's WCS on one shared core, the per-WCS fit (~10 ms) cached while the WCS lives.
"""

from __future__ import annotations

import math
import warnings
import weakref

import numpy as np

TOL_PX = 1e-4  # a finite answer maps back within this many pixels of the asked position
MARGIN = 1.0  # Newton answers up to this many detector sizes beyond each edge
MAX_ITER = 30
HORIZON_COS = math.cos(math.radians(80.0))  # farther from the detector centre: NaN
DEFAULT_SHAPE = (4088, 4088)  # a Roman detector, when neither the caller nor the WCS gives one
_GRID = 25  # seed fit: _GRID x _GRID forward positions
_FD_STEP = 0.5  # px, finite-difference step of the Jacobian


# -- public ----------------------------------------------------------------------------------
def sky_to_pixel(wcs, lon, lat, *, shape=None, sip=None, margin=MARGIN, tol=TOL_PX, max_iter=MAX_ITER):
    """(x, y) 0-based pixels of sky positions (degrees, in the WCS's own celestial frame).

    `wcs`: a gwcs (2 pixel axes -> celestial) or an astropy celestial WCS. `shape` (ny, nx)
    of the detector: given, else the WCS's bounding box, else its array shape, else a Roman
    detector; it sets where Newton starts and the `margin`. `sip`: the store's TAN-SIP header
    dictionary (`Store.attrs["fits_wcs"]`), whose AP/BP inverse then seeds Newton. See the
    module docstring for the contract (NaN, never an exception, for what cannot be mapped).
    """
    lon, lat = np.broadcast_arrays(np.asarray(lon, float), np.asarray(lat, float))
    out_shape = lon.shape
    lon, lat = lon.ravel(), lat.ravel()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if _is_fits_wcs(wcs):
            x, y = _fits_sky_to_pixel(wcs, lon, lat, tol)
        else:
            solver = _solver(wcs, shape, margin, sip)
            x, y = solver.solve(lon, lat, tol, max_iter)
    return x.reshape(out_shape), y.reshape(out_shape)


def world_to_pixel(wcs, coord, **kwargs):
    """(x, y) of a SkyCoord (any frame: converted to the WCS's), as `sky_to_pixel`."""
    frame = celestial_frame(wcs)
    c = coord.transform_to(frame) if frame is not None else coord
    s = c.spherical
    return sky_to_pixel(wcs, s.lon.deg, s.lat.deg, **kwargs)


def celestial_frame(wcs):
    """The astropy frame of the WCS's sky coordinates (None when unknown)."""
    if _is_fits_wcs(wcs):
        from astropy.wcs.utils import wcs_to_celestial_frame

        try:
            return wcs_to_celestial_frame(wcs)
        except Exception:  # noqa: BLE001 - a WCS without a known frame: take the values as they are
            return None
    return getattr(getattr(wcs, "output_frame", None), "reference_frame", None)


# -- astropy FITS WCS ------------------------------------------------------------------------
def _is_fits_wcs(wcs):
    from astropy.wcs import WCS

    return isinstance(wcs, WCS)


def _fits_sky_to_pixel(wcs, lon, lat, tol):
    w = wcs if wcs.naxis == 2 else wcs.celestial
    if w.wcs.lng != 0:  # latitude first: all_world2pix wants the axes in the WCS's order
        def order(a, b):
            return (b, a)
    else:
        def order(a, b):
            return (a, b)
    good = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90)
    x, y = np.full(lon.shape, np.nan), np.full(lon.shape, np.nan)
    if not good.any():
        return x, y
    try:
        px, py = w.all_world2pix(*order(lon[good], lat[good]), 0, tolerance=tol / 100, maxiter=50, quiet=True)
        back = w.all_pix2world(px, py, 0)
        blon, blat = order(*back)
        scale = _fits_scale_deg(w)
    except Exception:  # noqa: BLE001 - a WCS astropy cannot invert: nothing maps
        return x, y
    from astropy.coordinates import angular_separation

    err = np.degrees(angular_separation(*np.radians([lon[good], lat[good], blon, blat]))) / scale
    ok = np.isfinite(px) & np.isfinite(py) & (err <= tol)
    x[good] = np.where(ok, px, np.nan)
    y[good] = np.where(ok, py, np.nan)
    return x, y


def _fits_scale_deg(w):
    from astropy.wcs.utils import proj_plane_pixel_scales

    return float(np.min(np.abs(proj_plane_pixel_scales(w))))


# -- sphere -> tangent plane -------------------------------------------------------------------
def _unit(lon, lat):
    lon, lat = np.radians(lon), np.radians(lat)
    c = np.cos(lat)
    return np.stack([c * np.cos(lon), c * np.sin(lon), np.sin(lat)], axis=-1)


# -- gwcs -------------------------------------------------------------------------------------
_cache = weakref.WeakKeyDictionary()  # gwcs -> {(shape, margin, sip): _Solver}


def _solver(wcs, shape, margin, sip):
    shape = _detector_shape(wcs, shape)
    key = (shape, float(margin), None if sip is None else id(sip))
    try:
        per_wcs = _cache.setdefault(wcs, {})
    except TypeError:  # not hashable / weak-referenceable: no caching
        per_wcs = {}
    solver = per_wcs.get(key)
    if solver is None or (sip is not None and solver.sip is not sip):
        if len(per_wcs) > 8:
            per_wcs.clear()
        solver = per_wcs[key] = _Solver(wcs, shape, margin, sip)
    return solver


def _detector_shape(wcs, shape):
    if shape is not None:
        ny, nx = (int(v) for v in tuple(shape)[-2:])
        return ny, nx
    bbox = getattr(wcs, "bounding_box", None)
    if bbox is not None:
        try:
            (x0, x1), (y0, y1) = (tuple(float(v) for v in iv) for iv in bbox.bounding_box(order="F"))
            return max(round(y1 - y0), 1), max(round(x1 - x0), 1)
        except Exception:  # noqa: BLE001, S110 - an unusual bounding box: try the next source
            pass
    array_shape = getattr(wcs, "array_shape", None)
    if array_shape is not None and len(array_shape) >= 2:
        return int(array_shape[-2]), int(array_shape[-1])
    return DEFAULT_SHAPE


class _Solver:
    """Everything about one gwcs (and detector shape) that does not depend on the positions."""

    def __init__(self, wcs, shape, margin, sip):
        self.wcs, self.shape, self.margin, self.sip = wcs, shape, float(margin), sip
        ny, nx = shape
        self.box = (-0.5 - margin * nx, nx - 0.5 + margin * nx, -0.5 - margin * ny, ny - 0.5 + margin * ny)
        self.backward = self._backward()
        self.usable = False
        self.ref = self.basis = None
        self.scale = None
        self.seed_fit = None
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            self._prepare()

    # the pieces
    def _backward(self):
        try:
            return self.wcs.backward_transform  # the analytic (or user-supplied) inverse
        except Exception:  # noqa: BLE001 - NotImplementedError: none; anything else: do not rely on it
            return None

    def forward(self, x, y):
        """(lon, lat) degrees of pixels, ignoring the bounding box; NaN where it fails."""
        try:
            out = self.wcs(x, y, with_bounding_box=False)
            lon, lat = (np.asarray(getattr(v, "value", v), float) for v in out[:2])
        except Exception:  # noqa: BLE001 - a transform that fails on these inputs
            lon = lat = np.full(np.shape(x), np.nan)
        return np.broadcast_to(lon, np.shape(x)), np.broadcast_to(lat, np.shape(x))

    def plane(self, lon, lat):
        """Gnomonic coordinates (radians) in the plane tangent at the detector centre; NaN
        near or behind its horizon."""
        v = _unit(lon, lat)
        r, e, n = self.basis
        z = v @ r
        z = np.where(z > HORIZON_COS, z, np.nan)
        return (v @ e) / z, (v @ n) / z

    def _prepare(self):
        ny, nx = self.shape
        cx, cy = (nx - 1) / 2.0, (ny - 1) / 2.0
        lon, lat = self.forward(np.array([cx, cx + 1.0, cx]), np.array([cy, cy, cy + 1.0]))
        if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
            return
        r = _unit(lon[0], lat[0])
        pole = np.array([0.0, 0.0, 1.0]) if abs(r[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
        e = np.cross(pole, r)
        e /= np.linalg.norm(e)
        self.basis = (r, e, np.cross(r, e))
        xi, eta = self.plane(lon, lat)
        jac = np.array([[xi[1] - xi[0], xi[2] - xi[0]], [eta[1] - eta[0], eta[2] - eta[0]]])
        det = float(np.linalg.det(jac))
        if not (np.isfinite(det) and det != 0):
            return
        self.scale = math.sqrt(abs(det))  # radians per pixel at the centre
        self.jac0 = jac
        self.xi0, self.eta0, self.c = float(xi[0]), float(eta[0]), (cx, cy)
        self.usable = True
        self.seed_fit = self._fit_seed()

    def _fit_seed(self):
        """Least-squares polynomial (xi, eta) -> (x, y) over the detector and half a detector
        size around it (beyond, Newton's finite-difference steps take over from its extrapolation)."""
        ny, nx = self.shape
        m = min(self.margin, 0.5)
        gx, gy = np.meshgrid(np.linspace(-0.5 - m * nx, nx - 0.5 + m * nx, _GRID),
                             np.linspace(-0.5 - m * ny, ny - 0.5 + m * ny, _GRID))
        gx, gy = gx.ravel(), gy.ravel()
        xi, eta = self.plane(*self.forward(gx, gy))
        good = np.isfinite(xi) & np.isfinite(eta)
        xi, eta, gx, gy = xi[good], eta[good], gx[good], gy[good]
        for degree in (5, 3, 1):
            terms = [(i, j) for i in range(degree + 1) for j in range(degree + 1 - i)]
            if len(xi) < 2 * len(terms):
                continue
            s = max(float(np.max(np.abs(xi))), float(np.max(np.abs(eta))), 1e-12)
            a = np.column_stack([(xi / s) ** i * (eta / s) ** j for i, j in terms])
            cx, *_ = np.linalg.lstsq(a, gx, rcond=None)
            cy, *_ = np.linalg.lstsq(a, gy, rcond=None)
            if np.all(np.isfinite(cx)) and np.all(np.isfinite(cy)):
                return degree, terms, s, cx, cy
        return None

    def _fit_eval(self, xi, eta):
        """(x, y, dx/dxi, dx/deta, dy/dxi, dy/deta) of the seed fit at plane points."""
        degree, terms, s, cx, cy = self.seed_fit
        u, v = xi / s, eta / s
        pu, pv = [np.ones_like(u)], [np.ones_like(v)]
        for _ in range(degree):
            pu.append(pu[-1] * u)
            pv.append(pv[-1] * v)
        out = [np.zeros_like(u) for _ in range(6)]
        for k, (i, j) in enumerate(terms):
            t = pu[i] * pv[j]
            out[0] += cx[k] * t
            out[1] += cy[k] * t
            if i:
                t = i * pu[i - 1] * pv[j] / s
                out[2] += cx[k] * t
                out[4] += cy[k] * t
            if j:
                t = j * pu[i] * pv[j - 1] / s
                out[3] += cx[k] * t
                out[5] += cy[k] * t
        return out

    def seed(self, lon, lat, xi, eta):
        """(x, y, inverse Jacobian or None): starting pixels from the store's SIP inverse, else
        the fit, else the centre's linear map; d pixel / d plane from the fit when there is one."""
        if self.seed_fit is not None:
            x, y, *jinv = self._fit_eval(xi, eta)
        else:
            inv = np.linalg.inv(self.jac0)
            dxi, deta = xi - self.xi0, eta - self.eta0
            x = self.c[0] + inv[0, 0] * dxi + inv[0, 1] * deta
            y = self.c[1] + inv[1, 0] * dxi + inv[1, 1] * deta
            jinv = [np.full_like(xi, inv[0, 0]), np.full_like(xi, inv[0, 1]),
                    np.full_like(xi, inv[1, 0]), np.full_like(xi, inv[1, 1])]
        if self.sip is not None:
            sx, sy = _sip_seed(self.sip, lon, lat)
            if sx is not None:
                ok = np.isfinite(sx) & np.isfinite(sy)
                x, y = np.where(ok, sx, x), np.where(ok, sy, y)
        return x, y, jinv

    # the solution
    def solve(self, lon, lat, tol, max_iter):
        n = lon.shape[0]
        x, y = np.full(n, np.nan), np.full(n, np.nan)
        if not self.usable or n == 0:
            return x, y
        good = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lat) <= 90)
        xi, eta = np.full(n, np.nan), np.full(n, np.nan)
        xi[good], eta[good] = self.plane(lon[good], lat[good])
        todo = np.flatnonzero(np.isfinite(xi) & np.isfinite(eta))
        if todo.size == 0:
            return x, y
        if self.backward is not None:
            todo = self._analytic(lon, lat, xi, eta, todo, x, y, tol)
        if todo.size:
            self._newton(lon, lat, xi, eta, todo, x, y, tol, max_iter)
        return x, y

    def _residual_px(self, px, py, txi, teta):
        fxi, feta = self.plane(*self.forward(px, py))
        rxi, reta = txi - fxi, teta - feta
        return rxi, reta, np.hypot(rxi, reta) / self.scale

    def _analytic(self, lon, lat, xi, eta, todo, x, y, tol):
        """Keep the analytic inverse's answer where it round-trips; the indices left for Newton."""
        try:
            bx, by = self.backward(lon[todo], lat[todo])
            bx = np.broadcast_to(np.asarray(bx, float), todo.shape)
            by = np.broadcast_to(np.asarray(by, float), todo.shape)
        except Exception:  # noqa: BLE001 - an inverse that fails on these inputs: Newton for all
            return todo
        txi, teta = xi[todo], eta[todo]
        rxi, reta, res = self._residual_px(bx, by, txi, teta)
        ok = self._meets(bx, by, txi, teta, rxi, reta, res, tol)
        x[todo[ok]], y[todo[ok]] = bx[ok], by[ok]
        return todo[~ok]

    def _newton(self, lon, lat, xi, eta, todo, x, y, tol, max_iter):
        """Newton's method for the points `todo`, written into x, y where it meets the promise.

        First chord steps with the seed fit's inverse Jacobian at the target (one forward
        evaluation a step; they converge at the rate of the fit's error), then, for the points
        where those stop contracting (the fit's extrapolation far off the detector), full
        steps with a finite-difference Jacobian, halved while they make the residual grow."""
        px, py, jinv = self.seed(lon[todo], lat[todo], xi[todo], eta[todo])
        px, py = np.array(px, float), np.array(py, float)
        bad = ~(np.isfinite(px) & np.isfinite(py))
        px[bad], py[bad] = self.c[0], self.c[1]
        jinv = [np.where(np.isfinite(j), j, 0.0) for j in jinv]
        idx, txi, teta = todo, xi[todo], eta[todo]
        prev = np.full(idx.shape, np.inf)
        last = (np.zeros(idx.shape), np.zeros(idx.shape))  # the last step
        iterations = 0
        slow_parts = []  # (indices, px, py) handed to the finite-difference steps
        while idx.size and iterations < max_iter:
            iterations += 1
            rxi, reta, res = self._residual_px(px, py, txi, teta)
            done = self._keep(idx, px, py, self._meets(px, py, txi, teta, rxi, reta, res, tol), x, y)
            slow = ~done & (~np.isfinite(res) | (res > 0.5 * prev))
            if slow.any():  # back to where they were before the step that did not help
                back = slow & np.isfinite(prev)
                px[back] -= last[0][back]
                py[back] -= last[1][back]
                lost = slow & ~np.isfinite(prev)  # a seed where the forward transform fails: from the centre
                px[lost], py[lost] = self.c[0], self.c[1]
                slow_parts.append((idx[slow], px[slow], py[slow]))
            go = ~done & ~slow
            if not go.any():
                idx = idx[:0]
                break
            j00, j01, j10, j11 = (j[go] for j in jinv)
            dx = j00 * rxi[go] + j01 * reta[go]
            dy = j10 * rxi[go] + j11 * reta[go]
            px, py, prev = px[go] + dx, py[go] + dy, res[go]
            last = (dx, dy)
            idx, txi, teta, jinv = idx[go], txi[go], teta[go], [j[go] for j in jinv]
        if idx.size:
            slow_parts.append((idx, px, py))
        if slow_parts and iterations < max_iter:
            sidx = np.concatenate([part[0] for part in slow_parts])
            sx = np.concatenate([part[1] for part in slow_parts])
            sy = np.concatenate([part[2] for part in slow_parts])
            self._full_newton(sidx, sx, sy, xi, eta, x, y, tol, max_iter - iterations)

    def _meets(self, px, py, txi, teta, rxi, reta, res, tol):
        """Which points are within `tol` pixels of their targets by the local pixel scale (the
        residual through the inverse finite-difference Jacobian at the point). Only those within
        `tol` by the centre's scale are checked: two forward evaluations each."""
        ok = np.isfinite(res) & (res <= tol)
        s = np.flatnonzero(ok)
        if s.size:
            dx, dy = self._fd_step(px[s], py[s], txi[s] - rxi[s], teta[s] - reta[s], rxi[s], reta[s])
            ok[s] = np.hypot(dx, dy) <= tol
        return ok

    def _fd_step(self, px, py, fxi, feta, rxi, reta):
        """The Newton step J^-1 r (pixels) at pixels whose plane position is (fxi, feta), J by
        forward differences; NaN where J is singular or the neighbours cannot be evaluated."""
        h = _FD_STEP
        m = len(px)
        gxi, geta = self.plane(*self.forward(np.concatenate([px + h, px]), np.concatenate([py, py + h])))
        a, b = (gxi[:m] - fxi) / h, (gxi[m:] - fxi) / h
        c, d = (geta[:m] - feta) / h, (geta[m:] - feta) / h
        det = a * d - b * c
        return (d * rxi - b * reta) / det, (-c * rxi + a * reta) / det

    def _keep(self, idx, px, py, done, x, y):
        """Write the points that meet the promise and lie inside the margin box into x, y."""
        x0, x1, y0, y1 = self.box
        keep = done & (px >= x0) & (px <= x1) & (py >= y0) & (py <= y1)
        x[idx[keep]], y[idx[keep]] = px[keep], py[keep]
        return done

    def _full_newton(self, idx, px, py, xi, eta, x, y, tol, max_iter):
        txi, teta = xi[idx], eta[idx]
        x0, x1, y0, y1 = self.box
        span = max(x1 - x0, y1 - y0)
        prev = np.full(idx.shape, np.inf)  # residual (px) before the last step
        sx, sy = np.zeros(idx.shape), np.zeros(idx.shape)  # the last step
        halvings = np.zeros(idx.shape, int)
        for _ in range(max_iter):
            rxi, reta, res = self._residual_px(px, py, txi, teta)
            worse = ~np.isfinite(res) | (res > prev)
            done = self._keep(idx, px, py, self._meets(px, py, txi, teta, rxi, reta, res, tol), x, y)
            retry = worse & ~done & (halvings < 12) & np.isfinite(prev)  # halve a step that made it worse
            step = ~worse & ~done
            sx[retry] *= 0.5
            sy[retry] *= 0.5
            px[retry] -= sx[retry]
            py[retry] -= sy[retry]
            halvings[retry] += 1
            if step.any():
                s = np.flatnonzero(step)
                dx, dy = self._fd_step(px[s], py[s], txi[s] - rxi[s], teta[s] - reta[s], rxi[s], reta[s])
                length = np.hypot(dx, dy)
                clip = np.where(length > span, span / length, 1.0)  # never jump farther than the box
                dx, dy = dx * clip, dy * clip
                sx[s], sy[s] = dx, dy
                px[s] += dx
                py[s] += dy
                prev[s] = res[s]
                halvings[s] = 0
            alive = (retry | step) & np.isfinite(px) & np.isfinite(py)
            alive &= (np.abs(px - self.c[0]) < 4 * span) & (np.abs(py - self.c[1]) < 4 * span)  # ran away
            if not alive.any():
                return
            px, py, idx, txi, teta = px[alive], py[alive], idx[alive], txi[alive], teta[alive]
            prev, sx, sy, halvings = prev[alive], sx[alive], sy[alive], halvings[alive]
        rxi, reta, res = self._residual_px(px, py, txi, teta)
        self._keep(idx, px, py, self._meets(px, py, txi, teta, rxi, reta, res, tol), x, y)


def _sip_seed(header, lon, lat):
    """Pixels from a TAN-SIP header's core WCS and AP/BP polynomials (None when unusable)."""
    try:
        from .sipheader import header_to_wcs, sip_world2pix

        hd = dict(header)
        return sip_world2pix(hd, header_to_wcs(hd), lon, lat)
    except Exception:  # noqa: BLE001 - a header that cannot seed: the fit does
        return None, None

"""The L2 count rate: a weighted straight-line fit to the L1 resultants, as ramp fitting does.

Most pixels share one fit, so the slope is a fixed linear combination of the resultants
(weights n_k, the read-noise optimum). Pixels with a flagged jump or a saturated resultant
get their own combination: saturated resultants are dropped, the resultant holding the jump
is dropped, and a step is fitted across it, so the jump does not bias the slope.
"""

import numpy as np
from roman_datamodels.dqflags import pixel as dqflags

from . import field


def _fit_matrix(ramp, usable, jump):
    """(n_params, nres) least-squares matrix for the resultants in `usable`, or None if unfittable.

    With a jump at resultant `jump`, both sides are fitted with one slope and a step between
    them when each side has two resultants; otherwise the longer side alone.
    """
    t, n = ramp.times, ramp.nreads
    idx = np.flatnonzero(usable)
    columns = [np.ones_like(t), t]
    if jump >= 0:
        before, after = idx[idx < jump], idx[idx > jump]
        if len(before) >= 2 and len(after) >= 2:
            columns.append((np.arange(ramp.nres) > jump).astype(float))
            idx = np.r_[before, after]
        else:
            idx = before if len(before) >= len(after) else after
    if len(idx) < 2:
        return None
    design = np.stack(columns, axis=1)[idx]
    weights = n[idx]
    normal = design.T @ (design * weights[:, None])
    solve = np.linalg.solve(normal, (design * weights[:, None]).T)
    full = np.zeros((len(columns), ramp.nres))
    full[:, idx] = solve
    model = np.zeros((ramp.nres, ramp.nres))
    model[np.ix_(idx, idx)] = design @ solve
    return full, model, idx


def _combine(weights, res):
    """weights @ res, term by term: numpy's loops share two cores between threads, BLAS does not."""
    out = np.zeros(res.shape[1], np.float32)
    for w, row in zip(weights, res):
        if w:
            out += np.float32(w) * row
    return out


class RampFitter:
    """Fits blocks of resultants; the common fit is precomputed once."""

    def __init__(self, ramp):
        self.ramp = ramp
        everything = np.ones(ramp.nres, bool)
        self.common = self._prepare(everything, -1)
        t = ramp.times
        self.uniform = (t - t.mean()) / ((t - t.mean()) ** 2).sum()

    def _prepare(self, usable, jump):
        fit = _fit_matrix(self.ramp, usable, jump)
        if fit is None:
            return None
        coeffs, model, idx = fit
        slope = coeffs[1]
        read_var = self.ramp.read_noise**2 * np.sum(slope**2 / self.ramp.nreads)
        poisson_per_rate = slope @ self.ramp.poisson_cov @ slope / self.ramp.gain
        residual = (np.eye(self.ramp.nres) - model)[idx]
        return {"slope": slope, "read_var": read_var, "poisson_per_rate": poisson_per_rate,
                "residual": residual, "idx": idx, "dof": max(1, len(idx) - coeffs.shape[0])}

    def _apply(self, prep, res):
        """Slope, variances and reduced chi-square for resultants `res` (nres, m)."""
        ramp = self.ramp
        rate = _combine(prep["slope"], res)
        positive = np.maximum(rate, 0)
        var_p = positive * np.float32(prep["poisson_per_rate"])
        var_r = np.full_like(rate, prep["read_var"])
        resid = np.stack([_combine(row, res) for row in prep["residual"]])
        idx = prep["idx"]
        var_k = (ramp.read_noise**2 / ramp.nreads[idx]).astype(np.float32)[:, None] + positive[None, :] * (
            ramp.poisson_cov.diagonal()[idx] / ramp.gain
        ).astype(np.float32)[:, None]
        chisq = (resid**2 / var_k).sum(axis=0) / np.float32(prep["dof"])
        return rate, var_p, var_r, chisq

    def fit(self, resultants, jump):
        """Fit resultants (nres, ny, nx) float32; `jump` (ny, nx) int8 is the flagged jump's
        resultant (-1 if none). Returns a dict of the L2 arrays for the block."""
        ramp = self.ramp
        nres = ramp.nres
        shape = resultants.shape[1:]
        res = resultants.reshape(nres, -1)
        # slope weights sum to zero: subtract the first resultant to keep float32 precise
        res = res - res[0]
        jump = jump.reshape(-1)
        saturated = resultants.reshape(nres, -1) >= field.SATURATION
        rate, var_p, var_r, chisq = self._apply(self.common, res)
        dumo = _combine(self.uniform, res) - rate
        dq = np.zeros(res.shape[1], np.uint32)

        any_sat = saturated.any(axis=0)
        special = np.flatnonzero(any_sat | (jump >= 0))
        if special.size:
            first_sat = np.where(any_sat[special], saturated[:, special].argmax(axis=0), nres)
            keys = first_sat * (nres + 1) + (jump[special] + 1)
            for key in np.unique(keys):
                members = special[keys == key]
                sat_at, jump_at = divmod(int(key), nres + 1)
                prep = self._prepare(np.arange(nres) < sat_at, jump_at - 1)
                dumo[members] = 0
                if prep is None:
                    for arr in (rate, var_p, var_r, chisq):
                        arr[members] = np.nan
                    dq[members] |= dqflags.DO_NOT_USE
                    continue
                out = self._apply(prep, res[:, members])
                for arr, values in zip((rate, var_p, var_r, chisq), out):
                    arr[members] = values
            dq[special[first_sat < nres]] |= dqflags.SATURATED
            dq[jump >= 0] |= dqflags.JUMP_DET
        return {
            "data": rate.reshape(shape),
            "var_poisson": var_p.reshape(shape),
            "var_rnoise": var_r.reshape(shape),
            "chisq": chisq.reshape(shape),
            "dumo": dumo.reshape(shape),
            "dq": dq.reshape(shape),
        }

# Own code, not stcal's detector: one event per cosmic ray with the significance of every difference, which the ramp plot shows (checked against stcal in tests/test_ramps_jumps.py).
"""Jump detection in up-the-ramp resultants: one event per cosmic ray, with a significance for
every difference.

The significance of difference k of a pixel is the generalised-least-squares test of a step
at k: D_k minus its best prediction from the pixel's other differences (through the ramp's
rate and the correlations of the differences, `noise.DifferenceNoise`), over the standard
deviation of that residual. Without a jump it is N(0, 1) for any read pattern, rate and
resultant; a jump of J DN gives J / sigma_k more, sigma_k = 1 / sqrt(Q_kk) (`step_sigma`).

A cosmic ray that hits between two reads *inside* a resultant k of n_k reads raises R_k by f J
(f: the fraction of its reads after the hit) and every later resultant by J: it is a step of
f J in D_(k-1) and (1 - f) J in D_k, and a strong one makes both differences stand out (71 and
80 sigma on a romanisim ramp). So besides the step at each difference, the n_k - 1 two-difference
templates h = f e_(k-1) + (1 - f) e_k of every multi-read resultant with a difference on each
side are tested the same way (h.Qd / sqrt(h.Q.h), Q the projected precision), and each jump is
one *event*: where it happened (the resultant the hit fell inside, or the later resultant of a
step between two) and the one or two differences it explains.

Detection stays the step test of each difference, so the false rate of `default_threshold` (set
for n - 1 tests per ramp) holds: testing every template as a trigger would add trials (measured
0.009 instead of 0.005 false events per ramp on the demo pattern). Like the pipeline's two-point
difference, the search iterates: the strongest difference above the threshold triggers; the event
is the most likely template explaining it (the step alone, or a hit inside the resultant before
or after it when that beats the step alone by INSIDE_MARGIN in quadrature: a chi^2 gain above
INSIDE_MARGIN^2, since at a few sigma the two cannot be told apart and the n_k - 1 positions would
otherwise win by chance); its differences are dropped (the rate is then re-estimated without
them) and the others are tested again, until none is above. Differences that touch a saturated
resultant are never tested as jumps; the step into a pixel's first saturated resultant is tested
the same way and reported apart (a cosmic ray may have pushed the pixel there). Only positive
steps are jumps (cosmic rays add charge); significance keeps its sign.

What is reported is two arrays per pixel, `significance` (one value per difference) and
`inside_significance` (per resultant, its best in-resultant template), and the events at any
threshold follow from them by one rule (`select_events`), the browser's too
(src/viewer/ramps/jumps.ts); at the search's threshold that rule is what the search did.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

# false jumps per pixel ramp the default threshold allows (spread over the n - 1 differences)
DEFAULT_FALSE_JUMPS_PER_RAMP = 0.005
# a hit inside a resultant is preferred to a step at the triggering difference alone only when
# its significance exceeds hypot(step, INSIDE_MARGIN): its chi^2 gain is more than INSIDE_MARGIN^2
INSIDE_MARGIN = 2.0


def default_threshold(n_differences, false_jumps_per_ramp=DEFAULT_FALSE_JUMPS_PER_RAMP):
    """Threshold (sigma) at which Gaussian differences give `false_jumps_per_ramp` per ramp."""
    from scipy.stats import norm  # here: scipy.stats costs 0.4 s to import

    return float(norm.isf(false_jumps_per_ramp / n_differences))


@dataclass
class Templates:
    """The step templates of a read pattern: h (T, m) and, per template, the resultant where the
    jump happened, the first difference it explains, how many (1 or 2), the fraction f of that
    resultant's reads after the hit (1 for a step between resultants)."""

    h: np.ndarray
    resultant: np.ndarray
    first: np.ndarray
    count: np.ndarray
    fraction: np.ndarray

    @classmethod
    def of(cls, noise):
        m = noise.n_differences
        rows = [(np.eye(m)[d], d + 1, d, 1, 1.0) for d in range(m)]
        for k in range(1, m):  # resultant k has differences k-1 (into it) and k (out of it)
            n_k = int(noise.nreads[k])
            for j in range(1, n_k):  # the hit between its reads j and j + 1
                f = (n_k - j) / n_k
                h = np.zeros(m)
                h[k - 1], h[k] = f, 1 - f
                rows.append((h, k, k - 1, 2, f))
        h, resultant, first, count, fraction = zip(*rows)
        return cls(np.array(h), np.array(resultant), np.array(first), np.array(count), np.array(fraction))

    @property
    def single(self):
        return self.count == 1


@dataclass
class JumpResult:
    """significance, amplitude: (N, m), the step test of each difference, NaN where untestable;
    inside_significance, inside_amplitude, inside_fraction: (N, n), per resultant its best
    in-resultant template (amplitude: the whole jump J, DN; fraction: f of its reads after the
    hit), NaN where there is none; events: dict of (E,) arrays at the threshold (`select_events`);
    jump: (N, m) bool, the differences the events explain; into_saturation: (N, m) bool, steps
    above the threshold into the first saturated resultant (not jumps: the saturated value is
    only a lower bound); rate: (N,) DN/s of the noise model (median of the differences left after
    the jumps)."""

    significance: np.ndarray
    amplitude: np.ndarray
    jump: np.ndarray
    into_saturation: np.ndarray
    rate: np.ndarray
    inside_significance: np.ndarray = None
    inside_amplitude: np.ndarray = None
    inside_fraction: np.ndarray = None
    events: dict = field(default_factory=dict)

    @property
    def n_events(self):
        """(N,) jumps (events, not differences; steps into saturation left out) of each pixel."""
        out = np.zeros(len(self.significance), int)
        keep = ~self.events["saturated"]
        np.add.at(out, self.events["pixel"][keep], 1)
        return out


def _projected(noise, diffs, active, rate, read_noise, gain):
    """Q (N, m, m), the precision of the differences with the rate projected out, and Q d;
    dropped differences are marginalised (zero mean, unit variance, no rate information), which
    for a Gaussian equals fitting a free step there."""
    cov = noise.covariance(rate, read_noise, gain)
    off = ~active
    cov[off[:, :, None] | off[:, None, :]] = 0.0
    idx = np.nonzero(off)
    cov[idx[0], idx[1], idx[1]] = 1.0
    d = np.where(active, diffs, 0.0)
    x = np.where(active, noise.dt, 0.0)
    w = np.linalg.inv(cov)
    wx = np.einsum("nij,nj->ni", w, x)
    wd = np.einsum("nij,nj->ni", w, d)
    xwx = np.einsum("ni,ni->n", x, wx)
    with np.errstate(all="ignore"):
        q = w - wx[:, :, None] * wx[:, None, :] / xwx[:, None, None]
        qd = wd - wx * (np.einsum("ni,ni->n", x, wd) / xwx)[:, None]
    return q, qd


def template_tests(noise, templates, diffs, active, rate, read_noise, gain):
    """(N, T) significance and amplitude (DN, the whole jump) of each template, NaN where one of
    its differences is inactive or fewer than one other difference is left to predict from."""
    q, qd = _projected(noise, diffs, active, rate, read_noise, gain)
    h = templates.h
    with np.errstate(all="ignore"):
        num = qd @ h.T
        den = np.einsum("tm,nmk,tk->nt", h, q, h)
        covered = (active.astype(float) @ (h != 0).T.astype(float)) == templates.count[None, :]
        testable = covered & (active.sum(axis=1)[:, None] > templates.count[None, :]) & (den > 0)
        significance = np.where(testable, num / np.sqrt(den), np.nan)
        amplitude = np.where(testable, num / den, np.nan)
    return significance, amplitude


def step_tests(noise, diffs, active, rate, read_noise, gain):
    """Significance and amplitude (DN) of a step at each active difference, NaN elsewhere (a
    pixel with fewer than 2 active differences has nothing to predict from)."""
    singles = Templates.of(noise)
    keep = singles.single
    only = Templates(singles.h[keep], singles.resultant[keep], singles.first[keep], singles.count[keep],
                     singles.fraction[keep])
    return template_tests(noise, only, diffs, active, rate, read_noise, gain)


def step_sigma(noise, rate, read_noise, gain):
    """(N, m) noise (DN) of the step test at each difference with every difference active:
    a jump of A * step_sigma has significance A on average."""
    rate = np.atleast_1d(np.asarray(rate, float))
    w = np.linalg.inv(noise.covariance(rate, read_noise, gain))
    wx = w @ noise.dt
    xwx = wx @ noise.dt
    return 1 / np.sqrt(np.diagonal(w, axis1=1, axis2=2) - wx**2 / xwx[:, None])


def _noise_rate(noise, diffs, active):
    """Median rate (DN/s) of each pixel's active differences: robust to the jump being sought."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a pixel without an active difference
        rate = np.nanmedian(np.where(active, diffs / noise.dt, np.nan), axis=1)
    return np.maximum(np.nan_to_num(rate), 0.0)


def _best_inside(templates, sig, amp, n_resultants):
    """Per resultant, the strongest of its in-resultant templates: significance, amplitude, f."""
    n = len(sig)
    best_sig = np.full((n, n_resultants), np.nan)
    best_amp = np.full((n, n_resultants), np.nan)
    best_f = np.full((n, n_resultants), np.nan)
    for k in np.unique(templates.resultant[~templates.single]):
        cols = np.flatnonzero(~templates.single & (templates.resultant == k))
        s = sig[:, cols]
        ok = np.isfinite(s).any(axis=1)
        pick = np.argmax(np.where(np.isfinite(s), s, -np.inf), axis=1)
        rows = np.arange(n)
        best_sig[ok, k] = s[rows, pick][ok]
        best_amp[ok, k] = amp[:, cols][rows, pick][ok]
        best_f[ok, k] = templates.fraction[cols][pick][ok]
    return best_sig, best_amp, best_f


def select_events(significance, inside_significance, threshold, saturated_step=None, margin=None):
    """The events at `threshold` from the two significance arrays (the rule the browser shares).

    Differences at or above the threshold trigger, strongest first; a trigger d whose difference
    is not yet explained is one event, the strongest of: the step at d alone (event at resultant
    d + 1), a hit inside resultant d (explains d - 1 and d) or inside resultant d + 1 (explains d
    and d + 1), an in-resultant option only when its other difference is not yet explained and
    its value beats hypot(step, margin) (default INSIDE_MARGIN; NaN never does). Returns a dict of (E,) arrays in pixel order:
    pixel, resultant, first (difference), count (1 or 2), significance, saturated (a step flagged
    in `saturated_step` (N, m): into the first saturated resultant).
    """
    margin = INSIDE_MARGIN if margin is None else margin
    m = significance.shape[1]
    sig = np.where(np.isfinite(significance), significance, -np.inf)
    ins = np.where(np.isfinite(inside_significance), inside_significance, -np.inf)
    if saturated_step is None:
        saturated_step = np.zeros(significance.shape, bool)
    out = {key: [] for key in ("pixel", "resultant", "first", "count", "significance", "saturated")}
    for i in np.flatnonzero((sig >= threshold).any(axis=1)):
        taken = np.zeros(m, bool)
        for d in sorted(np.flatnonzero(sig[i] >= threshold), key=lambda d: (-sig[i, d], d)):
            if taken[d]:
                continue
            best = (sig[i, d], d + 1, d, 1)
            beat = max(best[0], np.hypot(best[0], margin))
            if d >= 1 and not taken[d - 1] and ins[i, d] > beat:
                best = (ins[i, d], d, d - 1, 2)
            if d + 1 < m and not taken[d + 1] and ins[i, d + 1] > max(best[0], beat):
                best = (ins[i, d + 1], d + 1, d, 2)
            value, resultant, first, count = best
            taken[first:first + count] = True
            out["pixel"].append(i)
            out["resultant"].append(resultant)
            out["first"].append(first)
            out["count"].append(count)
            out["significance"].append(value)
            out["saturated"].append(bool(count == 1 and saturated_step[i, first]))
    types = {"pixel": int, "resultant": int, "first": int, "count": int, "significance": float, "saturated": bool}
    return {key: np.array(values, dtype=types[key]) for key, values in out.items()}


def detect_jumps(noise, counts, saturated, threshold, read_noise, gain):
    """Iterative template search over the ramps `counts` (N, n) DN with `saturated` (N, n) bool.

    Returns a JumpResult; the significance of an event's template is its test with every other
    event's differences dropped, that of the others is the last test before the search stopped
    (or before their differences were dropped).
    """
    counts = np.asarray(counts, float)
    diffs = np.diff(counts, axis=1)
    templates = Templates.of(noise)
    usable = ~(saturated[:, 1:] | saturated[:, :-1]) & np.isfinite(diffs)
    active = usable.copy()
    n_pixels, n_templates = len(counts), len(templates.h)
    event = np.zeros((n_pixels, n_templates), bool)
    tsig = np.full((n_pixels, n_templates), np.nan)
    tamp = np.full((n_pixels, n_templates), np.nan)
    covers = templates.h != 0  # (T, m)
    single = np.flatnonzero(templates.single)  # template d is difference d
    searching = np.arange(n_pixels)
    while searching.size:
        rows = active[searching]
        sig, amp = template_tests(noise, templates, diffs[searching], rows,
                                  _noise_rate(noise, diffs[searching], rows), read_noise, gain)
        tested = np.isfinite(sig)
        tsig[searching] = np.where(tested, sig, tsig[searching])
        tamp[searching] = np.where(tested, amp, tamp[searching])
        filled = np.where(tested, sig, -np.inf)
        trigger = np.argmax(filled[:, single], axis=1)  # the strongest difference
        found = filled[np.arange(len(searching)), single[trigger]] >= threshold
        # the event: the most likely template among those explaining the triggering difference,
        # a hit inside a resultant only when it beats the step alone by INSIDE_MARGIN (in quadrature)
        alone = filled[found][np.arange(found.sum()), single[trigger[found]]]
        score = np.where(templates.single[None, :], filled[found],
                         np.where(filled[found] > np.hypot(alone, INSIDE_MARGIN)[:, None], filled[found], -np.inf))
        options = np.where(covers.T[trigger[found]], score, -np.inf)
        hit, t = searching[found], np.argmax(options, axis=1)
        event[hit, t] = True
        active[hit] &= ~covers[t]
        searching = hit
    _retest(noise, templates, diffs, active, event, tsig, tamp, read_noise, gain)
    first = np.argmax(saturated, axis=1)
    into = np.zeros(diffs.shape, bool)
    edge = np.nonzero(saturated.any(axis=1) & (first >= 1) & np.isfinite(diffs[np.arange(len(diffs)), first - 1]))[0]
    into[edge, first[edge] - 1] = True
    into_t = np.zeros_like(event)
    into_t[:, single] = into
    _retest(noise, templates, diffs, active, into_t, tsig, tamp, read_noise, gain)
    significance, amplitude = tsig[:, single], tamp[:, single]
    inside_sig, inside_amp, inside_f = _best_inside(templates, tsig, tamp, counts.shape[1])
    pixel, t = np.nonzero(event & ~templates.single[None, :])  # an event's own template, retested
    k = templates.resultant[t]
    inside_sig[pixel, k], inside_amp[pixel, k], inside_f[pixel, k] = tsig[pixel, t], tamp[pixel, t], templates.fraction[t]
    into &= significance >= threshold
    events = select_events(significance, inside_sig, threshold, into)
    explained = np.zeros(diffs.shape, bool)
    for i, first_d, count, sat in zip(events["pixel"], events["first"], events["count"], events["saturated"]):
        if not sat:
            explained[i, first_d:first_d + count] = True
    events["amplitude"] = np.where(events["count"] == 1, amplitude[events["pixel"], events["first"]],
                                   inside_amp[events["pixel"], events["resultant"]])
    events["fraction"] = np.where(events["count"] == 1, 1.0, inside_f[events["pixel"], events["resultant"]])
    return JumpResult(significance, amplitude, explained, into, _noise_rate(noise, diffs, active),
                      inside_sig, inside_amp, inside_f, events)


def _retest(noise, templates, diffs, active, chosen, tsig, tamp, read_noise, gain):
    """Each chosen template tested with the active differences (the events' dropped) and its own."""
    pixel, t = np.nonzero(chosen)
    if not pixel.size:
        return
    rows = active[pixel] | (templates.h[t] != 0)
    sig, amp = template_tests(noise, templates, diffs[pixel], rows,
                              _noise_rate(noise, diffs[pixel], active[pixel]), read_noise, gain)
    tsig[pixel, t] = sig[np.arange(len(pixel)), t]
    tamp[pixel, t] = amp[np.arange(len(pixel)), t]

"""Jump detection near the statistical limit (synthetic ramps) and against stcal on the demo."""

import numpy as np
import pytest
import roman_datamodels as rdm
from scipy.stats import norm

from roman_lab.demo import field
from roman_lab.demo.ramps import ReadPattern, simulate
from roman_lab.ramp.jumps import (
    DEFAULT_FALSE_JUMPS_PER_RAMP,
    INSIDE_MARGIN,
    Templates,
    _projected,
    default_threshold,
    detect_jumps,
    select_events,
    step_sigma,
)
from roman_lab.ramp.noise import DifferenceNoise, estimate_read_noise

N_RAMPS = 40_000
RATES = [0.5, 5.0, 50.0, 250.0]  # DN/s: sky to bright, below saturation over the ramp


@pytest.fixture(scope="module")
def pattern():
    """The demo's read pattern: 1, 2, 4, 8, 12, 12 reads per resultant (unequal resultants)."""
    return ReadPattern()


@pytest.fixture(scope="module")
def noise(pattern):
    return DifferenceNoise(pattern.pattern, pattern.frame_time)


@pytest.fixture(scope="module")
def clean(pattern):
    """Jump-free ramps with Poisson and read noise, drawn from their exact joint distribution."""
    rng = np.random.default_rng(7)
    rate = rng.choice(RATES, N_RAMPS).astype(np.float32)
    counts = simulate(rate[None, :], np.full((1, N_RAMPS), field.BIAS_LEVEL, np.float32), pattern, rng)[:, 0, :].T
    return rate.astype(float), counts.astype(float)


def _detect(noise, counts, pattern, threshold=None):
    threshold = default_threshold(noise.n_differences) if threshold is None else threshold
    return detect_jumps(noise, counts, np.zeros(counts.shape, bool), threshold, pattern.read_noise, pattern.gain)


def test_differences_are_normalised(noise, clean, pattern):
    result = _detect(noise, clean[1], pattern)
    quiet = ~result.jump.any(axis=1)
    significance = result.significance[quiet]
    assert np.all(np.isfinite(significance))
    # unit normal at every difference, whatever the number of reads in the resultants
    np.testing.assert_allclose(significance.mean(axis=0), 0, atol=0.03)
    np.testing.assert_allclose(significance.std(axis=0), 1, atol=0.03)


def test_default_threshold_false_rate(noise, clean, pattern):
    result = _detect(noise, clean[1], pattern)
    false_per_ramp = result.n_events.sum() / N_RAMPS  # events, not differences
    assert result.jump.sum() / N_RAMPS <= 1.5 * DEFAULT_FALSE_JUMPS_PER_RAMP  # an event explains 1 or 2
    assert false_per_ramp <= 1e-2
    assert false_per_ramp == pytest.approx(DEFAULT_FALSE_JUMPS_PER_RAMP, rel=0.35)


@pytest.mark.parametrize("amplitude", [3.5, 5.0, 12.0])
def test_recall_is_that_of_an_ideal_detector(noise, clean, pattern, amplitude):
    rate, counts = clean
    m = noise.n_differences
    false_per_ramp = _detect(noise, counts, pattern).n_events.sum() / N_RAMPS
    ideal = norm.sf(norm.isf(false_per_ramp / m) - amplitude)  # Phi(A - T) for Gaussian differences
    rng = np.random.default_rng(int(amplitude * 10))
    where = rng.integers(0, m, N_RAMPS)  # the difference that jumps, anywhere in the ramp
    size = amplitude * step_sigma(noise, rate, pattern.read_noise, pattern.gain)[np.arange(N_RAMPS), where]
    jumped = counts + size[:, None] * (np.arange(m + 1)[None, :] > where[:, None])
    found = _detect(noise, jumped, pattern).jump[np.arange(N_RAMPS), where]
    assert abs(found.mean() - ideal) <= 0.05
    for k in range(m):  # early and late, short and long differences alike
        assert abs(found[where == k].mean() - ideal) <= 0.06


def test_several_jumps_in_one_ramp(noise, clean, pattern):
    rate, counts = clean
    both = counts[:2000] + np.array([0, 0, 400.0, 400.0, 900.0, 900.0])[None, :]  # steps at 2 and 4
    result = _detect(noise, both, pattern)
    assert result.jump[:, 1].mean() > 0.97 and result.jump[:, 3].mean() > 0.97


def test_saturation_is_not_a_jump(noise, pattern):
    rng = np.random.default_rng(3)
    rate = np.full(500, 600.0, np.float32)  # reaches the top in the last resultant by itself
    counts = simulate(rate[None], np.full((1, 500), field.BIAS_LEVEL, np.float32), pattern, rng)[:, 0].T.astype(float)
    counts[250:, 4:] += 12_000.0  # half of them: a cosmic ray pushes it over the top one resultant earlier
    counts = np.minimum(counts, field.SATURATION)
    saturated = np.logical_or.accumulate(counts >= field.SATURATION, axis=1)
    assert saturated[:, -1].all() and saturated[250:, 4].all() and not saturated[:250, 4].any()
    result = detect_jumps(noise, counts, saturated, 5.0, pattern.read_noise, pattern.gain)  # no noise alarm
    assert not result.jump.any()  # clipping at the top is no jump, and neither is a step into it
    assert np.isnan(result.significance[saturated[:, 1:] & saturated[:, :-1]]).all()
    # the step into the first saturated resultant is tested and reported apart when it stands out
    assert result.into_saturation[250:, 3].all()
    assert not result.into_saturation[:250].any()


def test_read_noise_is_estimated(noise, clean):
    rate, counts = clean
    faint = rate <= 5
    assert estimate_read_noise(noise, counts[faint][:2000]) == pytest.approx(field.READ_NOISE, rel=0.04)
    assert estimate_read_noise(noise, counts[:30]) is None  # too few to say


def test_stcal_jumps_are_found_too(small_demo):
    """Every jump stcal's Roman jump detection (ramp fitting with jump detection, Casertano+22,
    at its default threshold) flags in the demo exposure is one this detector finds."""
    fit = pytest.importorskip("stcal.ramp_fitting.ols_cas22_fit")
    faint = small_demo["faint_cosmic_ray"]
    with rdm.open(small_demo.path(faint["uncal"])) as l1:
        data = np.asarray(l1.data)[:, 4:-4, 4:-4].astype(np.float32)
        pattern = [[int(r) for r in g] for g in l1.meta.exposure.read_pattern]
        frame_time = float(l1.meta.exposure.frame_time)
    n, ny, nx = data.shape
    saturated = np.logical_or.accumulate(data >= field.SATURATION, axis=0)
    gain, read_noise = field.GAIN, field.READ_NOISE
    out = fit.fit_ramps_casertano(data * gain, np.where(saturated, 2, 0).astype(np.int32), read_noise * gain,
                                  frame_time, pattern, use_jump=True)
    stcal_jump = (out.dq.reshape(n, ny, nx) & 4) != 0  # JUMP_DET on both resultants of the step
    assert stcal_jump.any(axis=0).sum() > 50  # the demo's cosmic rays

    noise = DifferenceNoise(pattern, frame_time)
    counts = data.reshape(n, -1).T.astype(float)
    result = detect_jumps(noise, counts, saturated.reshape(n, -1).T, default_threshold(n - 1), read_noise, gain)
    mine = (result.jump | result.into_saturation).reshape(ny, nx, n - 1)
    for y, x in zip(*np.nonzero(stcal_jump.any(axis=0))):
        flagged = set(np.flatnonzero(stcal_jump[:, y, x]))
        found = np.flatnonzero(mine[y, x]) + 1  # later resultant of each step found
        assert any(k in flagged or k - 1 in flagged for k in found), (x, y, sorted(flagged))


# -- one event per cosmic ray (issue 15) -------------------------------------------------------
N_EVENTS = 5000
INSIDE = 2  # the demo's resultant of reads 4-7: differences 1 (into it) and 2 (out of it)


def _inside_hit(noise, clean, pattern, significance, j):
    """The clean ramps with a hit between reads j and j + 1 of resultant INSIDE, of `significance`
    times the noise of its own (two-difference) template test; returns the ramps and f."""
    rate, counts = clean[0][:N_EVENTS], clean[1][:N_EVENTS]
    m, reads = noise.n_differences, pattern.pattern[INSIDE]
    f = (len(reads) - j) / len(reads)
    h = np.zeros(m)
    h[INSIDE - 1], h[INSIDE] = f, 1 - f
    q, _ = _projected(noise, np.diff(counts, axis=1), np.ones((N_EVENTS, m), bool), rate, pattern.read_noise,
                      pattern.gain)
    size = significance / np.sqrt(np.einsum("m,nmk,k->n", h, q, h))
    after = pattern.fraction_after(np.full(N_EVENTS, reads[j]))  # of each resultant's reads after the hit
    return counts + size[:, None] * after, f


def _at(result, resultant, count=None):
    """(N,) bool: the pixel has an event at `resultant` (explaining `count` differences)."""
    ev = result.events
    chosen = (ev["resultant"] == resultant) & (True if count is None else ev["count"] == count)
    return np.isin(np.arange(len(result.significance)), ev["pixel"][chosen])


def test_templates_of_the_read_pattern(noise, pattern):
    templates = Templates.of(noise)
    m = noise.n_differences
    assert templates.single.sum() == m  # a step at each difference, then n_k - 1 hits inside resultant k
    assert len(templates.h) == m + sum(len(pattern.pattern[k]) - 1 for k in range(1, m))
    inside = ~templates.single
    np.testing.assert_allclose(templates.h[inside].sum(axis=1), 1)  # f J before, (1 - f) J after
    assert set(templates.fraction[templates.resultant == INSIDE]) == {1.0, 0.75, 0.5, 0.25}


@pytest.mark.parametrize("j", [1, 2, 3])
def test_a_strong_hit_inside_a_resultant_is_one_event_there(noise, clean, pattern, j):
    """50 sigma between reads j and j + 1 of a 4-read resultant: one event, at that resultant,
    explaining both differences, whatever the read (the issue's 71 and 80 sigma differences)."""
    counts, f = _inside_hit(noise, clean, pattern, 50.0, j)
    result = _detect(noise, counts, pattern)
    if f == 0.5:  # both differences are far above the threshold ...
        assert (result.significance[:, INSIDE - 1:INSIDE + 1] > 10).all(axis=1).mean() > 0.95
    assert np.mean(result.n_events == 1) >= 0.99  # ... and there is one event (false ones elsewhere aside)
    assert _at(result, INSIDE, 2).mean() >= 0.99
    assert result.jump[:, INSIDE - 1:INSIDE + 1].all(axis=1).mean() >= 0.99
    ev = result.events
    there = (ev["resultant"] == INSIDE) & (ev["count"] == 2)
    assert np.median(ev["fraction"][there]) == f  # and which read it fell after


@pytest.mark.parametrize("j", [1, 2, 3])
def test_a_faint_hit_inside_a_resultant_is_one_event(noise, clean, pattern, j):
    """5 sigma (of its own template): never counted twice; at that resultant, with both
    differences, when it is there to tell (mid-resultant). Near an edge of the resultant it
    cannot be told at 5 sigma from a step between resultants, and a step alone is often preferred
    (INSIDE_MARGIN): for f = 1/4 that is the step out of it, at resultant INSIDE + 1."""
    counts, f = _inside_hit(noise, clean, pattern, 5.0, j)
    result = _detect(noise, counts, pattern)
    found = result.jump[:, INSIDE - 1:INSIDE + 1].any(axis=1)
    assert found.mean() > 0.75  # as detectable as with the step test of either difference alone
    assert np.mean(result.n_events[found] == 1) >= 0.98  # one cosmic ray, one event
    assert np.mean((_at(result, INSIDE) | _at(result, INSIDE + 1))[found]) >= 0.98
    if f >= 0.5:
        assert np.mean(_at(result, INSIDE)[found]) >= 0.8
    if f == 0.5:
        assert np.mean(_at(result, INSIDE, 2)[found]) >= 0.7


@pytest.mark.parametrize("amplitude", [5.0, 50.0])
def test_a_hit_between_resultants_is_one_event_one_difference(noise, clean, pattern, amplitude):
    rate, counts = clean[0][:N_EVENTS], clean[1][:N_EVENTS]
    m = noise.n_differences
    where = np.random.default_rng(5).integers(0, m, N_EVENTS)
    size = amplitude * step_sigma(noise, rate, pattern.read_noise, pattern.gain)[np.arange(N_EVENTS), where]
    result = _detect(noise, counts + size[:, None] * (np.arange(m + 1)[None, :] > where[:, None]), pattern)
    found = result.jump[np.arange(N_EVENTS), where]
    ev = result.events
    right = np.zeros(N_EVENTS, bool)
    one = (ev["count"] == 1) & (ev["resultant"] == where[ev["pixel"]] + 1)
    right[ev["pixel"][one]] = True
    assert np.mean(result.n_events[found] == 1) >= 0.98
    assert np.mean(right[found]) >= (0.9 if amplitude == 5 else 0.99)


def test_select_events_is_the_shared_rule():
    """The rule the browser applies (src/viewer/ramps/jumps.ts jumpsAt) on the two arrays."""
    nan = np.nan
    significance = np.array([[0.3, 71.0, 80.0, 0.1], [6.0, 0.2, 5.5, nan], [9.0, 0.0, 0.0, 0.0]])
    inside = np.array([[nan, nan, 107.0, nan, nan], [nan, 6.1, nan, 5.6, nan], [nan, 9.2, nan, nan, nan]])
    ev = select_events(significance, inside, 5.0)
    assert ev["pixel"].tolist() == [0, 1, 1, 2]
    assert ev["resultant"].tolist() == [2, 1, 3, 1]  # inside 2; steps alone (6.1 < hypot(6, 2)); 9.2 < hypot(9, 2)
    assert ev["count"].tolist() == [2, 1, 1, 1]
    assert ev["significance"].tolist() == [107.0, 6.0, 5.5, 9.0]
    assert np.hypot(9.0, INSIDE_MARGIN) > 9.2 and np.hypot(6.0, INSIDE_MARGIN) > 6.1
    assert len(select_events(significance, inside, 81.0)["pixel"]) == 0  # a difference must trigger

"""Ramps benchmark: every ramp in a 20-pixel-radius circle of a full-size exposure, with jump
detection, from the L1 store (warm: stores converted; cold: conversion included) against the
baseline of `roman_datamodels.open` on the L1 and slicing the pixels; and the recall of the
jump test against its false-alarm rate on synthetic ramps (docs/img/ramps_recall.png).

    .venv/bin/python benchmarks/bench_ramps.py                    # uses ./demo-data (make demo)
    .venv/bin/python benchmarks/bench_ramps.py --demo DIR         # another full-size demo folder
    .venv/bin/python benchmarks/bench_ramps.py --skip-curve       # timings only

A folder without a full-size demo is filled with one first (`roman_lab.demo.make`, ~1 minute).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RADIUS_PX = 20.0
CENTRE_PX = (2000.3, 1500.6)  # an arbitrary place, not aligned with chunks


def percentile(values, q):
    return float(np.percentile(values, q))


def summary(values):
    return {"median_s": statistics.median(values), "p95_s": percentile(values, 95), "runs": len(values)}


def full_size_pair(folder):
    """(L2, L1) of the first exposure of a full-size demo in `folder`, made when missing."""
    from roman_lab import demo

    manifest = demo.make(folder, small=False, progress=True)
    exposure = manifest["exposures"][0]
    return manifest.path(exposure["cal"]), manifest.path(exposure["uncal"]), manifest["pixel_scale_arcsec"]


def timings(l2, l1, scale, warm_runs, baseline_runs):
    import astropy.units as u
    import roman_datamodels as rdm
    from astropy.coordinates import SkyCoord

    import roman_lab
    from roman_lab.ramp import L1_BORDER

    with roman_lab.open(l2) as rf:
        ra, dec = rf.wcs(*CENTRE_PX)
    region = (SkyCoord(float(ra), float(dec), unit="deg"), RADIUS_PX * scale * u.arcsec)
    with tempfile.TemporaryDirectory(prefix="bench-ramps-") as cache:
        start = time.perf_counter()
        found = roman_lab.ramps(l2, region, cache_dir=cache)
        cold = time.perf_counter() - start
        warm = []
        for _ in range(warm_runs):
            start = time.perf_counter()
            found = roman_lab.ramps(l2, region, cache_dir=cache)
            warm.append(time.perf_counter() - start)
        payload = len(json.dumps(found.to_json(), separators=(",", ":")))

    xs, ys = found.pixels[:, 0] + L1_BORDER, found.pixels[:, 1] + L1_BORDER
    baseline = []
    for _ in range(baseline_runs):
        start = time.perf_counter()
        with rdm.open(l1) as model:
            counts = np.asarray(model.data[:, ys, xs]).T.astype(np.float64)
        baseline.append(time.perf_counter() - start)
    assert np.array_equal(counts, found.counts)
    return {
        "pixels": len(found),
        "resultants": found.counts.shape[1],
        "jumps": len(found.jumps),
        "payload_bytes": payload,
        "cold_s": cold,
        "warm": summary(warm),
        "baseline": summary(baseline),
        "speedup_median": statistics.median(baseline) / statistics.median(warm),
    }


def recall_curve(out_png, n_ramps=40_000):
    """Recall at 3.5, 5 and 12 sigma against false jumps per ramp, over thresholds, with the
    ideal Phi(A - T(f)) of Gaussian differences; the default threshold marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.stats import norm

    from roman_lab.demo import field
    from roman_lab.demo.ramps import ReadPattern, simulate
    from roman_lab.ramp.jumps import default_threshold, detect_jumps, step_sigma
    from roman_lab.ramp.noise import DifferenceNoise

    pattern = ReadPattern()
    noise = DifferenceNoise(pattern.pattern, pattern.frame_time)
    m = noise.n_differences
    rng = np.random.default_rng(11)
    rate = rng.choice([0.5, 5.0, 50.0, 250.0], n_ramps).astype(np.float32)
    counts = simulate(rate[None], np.full((1, n_ramps), field.BIAS_LEVEL, np.float32), pattern, rng)[:, 0].T
    counts = counts.astype(float)
    unsaturated = np.zeros(counts.shape, bool)
    sigma = step_sigma(noise, rate, pattern.read_noise, pattern.gain)
    where = rng.integers(0, m, n_ramps)
    after = np.arange(m + 1)[None, :] > where[:, None]
    thresholds = np.linspace(2.2, 4.6, 13)
    default = default_threshold(m)
    rows = []
    for threshold in sorted([*thresholds, default]):
        def detect(c, threshold=threshold):
            return detect_jumps(noise, c, unsaturated, threshold, pattern.read_noise, pattern.gain)

        false = detect(counts).n_events.sum() / n_ramps  # events (one per cosmic ray), not differences
        recall = {}
        for amplitude in (3.5, 5.0, 12.0):
            jumped = counts + (amplitude * sigma[np.arange(n_ramps), where])[:, None] * after
            recall[amplitude] = float(detect(jumped).jump[np.arange(n_ramps), where].mean())  # explained
        rows.append({"threshold": float(threshold), "false_per_ramp": float(false), "recall": recall,
                     "ideal": {a: float(norm.sf(norm.isf(max(false, 1e-6) / m) - a)) for a in recall},
                     "default": bool(threshold == default)})

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    measured = [r for r in rows if r["false_per_ramp"] > 0]  # a log axis: thresholds with no false jump left out
    false = np.array([r["false_per_ramp"] for r in measured])
    for amplitude, colour in zip((3.5, 5.0, 12.0), ("tab:orange", "tab:blue", "tab:green")):
        ax.plot(false, [r["recall"][amplitude] for r in measured], "o-", color=colour, ms=3,
                label=f"{amplitude:g} sigma jumps: measured")
        ideal_f = np.geomspace(false.min(), false.max(), 100)
        ax.plot(ideal_f, norm.sf(norm.isf(ideal_f / m) - amplitude), ":", color=colour, label="ideal Phi(A - T)")
    chosen = next(r for r in rows if r["default"])
    ax.axvline(chosen["false_per_ramp"], color="k", lw=0.8, ls="--",
               label=f"default threshold {chosen['threshold']:.2f} sigma")
    ax.axvline(1e-2, color="tab:red", lw=0.8, ls="-.", label="budget: 0.01 false jumps per ramp")
    ax.set_xscale("log")
    ax.set_xlabel("false jumps per pixel ramp (6 resultants, jump-free synthetic ramps)")
    ax.set_ylabel("recall")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"Jump test, {n_ramps:,} synthetic ramps per point, reads 1-2-4-8-12-12", fontsize="medium")
    ax.legend(fontsize="x-small", loc="lower right")
    fig.tight_layout()
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png, dpi=120)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", type=Path, default=ROOT / "demo-data", help="full-size demo folder")
    parser.add_argument("--warm-runs", type=int, default=30)
    parser.add_argument("--baseline-runs", type=int, default=5)
    parser.add_argument("--skip-curve", action="store_true")
    parser.add_argument("--png", type=Path, default=ROOT / "docs" / "img" / "ramps_recall.png")
    args = parser.parse_args(argv)

    l2, l1, scale = full_size_pair(args.demo)
    result = {"l2": l2.name, "l1": l1.name, **timings(l2, l1, scale, args.warm_runs, args.baseline_runs)}
    print(json.dumps(result, indent=2))
    warm, base = result["warm"], result["baseline"]
    print(f"\n{result['pixels']} pixels x {result['resultants']} resultants, {result['jumps']} jumps")
    print(f"{'':28}{'median':>10}{'p95':>10}")
    print(f"{'roman_lab.ramps, warm':28}{warm['median_s']:>10.4f}{warm['p95_s']:>10.4f}")
    print(f"{'rdm.open(L1) + slice':28}{base['median_s']:>10.4f}{base['p95_s']:>10.4f}")
    print(f"{'roman_lab.ramps, cold':28}{result['cold_s']:>10.2f}")
    print(f"warm speed-up (medians): {result['speedup_median']:.0f}x")
    if not args.skip_curve:
        rows = recall_curve(args.png)
        print(f"\nrecall vs false jumps per ramp -> {args.png.relative_to(ROOT) if args.png.is_relative_to(ROOT) else args.png}")
        print(f"{'T':>6}{'false/ramp':>12}" + "".join(f"{f'{a:g} sigma':>16}" for a in (3.5, 5.0, 12.0)))
        for r in rows:
            cells = "".join(f"{r['recall'][a]:>8.3f} ({r['ideal'][a]:.3f})" for a in (3.5, 5.0, 12.0))
            print(f"{r['threshold']:>6.2f}{r['false_per_ramp']:>12.5f}{cells}{'  <- default' if r['default'] else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of the demo data set generator (docs/performance.md, "Demo data set").

    python benchmarks/bench_demo.py [--dir DIR] [--full-repeat 1] [--repeat 5] [--rows 256] [--skip-full]

1. Generates the full-size data set (`full-repeat` times, overwriting) and prints the wall
   time of each phase and the peak memory (RSS) of the process.
2. On a block of `rows` detector rows, compares side by side, `repeat` times each:
   - ramps: the generator's resultant statistics (2 normal draws per resultant and pixel)
     against a naive baseline that simulates every read (a Poisson draw and a read-noise draw
     per read, then averages each group of reads);
   - mosaic pixel map: the coarse grid + spline interpolation against evaluating the gwcs
     transforms on every pixel.
   Prints medians and 95th percentiles, the extrapolation to the whole data set, and checks
   that both sides agree (noise of the resultant differences; pixel-map error).
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from roman_lab import demo
from roman_lab.demo import field, ramps, sky
from roman_lab.demo import wcs as demo_wcs
from roman_lab.demo.mosaic import MosaicBuilder


def timed(func, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return np.array(times), result


def stats(times):
    return f"median {np.median(times):7.3f} s   p95 {np.percentile(times, 95):7.3f} s   (n={len(times)})"


def naive_resultants(rate, bias, ramp, rng):
    """Baseline: every read simulated (Poisson counts per read interval, read noise per read)."""
    n_reads = ramp.last_read
    frame = ramp.frame_time
    electrons = np.zeros(rate.shape, np.float64)
    reads = np.empty((n_reads,) + rate.shape, np.float32)
    for j in range(n_reads):
        electrons += rng.poisson(rate * ramp.gain * frame)
        reads[j] = bias + electrons / ramp.gain + rng.normal(0, ramp.read_noise, rate.shape)
    return np.stack([reads[np.asarray(g) - 1].mean(axis=0) for g in ramp.pattern]).astype(np.float32)


def bench_ramps(rows, repeat):
    size = field.Size(False)
    ramp = ramps.ReadPattern()
    ex = field.EXPOSURES[0]
    wcs = demo_wcs.detector_wcs(ex.detector, ex.roll, *demo_wcs.pointing(ex), size)
    rate = sky.render(wcs, size, sky.make_stars())[:rows]
    bias = np.full(rate.shape, field.BIAS_LEVEL, np.float32)
    fast_t, fast = timed(lambda: ramps.simulate(rate, bias, ramp, np.random.default_rng(1)), repeat)
    slow_t, slow = timed(lambda: naive_resultants(rate, bias, ramp, np.random.default_rng(2)), repeat)
    sky_pixels = np.abs(rate - np.median(rate)) < 0.05
    expected = ramp.difference_sigma(float(np.median(rate)))
    spread = {name: np.diff(r, axis=0)[:, sky_pixels].std(axis=1) for name, r in (("stats", fast), ("naive", slow))}
    scale = size.npix / rows * len(field.EXPOSURES)
    print(f"\nRamps, {rows} x {size.npix} pixels, {ramp.nres} resultants of {ramp.last_read} reads")
    print(f"  resultant statistics : {stats(fast_t)}  -> x{scale:.0f} = {np.median(fast_t) * scale:6.1f} s per data set")
    print(f"  naive, every read    : {stats(slow_t)}  -> x{scale:.0f} = {np.median(slow_t) * scale:6.1f} s per data set")
    print(f"  speed-up             : {np.median(slow_t) / np.median(fast_t):.1f}x")
    print("  noise of the resultant differences on sky pixels (DN):")
    print(f"    expected {np.round(expected, 2)}")
    print(f"    stats    {np.round(spread['stats'], 2)}")
    print(f"    naive    {np.round(spread['naive'], 2)}")


def bench_pixmap(rows, repeat):
    size = field.Size(False)
    ex = field.EXPOSURES[0]
    exposure_wcs = demo_wcs.detector_wcs(ex.detector, ex.roll, *demo_wcs.pointing(ex), size)
    builder = MosaicBuilder(size, 1)
    y0 = builder.n // 2

    def coarse():
        return builder.pixel_map(exposure_wcs).block(y0, y0 + rows)

    def exact():
        x, y = np.meshgrid(np.arange(builder.n, dtype=float), np.arange(y0, y0 + rows, dtype=float))
        return exposure_wcs.backward_transform(*builder.wcs.forward_transform(x, y))

    coarse_t, (cx, cy) = timed(coarse, repeat)
    exact_t, (ex_, ey) = timed(exact, repeat)
    on = (ex_ > -1) & (ex_ < size.npix) & (ey > -1) & (ey < size.npix)
    error = np.hypot(cx - ex_, cy - ey)[on].max()
    scale = builder.n / rows * len(field.EXPOSURES)
    print(f"\nMosaic -> exposure pixel map, {rows} x {builder.n} mosaic pixels")
    print(f"  coarse grid ({builder.n // 32 + 1}^2 exact points) + spline : {stats(coarse_t)}")
    print(f"  exact gwcs on every pixel                : {stats(exact_t)}  -> x{scale:.0f} = "
          f"{np.median(exact_t) * scale:6.1f} s per data set")
    print(f"  speed-up {np.median(exact_t) / np.median(coarse_t):.0f}x; worst difference on the detector "
          f"{error:.2e} px (float32 output)")


def bench_full(folder, repeat):
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        manifest = demo.make(folder, small=False, progress=True, overwrite=True)
        runs.append((time.perf_counter() - start, manifest["build_seconds"]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    total = sum(p.stat().st_size for p in Path(folder).iterdir() if p.is_file())
    print(f"\nFull-size data set in {folder}: {len(manifest['files'])} files, {total / 2**30:.2f} GiB")
    for phase in runs[0][1]:
        print(f"  {phase:16s} {stats(np.array([r[1][phase] for r in runs]))}")
    print(f"  wall (make)      {stats(np.array([r[0] for r in runs]))}")
    print(f"  peak RSS {peak:.2f} GiB; checks: {manifest['checks']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", help="where to write the full-size data set (default: a temporary folder)")
    parser.add_argument("--full-repeat", type=int, default=1, help="full-size generations to time")
    parser.add_argument("--repeat", type=int, default=5, help="repeats of the side-by-side comparisons")
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--skip-full", action="store_true", help="only the side-by-side comparisons")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}, numpy {np.__version__}")
    if not args.skip_full:
        if args.dir:
            bench_full(args.dir, args.full_repeat)
        else:
            with tempfile.TemporaryDirectory(prefix="roman-lab-demo-") as folder:
                bench_full(folder, args.full_repeat)
    bench_ramps(args.rows, args.repeat)
    bench_pixmap(args.rows, args.repeat)


if __name__ == "__main__":
    main()

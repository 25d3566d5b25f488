"""Stack-wide jump triage (issue 18): `roman_lab.triage` of a 20-pixel-radius circle behind which
50 full-size exposures lie, against the naive way (a loop calling `roman_lab.ramps` on each
exposure in turn, what a user writes first) and a loop reading each L1 box by hand with
`roman_datamodels.open(memmap=True)` (no pixel selection, DQ or jump test).

    .venv/bin/python benchmarks/bench_triage.py              # ~10 min, ~25 GB of scratch disk
    .venv/bin/python benchmarks/bench_triage.py --n 20       # fewer exposures
    .venv/bin/python benchmarks/bench_triage.py --work DIR   # keep the stack and its stores in DIR

The 50 exposures are the real-products corpus's romancal L2s with their romanisim L1s (`make
real-data`), each pair hard-linked into a folder of its own, so every one is a different file
to roman-lab (its own store) while the data stay real and full-size. The circle is centred on
the L3 centre, which every L2 covers. Cold: an empty store cache, every L1 and L2 converted (a
tqdm bar shows the progress), once. Warm: the stores converted, in the same process; medians and
p95 over --repeats runs, for 1, 2 and 4 threads.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")


def default_corpus():
    root = Path(os.environ.get("ROMAN_LAB_REAL_DATA", "~/.cache/roman-lab/real-data")).expanduser()
    for size in ("full", "ci"):
        if (root / f"corpus-{size}" / "STAMP").is_file():
            return root / f"corpus-{size}"
    sys.exit("no real-products corpus: `make real-data` builds it")


def stats(values):
    return f"{statistics.median(values) * 1000:8.0f} ms {np.percentile(values, 95) * 1000:8.0f} ms {len(values):4d}"


def link_stack(corpus, n, work):
    """n folders, each with one (L2, L1) pair of the corpus hard-linked; the L2 paths."""
    truth = json.loads((corpus / "truth.json").read_text())
    pairs = [(name, f["l1"]) for name, f in truth["files"].items() if f["level"] == 2]
    paths = []
    for i in range(n):
        l2, l1 = pairs[i % len(pairs)]
        folder = work / f"e{i:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        for name in (l2, l1):
            if not (folder / name).exists():
                os.link(corpus / name, folder / name)
        paths.append(folder / l2)
    mosaic = next(f for f in truth["files"].values() if f["level"] == 3)
    return paths, mosaic["centre_radec"]


def naive_ramps_loop(paths, region, cache):
    import roman_lab

    return [roman_lab.ramps(p, region, cache_dir=cache) for p in paths]


def naive_rdm_loop(paths, ra, dec, radius_px):
    """Each L1's box around the point, read through a memory map: the floor of any reading."""
    import roman_datamodels as rdm

    from roman_lab.io.skypixel import sky_to_pixel

    boxes = []
    for p in paths:
        with rdm.open(p) as l2:
            x, y = sky_to_pixel(l2.meta.wcs, ra, dec, shape=l2.data.shape)
        l1_path = p.with_name(p.name.replace("_cal.asdf", "_uncal.asdf"))
        with rdm.open(l1_path, memmap=True) as l1:
            x0, y0 = int(x) - radius_px + 4, int(y) - radius_px + 4
            boxes.append(np.array(l1.data[:, y0 : y0 + 2 * radius_px + 1, x0 : x0 + 2 * radius_px + 1]))
    return boxes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=None)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--radius-px", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp dir, removed)")
    args = ap.parse_args()
    corpus = args.corpus or default_corpus()

    import astropy.units as u
    from astropy.coordinates import SkyCoord

    import roman_lab
    from roman_lab.io import warmup

    warmup()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-triage-"))
    try:
        paths, (ra, dec) = link_stack(corpus, args.n, work / "stack")
        region = (SkyCoord(ra * u.deg, dec * u.deg), args.radius_px * 0.11 * u.arcsec)  # WFI: 0.11"/px
        cache = work / "stores"
        print(f"{args.n} full-size exposures ({corpus.name}), circle of {args.radius_px} px "
              f"({args.radius_px * 0.11:.1f} arcsec) at RA {ra:.5f} Dec {dec:.5f}; load average {os.getloadavg()[0]:.2f}")

        converted = cache.exists() and any(cache.iterdir())  # --work of an earlier run
        t0 = time.perf_counter()
        table = roman_lab.triage(region, paths, cache_dir=cache, progress=True)
        cold = time.perf_counter() - t0
        label = "first call, stores from an earlier run" if converted else "cold (every L1 and L2 converted)"
        print(f"  triage, {label:44s}{cold:8.1f} s")
        print(f"  {table['pixels'].sum()} pixel ramps; top: {table['name'][0]} "
              f"{table['max_unflagged_significance'][0]:.1f} sigma; notes: {sum(bool(n) for n in table['note'])}")
        print(f"  {'':52s}   median      p95    n")
        for workers in (1, 2, 4):
            runs = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                roman_lab.triage(region, paths, cache_dir=cache, progress=False, workers=workers)
                runs.append(time.perf_counter() - t0)
            print(f"  triage, warm, {workers} thread(s){'':30s}{stats(runs)}")
        runs = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            naive_ramps_loop(paths, region, cache)
            runs.append(time.perf_counter() - t0)
        print(f"  naive: a loop of roman_lab.ramps, warm{'':14s}{stats(runs)}")
        runs = []
        for _ in range(max(1, args.repeats // 2)):
            t0 = time.perf_counter()
            naive_rdm_loop(paths, ra, dec, args.radius_px)
            runs.append(time.perf_counter() - t0)
        print(f"  naive: rdm.open(L2) + rdm.open(L1, memmap) box, no jump test{stats(runs)}")
        print(f"  load average at the end {os.getloadavg()[0]:.2f}")
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

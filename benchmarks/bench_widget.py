"""Kernel API benchmark: `Viewer.load` of 50 exposures and restoring a 50-exposure state.

    .venv/bin/python benchmarks/bench_widget.py            # ~1 minute
    .venv/bin/python benchmarks/bench_widget.py --n 100

The small demo field is generated into a temporary folder and its 8 L2 exposures are
hard-linked under 50 distinct Roman names (a deep field: tens of exposures over one point;
the files' size does not matter here, nothing reads their arrays). The local archive indexes
the folder and `find_exposures` returns the 50 covering the galaxy, as in the science case.

Reported, medians and p95 over `--repeat` runs, each in a fresh viewer:
1. `v.load(exposures)` for the ExposureList, and `v.load(paths)` for the 50 paths; naive
   baseline in the same run: a loader that opens every file (`roman_lab.open`, the first
   open's schema loading excluded) for its level, time, detector and WCS.
2. `Viewer.from_state(path)` of a saved 50-exposure state (Python side: parse, validate, find
   the files, set the traits), and `save_state`.
3. the size of the `images` trait as JSON (what goes to the browser in one message).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import astropy.units as u
from astropy.coordinates import SkyCoord
from regions import CircleSkyRegion

import roman_lab
from roman_lab import demo
from roman_lab.archive import find_exposures


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return {"median_s": statistics.median(times), "p95_s": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]}


def deep_field(folder, n):
    """n L2 files (hard links to the small demo's exposures under distinct Roman names)."""
    manifest = demo.make(folder / "demo", small=True, progress=False)
    cals = [manifest.path(e["cal"]) for e in manifest["exposures"]]
    deep = folder / "deep"
    deep.mkdir()
    paths = []
    for i in range(n):
        target = deep / f"r0004201001001001{i // 8 + 1:04d}101_{i % 8 + 1:04d}_wfi02_f158_cal.asdf"
        os.link(cals[i % len(cals)], target)
        paths.append(target)
    galaxy = SkyCoord(manifest["galaxy"]["ra"], manifest["galaxy"]["dec"], unit="deg")
    return paths, galaxy


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.chdir(tmp)
        os.environ["ROMAN_LAB_CACHE"] = str(tmp / "cache")
        paths, galaxy = deep_field(tmp, args.n)
        region = CircleSkyRegion(galaxy, 2 * u.arcsec)
        exposures = find_exposures(region, root=paths[0].parent, db=tmp / "index.sqlite")
        print(f"find_exposures: {len(exposures)} exposures cover the galaxy", file=sys.stderr)

        with roman_lab.open(paths[0]):  # load the asdf schemas once: not part of any timing
            pass

        def naive():
            for p in paths:
                with roman_lab.open(p) as rf:
                    (rf.level, rf.summary.get("start_time"), rf.summary.get("detector"), rf.wcs)

        viewer = roman_lab.Viewer()
        viewer.load(exposures)
        viewer.center_on(galaxy)
        viewer.add_region(region)
        state = viewer.save_state(tmp / "deep.romanview.json")
        results = {
            "n_exposures": len(exposures),
            "load_exposure_list": timed(lambda: roman_lab.Viewer().load(exposures), args.repeat),
            "load_paths": timed(lambda: roman_lab.Viewer().load(paths), args.repeat),
            "naive_open_every_file": timed(naive, max(3, args.repeat // 2)),
            "save_state": timed(lambda: viewer.save_state(tmp / "again.romanview.json"), args.repeat),
            "from_state": timed(lambda: roman_lab.Viewer.from_state(state), args.repeat),
            "images_json_bytes": len(json.dumps(viewer.get_state()["images"])),
            "state_file_bytes": state.stat().st_size,
        }
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

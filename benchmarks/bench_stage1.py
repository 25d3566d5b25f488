"""Stage 1 of a conversion (a never-seen file to display-ready), part by part, in one warm process.

    .venv/bin/python benchmarks/bench_stage1.py              # ~1 minute

Files: the romancal L2s and L3 of the real-products corpus when `make real-data` has been run,
and a full-size synthetic L2 (bench_store.make_l2) always; each opened under a new hard-linked
name per trial (a new store; the bytes in the page cache). Reported per file (medians and p95
over --trials):

- each part of stage 1 alone, one after the other: opening the ASDF tree; reading `data`, ours
  (`RomanFile.read`: lz4 pieces in parallel, `roman_lab/io/blocks.py`) side by side with asdf's
  own (`np.asarray(tree["data"])`, the naive way); the statistics; the coarsest level; the
  TAN-SIP fit;
- `roman_lab.store.convert_in_stages` (what the server's jobs run) to display-ready: wall time
  and CPU time (user + system), the second stage run after it is timed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_first_pixels import corpus  # noqa: E402
from bench_store import make_l2  # noqa: E402


def parts(path):
    """ms of each part of stage 1 alone."""
    import asdf

    from roman_lab.io import open as open_roman
    from roman_lab.store.imaging import coarsest_level, statistics
    from roman_lab.store.wcsfit import fit_sip

    out = {}
    t = time.perf_counter()
    rf = open_roman(path)
    out["open the ASDF tree"] = time.perf_counter() - t
    try:
        t = time.perf_counter()
        data = np.asarray(rf.read("data"), np.float32)
        out["read data: ours (lz4 pieces in parallel)"] = time.perf_counter() - t
        with warnings.catch_warnings(), asdf.open(path, lazy_load=True, memmap=False) as af:
            warnings.simplefilter("ignore")
            node = af.tree["roman"]["data"]
            t = time.perf_counter()
            naive = np.asarray(node)
            out["read data: naive (asdf's own, one thread)"] = time.perf_counter() - t
            assert np.array_equal(naive, data, equal_nan=True)
            del naive
        for name, fn in (("statistics", lambda: statistics(data)), ("coarsest level", lambda: coarsest_level(data, 512)),
                         ("TAN-SIP fit", lambda: fit_sip(rf.wcs, data.shape))):
            t = time.perf_counter()
            fn()
            out[name] = time.perf_counter() - t
    finally:
        rf.close()
    return out


def stage1(path, cache):
    """(wall s, CPU s) of convert_in_stages to display-ready; stage 2 run after."""
    from roman_lab.store import convert_in_stages

    t, cpu = time.perf_counter(), os.times()
    finish = convert_in_stages(path, cache_dir=cache, max_cache_bytes=float("inf"))
    wall, after = time.perf_counter() - t, os.times()
    finish()
    return wall, (after.user - cpu.user) + (after.system - cpu.system)


def line(name, values):
    v = np.asarray(values) * 1000
    return f"| {name} | {np.median(v):.0f} | {np.percentile(v, 95):.0f} |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=8)
    args = parser.parse_args(argv)
    from roman_lab.server.api import warmup

    warmup()
    with tempfile.TemporaryDirectory(prefix="roman-lab-bench-stage1-") as scratch:
        work = Path(scratch)
        sources = [("synthetic L2, 4088^2", make_l2(work / "synthetic_cal.asdf"))]
        real = corpus()
        if real is not None:
            sources += [(f"romancal L2 {p.name[:24]}...", p) for p in sorted(real.glob("*_cal.asdf"))[:2]]
            sources += [("romancal L3 mosaic", p) for p in sorted(real.glob("*_coadd.asdf"))[:1]]
        print(f"# bench_stage1: 2 cores, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the start\n")
        for label, source in sources:
            rows, walls, cpus = {}, [], []
            for trial in range(args.trials + 1):  # the first trial of each file is not counted
                link = work / f"t{trial}_{source.name}"
                os.link(source, link)
                timed = parts(link)
                wall, cpu = stage1(link, work / f"cache-{label[:8]}-{trial}")
                if trial:
                    for name, s in timed.items():
                        rows.setdefault(name, []).append(s)
                    walls.append(wall)
                    cpus.append(cpu)
            print(f"{label} ({source.stat().st_size / 1e6:.0f} MB), n = {args.trials}\n")
            print("| part of stage 1, alone | ms, median | p95 |\n| --- | ---: | ---: |")
            for name, values in rows.items():
                print(line(name, values))
            print(line("**stage 1 (`convert_in_stages` to display-ready), wall**", walls))
            print(line("stage 1, CPU time (user + system; os.times, 10 ms ticks)", cpus))
            print()
        print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end")


if __name__ == "__main__":
    main()

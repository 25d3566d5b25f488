"""Real Roman products (issue 15): romanisim L1 ramps, romancal L2 exposures and L3 mosaic
(`make real-data`, real_data/build.py), our way against `roman_datamodels.open` on the same
files, in the same run.

    .venv/bin/python benchmarks/bench_real.py                  # ~45 s on 2 cores
    .venv/bin/python benchmarks/bench_real.py --corpus DIR     # another corpus folder
    .venv/bin/python benchmarks/bench_real.py --quick          # fewer repeats

Measured (medians and p95 over repeats; every store goes into a fresh cache folder under a
scratch folder, never ~/.cache; the files are in the page cache; the main process has run
`roman_lab.io.warmup()` once, so neither side pays the first asdf open of a process there):

1. a never-seen L2 (4088 x 4088, lz4 blocks): `roman_lab.convert` into a fresh cache until the
   converter says "display-ready" (its on_progress) = first pixels the browser can draw
   (+ reading the coarsest chunk back), and until the store is complete; naive: `rdm.open` +
   `np.asarray(model.data)`. Also opening the tree only: `roman_lab.open` vs `rdm.open`.
2. the ramps of a 0.5- and a 2-arcsec circle around a cosmic ray the pipeline flagged
   (truth.json): `roman_lab.ramps(l2, circle)` cold (a fresh process and an empty cache: the
   L1 and L2 are converted first) and warm (same process, p50/p95); naive: `rdm.open(l1)` and
   `model.data[:, y0:y1, x0:x1]` of the circle's bounding box (L1 = L2 + 4 pixels), in a fresh
   process once and warm; also with `rdm.open(l1, memmap=True)` (romanisim writes the L1
   uncompressed, so a memory map reads only the box; asdf's default reads the whole block).
3. `roman_lab.find_exposures((point, 0.1 arcsec), source="lineage", mosaic=L3)` at the L3
   centre and at truth probes (near the L2 corners): cold (a fresh process, empty cache: the
   context is read from the mosaic's ASDF), a fresh process with the store already converted,
   and warm; naive: `rdm.open(L3)`, `meta.resample.members`, the point's context bits (through
   `roman_lab.io.skypixel.sky_to_pixel`: gwcs's numerical inverse raises on these files under
   astropy 8) and every member's footprint from the forward transform of its 4 corners
   (spherical point-in-polygon). Both answers are checked against truth.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")
ROOT = Path(__file__).resolve().parents[1]
LINEAGE_RADIUS_ARCSEC = 0.1


def default_corpus():
    root = Path(os.environ.get("ROMAN_LAB_REAL_DATA", "~/.cache/roman-lab/real-data")).expanduser()
    for size in ("full", "ci"):
        if (root / f"corpus-{size}" / "STAMP").is_file():
            return root / f"corpus-{size}"
    return root / "corpus-full"


def summary(values):
    return {"median_s": statistics.median(values), "p95_s": float(np.percentile(values, 95)), "runs": len(values)}


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


# -- the naive ways ---------------------------------------------------------------------------
def naive_pixels(l2):
    import roman_datamodels as rdm

    with rdm.open(l2) as model:
        return np.asarray(model.data)


def naive_ramps(l1, box, memmap=False):
    import roman_datamodels as rdm

    x0, x1, y0, y1 = box
    with rdm.open(l1, **({"memmap": True} if memmap else {})) as model:
        return np.array(model.data[:, y0:y1, x0:x1])  # a copy: valid after the file is closed


def _unit(ra, dec):
    ra, dec = np.radians(ra), np.radians(dec)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=-1)


def naive_lineage(mosaic, ra, dec):
    """What a user writes by hand: the mosaic's members, the context bits at the point's mosaic
    pixel, and each member's detector footprint (forward WCS of its corners) tested."""
    import roman_datamodels as rdm

    from roman_lab.io.skypixel import sky_to_pixel

    mosaic = Path(mosaic)
    with rdm.open(mosaic) as l3:
        members = [str(m) for m in l3.meta.resample.members]
        x, y = sky_to_pixel(l3.meta.wcs, ra, dec)
        context = np.asarray(l3.context)
        xi, yi = round(float(x)), round(float(y))
        bits = context[:, yi, xi] if 0 <= yi < context.shape[1] and 0 <= xi < context.shape[2] else []
    contributing = sorted(members[32 * j + i] for j, w in enumerate(bits) for i in range(32) if int(w) >> i & 1)
    p = _unit(ra, dec)
    covering = []
    for name in members:
        with rdm.open(mosaic.parent / name) as model:
            ny, nx = model.data.shape
            cra, cdec = model.meta.wcs([-0.5, nx - 0.5, nx - 0.5, -0.5], [-0.5, -0.5, ny - 0.5, ny - 0.5])
        v = _unit(np.asarray(cra), np.asarray(cdec))
        sides = [np.dot(np.cross(v[i], v[(i + 1) % 4]), p) for i in range(4)]
        if all(s > 0 for s in sides) or all(s < 0 for s in sides):
            covering.append(name)
    return covering, contributing


# -- fresh-process runs -----------------------------------------------------------------------
def child(task, args):
    """Runs in a fresh process: the same imports for both sides (a notebook's earlier cell),
    then one timed call, which pays the process's first asdf open; prints JSON."""
    t0 = time.perf_counter()
    import astropy.units as u
    import roman_datamodels  # noqa: F401
    from astropy.coordinates import SkyCoord

    import roman_lab
    import roman_lab.archive
    import roman_lab.io
    import roman_lab.ramp
    import roman_lab.store  # roman_lab imports these lazily: imported before the clock too

    out = {"import_s": time.perf_counter() - t0}
    if task == "ramps":
        region = (SkyCoord(args["ra"] * u.deg, args["dec"] * u.deg), args["radius_arcsec"] * u.arcsec)
        dt, found = timed(roman_lab.ramps, args["l2"], region, cache_dir=args["cache"])
        out.update(call_s=dt, pixels=len(found))
    elif task == "ramps_naive":
        dt, cube = timed(naive_ramps, args["l1"], args["box"], args.get("memmap", False))
        out.update(call_s=dt, shape=list(cube.shape))
    elif task == "lineage":
        region = (SkyCoord(args["ra"] * u.deg, args["dec"] * u.deg), LINEAGE_RADIUS_ARCSEC * u.arcsec)
        dt, found = timed(roman_lab.find_exposures, region, source="lineage", mosaic=args["mosaic"])
        out.update(call_s=dt, found=sorted(e.name for e in found))
    elif task == "lineage_naive":
        dt, (covering, contributing) = timed(naive_lineage, args["mosaic"], args["ra"], args["dec"])
        out.update(call_s=dt, found=covering, contributing=contributing)
    print(json.dumps(out))


def fresh_process(task, args, env=None):
    proc = subprocess.run([sys.executable, __file__, "--child", task, json.dumps(args)], capture_output=True, check=False,
                          text=True, env={**os.environ, **(env or {})}, cwd=ROOT)
    if proc.returncode:
        raise RuntimeError(f"child {task} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- 1. convert and first pixels ----------------------------------------------------------------
def bench_convert(l2s, work, repeats, open_repeats):
    import roman_datamodels as rdm
    import zarr
    from zarr.storage import LocalStore

    import roman_lab

    naive, display, first_chunk, complete = [], [], [], []
    for r in range(repeats):
        path = l2s[r % len(l2s)]
        naive.append(timed(naive_pixels, path)[0])
        cache = Path(tempfile.mkdtemp(dir=work, prefix="convert-"))
        marks = {}
        t0 = time.perf_counter()

        def on_progress(fraction, message, marks=marks, t0=t0):
            marks.setdefault(message, time.perf_counter() - t0)

        store = roman_lab.convert(path, cache_dir=cache, progress=False, on_progress=on_progress)
        complete.append(time.perf_counter() - t0)
        display.append(marks["display-ready"])
        t1 = time.perf_counter()
        level = store.attrs["pyramid_levels"] - 1
        zarr.open_array(store=LocalStore(str(store.path), read_only=True), path=f"data/{level}", mode="r")[:512, :512]
        first_chunk.append(marks["display-ready"] + time.perf_counter() - t1)
        shutil.rmtree(cache, ignore_errors=True)

    def ours_open(p):
        with roman_lab.open(p):
            pass

    def rdm_open(p):
        with rdm.open(p):
            pass

    ours_tree, rdm_tree = [], []
    for r in range(open_repeats):
        path = l2s[r % len(l2s)]
        ours_tree.append(timed(ours_open, path)[0])
        rdm_tree.append(timed(rdm_open, path)[0])
    return {
        "file_mb": os.path.getsize(l2s[0]) / 1e6,
        "naive_pixels": summary(naive), "display_ready": summary(display),
        "display_ready_plus_coarsest_chunk": summary(first_chunk), "complete": summary(complete),
        "open_tree_roman_lab": summary(ours_tree), "open_tree_rdm": summary(rdm_tree),
    }


# -- 2. ramps -------------------------------------------------------------------------------------
def bench_ramps(l2, l1, hit, work, radii, warm_runs, naive_runs):
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    import roman_lab
    from roman_lab.ramp import L1_BORDER

    with roman_lab.open(l2) as rf:
        ra, dec = (float(v) for v in rf.wcs(hit["x"], hit["y"]))
    rows = []
    for radius in radii:
        cache = Path(tempfile.mkdtemp(dir=work, prefix="ramps-"))
        cold = fresh_process("ramps", {"l2": str(l2), "ra": ra, "dec": dec, "radius_arcsec": radius, "cache": str(cache)})
        region = (SkyCoord(ra * u.deg, dec * u.deg), radius * u.arcsec)
        found = roman_lab.ramps(l2, region, cache_dir=cache)  # this process's first call (stores on disk)
        warm = [timed(roman_lab.ramps, l2, region, cache_dir=cache)[0] for _ in range(warm_runs)]
        px = found.pixels
        box = [int(px[:, 0].min()) + L1_BORDER, int(px[:, 0].max()) + 1 + L1_BORDER,
               int(px[:, 1].min()) + L1_BORDER, int(px[:, 1].max()) + 1 + L1_BORDER]
        naive_cold = fresh_process("ramps_naive", {"l1": str(l1), "box": box})
        naive_cold_mm = fresh_process("ramps_naive", {"l1": str(l1), "box": box, "memmap": True})
        naive, naive_mm = [], []
        for _ in range(naive_runs):
            dt, cube = timed(naive_ramps, l1, box)
            naive.append(dt)
            naive_mm.append(timed(naive_ramps, l1, box, True)[0])
        got = cube[:, px[:, 1] + L1_BORDER - box[2], px[:, 0] + L1_BORDER - box[0]].T.astype(np.float64)
        assert np.array_equal(got, found.counts), "the naive slice and roman_lab.ramps disagree"
        hit_jumps = [j for j in found.jumps if (int(j["x"]), int(j["y"])) == (hit["x"], hit["y"])]
        rows.append({
            "radius_arcsec": radius, "pixels": len(found), "resultants": int(found.counts.shape[1]),
            "jumps": len(found.jumps), "hit_found": [(int(j["resultant"]), bool(j["pipeline_flagged"])) for j in hit_jumps],
            "box": box, "cold_s": cold["call_s"], "cold_import_s": cold["import_s"], "warm": summary(warm),
            "naive_cold_s": naive_cold["call_s"], "naive": summary(naive),
            "naive_memmap_cold_s": naive_cold_mm["call_s"], "naive_memmap": summary(naive_mm),
            "speedup_warm_median": statistics.median(naive) / statistics.median(warm),
        })
        shutil.rmtree(cache, ignore_errors=True)
    return {"hit": hit, "ra": ra, "dec": dec, "rows": rows}


# -- 3. lineage -----------------------------------------------------------------------------------
def bench_lineage(mosaic, points, work, warm_runs, naive_runs):
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    import roman_lab

    cache = Path(tempfile.mkdtemp(dir=work, prefix="lineage-"))
    env = {"ROMAN_LAB_CACHE": str(cache)}
    (ra, dec), _, _ = points[0]
    cold = fresh_process("lineage", {"mosaic": str(mosaic), "ra": ra, "dec": dec}, env)
    cold_converted = fresh_process("lineage", {"mosaic": str(mosaic), "ra": ra, "dec": dec}, env)
    naive_cold = fresh_process("lineage_naive", {"mosaic": str(mosaic), "ra": ra, "dec": dec})
    os.environ["ROMAN_LAB_CACHE"] = str(cache)  # this process's queries use the store made above
    first, _ = timed(roman_lab.find_exposures, (SkyCoord(ra * u.deg, dec * u.deg), LINEAGE_RADIUS_ARCSEC * u.arcsec),
                     source="lineage", mosaic=mosaic)
    rows = []
    warm_all, naive_all = [], []
    for (ra, dec), covered_by, context_members in points:
        region = (SkyCoord(ra * u.deg, dec * u.deg), LINEAGE_RADIUS_ARCSEC * u.arcsec)
        warm = []
        for _ in range(warm_runs):
            dt, found = timed(roman_lab.find_exposures, region, source="lineage", mosaic=mosaic)
            warm.append(dt)
        ours = sorted(e.name for e in found)
        ours_contrib = sorted(e.name for e in found if e.contributing)
        naive = []
        for _ in range(naive_runs):
            dt, (covering, contributing) = timed(naive_lineage, mosaic, ra, dec)
            naive.append(dt)
        warm_all += warm
        naive_all += naive
        rows.append({"radec": [ra, dec], "truth": sorted(covered_by), "ours_ok": ours == sorted(covered_by),
                     "ours_contributing_ok": ours_contrib == sorted(context_members),
                     "naive_ok": sorted(covering) == sorted(covered_by),
                     "naive_contributing_ok": contributing == sorted(context_members),
                     "warm": summary(warm), "naive": summary(naive)})
    shutil.rmtree(cache, ignore_errors=True)
    os.environ.pop("ROMAN_LAB_CACHE", None)
    return {"members": len(points[0][1]), "mosaic_mb": os.path.getsize(mosaic) / 1e6,
            "cold_s": cold["call_s"], "cold_import_s": cold["import_s"], "cold_found_ok": cold["found"] == sorted(points[0][1]),
            "fresh_process_store_converted_s": cold_converted["call_s"], "this_process_first_s": first,
            "naive_cold_s": naive_cold["call_s"], "naive_cold_ok": naive_cold["found"] == sorted(points[0][1]),
            "warm": summary(warm_all), "naive": summary(naive_all), "points": rows,
            "speedup_warm_median": statistics.median(naive_all) / statistics.median(warm_all)}


# -- main -----------------------------------------------------------------------------------------
def ms(v):
    return f"{1e3 * v:.0f} ms" if v < 10 else f"{v:.1f} s"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=default_corpus())
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp dir)")
    ap.add_argument("--repeats", type=int, default=8, help="cold conversions of an L2 (and naive reads)")
    ap.add_argument("--warm-runs", type=int, default=20)
    ap.add_argument("--naive-runs", type=int, default=10)
    ap.add_argument("--probes", type=int, default=4, help="truth probes besides the L3 centre")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args.child[0], json.loads(args.child[1]))
    if args.quick:
        args.repeats, args.warm_runs, args.naive_runs, args.probes = 2, 5, 2, 2

    corpus = args.corpus.expanduser()
    if not (corpus / "truth.json").is_file():
        print(f"no real-products corpus in {corpus}: `make real-data` builds it", file=sys.stderr)
        return 2
    truth = json.loads((corpus / "truth.json").read_text())
    files = truth["files"]
    l2s = [corpus / n for n, f in files.items() if f["level"] == 2]
    mosaic_name = next(n for n, f in files.items() if f["level"] == 3)
    work = Path(args.work or tempfile.mkdtemp(prefix="roman-lab-bench-real-"))
    work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {load[0]:.2f}, corpus {corpus}, scratch {work}")
    for p in corpus.glob("*.asdf"):  # into the page cache, as right after a download
        with open(p, "rb") as fh:
            while fh.read(1 << 24):
                pass

    from roman_lab.io import warmup

    t = time.perf_counter()
    warmup()
    print(f"warmup (asdf/roman_datamodels schemas, once per process): {time.perf_counter() - t:.2f} s")
    t_all = time.perf_counter()

    conv = bench_convert(l2s, work, args.repeats, max(10, args.warm_runs))
    l2 = l2s[0]
    hits = [h for h in files[l2.name]["cosmic_rays"]["flagged"] if 40 <= h["x"] < 4048 and 40 <= h["y"] < 4048]
    ramps = bench_ramps(l2, corpus / files[l2.name]["l1"], hits[0], work, (0.5, 2.0), args.warm_runs, args.naive_runs)
    m = files[mosaic_name]
    probes = m["probes"]
    picked = [probes[i] for i in np.linspace(0, len(probes) - 1, args.probes).round().astype(int)]
    points = [(m["centre_radec"], m["covered_by"], m["context_members_at_centre"])]
    points += [(p["radec"], p["covered_by"], p["l3_context_members"]) for p in picked]
    lineage = bench_lineage(corpus / mosaic_name, points, work, args.warm_runs, max(2, args.naive_runs // 2))
    total = time.perf_counter() - t_all
    load_end = os.getloadavg()
    shutil.rmtree(work, ignore_errors=True) if args.work is None else None

    result = {"corpus": str(corpus), "versions": truth.get("versions"), "load_start": load, "load_end": load_end,
              "seconds": total, "convert": conv, "ramps": ramps, "lineage": lineage}
    print(json.dumps(result, indent=1, default=str))

    def row(label, s, n=None):
        if isinstance(s, dict):
            print(f"{label:<72}{ms(s['median_s']):>10}{ms(s['p95_s']):>10}{s['runs']:>5}")
        else:
            print(f"{label:<72}{ms(s):>10}{'':>10}{n or 1:>5}")

    print(f"\n{'':<72}{'median':>10}{'p95':>10}{'n':>5}")
    print(f"1. never-seen L2 {l2.name} ({conv['file_mb']:.0f} MB)")
    row("  roman_lab.convert -> display-ready (first pixels)", conv["display_ready"])
    row("  ... + reading the coarsest chunk back", conv["display_ready_plus_coarsest_chunk"])
    row("  roman_lab.convert -> store complete", conv["complete"])
    row("  naive: rdm.open + np.asarray(model.data)", conv["naive_pixels"])
    row("  roman_lab.open (tree only)", conv["open_tree_roman_lab"])
    row("  rdm.open (tree only)", conv["open_tree_rdm"])
    h = ramps["hit"]
    print(f"2. ramps around the flagged cosmic ray at L2 ({h['x']}, {h['y']}), resultant {h['resultant']}")
    for r in ramps["rows"]:
        print(f"  circle {r['radius_arcsec']:g} arcsec: {r['pixels']} pixels x {r['resultants']} resultants, "
              f"{r['jumps']} jumps; the hit: {r['hit_found']}")
        row("    roman_lab.ramps, cold (fresh process, empty cache: converts L1 + L2)", r["cold_s"])
        row("    roman_lab.ramps, warm", r["warm"])
        row("    naive, fresh process: rdm.open(L1) + data[:, box]", r["naive_cold_s"])
        row("    naive, warm", r["naive"])
        row("    naive with rdm.open(L1, memmap=True), fresh process", r["naive_memmap_cold_s"])
        row("    naive with rdm.open(L1, memmap=True), warm", r["naive_memmap"])
    lin = lineage
    print(f"3. lineage on {mosaic_name} ({lin['mosaic_mb']:.0f} MB), {len(lin['points'])} points")
    row("  find_exposures, cold (fresh process, empty cache: context read from the ASDF)", lin["cold_s"])
    row("  find_exposures, fresh process, L3 store already converted", lin["fresh_process_store_converted_s"])
    row("  find_exposures, first call in this process (store converted)", lin["this_process_first_s"])
    row("  find_exposures, warm (all points)", lin["warm"])
    row("  naive, fresh process (rdm: members, context, 4 member WCSs)", lin["naive_cold_s"])
    row("  naive, warm (all points)", lin["naive"])
    print(f"  answers = truth.json: ours {sum(p['ours_ok'] for p in lin['points'])}/{len(lin['points'])} "
          f"(contributing {sum(p['ours_contributing_ok'] for p in lin['points'])}), naive "
          f"{sum(p['naive_ok'] for p in lin['points'])}/{len(lin['points'])} "
          f"(contributing {sum(p['naive_contributing_ok'] for p in lin['points'])})")
    print(f"\nwhole benchmark {total:.0f} s; load average {load[0]:.2f} at start, {load_end[0]:.2f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())

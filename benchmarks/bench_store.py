"""Store service benchmark: full-size Roman files, our conversion vs the naive way, in one run.

    .venv/bin/python benchmarks/bench_store.py            # ~1-2 minutes on 2 cores
    .venv/bin/python benchmarks/bench_store.py --quick    # fewer repeats, no L1 chunk study

Files are roman_datamodels `create_fake_data(shape=(4088, 4088))` L2 models filled with
realistic float32 noise (sky + stars; zeros would compress unrealistically) and saved with
`model.save` (lz4 blocks, as the pipeline writes them). Each timed conversion goes into a
fresh cache folder, so the file is never seen. The source file is in the page cache (as it
is right after a download or on a warm server), and the process has run `roman_lab.io.warmup()`
once (a server does at start; the first asdf open in a process costs ~0.5 s extra).

Reported:
1. time to first chunk of a never-seen L2: naive = roman_datamodels.open + reading `data`
   (what any in-memory viewer pays before showing a pixel); ours = `convert` until the
   store is display-ready (coarsest pyramid level, statistics, TAN-SIP WCS renamed into
   place) + reading the coarsest chunk from disk; also until full resolution is readable
   and until the store is complete.
2. conversion throughput (MB of source arrays per s, and per CPU-second) and store size.
3. codecs x chunk sizes: write time, size vs raw, decode time of one chunk.
4. L1 ramps: chunk (n, c, c) for c in 32/64/128: bytes and time to read all ramps of a
   20-px-radius circle.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics as pystats
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")


def make_l2(path, seed=0, n=4088):
    from roman_datamodels import datamodels as dm

    rng = np.random.default_rng(seed)
    m = dm.ImageModel.create_fake_data(shape=(n, n))
    d = rng.normal(0.5, 0.05, size=(n, n)).astype(np.float32)  # sky + read noise (DN/s)
    for _ in range(3000):  # stars
        y, x = rng.integers(8, n - 8, 2)
        amp = rng.exponential(30.0)
        yy, xx = np.mgrid[-4:5, -4:5]
        d[y - 4:y + 5, x - 4:x + 5] += (amp * np.exp(-(xx**2 + yy**2) / 3.0)).astype(np.float32)
    m.data = d
    m.err = (0.05 + 0.02 * np.sqrt(np.abs(d))).astype(m.err.dtype)
    dq = np.zeros((n, n), m.dq.dtype)
    dq[rng.integers(0, n, 20000), rng.integers(0, n, 20000)] = 4  # jumps
    m.dq = dq
    m.meta.filename = path.name
    m.save(path)
    return path


def make_l1(path, n_res=6, n=4096, seed=1):
    from roman_datamodels import datamodels as dm

    rng = np.random.default_rng(seed)
    m = dm.ScienceRawModel.create_fake_data(shape=(n_res, n, n))
    base = rng.normal(12000, 700, size=(n, n)).astype(np.float32)
    rate = rng.exponential(2.0, size=(n, n)).astype(np.float32)
    cube = np.empty((n_res, n, n), np.uint16)
    for i in range(n_res):
        cube[i] = np.clip(base + rate * 3.04 * (i + 1) + rng.normal(0, 6, (n, n)), 0, 65535).astype(np.uint16)
    m.data = cube
    m.meta.exposure.read_pattern = [[i + 1] for i in range(n_res)]
    m.meta.exposure.frame_time = 3.04
    m.meta.filename = path.name
    m.save(path)
    return path


def pct(values, q):
    return float(np.percentile(values, q))


def fmt(values, unit="s", scale=1.0):
    v = [x * scale for x in values]
    return f"median {pystats.median(v):7.3f} {unit}  p95 {pct(v, 95):7.3f} {unit}  (n={len(v)})"


def source_array_bytes(path):
    from roman_lab.io import open as ropen

    with ropen(path) as f:
        return sum(int(np.prod(f.arrays[k]["shape"])) * np.dtype(f.arrays[k]["dtype"]).itemsize
                   for k in ("data", "err", "dq") if k in f.arrays)


def bench_first_chunk(files, work, repeats):
    import roman_datamodels as rdm
    import zarr
    from zarr.storage import LocalStore

    from roman_lab.store import convert

    naive, display, full_res, complete, cpu, sizes = [], [], [], [], [], []
    for _ in range(repeats):
        for f in files:
            t = time.perf_counter()
            with rdm.open(f) as m:
                np.asarray(m.data)
            naive.append(time.perf_counter() - t)

            cache = Path(tempfile.mkdtemp(dir=work, prefix="cache"))
            marks = {}
            t0 = time.perf_counter()

            def on_progress(frac, msg, marks=marks, t0=t0):
                marks.setdefault(msg, time.perf_counter() - t0)

            c0 = time.process_time()
            s = convert(f, cache_dir=cache, progress=False, on_progress=on_progress)
            total = time.perf_counter() - t0
            cpu.append(time.process_time() - c0)
            # first chunk: the coarsest level, read back from the store the browser gets
            t1 = time.perf_counter()
            n_levels = s.attrs["pyramid_levels"]
            arr = zarr.open_array(store=LocalStore(str(s.path), read_only=True), path=f"data/{n_levels - 1}",
                                  mode="r")
            arr[0:512, 0:512]
            read_chunk = time.perf_counter() - t1
            display.append(marks["display-ready"] + read_chunk)
            full_res.append(marks.get("err", total) + read_chunk)  # data/0 renamed when 'err' starts
            complete.append(total)
            sizes.append((s.attrs["store_bytes"], os.path.getsize(f)))
            shutil.rmtree(cache, ignore_errors=True)
    return naive, display, full_res, complete, cpu, sizes


def bench_codecs(src, work):
    import numcodecs
    import zarr
    from zarr.codecs import BloscCodec, ZstdCodec
    from zarr.storage import LocalStore

    from roman_lab.io import open as ropen
    from roman_lab.store.converter import write_store

    variants = {
        "zstd(1)": [ZstdCodec(level=1)],
        "zstd(3)": [ZstdCodec(level=3)],
        "blosc-lz4+shuffle": [BloscCodec(cname="lz4", clevel=5, shuffle="shuffle", typesize=4)],
        "blosc-zstd(1)+shuffle": [BloscCodec(cname="zstd", clevel=1, shuffle="shuffle", typesize=4)],
        "none": [],
    }
    decoders = {
        "zstd(1)": numcodecs.Zstd(), "zstd(3)": numcodecs.Zstd(),
        "blosc-lz4+shuffle": numcodecs.Blosc(), "blosc-zstd(1)+shuffle": numcodecs.Blosc(), "none": None,
    }
    rows = []
    src_size = os.path.getsize(src)
    for chunk in (256, 512):
        for name, codec in variants.items():
            out = Path(work) / f"codec-{chunk}-{name.replace('(', '').replace(')', '').replace('+', '-')}"
            shutil.rmtree(out, ignore_errors=True)
            with ropen(src) as rf:
                raw = sum(int(np.prod(rf.arrays[k]["shape"])) * 4 for k in ("data", "err", "dq"))
                t = time.perf_counter()
                write_store(rf, out, {"path": str(src)}, chunk=chunk, codec=codec)
                dt = time.perf_counter() - t
            size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
            a = zarr.open_array(store=LocalStore(str(out), read_only=True), path="data/0", mode="r")
            key = out / "data" / "0" / "c" / "3" / "3"
            blob = key.read_bytes()
            dec = decoders[name]
            times = []
            for _ in range(20):
                t = time.perf_counter()
                if dec is not None:
                    dec.decode(blob)
                times.append(time.perf_counter() - t)
            t = time.perf_counter()
            for i in range(8):
                a[chunk * i:chunk * (i + 1), chunk * i:chunk * (i + 1)]
            zread = (time.perf_counter() - t) / 8
            rows.append((chunk, name, dt, raw / dt / 1e6, size / raw, size / src_size, pystats.median(times) * 1e3,
                         zread * 1e3, len(blob)))
            shutil.rmtree(out, ignore_errors=True)
    return rows


def bench_l1(src, work, repeats=30):
    import zarr
    from zarr.codecs import ZstdCodec
    from zarr.storage import LocalStore

    from roman_lab.io import open as ropen
    from roman_lab.store.converter import write_store

    rows = []
    rng = np.random.default_rng(3)
    centres = rng.integers(30, 4066, size=(repeats, 2))
    for c in (32, 64, 128):
        out = Path(work) / f"l1-{c}"
        shutil.rmtree(out, ignore_errors=True)
        with ropen(src) as rf:
            t = time.perf_counter()
            write_store(rf, out, {"path": str(src)}, chunk=c, codec=[ZstdCodec(level=1)])
            dt = time.perf_counter() - t
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        a = zarr.open_array(store=LocalStore(str(out), read_only=True), path="data", mode="r")
        times, nbytes = [], []
        for y, x in centres:
            y0, y1, x0, x1 = y - 20, y + 21, x - 20, x + 21
            t = time.perf_counter()
            a[:, y0:y1, x0:x1]
            times.append(time.perf_counter() - t)
            keys = {(cy, cx) for cy in range(y0 // c, (y1 - 1) // c + 1) for cx in range(x0 // c, (x1 - 1) // c + 1)}
            nbytes.append(sum((out / "data" / "c" / "0" / str(cy) / str(cx)).stat().st_size for cy, cx in keys))
        rows.append((c, dt, size, pystats.median(times) * 1e3, pct(times, 95) * 1e3, pystats.median(nbytes) / 1e3,
                     len(list((out / "data" / "c").rglob("*")))))
        shutil.rmtree(out, ignore_errors=True)
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=3, help="distinct full-size L2 files")
    ap.add_argument("--repeats", type=int, default=2, help="passes over the files")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--work", default=None, help="scratch folder (default: a temp dir)")
    args = ap.parse_args(argv)
    if args.quick:
        args.files, args.repeats = 2, 1

    work = Path(args.work or tempfile.mkdtemp(prefix="roman-lab-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, scratch {work}")
    t = time.perf_counter()
    files = [make_l2(work / f"r00042010010010010{i:02d}_0001_wfi01_f158_cal.asdf", seed=i) for i in range(args.files)]
    print(f"made {len(files)} full-size L2 files in {time.perf_counter() - t:.1f} s "
          f"({os.path.getsize(files[0]) / 1e6:.0f} MB each)")

    from roman_lab.io import warmup

    t = time.perf_counter()
    warmup()
    print(f"warmup (asdf/roman_datamodels schemas, once per process): {time.perf_counter() - t:.2f} s")

    naive, display, full_res, complete, cpu, sizes = bench_first_chunk(files, work, args.repeats)
    src_bytes = source_array_bytes(files[0])
    print("\n== 1. never-seen full-size L2 (4088x4088): request -> first chunk readable")
    print(f"  naive  roman_datamodels.open + read data : {fmt(naive)}")
    print(f"  ours   first chunk (coarsest level)       : {fmt(display)}   goal <= 0.5 s")
    print(f"  ours   full resolution readable           : {fmt(full_res)}")
    print(f"  ours   store complete (err, dq too)       : {fmt(complete)}")
    print("\n== 2. conversion throughput and size")
    mbps = [src_bytes / 1e6 / c for c in complete]
    mbpcpu = [src_bytes / 1e6 / c for c in cpu]
    print(f"  source arrays data+err+dq {src_bytes / 1e6:.0f} MB: {pystats.median(mbps):.0f} MB/s wall, "
          f"{pystats.median(mbpcpu):.0f} MB per CPU-second (process CPU time, 2 threads at most)")
    st, sf = sizes[0]
    print(f"  store {st / 1e6:.0f} MB vs source file {sf / 1e6:.0f} MB (x{st / sf:.2f}); vs raw float32 planes "
          f"x{st / (4088 * 4088 * 12):.2f}")

    if not args.quick:
        print("\n== 3. codecs x chunk size (whole L2 store written by write_store, one stage)")
        print(f"  {'chunk':>5} {'codec':24} {'write s':>8} {'MB/s':>6} {'size/raw':>8} {'size/src':>8} "
              f"{'decode ms':>9} {'zarr read ms':>12} {'chunk B':>8}")
        for row in bench_codecs(files[0], work):
            c, name, dt, mb, r1, r2, dec, zr, nb = row
            print(f"  {c:>5} {name:24} {dt:8.3f} {mb:6.0f} {r1:8.3f} {r2:8.3f} {dec:9.2f} {zr:12.2f} {nb:8d}")
        print("\n== 4. L1 ramps (6 x 4096 x 4096 uint16): all ramps in a 20-px-radius circle")
        t = time.perf_counter()
        l1 = make_l1(work / "r0004201001001001001_0001_wfi01_f158_uncal.asdf")
        print(f"  (made L1 in {time.perf_counter() - t:.1f} s, {os.path.getsize(l1) / 1e6:.0f} MB)")
        print(f"  {'chunk':>12} {'write s':>8} {'store MB':>8} {'read median ms':>14} {'p95 ms':>7} "
              f"{'KB read':>8} {'files':>6}")
        for c, dt, size, med, p95, kb, nfiles in bench_l1(l1, work):
            print(f"  (6,{c:3d},{c:3d}) {dt:8.2f} {size / 1e6:8.0f} {med:14.2f} {p95:7.2f} {kb:8.0f} {nfiles:6d}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Archive benchmark: local index query latency on 100,000 synthetic footprints (sky-cell
index vs a naive full-table scan), index throughput and the lineage query on the demo.

    .venv/bin/python benchmarks/bench_archive.py              # ~1 minute
    .venv/bin/python benchmarks/bench_archive.py --n 20000    # quicker

Synthetic footprints: detector-sized (0.125 deg) squares with 64 edge vertices, random
position angle, uniform over a 7 x 7 deg field straddling RA = 0 (a depth of ~30 exposures
per point, like a deep Roman field), plus 1,000 footprints within 1 deg of the north pole.
They are inserted directly into the SQLite tables (no files). Each query is a 2-arcsec
circle at a random point of the field; latency = `LocalArchive.candidates` (cell lookup +
cap filter + exact polygon test), median and 95th percentile over 200 queries. The naive
baseline reads every footprint of the root and tests each one (still with a cap pre-filter,
so it is the fastest full scan, not a strawman).
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from roman_lab.archive.footprint import Footprint, angle, radec, unit
from roman_lab.archive.local import LocalArchive

HALF = 0.0625  # deg, half a detector side


def squares(rng, n, ra_range, dec_range, per_side=16):
    """n great-circle squares (64 vertices each) at random centres and angles."""
    ra = rng.uniform(*ra_range, n) % 360.0
    dec = np.degrees(np.arcsin(rng.uniform(*np.sin(np.radians(dec_range)), n)))
    rot = rng.uniform(0, 2 * math.pi, n)
    c = unit(ra, dec)
    ref = np.where(np.abs(c[:, 2:3]) < 0.9, [[0, 0, 1.0]], [[1.0, 0, 0]])
    e1 = np.cross(ref, c)
    e1 /= np.linalg.norm(e1, axis=1)[:, None]
    e2 = np.cross(c, e1)
    e1, e2 = np.cos(rot)[:, None] * e1 + np.sin(rot)[:, None] * e2, -np.sin(rot)[:, None] * e1 + np.cos(rot)[:, None] * e2
    h = math.tan(math.radians(HALF))
    s = np.linspace(-h, h, per_side, endpoint=False)
    pts = np.concatenate([np.c_[s, np.full_like(s, -h)], np.c_[np.full_like(s, h), s],
                          np.c_[-s, np.full_like(s, h)], np.c_[np.full_like(s, -h), -s]])
    v = c[:, None, :] + pts[None, :, :1] * e1[:, None, :] + pts[None, :, 1:] * e2[:, None, :]
    v /= np.linalg.norm(v, axis=2)[:, :, None]
    return radec(v)


def fill(archive, rng, n):
    ra, dec = squares(rng, n - 1000, (-3.5, 3.5), (-3.5, 3.5))
    pra, pdec = squares(rng, 1000, (0, 360), (89.0, 90.0))
    ra, dec = np.concatenate([ra, pra]), np.concatenate([dec, pdec])
    t0 = time.perf_counter()
    with archive._connect() as con:
        for i in range(len(ra)):
            archive._store(con, {
                "path": f"{archive.root}/synthetic/r{i:07d}_cal.asdf", "name": f"r{i:07d}_cal.asdf",
                "size": 1, "mtime_ns": 1, "level": 2, "model_type": "ImageModel",
                "start_time": f"2027-01-01T00:00:{i % 60:02d}", "exposure_time": 100.0, "detector": "WFI01",
                "optical_element": "F158", "shape": [4088, 4088],
                "footprint": [[float(a), float(b)] for a, b in zip(ra[i], dec[i])],
            })
    return time.perf_counter() - t0


def naive(archive, ra, dec, radius):
    q = unit(ra, dec)
    out = []
    with sqlite3.connect(str(archive.db)) as con:
        rows = con.execute("SELECT id, cx, cy, cz, cap_deg, footprint FROM files WHERE root = ? AND model_type = ?",
                           (archive.root, "ImageModel")).fetchall()
    r = math.radians(radius)
    for fid, cx, cy, cz, cap, fp in rows:
        if float(angle(q, np.array([cx, cy, cz]))) > math.radians(cap) + r:
            continue
        if Footprint.from_json(json.loads(fp)).overlap(ra, dec, radius) is not None:
            out.append(fid)
    return out


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--naive-queries", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        archive = LocalArchive(tmp / "root", db=tmp / "bench.sqlite")
        t_fill = fill(archive, rng, args.n)
        print(f"inserted {args.n} synthetic footprints in {t_fill:.1f} s "
              f"({args.n / t_fill:.0f}/s; db {(tmp / 'bench.sqlite').stat().st_size / 2**20:.0f} MiB)")
        radius = 2 / 3600
        pts = [(rng.uniform(-3, 3) % 360, rng.uniform(-3, 3)) for _ in range(args.queries)]
        pts[:5] = [(0.0, 0.0), (359.999, 0.5), (10.0, 89.99), (0.0, 90.0), (123.0, 89.95)]
        lat, hits = [], []
        for ra, dec in pts:
            dt, found = timed(archive.candidates, ra, dec, radius)
            lat.append(dt)
            hits.append(len(found))
        polar = sorted(lat[2:5])
        lat = sorted(lat[:2] + lat[5:])
        print(f"indexed query ({len(pts)} x 2-arcsec circles): median {1e3 * statistics.median(lat):.1f} ms, "
              f"p95 {1e3 * lat[int(0.95 * len(lat))]:.1f} ms, max {1e3 * lat[-1]:.1f} ms; "
              f"median {statistics.median(hits):.0f} footprints per point (max {max(hits)}); "
              f"at the pole: {', '.join(f'{1e3 * t:.1f}' for t in polar)} ms")
        nlat = []
        for ra, dec in pts[: args.naive_queries]:
            dt, ids = timed(naive, archive, ra, dec, radius)
            want = {row["id"] for row, _, cov in archive.candidates(ra, dec, radius) if cov is not None}
            assert set(ids) == want, (ra, dec, len(ids), len(want))
            nlat.append(dt)
        print(f"naive full-table scan ({len(nlat)} queries, same answers): median {1e3 * statistics.median(nlat):.0f} ms "
              f"-> index is {statistics.median(nlat) / statistics.median(lat):.0f}x faster")

    # index throughput and the lineage query on the small demo
    import roman_lab.io
    from roman_lab import demo
    from roman_lab.archive.lineage import LineageArchive

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        m = demo.make(tmp / "demo", small=True, progress=False)
        roman_lab.io.warmup()
        a = LocalArchive(tmp / "demo", db=tmp / "i.sqlite")
        stats = a.index(progress=False)
        n = stats["added"]
        print(f"index throughput (small demo, {n} files, 1 process): {n / stats['seconds']:.0f} files/s; "
              f"re-index unchanged: {1e3 * a.index(progress=False)['seconds']:.0f} ms")
        cr = m["faint_cosmic_ray"]
        lin = LineageArchive(m.path(m["mosaic"]["file"]), cache_dir=tmp / "stores")
        t1, _ = timed(lin.find, (cr["ra"], cr["dec"], 0.0))
        t2, got = timed(lin.find, (cr["ra"], cr["dec"], 5 / 3600))
        print(f"lineage query on the demo mosaic ({len(lin.members_names)} members): first {1e3 * t1:.0f} ms "
              f"(opens members, converts the mosaic), then {1e3 * t2:.1f} ms for a 5-arcsec circle ({len(got)} found)")
        t3, got = timed(a.find, (cr["ra"], cr["dec"], 5 / 3600))
        print(f"local find with exact pixel positions (opens the {len(got)} matches): {1e3 * t3:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

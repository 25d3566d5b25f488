"""Never-seen file -> first pixels over loopback HTTP (issue 17), against a real `jupyter server`.

    .venv/bin/python benchmarks/bench_first_pixels.py             # ~3 minutes on 2 cores
    .venv/bin/python benchmarks/bench_first_pixels.py --trials 3  # quicker

Files: a full-size synthetic L2 (4088 x 4088, bench_store.make_l2) and, when `make real-data`
has been run, a romancal L2 and the romancal L3 mosaic of the real-products corpus. Each trial
opens a hard link under a new name: a new store (the key is the path), the bytes in the page
cache. The three ways, interleaved file by file in one run against the same server:

- naive: GET /files/<name>, the whole ASDF (which a browser would still have to decode);
- polled: what the viewer did before: POST /api/stores, then GET the job every 150 ms until
  display-ready, then the three GETs to the first chunk (root zarr.json, the coarsest level's
  zarr.json, its chunk);
- ours: POST /api/stores with wait_s (the answer comes when display-ready), then the same GETs.

Also reported: the server's own time to display-ready (the job's `elapsed_s` in the answer),
and to complete. The browser then decodes one 512 x 512 chunk and draws it: bench_viewer.py
measures that whole path in Chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from bench_http import Server, wait_ready  # noqa: E402
from bench_store import make_l2  # noqa: E402

BROWSER_POLL_S = 0.150  # the lab's poll interval before wait_s


async def to_first_chunk(client, job):
    url = f"/roman-lab/stores/{job['id']}"
    root = (await client.get(f"{url}/zarr.json")).json()
    coarsest = root["attributes"]["roman_lab"]["pyramid_levels"] - 1
    (await client.get(f"{url}/data/{coarsest}/zarr.json")).raise_for_status()
    (await client.get(f"{url}/data/{coarsest}/c/0/0")).raise_for_status()


async def polled(client, name):
    t0 = time.perf_counter()
    job = (await client.post("/roman-lab/api/stores", json={"path": name})).json()
    while not job.get("display_ready"):
        if job["status"] == "error":
            raise RuntimeError(job["message"])
        await asyncio.sleep(BROWSER_POLL_S)
        job = (await client.get(f"/roman-lab/api/stores/{job['id']}")).json()
    server_s = job["elapsed_s"]
    await to_first_chunk(client, job)
    return time.perf_counter() - t0, server_s, job["id"]


async def held(client, name):
    t0 = time.perf_counter()
    job = (await client.post("/roman-lab/api/stores", json={"path": name, "wait_s": 0.5})).json()
    while not job.get("display_ready"):
        if job["status"] == "error":
            raise RuntimeError(job["message"])
        job = (await client.get(f"/roman-lab/api/stores/{job['id']}", params={"wait_s": 0.5})).json()
    server_s = job["elapsed_s"]
    await to_first_chunk(client, job)
    return time.perf_counter() - t0, server_s, job["id"]


async def naive(client, name):
    t0 = time.perf_counter()
    async with client.stream("GET", f"/files/{name}") as r:
        r.raise_for_status()
        async for _ in r.aiter_bytes():
            pass
    return time.perf_counter() - t0


def cell(values):
    v = np.asarray(values) * 1000
    return f"{np.median(v):.0f} / {np.percentile(v, 95):.0f}"


async def run(server, sources, trials):
    async with httpx.AsyncClient(base_url=server.base, headers=server.headers, timeout=120) as client:
        warm = await held(client, f"warm_{sources[0][1]}")  # the server's first conversion: imports
        await wait_ready(client, warm[2])
        print(f"(first conversion after the server started: {warm[0] * 1000:.0f} ms, not counted)\n")
        print("| file | naive: whole ASDF | polled (150 ms) | **ours: wait_s** | server: display-ready | "
              "server: complete | n |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, stem in sources:
            out = {"naive": [], "polled": [], "held": [], "server": [], "complete": []}
            for i in range(trials):
                out["naive"].append(await naive(client, f"t{i}n_{stem}"))
                for way, fn in (("polled", polled), ("held", held)):
                    dt, server_s, sid = await fn(client, f"t{i}{way[0]}_{stem}")
                    out[way].append(dt)
                    out["server"].append(server_s)
                    done = await wait_ready(client, sid)
                    out["complete"].append(done["elapsed_s"])
            print(f"| {label} | {cell(out['naive'])} | {cell(out['polled'])} | **{cell(out['held'])}** | "
                  f"{cell(out['server'])} | {cell(out['complete'])} | {trials} |")
        print("\nms, median / p95. Server times are the job's elapsed_s (from the POST to the event).")


def corpus():
    root = Path(os.environ.get("ROMAN_LAB_REAL_DATA", "~/.cache/roman-lab/real-data")).expanduser()
    for size in ("ci", "full"):
        folder = root / f"corpus-{size}"
        if (folder / "STAMP").exists():
            return folder
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=5, help="never-seen files per file and way")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="roman-lab-bench-first-") as scratch:
        work = Path(scratch)
        root, cache = work / "root", work / "cache"
        root.mkdir()
        sources = [("synthetic L2, 4088^2 (96 MB)", "synthetic_cal.asdf", make_l2(work / "synthetic_cal.asdf"))]
        real = corpus()
        if real is not None:
            l2 = sorted(real.glob("*_cal.asdf"))[0]
            l3 = sorted(real.glob("*_coadd.asdf"))[0]
            sources += [(f"romancal L2 ({l2.stat().st_size / 1e6:.0f} MB)", "real_cal.asdf", l2),
                        (f"romancal L3 mosaic ({l3.stat().st_size / 1e6:.0f} MB)", "real_coadd.asdf", l3)]
        for _, stem, path in sources:
            for i in range(args.trials):
                for suffix in ("n", "p", "h"):
                    os.link(path, root / f"t{i}{suffix}_{stem}")
        os.link(sources[0][2], root / f"warm_{sources[0][1]}")
        load = lambda: " ".join(f"{x:.1f}" for x in os.getloadavg())  # noqa: E731
        print(f"# bench_first_pixels: {psutil.cpu_count()} cores, load average {load()} at the start\n")
        server = Server(root, cache)
        try:
            asyncio.run(run(server, [(label, stem) for label, stem, _ in sources], args.trials))
        finally:
            server.stop()
        print(f"\nload average at the end: {load()}")


if __name__ == "__main__":
    main()

"""The store service over loopback HTTP, against a real `jupyter server` with roman-lab, in one run.

    .venv/bin/python benchmarks/bench_http.py              # ~3-4 minutes on 2 cores, ~10 GB of disk
    .venv/bin/python benchmarks/bench_http.py --files 20   # fewer stores for the RSS part

The source is one full-size L2 (4088x4088, realistic noise, saved by roman_datamodels) and
hard links to it under other names: each name is a different store (the key is the path),
so there are many never-seen files without many copies on disk.

Reported, ours side by side with the naive way:
1. request -> first pixels of a never-seen L2: POST /api/stores, poll until display-ready, then
   the three GETs a browser makes (root zarr.json, coarsest level's zarr.json, its chunk);
   naive: GET /files/<name> (the whole ASDF, which the browser would still have to decode).
2. chunk serving, 32 concurrent clients: random full-resolution 512x512 chunks, p50/p99
   latency and MB/s; naive: 32 clients downloading whole files through /files/.
3. server RSS (server process and children) while N full-size L2 stores are converted and open
   (one chunk of each served), and its peak during the conversions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from bench_store import make_l2  # noqa: E402

VENV_BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values, q):
    return float(np.percentile(np.asarray(values), q))


def row(label, values, unit="ms", scale=1000.0):
    v = np.asarray(values) * scale
    return f"| {label} | {np.median(v):.1f} {unit} | {pct(v, 95):.1f} {unit} | {pct(v, 99):.1f} {unit} | {len(v)} |"


class Server:
    """`jupyter server` with roman-lab enabled, on loopback, with its own token and store cache."""

    def __init__(self, root, cache):
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [
            str(VENV_BIN / "jupyter"), "server", f"--ServerApp.root_dir={root}", f"--port={self.port}",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={self.token}", "--ServerApp.open_browser=False",
            "--allow-root", f"--RomanLab.cache_dir={cache}", "--RomanLab.cache_max_bytes=100000000000",
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.headers = {"Authorization": f"token {self.token}"}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/roman-lab/api/health", headers=self.headers).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("jupyter server did not start")

    def rss(self):
        p = psutil.Process(self.proc.pid)
        return sum(q.memory_info().rss for q in [p, *p.children(recursive=True)])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)


async def first_pixels(client, name):
    t0 = time.perf_counter()
    r = await client.post("/roman-lab/api/stores", json={"path": name})
    job = r.json()
    while not job.get("display_ready"):
        if job["status"] == "error":
            raise RuntimeError(job["message"])
        await asyncio.sleep(0.01)
        job = (await client.get(f"/roman-lab/api/stores/{job['id']}")).json()
    url = f"/roman-lab/stores/{job['id']}"
    root = (await client.get(f"{url}/zarr.json")).json()
    coarsest = root["attributes"]["roman_lab"]["pyramid_levels"] - 1
    (await client.get(f"{url}/data/{coarsest}/zarr.json")).raise_for_status()
    (await client.get(f"{url}/data/{coarsest}/c/0/0")).raise_for_status()
    return time.perf_counter() - t0, job["id"]


async def wait_ready(client, store_id):
    while True:
        job = (await client.get(f"/roman-lab/api/stores/{store_id}")).json()
        if job["status"] in ("ready", "error"):
            return job
        await asyncio.sleep(0.05)


async def hammer(client, urls, n_clients=32):
    """n_clients concurrent loops over `urls`; per-request latencies and total bytes."""
    latencies, nbytes, queue = [], 0, list(urls)

    async def worker():
        nonlocal nbytes
        while queue:
            url = queue.pop()
            t0 = time.perf_counter()
            async with client.stream("GET", url) as r:  # streamed: whole files are not held in memory
                r.raise_for_status()
                async for part in r.aiter_bytes():
                    nbytes += len(part)
            latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(n_clients)))
    return latencies, nbytes, time.perf_counter() - t0


def wrk(server, urls, seconds=10, connections=32):
    """Loopback load with wrk (C, so the client does not eat the server's 2 cores); None if absent."""
    if shutil.which("wrk") is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("local urls = {" + ",".join(f'"{u}"' for u in urls) + "}\nlocal i = 0\n"
                     "request = function()\n  i = i + 1\n  return wrk.format('GET', urls[(i % #urls) + 1])\nend\n")
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Authorization: token {server.token}",
         "-s", script.name, server.base], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    lines = {ln.split()[0]: ln.split()[1:] for ln in out.splitlines() if ln.strip()}
    return {"p50": lines["50%"][0], "p90": lines["90%"][0], "p99": lines["99%"][0],
            "requests_per_s": lines["Requests/sec:"][0], "transfer_per_s": lines["Transfer/sec:"][0],
            "errors": [ln.strip() for ln in out.splitlines() if "Non-2xx" in ln or "Socket errors" in ln]}


async def run(args, root, server):
    names = sorted(p.name for p in root.glob("*_cal.asdf"))
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=server.base, headers=server.headers, timeout=120, limits=limits) as client:
        print("\n## 1. Request -> first pixels of a never-seen full-size L2\n")
        warm, _ = await first_pixels(client, names[-1])
        print(f"(the first conversion after the server starts: {warm * 1000:.0f} ms, imports included; not counted below)\n")
        naive, ours, ids = [], [], []
        for name in names[: args.first]:
            t0 = time.perf_counter()
            async with client.stream("GET", f"/files/{name}") as r:
                r.raise_for_status()
                async for _ in r.aiter_bytes():
                    pass
            naive.append(time.perf_counter() - t0)
        for name in names[args.first : 2 * args.first]:
            dt, sid = await first_pixels(client, name)
            ours.append(dt)
            ids.append(sid)
            await wait_ready(client, sid)
        print("| path | median | p95 | p99 | n |\n| --- | --- | --- | --- | --- |")
        print(row("naive: GET /files/ (whole ASDF, still lz4 to decode)", naive))
        print(row("ours: POST + poll + 3 GETs until the first chunk", ours))

        print("\n## 2. Chunk serving, 32 concurrent clients\n")
        rng = random.Random(0)
        urls = [f"/roman-lab/stores/{rng.choice(ids)}/data/0/c/{rng.randrange(8)}/{rng.randrange(8)}" for _ in range(args.requests)]
        lat, nbytes, wall = await hammer(client, urls)
        whole = [f"/files/{rng.choice(names[: args.first])}" for _ in range(64)]
        nlat, nnbytes, nwall = await hammer(client, whole)
        print("| what | median | p95 | p99 | n |\n| --- | --- | --- | --- | --- |")
        print(row("ours: one 512x512 float32 chunk", lat))
        print(row("naive: one whole ASDF via /files/", nlat))
        print(f"\nPython client (httpx, sharing the 2 cores): ours {nbytes / wall / 1e6:.0f} MB/s, "
              f"{len(lat) / wall:.0f} requests/s; naive {nnbytes / nwall / 1e6:.0f} MB/s, {len(nlat) / nwall:.1f} files/s")
        for label, target in (("ours, chunks", urls[:1000]), ("naive, whole files", whole)):
            w = wrk(server, target)
            if w:
                print(f"wrk -c32 ({label}): p50 {w['p50']}, p90 {w['p90']}, p99 {w['p99']}, "
                      f"{w['requests_per_s']} requests/s, {w['transfer_per_s']}/s{"; " + "; ".join(w["errors"]) if w["errors"] else ""}")

        print(f"\n## 3. Server RSS with {args.files} full-size L2 stores\n")
        peak, done = server.rss(), []
        pending = names[2 * args.first : 2 * args.first + args.files]  # never seen before
        t0 = time.perf_counter()
        jobs = [(await client.post("/roman-lab/api/stores", json={"path": n})).json() for n in pending]
        while len(done) < len(jobs):
            peak = max(peak, server.rss())
            done = [j for j in jobs if (await client.get(f"/roman-lab/api/stores/{j['id']}")).json()["status"] in ("ready", "error")]
            await asyncio.sleep(0.2)
        convert_wall = time.perf_counter() - t0
        for j in jobs:
            (await client.get(f"/roman-lab/stores/{j['id']}/data/0/c/3/3")).raise_for_status()
        print(f"converted {len(jobs)} never-seen full-size L2 in {convert_wall:.1f} s "
              f"({convert_wall / len(jobs):.2f} s each, 2 conversion workers)")
        print(f"server RSS: peak during conversion {peak / 2**20:.0f} MiB; with all {len(jobs)} stores open "
              f"and served {server.rss() / 2**20:.0f} MiB (goal <= 1536 MiB)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=100, help="stores for the RSS part")
    parser.add_argument("--first", type=int, default=5, help="never-seen files for part 1")
    parser.add_argument("--requests", type=int, default=3000, help="chunk requests for part 2")
    parser.add_argument("--workdir", default=None, help="scratch folder (default: a temp dir)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="roman-lab-bench-http-", dir=args.workdir))
    root, cache = work / "root", work / "cache"
    root.mkdir()
    try:
        source = make_l2(root / "f000_cal.asdf")
        for i in range(1, 2 * args.first + args.files + 1):
            os.link(source, root / f"f{i:03d}_cal.asdf")
        server = Server(root, cache)
        try:
            print(f"# bench_http: {psutil.cpu_count()} cores, source {source.stat().st_size / 1e6:.0f} MB")
            asyncio.run(run(args, root, server))
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Chunk serving while blinking many stores: the same view's chunks of N full-size L2 stores.

    .venv/bin/python benchmarks/bench_blink_http.py              # 100 stores, ~1 minute, wrk needed
    .venv/bin/python benchmarks/bench_blink_http.py --stores 20

One full-size L2 (bench_store.make_l2) is converted once; its store is then hard-linked
under N store ids (a store's files are immutable, so this is N stores to the server at the
cost of one on disk). A real `jupyter server` serves them; wrk (32 connections) requests, in
turn for every store, the chunks of one full-resolution view (3 x 3 chunks of 512 x 512
float32, ~0.9 MB each) and, separately, each store's root zarr.json. This is the request
pattern of a blink stack whose chunks are prefetched, where the per-request work of the
handler (finding the store, checking it is complete) is paid N x 9 times per view.
Reported: wrk's latencies and rate, and the server's CPU time per request (user + system,
from psutil), which depends much less than latency on what else runs on the shared cores.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from bench_http import Server, wrk
from bench_store import make_l2


def server_cpu(server):
    """User + system CPU seconds of the server process so far."""
    times = psutil.Process(server.proc.pid).cpu_times()
    return times.user + times.system


def hard_link_tree(src, dst):
    """A copy of a store folder whose files are hard links (no data copied)."""
    shutil.copytree(src, dst, copy_function=os.link)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per measurement")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (apt-get install wrk)")
    import roman_lab

    work = Path(tempfile.mkdtemp(prefix="roman-lab-bench-blink-", dir=args.workdir))
    root, cache = work / "root", work / "cache"
    root.mkdir()
    try:
        store = roman_lab.convert(make_l2(root / "f000_cal.asdf"), cache_dir=cache, progress=False)
        ids = [store.id]
        for i in range(1, args.stores):
            sid = f"f{i:03d}_cal-{hashlib.sha256(str(i).encode()).hexdigest()[:16]}"
            hard_link_tree(store.path, cache / sid)
            ids.append(sid)
        server = Server(root, cache)
        try:
            view = [(r, c) for r in (3, 4, 5) for c in (3, 4, 5)]
            chunks = [f"/roman-lab/stores/{sid}/data/0/c/{r}/{c}" for r, c in view for sid in ids]
            roots = [f"/roman-lab/stores/{sid}/zarr.json" for sid in ids]
            wrk(server, chunks[:50], seconds=2)  # warm the page cache and the server
            print(f"# bench_blink_http: {os.cpu_count()} cores, {args.stores} full-size L2 stores, wrk -t2 -c32 "
                  f"-d{args.seconds}s\n")
            print("| requests | p50 | p90 | p99 | requests/s | transfer/s | server CPU per request |\n"
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
            for label, urls in ((f"chunks of one view, cycling {args.stores} stores", chunks),
                                (f"root zarr.json of {args.stores} stores", roots)):
                cpu0 = server_cpu(server)
                w = wrk(server, urls, seconds=args.seconds)
                # CPU time, unlike latency, barely depends on what else the shared cores run
                per_request = (server_cpu(server) - cpu0) / (float(w["requests_per_s"]) * args.seconds)
                errors = f" ({'; '.join(w['errors'])})" if w["errors"] else ""
                print(f"| {label} | {w['p50']} | {w['p90']} | {w['p99']} | {w['requests_per_s']} | "
                      f"{w['transfer_per_s']}{errors} | {per_request * 1e3:.3f} ms |")
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

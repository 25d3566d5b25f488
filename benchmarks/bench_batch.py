"""Batch conversion (issue 17): full-size L2 files converted on dask.distributed with 1 and 2
workers, worker processes and worker threads, the cluster's start timed apart.

    .venv/bin/python benchmarks/bench_batch.py --files 4 --repeat 3     # ~6 min on a loaded 2-core machine

Files: `bench_store.make_l2` (roman_datamodels L2, 4088 x 4088, noise and stars, 96 MB each),
made once into --work. For each configuration (--modes): `LocalCluster(n_workers,
threads_per_worker=1, processes=...)` is started ("cluster start"), each worker converts a small file once
("warm-up": imports and the ASDF schemas, ~1 s a process), then
`roman_lab.batch.convert_many(files, scheduler=address)` converts the files into a fresh cache
folder ("convert", the number compared), --repeat times. Before that, the same files are
converted one after the other in this process, measuring how many cores one conversion keeps
busy (CPU time / wall time).
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from bench_store import make_l2  # noqa: E402


def stats(values):
    return f"median {np.median(values):.2f} s, p95 {np.percentile(values, 95):.2f} s (n={len(values)})"


def serial(files, work):
    from roman_lab.store import convert

    convert(files[0], cache_dir=work / "serial-warm", progress=False)  # imports
    cache = work / "serial"
    shutil.rmtree(cache, ignore_errors=True)
    t0, c0 = time.perf_counter(), time.process_time()
    for path in files:
        convert(path, cache_dir=cache, progress=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return wall, cpu


# tried and not adopted (docs/performance.md): zarr compresses an array's chunks in a pool of
# cores + 4 threads; this makes it one thread in each worker process
ONE_ZARR_THREAD = {"ZARR_THREADING__MAX_WORKERS": "1"}


def run(files, small, work, n_workers, mode, repeat):
    from dask.distributed import Client, LocalCluster

    from roman_lab.batch import convert_many

    t0 = time.perf_counter()
    env = {"env": ONE_ZARR_THREAD} if mode == "processes-one-zarr-thread" else {}  # worker processes only
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=mode != "threads", host="127.0.0.1",
                           protocol="tcp://", dashboard_address=None, **env)
    start = time.perf_counter() - t0
    try:
        with Client(cluster) as client:
            t0 = time.perf_counter()
            workers = list(client.scheduler_info()["workers"])
            warm = [client.submit(_warm, str(small), str(work / f"warm-{i}"), workers=[w], pure=False)
                    for i, w in enumerate(workers)]
            client.gather(warm)
            warmup = time.perf_counter() - t0
            times, cpus, phases = [], [], []
            for r in range(repeat):
                cache = work / f"cache-{n_workers}-{mode}-{r}"
                shutil.rmtree(cache, ignore_errors=True)
                cpu0 = worker_cpu(client)
                t0 = time.perf_counter()
                results = convert_many(files, cache_dir=cache, scheduler=cluster.scheduler_address, progress=False)
                times.append(time.perf_counter() - t0)
                cpus.append(worker_cpu(client) - cpu0)
                assert all(r["ok"] for r in results), results
                phases += [json.loads((Path(r["store"]) / "zarr.json").read_text())["attributes"]["roman_lab"]["timings"]
                           for r in results]
                shutil.rmtree(cache, ignore_errors=True)
    finally:
        cluster.close()
    return start, warmup, times, cpus, phases


def worker_cpu(client):
    """CPU seconds used so far by the processes the workers run in (each process counted once)."""
    return sum(dict(client.run(lambda: (os.getpid(), time.process_time())).values()).values())


def _warm(path, cache):
    from roman_lab.store import convert

    convert(path, cache_dir=cache, progress=False)
    shutil.rmtree(cache, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "roman-lab-bench-batch"))
    ap.add_argument("--modes", default="processes,processes-one-zarr-thread,threads",
                    help="comma-separated: processes (as convert_many starts them), processes-one-zarr-thread "
                         "(ZARR_THREADING__MAX_WORKERS=1 in each), threads (one process)")
    args = ap.parse_args(argv)
    work = Path(args.work)
    (work / "src").mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(args.files):
        path = work / "src" / f"r{i:04d}_cal.asdf"
        if not path.exists():
            make_l2(path, seed=i)
        files.append(path)
    small = work / "src" / "small_cal.asdf"
    if not small.exists():
        make_l2(small, seed=99, n=256)
    print(f"{len(files)} full-size L2 files ({files[0].stat().st_size / 1e6:.0f} MB each), {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")

    wall, cpu = serial(files, work)
    print(f"in this process, one after the other: {wall:.2f} s wall, {cpu:.2f} s CPU: "
          f"one conversion keeps {cpu / wall:.2f} cores busy")
    for mode in args.modes.split(","):
        results = {}
        for n in (1, 2):
            start, warmup, times, cpus, phases = run(files, small, work, n, mode, args.repeat)
            results[n] = times
            print(f"{mode:9s} {n} worker(s): cluster start {start:.2f} s, warm-up {warmup:.2f} s, "
                  f"convert {stats(times)}; load average {os.getloadavg()[0]:.1f}")
            per_file = {key: np.median([p[key] for p in phases]) for key in phases[0]}
            print(f"          workers' CPU {np.median(cpus):.2f} s a run ({np.median(cpus) / np.median(times):.2f} cores "
                  f"busy); a file's phases (median, s from its start): "
                  + ", ".join(f"{k} {v:.2f}" for k, v in per_file.items()))
        print(f"{mode:9s} speed-up 1 -> 2 workers (medians): {np.median(results[1]) / np.median(results[2]):.2f}x")


if __name__ == "__main__":
    main()

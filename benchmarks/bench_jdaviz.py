"""Side by side with jdaviz (issue 17): N full-size L2 files to "shown aligned", ours against
jdaviz's Imviz, each side in a fresh Python process per trial, interleaved.

    .venv/bin/python benchmarks/bench_jdaviz.py                       # N = 4 (3 trials), 20 (2): ~10 min
    .venv/bin/python benchmarks/bench_jdaviz.py --n 4 --trials 3      # one N
    .venv/bin/python benchmarks/bench_jdaviz.py --server-warm         # ours: server warmed up first
    .venv/bin/python benchmarks/bench_jdaviz.py --jdaviz-python PATH  # another jdaviz venv
    .venv/bin/python benchmarks/bench_jdaviz.py --n 100 --trials 1 --ours-only --link --server-warm  # our RSS, 100 files

jdaviz lives in its own venv outside the repo (default ~/.cache/roman-lab/venv-jdaviz, made with
`python3.12 -m venv ~/.cache/roman-lab/venv-jdaviz && .../bin/pip install "jdaviz[roman]==5.0.5"`);
it is never a dependency of roman-lab. The files are N distinct full-size copies (4088 x 4088)
of the romancal `_cal.asdf` files of the real-data corpus (`make real-data`), round robin, under
N distinct Roman names in --files-dir (default ~/.cache/roman-lab/bench-jdaviz; made once, kept,
read once before the trials so both sides read them from the page cache). Distinct files:
distinct store ids (realpath + size + mtime) for us, and jdaviz reads each anyway.

Each trial is one fresh process per side; the clock starts at the first line of the script body
(Python's own start-up is in "process wall", measured by the parent):

- jdaviz: `import jdaviz` (import), `Imviz()` (construct), `imviz.load(f, format="Image",
  gwcs_to_fits_sip=True)` per file (load; the issue reports that without gwcs_to_fits_sip its
  align by WCS crashes on romanisim's gwcs), then `imviz.link_data(align_by="wcs")` (align: the Orientation plugin's
  WCS alignment, its default fast affine approximation). Python side only: no browser draws.
- ours: `import roman_lab` + `roman_lab.Viewer` (import), `Viewer()` (construct),
  `viewer.load(files)` (load: returns at once; in the lab the browser then asks the server to
  convert each file and draws it when its store is display-ready). The server's part is run
  here in the same process as the server does it: imports of zarr, roman_datamodels,
  roman_lab.io and roman_lab.store (server imports; a server pays them at start-up, in its
  warm-up thread, which also opens a first ASDF file: here that is in the first conversion), then
  every file started as a job of the server's own `Conversions` (roman_lab.server.api.
  make_conversions: 2 working, every file's first stage before any second stage) into a fresh
  cache (ROMAN_LAB_CACHE, a new temp folder per trial), waited for as a browser's requests
  with `wait_s` wait (the job's event); "display-ready" ends when the last
  file's store is display-ready (coarsest pyramid level, statistics, TAN-SIP WCS: all the viewer
  needs to draw it aligned). The jobs go on (finer levels, err, dq) after that, as the server's
  do; that is not timed.
- ours with --server-warm: the same, but the process first runs what the server runs when it
  starts (`roman_lab.server.api.warmup()`: a tiny throw-away conversion),
  before the clock: a lab whose server started before the files are loaded. The kernel's import
  row is then too low (astropy is already in the process); take it from a run without the flag.
- ours, files seen before: the same again in a fresh process with the stores of the first run
  still in the cache (convert finds them: no conversion).
- ours alone (`convert` rows): `roman_lab.convert` of each file, one after the other, in one
  fresh process: the first file (first use of the libraries) and the others, to display-ready
  and to complete.

Reported: per phase median, p95 and n over the trials; total = script body to shown aligned;
process wall = the parent's clock around the whole subprocess (interpreter start and exit
included, exit is after the pool has finished for ours); peak RSS = ru_maxrss of the process
(+ its children); the ratio jdaviz / ours of the medians. The load average is printed at the
start and the end: other work on the machine inflates both sides.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_JDAVIZ = Path("~/.cache/roman-lab/venv-jdaviz/bin/python").expanduser()
DEFAULT_FILES = Path("~/.cache/roman-lab/bench-jdaviz").expanduser()
WORKERS = 2  # roman_lab.server: RomanLab.conversion_workers default


def peak_rss_mb():
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + kids) / 1024.0  # Linux: KiB


# -- the children (each in a fresh process) ------------------------------------------------------
def child_jdaviz(files):
    t0 = time.perf_counter()
    import warnings

    warnings.simplefilter("ignore")
    import jdaviz
    from jdaviz import Imviz

    out = {"import_s": time.perf_counter() - t0, "version": jdaviz.__version__}
    t = time.perf_counter()
    imviz = Imviz()
    out["construct_s"] = time.perf_counter() - t
    t = time.perf_counter()
    for f in files:
        imviz.load(f, format="Image", gwcs_to_fits_sip=True)
    out["load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    imviz.link_data(align_by="wcs")
    out["align_s"] = time.perf_counter() - t
    out["total_s"] = time.perf_counter() - t0
    labels = [d.label for d in imviz.app.data_collection]
    assert len(labels) == len(files) + 1 and "Default orientation" in labels, labels  # N images + the WCS frame
    assert imviz.plugins["Orientation"].align_by.selected == "WCS"
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def child_ours(files):
    if os.environ.get("BENCH_SERVER_WARM") == "1":  # --server-warm: what the server does at start-up
        from roman_lab.server.api import warmup

        warmup()
    t0 = time.perf_counter()
    import roman_lab
    from roman_lab import Viewer

    out = {"import_s": time.perf_counter() - t0, "version": roman_lab.__version__}
    t = time.perf_counter()
    viewer = Viewer()
    out["construct_s"] = time.perf_counter() - t
    t = time.perf_counter()
    viewer.load(files)
    out["load_s"] = time.perf_counter() - t
    assert len(viewer.images) == len(files), viewer.images

    # the server's part: its imports (its warm-up thread imports these at start-up), then its
    # own conversion jobs (roman_lab.server.jobs: WORKERS working, first stages first)
    t = time.perf_counter()
    from roman_lab.server.api import make_conversions
    from roman_lab.store.cache import default_cache_dir

    out["server_import_s"] = time.perf_counter() - t
    t, t_job = time.perf_counter(), time.monotonic()  # the jobs stamp their stages in time.monotonic()
    conversions = make_conversions(default_cache_dir(), float("inf"), workers=WORKERS)
    jobs = [conversions.start(e["path"], e["path"]) for e in viewer.images]
    for job in jobs:  # what a browser's POST with wait_s does, one file after the other
        while not job.wait_settled(1.0) and job.status != "error":
            pass
        if job.status == "error":
            raise RuntimeError(job.message)
    out["display_ready_s"] = time.perf_counter() - t
    out["total_s"] = time.perf_counter() - t0
    out["ready_at_s"] = sorted((job.display_ready_at or job.finished) - t_job for job in jobs)  # or in the cache
    out["peak_rss_at_shown_mb"] = peak_rss_mb()
    while any(job.status not in ("ready", "error") for job in jobs):  # the rest of every store (not timed)
        time.sleep(0.05)
    out["first_second_stage_at_s"] = min((job.second_stage_at - t_job for job in jobs if job.second_stage_at),
                                         default=None)
    out["complete_s"] = time.perf_counter() - t
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def child_convert(files):
    """roman_lab.convert of each file alone, one after the other."""
    t0 = time.perf_counter()
    from roman_lab.store import convert
    from roman_lab.store.converter import DISPLAY_READY

    out = {"import_s": time.perf_counter() - t0, "display_ready_s": [], "complete_s": [], "timings": []}
    for path in files:
        t = time.perf_counter()
        marks = {}

        def on_progress(fraction, message, marks=marks, t=t):
            if message in (DISPLAY_READY, "ready"):
                marks.setdefault("display", time.perf_counter() - t)

        store = convert(path, progress=False, on_progress=on_progress)
        out["display_ready_s"].append(marks["display"])
        out["complete_s"].append(time.perf_counter() - t)
        out["timings"].append(store.attrs.get("timings", {}))  # the writer's, from after the file is open
    out["peak_rss_mb"] = peak_rss_mb()
    return out


CHILDREN = {"jdaviz": child_jdaviz, "ours": child_ours, "convert": child_convert}


# -- the parent -----------------------------------------------------------------------------------
def load_average():
    return "{:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def default_sources():
    root = Path(os.environ.get("ROMAN_LAB_REAL_DATA", "~/.cache/roman-lab/real-data")).expanduser()
    for size in ("full", "ci"):
        found = sorted((root / f"corpus-{size}").glob("*_cal.asdf"))
        if found:
            return found
    raise SystemExit(f"no *_cal.asdf under {root}/corpus-full or corpus-ci: run `make real-data` first")


def make_files(sources, n, folder, link=False):
    """n distinct full-size copies of the sources (round robin) under distinct Roman names;
    with `link`, those beyond the first round are hard links to it (the same bytes under
    distinct paths: distinct store ids, without 200 MB of disk a file)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n):
        src = sources[i % len(sources)]
        detector = src.name.split("_")[2]  # wfiNN
        dst = folder / f"r0099901001001001{i + 1:03d}_0001_{detector}_f087_cal.asdf"
        if not (dst.is_file() and dst.stat().st_size == src.stat().st_size):
            if link and i >= len(sources):
                dst.unlink(missing_ok=True)
                os.link(files[i % len(sources)], dst)
            else:
                shutil.copyfile(src, dst)
        files.append(dst)
    for f in files:  # into the page cache, for both sides alike
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass
    return files


def run_child(python, side, files, cache, server_warm=False):
    env = {**os.environ, "ROMAN_LAB_CACHE": str(cache), "PYTHONWARNINGS": "ignore",
           "BENCH_SERVER_WARM": "1" if server_warm else "0"}
    t = time.perf_counter()
    proc = subprocess.run([str(python), __file__, "--child", side, *map(str, files)],
                          capture_output=True, text=True, env=env, cwd=cache)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"{side} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_wall_s"] = wall
    return out


def stats(values):
    values = sorted(values)
    if not values:
        return None
    k = max(0, min(len(values) - 1, round(0.95 * (len(values) - 1))))
    return statistics.median(values), values[k], len(values)


def cell(values, digits=2):
    s = stats(values)
    if s is None:
        return "-"
    med, p95, n = s
    return f"{med:.{digits}f} / {p95:.{digits}f} / {n}"


def report(n, runs):
    ours, jd, conv = runs["ours"], runs["jdaviz"], runs["convert"]

    def col(rows, key):
        return [r[key] for r in rows if key in r]

    print(f"\n### N = {n}  (median / p95 / n, seconds; RSS in MB)\n")
    print("| phase | ours | jdaviz |")
    print("|---|---|---|")
    print(f"| import | {cell(col(ours, 'import_s'))} | {cell(col(jd, 'import_s'))} |")
    print(f"| construct (`Viewer()` / `Imviz()`) | {cell(col(ours, 'construct_s'))} | {cell(col(jd, 'construct_s'))} |")
    print(f"| load (`viewer.load(files)` / `imviz.load` x N) | {cell(col(ours, 'load_s'), 3)} | {cell(col(jd, 'load_s'))} |")
    print(f"| server imports (zarr, roman_datamodels, converter) | {cell(col(ours, 'server_import_s'))} | - |")
    print(f"| display-ready, all N (2 workers) / align by WCS | {cell(col(ours, 'display_ready_s'))} | {cell(col(jd, 'align_s'))} |")
    print(f"| **total: script body to shown aligned** | **{cell(col(ours, 'total_s'))}** | **{cell(col(jd, 'total_s'))}** |")
    print(f"| process wall (interpreter start to exit) | {cell(col(ours, 'process_wall_s'))} | {cell(col(jd, 'process_wall_s'))} |")
    print(f"| peak RSS at shown aligned | {cell(col(ours, 'peak_rss_at_shown_mb'), 0)} | {cell(col(jd, 'peak_rss_mb'), 0)} |")
    print(f"| peak RSS (ours: after every store is complete) | {cell(col(ours, 'peak_rss_mb'), 0)} | {cell(col(jd, 'peak_rss_mb'), 0)} |")
    print(f"| (ours) every store complete, from the first conversion | {cell(col(ours, 'complete_s'))} | - |")
    cached = runs["ours_cached"]
    print(f"| (ours, files seen before: stores in the cache) total | {cell(col(cached, 'total_s'))} | - |")
    t_ours, t_jd = stats(col(ours, "total_s")), stats(col(jd, "total_s"))
    ratio = t_jd[0] / t_ours[0] if t_jd else None
    if ratio is not None:
        print(f"\nratio jdaviz / ours (median totals): {ratio:.1f}x  (goal >= 10x); "
              f"with the stores already in the cache: {t_jd[0] / stats(col(cached, 'total_s'))[0]:.1f}x")
    if ours:
        ready = [r["ready_at_s"] for r in ours]
        per = [statistics.median(col) for col in zip(*ready)]
        print("ours, k-th file display-ready after the pool started (medians): " + ", ".join(f"{v:.2f}" for v in per))
        print(f"ours, the first second stage started at (median): {cell(col(ours, 'first_second_stage_at_s'))} s")
    if conv:
        first = [c["display_ready_s"][0] for c in conv]
        rest = [v for c in conv for v in c["display_ready_s"][1:]]
        first_c = [c["complete_s"][0] for c in conv]
        rest_c = [v for c in conv for v in c["complete_s"][1:]]
        print(f"\n`roman_lab.convert` alone, one file after the other (fresh process, import "
              f"{cell([c['import_s'] for c in conv])}):\n")
        print("| file | to display-ready | to complete |")
        print("|---|---|---|")
        print(f"| first (first use of the libraries) | {cell(first)} | {cell(first_c)} |")
        print(f"| each later file | {cell(rest)} | {cell(rest_c)} |")
        later = [(c["display_ready_s"][i], c["timings"][i]) for c in conv for i in range(1, len(c["timings"]))]
        if later and all("display_ready_s" in tm for _, tm in later):
            print("\nwhere a later file's time to display-ready goes (medians, s): "
                  f"open the ASDF {statistics.median(d - tm['display_ready_s'] for d, tm in later):.2f}, "
                  f"read + decompress data {statistics.median(tm['read_data_s'] for _, tm in later):.2f}, "
                  f"pyramid + statistics + SIP fit + coarsest level written "
                  f"{statistics.median(tm['display_ready_s'] - tm['read_data_s'] for _, tm in later):.2f} "
                  f"(beside each other: statistics {statistics.median(tm['statistics_s'] for _, tm in later):.3f}, "
                  f"SIP fit {statistics.median(tm['wcs_fit_s'] for _, tm in later):.3f}, "
                  f"pyramid {statistics.median(tm['pyramid_s'] for _, tm in later):.3f}, "
                  f"coarsest level written "
                  f"{statistics.median(tm['data_written_s'] - tm['read_data_s'] - tm['pyramid_s'] for _, tm in later):.3f}); "
                  f"then the finer levels, err, dq (stage 2) "
                  f"{statistics.median(tm['total_s'] - tm['display_ready_s'] for _, tm in later):.2f}")
    return ratio


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    ap.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, nargs="+", default=[4, 20], help="numbers of files (default 4 20)")
    ap.add_argument("--trials", type=int, nargs="+", default=None,
                    help="trials per N, one number or one per N (default 3 for N <= 4, else 2)")
    ap.add_argument("--convert-trials", type=int, default=1, help="fresh processes of the convert-alone run per N")
    ap.add_argument("--jdaviz-python", default=str(DEFAULT_JDAVIZ))
    ap.add_argument("--files-dir", default=str(DEFAULT_FILES), help="where the N copies are made (kept)")
    ap.add_argument("--json", default=None, help="also write every run here")
    ap.add_argument("--ours-only", action="store_true", help="no jdaviz runs (e.g. --n 100 for our peak RSS)")
    ap.add_argument("--link", action="store_true", help="make missing copies beyond the first round as hard links")
    ap.add_argument("--server-warm", action="store_true",
                    help="ours: run the server's start-up warm-up (roman_lab.server.api.warmup) before the clock, "
                         "as a server started before the files are loaded has")
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child](args.files)))
        return

    trials = args.trials or [3 if n <= 4 else 2 for n in args.n]
    if len(trials) == 1:
        trials = trials * len(args.n)
    ours_python = Path(sys.executable)
    jd_python = Path(args.jdaviz_python).expanduser()
    if not args.ours_only and not jd_python.exists():
        raise SystemExit(f"no jdaviz python at {jd_python}: make its venv first (see the docstring)")
    sources = default_sources()
    print(f"{os.cpu_count()} cores, load average {load_average()} at the start"
          + ("; ours with the server warmed up before the clock" if args.server_warm else ""))
    print(f"sources ({len(sources)}): " + ", ".join(s.name for s in sources))
    results = {}
    for n, k in zip(args.n, trials):
        t = time.perf_counter()
        files = make_files(sources, n, Path(args.files_dir).expanduser(), args.link)
        print(f"\nN = {n}: {n} files of {files[0].stat().st_size / 1e6:.0f} MB ready in {time.perf_counter() - t:.1f} s; "
              f"{k} trials, interleaved")
        runs = {"ours": [], "jdaviz": [], "convert": [], "ours_cached": []}
        for trial in range(k):
            sides = (("ours", ours_python), ("jdaviz", jd_python))[: 1 if args.ours_only else 2]
            for side, python in sides if trial % 2 == 0 else sides[::-1]:
                with tempfile.TemporaryDirectory(prefix="roman-lab-bench-jdaviz-") as cache:
                    out = run_child(python, side, files, cache, args.server_warm)
                    if side == "ours":  # again, a fresh process, the stores now in the cache
                        runs["ours_cached"].append(run_child(python, side, files, cache, args.server_warm))
                runs[side].append(out)
                print(f"  trial {trial + 1} {side:6s}: total {out['total_s']:.2f} s, wall {out['process_wall_s']:.2f} s, "
                      f"peak RSS {out['peak_rss_mb']:.0f} MB  (load {load_average()})", flush=True)
        for _ in range(args.convert_trials):
            with tempfile.TemporaryDirectory(prefix="roman-lab-bench-jdaviz-") as cache:
                runs["convert"].append(run_child(ours_python, "convert", files[: min(n, 4)], cache))
        results[n] = runs
        results[n]["ratio"] = report(n, runs)
        results[n]["versions"] = {side: runs[side][0]["version"] for side in ("ours", "jdaviz") if runs[side]}
    print(f"\nload average {load_average()} at the end")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

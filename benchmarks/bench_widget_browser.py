"""The notebook widget `roman_lab.Viewer` in headless Chromium against a real JupyterLab: issue 8's
browser goals, measured in one run (browser half: widget_browser.cjs).

    .venv/bin/python benchmarks/bench_widget_browser.py             # ~8 minutes, ~5 GB of scratch disk
    .venv/bin/python benchmarks/bench_widget_browser.py --drags 20 --restores 5 --loads 3

Set-up: two full-size (4088 x 4088) L2 files from `bench_store.make_l2` (different seeds: different
noise and stars, the same fake gwcs) hard-linked under 50 Roman `_cal` names (a deep field),
served by `jupyter lab` on a free port with a fresh cache and workspace folder. All 50 are
converted once through `POST /roman-lab/api/stores` before the browser starts; a state is
saved from Python (`v.load(paths)`, centred on one 512-pixel chunk at zoom 4, one circle).

Reported (medians and p95):
1. A circle drawn with the Circle tool (a real mouse drag: press, 8 moves at least 16 ms apart
   as a 60 Hz mouse gives, release at once after the last move, so the circle Python must get
   is the one of the last move) until the kernel holds that final circle in `v.regions`:
   - method A: a kernel-side observer on the `regions` trait records `time.time()` of every
     change; compared with the page's `Date.now()` in a capture-phase `pointerup` (and
     `pointermove`) listener on `window`. Same machine, same wall clock; resolution 1 ms
     (Date.now()). The final circle is the last change the observer saw (each drag starts
     from `v.regions = []`).
   - method B (what a cell run after drawing sees): the page executes
     `v.regions` through the kernel in a loop right after the release, until the answer is
     the final circle; resolution: one execute round trip (reported).
2. Restoring the 50-exposure state in a fresh notebook kernel (`roman_lab` imported in a
   first, untimed cell): from running the cell `Viewer.from_state(path)` (displayed) to the
   widget's first frame with pixels of the image on screen (canvas `data-tiles` > 0), to that
   image complete (`data-pending` == 0), and to all 50 blinkable (canvas
   `data-stack-ready` == 50: every image's chunks of the view resident). The browser's HTTP
   cache is disabled (Chromium DevTools protocol), so each restore fetches its chunks as a
   freshly opened browser would; the stores are converted already.
   The same with `from roman_lab import Viewer` in the timed cell (a fresh kernel's first
   cell). Each restore also checks that the widget ends on the state's `images[current]` and
   that Python's `v.current` is unchanged; once more with a state whose `images[0]` is not
   converted yet (the other 49 are), which shows the widget writing the wrong `current` back.
   Also `v.load(paths)` of the 50 into a displayed empty viewer: Python's return time in the
   cell and the browser's first frame. The naive counterpart of the first frame is waiting
   for the whole stack (the "all 50 blinkable" column).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _lab import ROOT, Lab, browser_env
from bench_store import make_l2


def stat(values):
    v = np.asarray([x for x in values if x is not None], dtype=float)
    if len(v) == 0:
        return "n/a | n/a | 0"
    return f"{np.median(v):.0f} ms | {np.percentile(v, 95):.0f} ms | {len(v)}"


def stat1(values):
    v = np.asarray([x for x in values if x is not None], dtype=float)
    return f"{np.median(v):.1f} ms | {np.percentile(v, 95):.1f} ms | {len(v)}"


def convert_all(base, headers, paths):
    """POST every file, then poll until all stores are ready; returns seconds."""
    t0 = time.perf_counter()
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        jobs = {}
        for p in paths:
            r = client.post("/roman-lab/api/stores", json={"path": str(p)})
            r.raise_for_status()
            jobs[r.json()["id"]] = r.json()
        while True:
            pending = [i for i, j in jobs.items() if j["status"] != "ready"]
            if not pending:
                return time.perf_counter() - t0
            for i in pending:
                job = client.get(f"/roman-lab/api/stores/{i}").json()
                if job["status"] == "error":
                    raise SystemExit(f"conversion failed: {job['message']}")
                jobs[i] = job
            time.sleep(0.5)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50, help="exposures in the state")
    parser.add_argument("--drags", type=int, default=20, help="circles drawn per method")
    parser.add_argument("--restores", type=int, default=5)
    parser.add_argument("--loads", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the raw browser measurements here")
    parser.add_argument("--esm", type=Path, help="another build of the widget's ESM to measure (e.g. one that reaches "
                                                 "the server over HTTP): a Viewer subclass with this _esm is used")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="roman-lab-bench-widget-browser-"))
    root = work / "root"
    deep = root / "deep"
    deep.mkdir(parents=True)
    server = None
    server_log = open(work / "server.log", "w")  # noqa: SIM115 (closed in finally)
    try:
        t0 = time.perf_counter()
        names = [f"r0004201001001001{i // 8 + 1:04d}101_{i % 8 + 1:04d}_wfi02_f158_cal.asdf" for i in range(args.n)]
        sources = [make_l2(deep / names[0], seed=0), make_l2(deep / names[1], seed=1)]
        paths = [deep / name for name in names]
        for i, p in enumerate(paths[2:], start=2):
            os.link(sources[i % 2], p)
        print(f"# made 2 full-size L2 files and {args.n - 2} hard links in {time.perf_counter() - t0:.0f} s", file=sys.stderr)

        env = {**os.environ, "ROMAN_LAB_CACHE": str(work / "cache")}
        server = Lab(root, work, cwd=root, env=env, stderr=server_log)
        base, headers = server.base, server.headers
        converted_s = convert_all(base, headers, paths)
        print(f"# converted {args.n} stores in {converted_s:.0f} s", file=sys.stderr)

        os.environ["ROMAN_LAB_CACHE"] = str(work / "cache")
        import astropy.units as u
        from astropy.coordinates import SkyCoord
        from regions import CircleSkyRegion

        import roman_lab

        v = roman_lab.Viewer()
        v.load([str(p) for p in paths])
        v.center_on((1280.0, 1280.0))  # the middle of one 512-pixel chunk
        v.zoom_level = 4.0
        v.add_region(CircleSkyRegion(SkyCoord(v.center["ra"], v.center["dec"], unit="deg"), 3 * u.arcsec))
        state = v.save_state(root / "deep.romanview.json")
        # the same state whose image on screen (images[0]) is not converted yet: the others are
        # added to the view first, and the widget must still end on images[0]
        fresh = deep / "r00042010010010019999101_0001_wfi02_f158_cal.asdf"
        os.link(sources[0], fresh)
        v.load(str(fresh))
        v.move(len(v.images) - 1, 0)
        v.remove(1)
        v.current = 0
        state_first_unconverted = v.save_state(root / "first-unconverted.romanview.json")
        assert v.images[0]["path"] == str(fresh) and len(v.images) == args.n

        saved = json.loads(Path(state).read_text())
        config = {"paths": [str(p) for p in paths], "state": str(state), "first_id": saved["images"][saved["current"]]["id"],
                  "state_first_unconverted": str(state_first_unconverted),
                  "first_unconverted_id": json.loads(Path(state_first_unconverted).read_text())["images"][0]["id"],
                  "drags": args.drags, "restores": args.restores,
                  "loads": args.loads, "n": args.n,
                  "viewer_import": "from roman_lab import Viewer" if args.esm is None else
                  f"from pathlib import Path\nfrom roman_lab import Viewer as _V\nclass Viewer(_V): _esm = Path({str(args.esm.resolve())!r})"}
        node_env = browser_env(BENCH_BASE=base, BENCH_TOKEN=server.token, BENCH_CONFIG=json.dumps(config))
        out = subprocess.run(["node", str(Path(__file__).parent / "widget_browser.cjs")], check=False, cwd=ROOT / "ui-tests",
                             env=node_env, stdout=subprocess.PIPE, stderr=None, text=True, timeout=3600)
        lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
        if out.returncode != 0 or not lines:
            raise SystemExit(f"browser part failed:\n{out.stdout}\n{(work / 'server.log').read_text()[-4000:]}")
        r = json.loads(lines[-1][len("RESULT "):])
        if args.json:
            args.json.write_text(json.dumps(r))
        report(r, args, converted_s)
    finally:
        if server is not None:
            server.stop()
        server_log.close()
        shutil.rmtree(work, ignore_errors=True)


def report(r, args, converted_s):
    print(f"# bench_widget_browser: Chromium {r['browser']}, WebGL {r['renderer']!r}, widget view "
          f"{r['view_size']['width']:.0f} x {r['view_size']['height']:.0f} CSS px; {args.n} full-size L2 stores "
          f"converted beforehand ({converted_s:.0f} s)\n")
    if args.drags > 0:
        report_circles(r)
    report_restores(r)


def report_circles(r):
    drag_a, drag_b = r["drag_observer"], r["drag_poll"]
    print("| 1. circle drawn in the widget -> in Python's `v.regions` (goal < 100 ms) | median | p95 | n |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| A: pointerup -> kernel observer sees the final circle | {stat([d['up_to_kernel'] for d in drag_a])} |")
    print(f"| A: last pointermove -> kernel observer sees the final circle | {stat([d['move_to_kernel'] for d in drag_a])} |")
    print(f"| A: `regions` changes the kernel saw per drag (throttled to one per 40 ms) | "
          f"{np.median([d['changes'] for d in drag_a]):.0f} | {np.percentile([d['changes'] for d in drag_a], 95):.0f} | {len(drag_a)} |")
    print(f"| B: pointerup -> a cell executed from the page reads the final circle | {stat([d['up_to_poll'] for d in drag_b])} |")
    print(f"| B: the same drags, by the kernel observer | {stat([d['up_to_kernel'] for d in drag_b])} |")
    print(f"| B: resolution, one execute round trip (`v.regions` printed) | {stat1(r['exec_round_trip'])} |")


def report_restores(r):
    rs, cold = r["restores"], r["cold_restores"]
    print("\n| 2. `Viewer.from_state` of 50 converted exposures in a fresh kernel: cell run -> (goal: first image <= 1 s) | median | p95 | n |")
    print("| --- | ---: | ---: | ---: |")
    for key, label in [("reply", "execute_reply (Python done)"), ("widget", "widget element in the output"),
                       ("first", "**first frame with pixels of the image on screen**"), ("complete", "that image complete (no chunk pending)"),
                       ("added", "all 50 added to the view"), ("all", "all 50 blinkable (naive: show nothing until the stack is in)")]:
        print(f"| {label} | {stat([x.get(key) for x in rs])} |")
    print(f"| (the untimed cell before: `import roman_lab` in the fresh kernel) | {stat([x['import'] for x in rs])} |")
    print(f"| import and restore in one cell, fresh kernel: **first frame** | {stat([x.get('first') for x in cold])} |")
    print(f"| import and restore in one cell: all 50 blinkable | {stat([x.get('all') for x in cold])} |")
    wrong = [x for x in rs + cold if x.get("shown") != r["first_id"] or x.get("python_current") != 0]
    print(f"\nRestores that ended showing another image than the state's `images[current]`, or changed Python's "
          f"`v.current`: {len(wrong)} of {len(rs + cold)}" + "".join(
              f"\n  shown {x.get('shown')} (state's {r['first_id']}), v.current {x.get('python_current')} (state's 0), "
              f"first frame of any image at {x.get('firstAny', float('nan')):.0f} ms" for x in wrong))
    if any(x.get("timedOut") or x.get("error") for x in rs + cold):
        print(f"\nTIMED OUT or ERROR: {[(x.get('timedOut'), x.get('error')) for x in rs + cold]}")
    u = r["first_unconverted"]
    print(f"\nThe same state with its image on screen (images[0]) not converted yet, the other 49 converted: "
          f"first frame of any image at {u.get('firstAny', float('nan')):.0f} ms, of images[0] at {u.get('first', float('nan')):.0f} ms; "
          f"ends showing {'images[0]' if u.get('shown') == r['first_unconverted_id'] else u.get('shown')}, "
          f"Python's v.current {u.get('python_current')} (state's 0)")
    ls = r["loads"]
    print("\n| `v.load(paths)` of 50 into a displayed empty viewer, cell run -> | median | p95 | n |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| Python: `v.load` returns (timed inside the cell) | {stat1([x['python_ms'] for x in ls])} |")
    for key, label in [("reply", "execute_reply"), ("first", "**first frame with pixels**"), ("complete", "first image complete"),
                       ("added", "all 50 added to the view"), ("all", "all 50 blinkable")]:
        print(f"| {label} | {stat([x.get(key) for x in ls])} |")
    median = sorted(rs, key=lambda x: x.get("first") or 1e9)[len(rs) // 2]
    print(f"\nRequests of the median restore (first frame at {median.get('first', 0):.0f} ms) before its first frame "
          "(ms from the cell run, start-end, status, URL under /roman-lab/):")
    for q in median["requests"]:
        print(f"  {q}")
    print("Its first steps (canvas and widget dataset as they changed):")
    for q in median["trace"][:8]:
        print(f"  {q}")


if __name__ == "__main__":
    main()

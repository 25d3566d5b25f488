"""The Roman viewer in headless Chromium against a real JupyterLab, on full-size L2 files.

    .venv/bin/python benchmarks/bench_viewer.py            # ~3 minutes

Reported (medians and p95 over several files):
1. "Open" -> first pixels drawn, for a never-seen full-size L2 (conversion included) and for an
   already converted one; naive side by side in the same run: the browser downloading the
   whole ASDF through /files/ (before it could even start decoding lz4).
2. frame time while panning and zooming a full-size image once its chunks are resident:
   the time each frame's draw() takes on the main thread, and the interval between frames.
3. the browser's JS heap after panning across the whole image (chunk cache bound: 512 MiB).
4. where the time to first pixels goes (medians over the files): the viewer's performance marks
   (src/viewer/marks.ts) as phases, each request from sent to its last byte (with the server's
   own time, Server-Timing), and the page's long tasks meanwhile. `--pause-s 4` opens each file
   once the previous file's conversion is complete (a user opening one file), not back to back.

Chromium here has no GPU: WebGL runs on SwiftShader (software), so frame times are an upper
bound of what a laptop with a GPU shows.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _lab import ROOT, Lab, browser_env  # noqa: E402
from bench_store import make_l2  # noqa: E402


def stats(values, unit="ms", scale=1.0):
    v = np.asarray(values, dtype=float) * scale
    return f"{np.median(v):.1f} {unit} | {np.percentile(v, 95):.1f} {unit} | {len(v)}"


def request_step(url):
    """The waterfall's name of a request the page made while opening a file."""
    path = url.split("?")[0]
    steps = [(r"/roman-lab/api/stores$", "POST api/stores (wait_s)"), (r"/roman-lab/api/stores/", "GET api/stores/ID"),
             (r"/stores/[^/]+/zarr\.json$", "GET root zarr.json"), (r"/stores/[^/]+/(data/\d+)/zarr\.json$", r"GET \1/zarr.json"),
             (r"/stores/[^/]+/(\w+)/zarr\.json$", r"GET \1/zarr.json"), (r"/stores/[^/]+/data/\d+/c/", "GET first chunk"),
             (r"/api/contents/", "GET api/contents (JupyterLab)"), (r"\.js$", "GET a script")]
    for pattern, name in steps:
        match = re.search(pattern, path)
        if match:
            return match.expand(name)
    return "GET " + path.rsplit("/", 2)[-2] + "/" + path.rsplit("/", 1)[-1]


def waterfall(opens):
    """Rows (step, start, end, server ms) with medians over the opens; each step's first occurrence."""
    rows = {}
    for opened in opens:
        seen = {}
        for m in opened["marks"]:
            seen.setdefault("mark " + m["name"], (m["at"], m["at"], None))
        for r in opened["requests"]:
            seen.setdefault(request_step(r["url"]), (r["sent"] or r["start"], r["end"], r["server"].get("app")))
        for step, times in seen.items():
            rows.setdefault(step, []).append(times)
    table = []
    for step, times in rows.items():
        start, end = (float(np.median([t[i] for t in times])) for i in (0, 1))
        server = [t[2] for t in times if t[2] is not None]
        table.append((step, start, end, float(np.median(server)) if server else None, len(times)))
    return sorted(table, key=lambda row: (row[1], row[2]))


def phases(opened):
    """(phase, ms) of one open, from its marks, its first chunk request and the bench's own clock."""
    m = {mark["name"]: mark["at"] for mark in opened["marks"]}
    chunk = next((r["start"] for r in opened["requests"] if "/c/" in r["url"]), float("nan"))
    edges = [("Open -> viewer widget made (JupyterLab: GET contents, the tab)", 0, m["widget"]),
             ("widget made -> conversion asked", m["widget"], m["ask"]),
             ("asked -> display-ready answer read (server: stage 1; POST/GET with wait_s)", m["ask"], m["display-ready"]),
             ("display-ready -> store open (root zarr.json)", m["display-ready"], m["store-open"]),
             ("store open -> image open (levels' and dq's zarr.json; WebGL view)", m["store-open"], m["image-open"]),
             ("image open -> first chunk asked", m["image-open"], chunk),
             ("first chunk asked -> drawn (GET 0.85 MB, zstd decode, texture, draw)", chunk, m["first-pixels"]),
             ("drawn -> the page's next frame (when the bench sees it)", m["first-pixels"], opened["ms"]),
             ("total", 0, opened["ms"])]
    return [(name, end - start) for name, start, end in edges]


def print_phases(title, opens):
    table = [phases(opened) for opened in opens]
    print(f"\n| {title}: phase | ms, median |\n| --- | ---: |")
    for i, (name, _) in enumerate(table[0]):
        print(f"| {name} | {np.nanmedian([row[i][1] for row in table]):.0f} |")


def print_waterfall(title, opens):
    print(f"\n| {title}: step | start ms | end ms | server ms | n |\n| --- | ---: | ---: | ---: | ---: |")
    for step, start, end, server, n in waterfall(opens):
        print(f"| {step} | {start:.0f} | {end:.0f} | {'' if server is None else f'{server:.0f}'} | {n} |")
    posts = [r["server"] for opened in opens for r in opened["requests"] if r["url"].split("?")[0].endswith("/api/stores")]
    names = sorted({name for server in posts for name in server} - {"app"})
    if names:  # the stores POST's own Server-Timing parts
        print("\nPOST api/stores, the server's parts (ms, median): " + ", ".join(
            f"{name} {np.median([server[name] for server in posts if name in server]):.0f}" for name in names))
    busy = [sum(t["ms"] for t in opened["tasks"]) for opened in opens]
    print(f"\nlong tasks (> 50 ms) on the main thread while opening: {np.median(busy):.0f} ms median per open "
          f"({', '.join(str(round(b)) for b in busy)})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=5, help="never-seen files to open")
    parser.add_argument("--pause-s", type=float, default=0.0,
                        help="wait between two opens: with ~4 s a never-seen file's conversion does not "
                             "share the CPU with the previous file's second stage")
    parser.add_argument("--gpu-compositing", action="store_true",
                        help="launch Chromium without --disable-gpu: the page composited by its GPU process "
                             "(SwiftShader here, as WebGL), not read back for software compositing each frame")
    parser.add_argument("--source", type=Path,
                        help="open hard links of this Roman file (e.g. the real-products corpus's L3 mosaic) "
                             "instead of a synthetic full-size L2")
    parser.add_argument("--json", type=Path, help="also write the browser's raw results here")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="roman-lab-bench-viewer-"))
    root = work / "root"
    root.mkdir()
    lab = None
    try:
        suffix = args.source.name.rsplit("_", 1)[-1] if args.source else "cal.asdf"  # the product's kind
        source = args.source.resolve() if args.source else make_l2(root / "f000_cal.asdf")
        names = [f"f{i:03d}_{suffix}" for i in range(1, args.files + 1)]
        for name in names:
            try:
                os.link(source, root / name)  # a new store per name, the bytes shared
            except OSError:  # another file system
                shutil.copy(source, root / name)
        lab = Lab(root, work)
        env = browser_env(BENCH_BASE=lab.base, BENCH_TOKEN=lab.token, BENCH_FILES=json.dumps(names),
                          BENCH_PAUSE_MS=str(round(args.pause_s * 1000)), BENCH_GPU="1" if args.gpu_compositing else "")
        out = subprocess.run(["node", str(Path(__file__).parent / "viewer_browser.cjs")], cwd=ROOT / "ui-tests",
                             env=env, capture_output=True, text=True, timeout=900)
        if out.returncode != 0:
            raise SystemExit(f"browser part failed:\n{out.stdout}\n{out.stderr}")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        if args.json:
            args.json.write_text(json.dumps(r))
        print(f"# bench_viewer: Chromium {r['browser']}, WebGL renderer {r['renderer']!r}, "
              f"{'GPU' if args.gpu_compositing else 'software (--disable-gpu)'} compositing, "
              f"{source.name if args.source else 'full-size L2'} {source.stat().st_size / 1e6:.0f} MB\n")
        print("| Open -> first pixels | median | p95 | n |\n| --- | ---: | ---: | ---: |")
        print(f"| never-seen (conversion included) | {stats(r['cold'])} |")
        print(f"| already converted | {stats(r['warm'])} |")
        print(f"| naive: download the whole ASDF via /files/ | {stats(r['naive'])} |")
        print("\n| panning/zooming, chunks resident | median | p95 | n |\n| --- | ---: | ---: | ---: |")
        print(f"| draw() on the main thread | {stats(r['draw'], 'ms', 1.0)} |")
        print(f"| interval between frames | {stats(r['interval'])} |")
        print(f"\nJS heap: {r['heap_mb']:.0f} MB "
              f"after visiting every full-resolution chunk (chunk cache bound 512 MiB; the GPU holds the same chunks as textures)")
        for title, opens in (("never-seen", r["waterfall"]["cold"]), ("already converted", r["waterfall"]["warm"])):
            print_phases(title, opens)
            print_waterfall(title, opens)
    finally:
        if lab is not None:
            lab.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The blink stack (issue 6): 100 full-size L2 exposures in one viewer, in headless Chromium.

    .venv/bin/python benchmarks/bench_blink.py                 # ~9 minutes, ~10 GB of scratch disk
    .venv/bin/python benchmarks/bench_blink.py --images 20     # a quicker look

A few full-size L2 sources (bench_store.make_l2 pixels, each with a distorted Roman-like
gwcs from the demo field's detector model: different detectors, rolls and dithers, all
covering the demo galaxy) are hard-linked under 100 names: distinct paths are distinct
stores, so the server converts and serves 100 stores. A real JupyterLab runs with a user
settings dir setting the viewer's chunk cache to --cache-mb (512 MiB, the default setting:
the view of one image at zoom 1 in a 1280 x 900 window is 24-68 display tiles of 128 x 128
pixels, 1.5-4.2 MiB, 100 images ~350 MiB, and prefetch fills at most 85% of the cache); the
run also reports how many are ready with each --small-cache-mb. In one run (blink_browser.cjs):

1. the reference exposure is opened, the view set at zoom 1 (device pixel per image pixel)
   on the galaxy, then `addImages(the other 99)`: time until all 100 are in the stack, at
   full resolution, and `readyCount == 100` (every tile of the view resident). (a) never
   converted (server conversion included); (b) already converted, from a new browser
   context (empty HTTP cache). Goal (b) <= 0.3 s per exposure. The run also records the
   reference's levels 3 s after it opened while converting (it must reach full resolution
   in the same page: a converting store's root zarr.json is served no-cache).
2. 300 `view.next()`, one per animation frame: `view.frameTimes` (CPU of the first draw
   after each switch; goal p95 <= 16 ms), the rAF interval, the time next() itself takes
   (listeners included), the prefetch pass after each frame, and frames with tiles missing.
3. server RSS (process tree, sampled every 0.1 s) during the conversions and after all 100
   are served; Chromium's JS heap (performance.memory after a GC) and its processes' PSS.
4. naive, same run: the whole ASDF of a few exposures through /files/ and its `data` block
   lz4-decoded in the page; extrapolated to 100. jdaviz's ~2.8 s per file of WCS linking
   (issue 6) is quoted, not measured.

Chromium here has no GPU: WebGL2 runs on SwiftShader, which paces headless frames.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from _lab import ROOT, Lab, browser_env
from bench_store import make_l2

JDAVIZ_S_PER_FILE = 2.8  # issue 6: jdaviz WCS linking, Python side, per full-size Roman file
# Demo-field exposures whose detector / roll / dither the sources take (roman_lab.demo.field.EXPOSURES)
SOURCE_EXPOSURES = [0, 4, 1, 6]


def make_source(path, index):
    """make_l2's pixels (seeded by `index`) with the gwcs of a demo-field exposure."""
    import roman_datamodels.datamodels as rdm

    from roman_lab.demo import field
    from roman_lab.demo import wcs as demo_wcs

    raw = path.with_name(f"raw_{path.name}")
    make_l2(raw, seed=index)
    exposure = field.EXPOSURES[SOURCE_EXPOSURES[index % len(SOURCE_EXPOSURES)]]
    ra_ref, dec_ref = demo_wcs.pointing(exposure)
    with rdm.open(raw) as m:
        m.meta.wcs = demo_wcs.detector_wcs(exposure.detector, exposure.roll, ra_ref, dec_ref, field.Size(small=False))
        m.meta.filename = path.name
        m.save(path)
    raw.unlink()
    return path, exposure


def galaxy_pixel(path):
    """Where the demo galaxy falls on an exposure (0-based x, y): the blink view's centre."""
    import roman_datamodels.datamodels as rdm

    from roman_lab.demo import field

    with rdm.open(path) as m:
        x, y = m.meta.wcs.invert(field.GALAXY_RA, field.GALAXY_DEC)
        first = np.array(m.data[0, :4], dtype=float)
    return float(x), float(y), first


class Sampler(threading.Thread):
    """RSS and CPU time of a process tree every `period` s, tagged with the current phase."""

    def __init__(self, pid, period=0.1):
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.period = period
        self.phase = "start"
        self.samples = []  # (t, phase, rss bytes, cpu s)
        self.marks = {}  # phase -> time it started
        self.loads = {}  # phase -> 1-minute load average when it started
        self.stop = threading.Event()

    def set_phase(self, name):
        self.phase = name
        self.marks[name] = time.monotonic()
        self.loads[name] = os.getloadavg()[0]

    def sample(self):
        rss, cpu = 0, 0.0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                rss += p.memory_info().rss
                t = p.cpu_times()
                cpu += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        self.samples.append((time.monotonic(), self.phase, rss, cpu))

    def run(self):
        while not self.stop.is_set():
            try:
                self.sample()
            except psutil.NoSuchProcess:
                return
            time.sleep(self.period)

    def rss(self, phase, how=max):
        values = [s[2] for s in self.samples if s[1] == phase]
        return how(values) if values else float("nan")

    def cpu(self, phase):
        values = [s[3] for s in self.samples if s[1] == phase]
        return values[-1] - values[0] if len(values) > 1 else float("nan")


def pct(values, q):
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def med_p95(values, unit="ms", digits=1):
    return f"{pct(values, 50):.{digits}f} {unit} | {pct(values, 95):.{digits}f} {unit}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=100, help="exposures in the stack (the reference included)")
    parser.add_argument("--sources", type=int, default=4, help="distinct source files (hard-linked under the names)")
    parser.add_argument("--cache-mb", type=int, default=512,
                        help="the viewer's chunkCacheMB setting for parts 1-2 (512: the default setting)")
    parser.add_argument("--small-cache-mb", default="256",
                        help="comma-separated smaller caches: how many images get ready, gaps in a blink pass")
    parser.add_argument("--switches", type=int, default=300, help="view.next() calls timed in part 2")
    parser.add_argument("--naive", type=int, default=4, help="files downloaded and decoded by the naive path")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for all images to be ready")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up (server, browser, scratch) when killed

    work = Path(tempfile.mkdtemp(prefix="roman-lab-bench-blink-"))
    root, settings_dir = work / "root", work / "settings"
    root.mkdir()
    (settings_dir / "roman-lab").mkdir(parents=True)
    (settings_dir / "roman-lab" / "plugin.jupyterlab-settings").write_text(json.dumps({"chunkCacheMB": args.cache_mb}))
    server = node = sampler = None
    load_before = os.getloadavg()
    try:
        t = time.perf_counter()
        sources = [make_source(root / f"source{k}.asdf", k) for k in range(args.sources)]
        print(f"# {args.sources} full-size sources made in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        names = []
        for i in range(args.images):
            src, exposure = sources[i % len(sources)]
            name = f"blink{i:03d}_{exposure.detector.lower()}_cal.asdf"
            os.link(src, root / name)
            names.append(name)
        cx, cy, first = galaxy_pixel(root / names[0])
        for src, _ in sources:
            src.unlink()  # the hard links keep the data; only the 100 names are in the root

        server_log = open(work / "server.log", "w")  # noqa: SIM115 (lives as long as the server)
        try:
            server = Lab(root, work, f"--LabApp.user_settings_dir={settings_dir}", stderr=server_log)
        except RuntimeError as err:
            raise SystemExit(f"{err}: " + (work / "server.log").read_text()[-2000:]) from None
        time.sleep(3)  # the server pre-imports the store modules in a thread at start
        sampler = Sampler(server.proc.pid)
        sampler.start()

        config = {
            "reference": names[0], "others": names[1:], "center": [cx, cy], "zoom": 1,
            "naive": names[:args.naive], "timeoutS": args.timeout, "blinkSwitches": args.switches,
            "smallCacheMB": [int(mb) for mb in args.small_cache_mb.split(",") if mb],
        }
        env = browser_env(BENCH_BASE=server.base, BENCH_TOKEN=server.token, BENCH_CONFIG=json.dumps(config))
        node = subprocess.Popen(["node", str(Path(__file__).parent / "blink_browser.cjs")], cwd=ROOT / "ui-tests",
                                env=env, stdout=subprocess.PIPE, text=True, start_new_session=True)
        result = None
        for line in node.stdout:
            if line.startswith("PHASE "):
                sampler.set_phase(line.split()[1])
                print(f"# {time.strftime('%H:%M:%S')} phase {line.split()[1]}", file=sys.stderr)
            elif line.startswith("RESULT "):
                result = json.loads(line[7:])
        if node.wait() != 0 or result is None:
            raise SystemExit("the browser part failed (see above)")
        sampler.stop.set()
        report(args, result, sampler, names, first, root, work, load_before)
    finally:
        if node is not None:
            try:
                os.killpg(node.pid, signal.SIGKILL)  # node and the Chromium it started
            except ProcessLookupError:
                pass
        if sampler is not None:
            sampler.stop.set()
        if server is not None:
            server.stop()
        if args.keep:
            print(f"# kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


def report(args, r, sampler, names, first, root, work, load_before):
    n = args.images
    gib = 2**30
    store_bytes = sum(f.stat().st_size for f in (work / "cache").rglob("*") if f.is_file())
    file_mb = (root / names[0]).stat().st_size / 1e6
    canvas = r["coldOpen"]["canvas"]
    print(f"# bench_blink: {n} full-size L2 (4088 x 4088, {file_mb:.0f} MB each, {args.sources} distinct sources, "
          f"{len(SOURCE_EXPOSURES[:args.sources])} detector/roll/dither WCSs); stores {store_bytes / 1e9:.1f} GB")
    print(f"# Chromium {r['browser']} headless, WebGL renderer {r['renderer']!r}, {r['cores']} cores (os.cpu_count "
          f"{os.cpu_count()}), load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")
    print(f"# canvas {canvas[0]} x {canvas[1]} device px (dpr {r['coldOpen']['dpr']}), view at zoom 1 on the galaxy, "
          f"chunkCacheMB {args.cache_mb}; per image the view needs "
          f"{min(r['warm']['perImageChunks'])}-{max(r['warm']['perImageChunks'])} display tiles, "
          f"{min(r['warm']['perImageMB']):.1f}-{max(r['warm']['perImageMB']):.1f} MiB "
          f"(all {n}: {sum(r['warm']['perImageMB']):.0f} MiB; prefetch budget {0.85 * args.cache_mb:.0f} MiB)\n")

    print(f"| {n} exposures, addImages({n - 1}) after the reference -> all ready at the view | total | per exposure | ready |")
    print("| --- | ---: | ---: | ---: |")
    for key, label in (("cold", "never converted (server conversion included)"),
                       ("warm", "already converted (new browser context)")):
        x = r[key]
        total = (x["readyMs"] if x["readyMs"] is not None else x["endMs"]) / 1000
        flag = "" if x["readyMs"] is not None else " (timed out)"
        print(f"| {label} | {total:.1f} s{flag} | {total / (n - 1):.3f} s | {x['readyCount']}/{x['stackSize']} |")
        print(f"| ... of which addImages resolved (all {n} in the stack) | {x['resolvedMs'] / 1000:.1f} s | "
              f"{x['resolvedMs'] / 1000 / (n - 1):.3f} s | |")
    for s in r["small"]:
        print(f"| already converted, chunk cache {s['mb']} MiB{' (the default)' if s['mb'] == 512 else ''} | "
              f"(stable after {s['endMs'] / 1000:.1f} s) | | **{s['readyCount']}/{s['stackSize']}** |")
    print(f"\nreference open (docmanager:open -> data-ready=complete): never converted {r['coldOpen']['openMs']:.0f} ms, "
          f"converted {r['warmOpen']['openMs']:.0f} ms")
    print(f"never-converted reference 3 s after data-ready=complete (must be all levels, complete): "
          f"{r['coldOpen']['referenceWithCache']}")
    for key in ("cold", "warm"):
        x = r[key]
        if x["allReadyAnyLevelMs"] is not None:
            print(f"{key}: readyCount == {n} first (at whatever level each image had) after {x['allReadyAnyLevelMs'] / 1000:.1f} s")
    for key in ("cold", "warm"):
        x = r[key]
        print(f"{key} add: requests {x['requests']}; main thread: {x['longTasks']} long tasks (> 50 ms) totalling "
              f"{x['longTaskMs'] / 1000:.1f} s; {x['prefetchPasses']} prefetch passes totalling {x['prefetchTotalMs'] / 1000:.1f} s "
              f"(longest {x['prefetchMaxMs']:.0f} ms; in all draws and prefetches: wantedTiles {x['wantedTilesTotalMs'] / 1000:.1f} s, "
              f"meshFor {x['meshForTotalMs'] / 1000:.1f} s)")
    for s in r["small"]:
        print(f"chunk cache {s['mb']} MiB, one blink pass over all {n}: {s['blink']['gaps']} of {len(s['blink']['nextMs'])} "
              f"switches drew a frame with tiles missing; first draw p50/p95 {med_p95(s['blink']['frameTimes'])}; "
              f"readyCount after {s['blink']['readyAfter']}")

    print(f"\n| blink over resident tiles ({args.switches} x view.next(), one per frame) | p50 | p95 | n |")
    print("| --- | ---: | ---: | ---: |")
    for key, label in (("blink", "Roman panel (stack list) shown"), ("blinkNoPanel", "file browser shown")):
        b = r[key]
        print(f"| {label}: first draw() after the switch (`view.frameTimes`) | {med_p95(b['frameTimes'])} | {len(b['frameTimes'])} |")
        print(f"| {label}: `next()` itself (stack, widget and panel listeners) | {med_p95(b['nextMs'], digits=2)} | {len(b['nextMs'])} |")
        print(f"| {label}: prefetch pass after each frame | {med_p95(b['prefetchMs'], digits=2)} | {len(b['prefetchMs'])} |")
        print(f"| {label}: rAF interval | {med_p95(b['intervals'])} | {len(b['intervals'])} |")
    for key in ("blink", "blinkNoPanel"):
        b = r[key]
        print(f"# {key}: {b['gaps']} of {len(b['nextMs'])} switches drew a frame with tiles missing; readyCount after "
              f"{b['readyAfter']}; {len(b['nextMs']) / b['wallMs'] * 1000:.1f} switches/s; wantedTiles called "
              f"{b['wantedTilesCalls'] / len(b['nextMs']):.0f} times per switch, {b['wantedTilesMs'] / len(b['nextMs']):.2f} ms per switch")

    print("\n| memory | value |\n| --- | ---: |")
    print(f"| server RSS peak during the conversions (reference + {n - 1}) | "
          f"{max(sampler.rss('cold-open'), sampler.rss('cold-add')) / gib:.2f} GiB |")
    print(f"| server RSS with all {n} converted and served (end of the never-converted add) | "
          f"{sampler.rss('cold-served', how=lambda v: v[-1]) / gib:.2f} GiB |")
    print(f"| server RSS after the already-converted add and the blink | {sampler.rss('blink', how=lambda v: v[-1]) / gib:.2f} GiB |")
    print(f"| server RSS peak over the whole run | {max(s[2] for s in sampler.samples) / gib:.2f} GiB |")
    print("| server RSS peak per phase | " + ", ".join(
        f"{phase} {sampler.rss(phase) / gib:.2f}" for phase in sampler.marks) + " GiB |")
    for key in ("cold", "warm"):
        x = r[key]
        bm = x["browserMemory"]
        print(f"| Chromium JS heap after loading all {n} ({key}), after GC | {x['heap']['usedMB']:.0f} MB |")
        print(f"| chunk cache ({key}) | {x['cacheMB']:.0f} / {x['cacheMaxMB']:.0f} MiB |")
        print(f"| Chromium PSS ({key}): renderer / GPU process / all | {bm.get('renderer', {}).get('pss', 0):.0f} / "
              f"{bm.get('gpu-process', {}).get('pss', 0):.0f} / {bm['total']['pss']:.0f} MiB |")
    print("\n1-minute load average at the start of each phase (2 cores shared with other sessions): "
          + ", ".join(f"{k} {v:.1f}" for k, v in sampler.loads.items()))
    print(f"server CPU: {sampler.cpu('cold-add'):.0f} s during the never-converted add, "
          f"{sampler.cpu('warm-add'):.1f} s during the already-converted add")

    nv = r["naive"]
    if nv:
        naive_report(nv, n, first)
    for key in ("cold", "warm"):
        print(f"\n{key} timeline (t ms, in stack, adding, full resolution, ready): "
              + " ".join(f"{p['t']}:{p['size']}/{p['adding']}/{p.get('full', '')}/{p['ready']}" for p in r[key]["timeline"]))


def naive_report(nv, n, first):
    """The naive path's table: whole files downloaded and decoded in the page."""
    per = [x["downloadMs"] + x["decodeMs"] for x in nv]
    print(f"\n| naive: whole ASDF via /files/ + lz4-decode of `data` in the page (n={len(nv)}) | p50 | p95 |")
    print("| --- | ---: | ---: |")
    print(f"| download ({nv[0]['fileMB']:.0f} MB) | {med_p95([x['downloadMs'] for x in nv])} |")
    print(f"| decode `data` ({nv[0]['dataMB']:.0f} MB float32) | {med_p95([x['decodeMs'] for x in nv])} |")
    print(f"| per exposure | {med_p95(per)} |")
    print(f"| extrapolated to {n} (one after another) | {pct(per, 50) * n / 1000:.0f} s | |")
    print(f"| jdaviz WCS linking, Python side, quoted from issue 6 (not measured) | {JDAVIZ_S_PER_FILE * n:.0f} s for {n} | |")
    print(f"\nnaive memory: {nv[0]['dataMB']:.0f} MB of decoded `data` per exposure, {nv[0]['dataMB'] * n / 1e3:.1f} GB for {n}")
    ok = np.allclose(nv[0]["first"], first, rtol=1e-6)
    print(f"naive decode check (first 4 pixels of {nv[0]['path']} against roman_datamodels): {'ok' if ok else 'MISMATCH'}")


if __name__ == "__main__":
    main()

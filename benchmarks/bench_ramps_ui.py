"""Clicking "Ramps" to the drawn ramp panel, in headless Chromium against a real JupyterLab on
the full-size demo (issue 7's browser goal: <= 0.5 s warm).

    .venv/bin/python benchmarks/bench_ramps_ui.py              # uses ./demo-data (make demo)
    .venv/bin/python benchmarks/bench_ramps_ui.py --demo DIR

The demo's exposure with the faint cosmic ray is opened, a 20-pixel circle (~1,250 pixels) is
put on the hit, and the ramps command runs `--runs` times: the first includes converting the
L1 store (cold), the others find it converted (warm). Each time is from the command to the
first animation frame after the panel has drawn its charts.
"""

import argparse
import json
import os
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

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demo", type=Path, default=ROOT / "demo-data", help="a full-size demo folder (made when missing)")
    parser.add_argument("--runs", type=int, default=12)
    args = parser.parse_args(argv)
    if not (args.demo / "demo.json").exists():
        from roman_lab import demo

        demo.make(args.demo)
    manifest = json.loads((args.demo / "demo.json").read_text())
    if manifest.get("small"):
        raise SystemExit(f"{args.demo} holds the small demo: give a full-size one (roman-lab demo DIR --no-launch)")
    hit = manifest["faint_cosmic_ray"]
    work = Path(tempfile.mkdtemp(prefix="roman-lab-bench-ramps-ui-"))
    port, token = free_port(), secrets.token_hex(16)
    server = subprocess.Popen(
        [str(VENV_BIN / "jupyter"), "lab", f"--ServerApp.root_dir={args.demo.resolve()}", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False", "--allow-root",
         "--LabApp.expose_app_in_browser=True", f"--RomanLab.cache_dir={work / 'cache'}", "--LabApp.extension_manager=readonly",
         f"--LabApp.workspaces_dir={work / 'workspaces'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/roman-lab/api/health", headers={"Authorization": f"token {token}"}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        env = {**os.environ, "BENCH_BASE": base, "BENCH_TOKEN": token, "BENCH_RUNS": str(args.runs),
               "BENCH_FILE": hit["exposure"], "BENCH_PIXEL": json.dumps(hit["pixels"][0]),
               "CHROMIUM": os.environ.get("CHROMIUM", "/usr/bin/chromium"), "NODE_PATH": str(ROOT / "ui-tests" / "node_modules")}
        out = subprocess.run(["node", str(Path(__file__).parent / "ramps_browser.cjs")], cwd=ROOT / "ui-tests",
                             env=env, capture_output=True, text=True, timeout=900)
        if out.returncode != 0:
            raise SystemExit(f"browser part failed:\n{out.stdout}\n{out.stderr}")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        warm = np.asarray(r["times"][1:])
        print(f"# bench_ramps_ui: Chromium {r['browser']}, {r['pixels']} pixels x {r['resultants']} resultants, "
              f"full-size L1 of {hit['uncal']}\n")
        print("| click Ramps -> panel drawn | median | p95 | n |\n| --- | ---: | ---: | ---: |")
        print(f"| cold (L1 store converted first) | {r['times'][0]:.0f} ms | | 1 |")
        print(f"| warm (goal <= 500 ms) | {np.median(warm):.0f} ms | {np.percentile(warm, 95):.0f} ms | {len(warm)} |")
        print(f"| of which the HTTP request (warm) | {np.median(r['request'][1:]):.0f} ms | {np.percentile(r['request'][1:], 95):.0f} ms | {len(warm)} |")
    finally:
        server.terminate()
        server.wait(20)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

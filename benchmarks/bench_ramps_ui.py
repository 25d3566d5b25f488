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
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _lab import ROOT, Lab, browser_env  # noqa: E402


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
    lab = Lab(args.demo.resolve(), work)
    try:
        env = browser_env(BENCH_BASE=lab.base, BENCH_TOKEN=lab.token, BENCH_RUNS=str(args.runs),
                          BENCH_FILE=hit["exposure"], BENCH_PIXEL=json.dumps(hit["pixels"][0]))
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
        lab.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

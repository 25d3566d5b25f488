"""The `roman-lab` command line: `roman-lab demo`, `roman-lab convert`, `roman-lab index`."""

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path


def _demo(args):
    from . import demo

    try:
        manifest = demo.make(args.dir, small=args.small, progress=True, overwrite=args.overwrite)
    except demo.DemoError as err:
        print(f"roman-lab demo: {err}", file=sys.stderr)
        return 2
    folder = Path(args.dir).expanduser().resolve()
    print(f"Demo data set ready in {folder} ({len(manifest['files'])} files).")
    if args.no_launch:
        return 0
    return launch_lab(folder, "demo.ipynb")


def launch_lab(root, notebook):
    """Start JupyterLab rooted at `root` with `notebook` open (replaces this process)."""
    jupyter = shutil.which("jupyter", path=os.path.dirname(sys.executable)) or shutil.which("jupyter")
    if jupyter is None:
        print("roman-lab demo: `jupyter` is not installed in this environment.", file=sys.stderr)
        return 2
    # default_url makes both the opened browser and the printed link land on the notebook
    cmd = [jupyter, "lab", f"--ServerApp.root_dir={root}", f"--LabApp.default_url=/lab/tree/{notebook}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI machines run as root
    print("Starting:", " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=root)


def _convert(args):
    from .batch import convert_many

    results = convert_many(args.paths, cache_dir=args.cache_dir, scheduler=args.scheduler, progress=True)
    failed = [r for r in results if not r["ok"]]
    for r in results:
        if r["ok"]:
            print(f"{r['path']}: L{r['level']} store {r['store']}")
        else:
            print(f"{r['path']}: {r['message']}", file=sys.stderr)
    print(f"{len(results) - len(failed)} converted, {len(failed)} failed.")
    return 1 if failed else 0


def _index(args):
    from .archive import index

    counts = index(args.root, scheduler=args.scheduler, db=args.db, progress=True)
    print(", ".join(f"{key} {value}" for key, value in counts.items()))
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="roman-lab", description=__doc__.split(":", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    demo_p = sub.add_parser("demo", help="generate the demo Roman field and open it in JupyterLab")
    demo_p.add_argument("dir", nargs="?", default="demo-data", help="folder to write (default: demo-data)")
    demo_p.add_argument("--small", action="store_true", help="small detectors, for tests")
    demo_p.add_argument("--no-launch", action="store_true", help="only generate, do not start JupyterLab")
    demo_p.add_argument("--overwrite", action="store_true", help="regenerate even if the folder holds a demo")
    demo_p.set_defaults(func=_demo)
    conv_p = sub.add_parser("convert", help="convert Roman ASDF files into zarr stores (on dask.distributed)")
    conv_p.add_argument("paths", nargs="+", help="Roman .asdf files")
    conv_p.add_argument("--scheduler", help="address of a running dask scheduler (default: a LocalCluster)")
    conv_p.add_argument("--cache-dir", help="folder of the stores (default: $ROMAN_LAB_CACHE or ~/.cache/roman-lab/stores)")
    conv_p.set_defaults(func=_convert)
    index_p = sub.add_parser("index", help="index the Roman files under ROOT for find_exposures (incremental)")
    index_p.add_argument("root", help="folder of Roman .asdf files")
    index_p.add_argument("--scheduler", help="address of a running dask scheduler (default: this process)")
    index_p.add_argument("--db", help="the SQLite index (default: beside the store cache)")
    index_p.set_defaults(func=_index)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

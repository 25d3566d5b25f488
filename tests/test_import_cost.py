"""`from roman_lab import Viewer, find_exposures, ramps` stays light: the heavy libraries a call
needs (roman_datamodels, scipy.stats, zarr, gwcs, ...: ~0.9 s together) are imported by the
call, not by the import (issue 17; timings in benchmarks/bench_import.py)."""

import json
import subprocess
import sys

# (asdf is not among them: `import astropy.coordinates` imports it, through astropy.table's I/O
# registry and asdf-astropy)
HEAVY = ("roman_datamodels", "scipy.stats", "zarr", "gwcs", "astroquery", "dask", "regions")


def test_the_public_names_import_without_the_heavy_libraries():
    code = (
        "import sys, json; from roman_lab import Viewer, find_exposures, ramps, triage, open, convert; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []

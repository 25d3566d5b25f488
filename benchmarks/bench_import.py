"""The cost of `from roman_lab import Viewer, find_exposures, ramps` in a fresh interpreter
(issue 17: at most 0.1 s beyond `import astropy.coordinates, anywidget`), against importing what
a notebook would import by hand for the same work (roman_datamodels, scipy.stats, regions).

    .venv/bin/python benchmarks/bench_import.py            # ~30 s: 15 fresh interpreters a row
    .venv/bin/python -X importtime -c "from roman_lab import Viewer, find_exposures, ramps"  # where it goes
"""

import statistics
import subprocess
import sys

import numpy as np

TIMED = """
import time
t0 = time.perf_counter()
import astropy.coordinates, anywidget
t1 = time.perf_counter()
{what}
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""

ROWS = {
    "from roman_lab import Viewer, find_exposures, ramps": "from roman_lab import Viewer, find_exposures, ramps",
    "... and triage, open, convert": "from roman_lab import Viewer, find_exposures, ramps, triage, open, convert",
    "naive: import roman_datamodels, scipy.stats, regions": "import roman_datamodels, scipy.stats, regions",
}


def main(runs=15):
    print(f"fresh interpreters, {runs} each: median / p95 of the import beyond `import astropy.coordinates, anywidget`")
    for label, what in ROWS.items():
        base, extra = [], []
        for _ in range(runs):
            out = subprocess.run([sys.executable, "-c", TIMED.format(what=what)], capture_output=True, text=True,
                                 check=True, cwd="/")
            b, e = (float(v) for v in out.stdout.split())
            base.append(b)
            extra.append(e)
        print(f"  {label:55s} {statistics.median(extra) * 1000:6.0f} ms {np.percentile(extra, 95) * 1000:6.0f} ms"
              f"   (the base import: {statistics.median(base) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()

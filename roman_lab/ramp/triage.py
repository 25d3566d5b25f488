"""`roman_lab.triage(region)`: the ramps of every exposure behind a circle at once, to find the
one hiding a jump the pipeline did not flag, without opening each exposure's ramps by hand.

Each exposure is one `ramps` call (its L1 and L2 converted first if they never were); they run
on a pool of threads (zarr's decompression and numpy release the GIL for part of the work;
benchmarks/bench_triage.py measures 1, 2 and 4 threads against a plain loop of `ramps`).
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor, as_completed

import numpy as np

from ..io import RomanFileError
from ..skycircle import sky_circle
from .api import ramps

COLUMNS = ("name", "detector", "start_time", "pixels", "flagged_jumps", "unflagged_jumps",
           "max_unflagged_significance", "max_x", "max_y", "max_resultant", "saturated_pixels",
           "unflagged_pixels", "l2_path", "l1_path", "note")


def default_workers():
    """Threads for a triage: the cores, at most 4 (more only queue on the disk)."""
    return max(1, min(4, os.cpu_count() or 1))


def triage(region, exposures=None, threshold=None, *, source="auto", mosaic=None, root=None, mast=None,
           download_to=None, cache_dir=None, workers=None, progress=True):
    """One row per exposure behind `region`: its jumps in the circle, the exposure hiding the
    strongest jump the pipeline did not flag first (an astropy Table).

    region: a `regions.CircleSkyRegion`, or (SkyCoord, radius); the radius is an angle Quantity
      (preferred) or a bare number of arcsec.
    exposures: L2 exposures (paths, `Exposure`s or an `ExposureList`); default:
      `find_exposures(region, source=, mosaic=, root=, mast=)`.
    threshold: significance (sigma) from which a step is a jump (default: `ramps`' default).
    download_to: a folder to fetch MAST exposures (L2 + L1) into; without it they get a note.
    workers: threads (default: `default_workers()`); progress: a tqdm bar.
    Columns: name, detector, start_time, pixels, flagged_jumps, unflagged_jumps,
    max_unflagged_significance (sigma, NaN without one) with its max_x, max_y (L2 pixel) and
    max_resultant, saturated_pixels, unflagged_pixels (the (x, y) of every pixel with an
    unflagged jump, strongest first, for marking them on the image), l2_path, l1_path, and a
    note (no L1 found, unreadable, ...) for an exposure that could not be triaged. Sorted by
    max_unflagged_significance, highest first; the rows with a note last.
    """
    circle = sky_circle(region)
    if exposures is None:
        from ..archive import find_exposures

        exposures = find_exposures(circle, source=source, mosaic=mosaic, root=root, mast=mast)
    exposures = list(exposures)
    workers = default_workers() if workers is None else max(1, int(workers))

    def one(exposure):
        try:
            found = ramps(exposure, circle, threshold, cache_dir=cache_dir, download_to=download_to, mast=mast)
        except (RomanFileError, OSError) as err:
            return _row(exposure, note=str(err))
        return _row(exposure, found)

    rows = [None] * len(exposures)
    bar = _bar(len(exposures), progress)
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(one, e): i for i, e in enumerate(exposures)}
            for future in as_completed(futures):
                rows[futures[future]] = future.result()
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return _table(rows, circle)


def _bar(total, progress):
    if not progress or total == 0:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="triage", unit="exposure")


def _describe(exposure, found):
    """(name, detector, start time, L2 path) of an Exposure or a path: from what the archive
    said, else from the ramps' L2 (its tree is cached there; opening it again costs more than
    the ramps)."""
    from pathlib import Path

    if hasattr(exposure, "source") and hasattr(exposure, "name"):  # an archive Exposure
        return exposure.name, exposure.detector, exposure.start_time, exposure.path
    path = Path(getattr(exposure, "path", exposure)).expanduser()
    summary = found.summary if found is not None else {}
    return path.name, summary.get("detector"), summary.get("start_time"), str(path)


def _row(exposure, found=None, note=""):
    name, detector, start, l2_path = _describe(exposure, found)
    row = {"name": name, "detector": detector or "", "start_time": start or "", "pixels": 0, "flagged_jumps": 0,
           "unflagged_jumps": 0, "max_unflagged_significance": math.nan, "max_x": -1, "max_y": -1,
           "max_resultant": -1, "saturated_pixels": 0, "unflagged_pixels": [], "l2_path": str(l2_path or ""),
           "l1_path": "", "note": note}
    if found is None:
        return row
    jumps = found.jumps
    real = jumps[~jumps["saturated"]]
    unflagged = real[~real["pipeline_flagged"]]
    row.update(pixels=len(found), flagged_jumps=int(real["pipeline_flagged"].sum()), unflagged_jumps=len(unflagged),
               saturated_pixels=int(found.saturated.any(axis=1).sum()), l2_path=str(found.l2_path),
               l1_path=str(found.l1_path),
               unflagged_pixels=list(dict.fromkeys((int(j["x"]), int(j["y"])) for j in unflagged)))
    if len(unflagged):
        best = unflagged[0]  # jumps are sorted strongest first
        row.update(max_unflagged_significance=float(best["significance"]), max_x=int(best["x"]),
                   max_y=int(best["y"]), max_resultant=int(best["resultant"]))
    return row


def _table(rows, circle):
    from astropy.table import Table

    def key(row):
        sig = row["max_unflagged_significance"]
        return (bool(row["note"]), -sig if np.isfinite(sig) else math.inf, row["start_time"], row["name"])

    rows = sorted(rows, key=key)
    table = Table(rows=[[r[c] for c in COLUMNS] for r in rows] or None, names=COLUMNS,
                  dtype=[str, str, str, int, int, int, float, int, int, int, int, object, str, str, str])
    table["max_unflagged_significance"].unit = "sigma"
    table.meta["region"] = circle.to_region() if hasattr(circle, "to_region") else circle
    table.meta["triaged"] = sum(not r["note"] for r in rows)
    return table

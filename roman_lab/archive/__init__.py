"""From a sky region to the L2 exposures that cover it, and from an L2 to its L1 ramp file.

Three sources behind one interface (`Archive.find(region) -> ExposureList`):
`LineageArchive` (a mosaic's own members and its `context` bits), `LocalArchive` (a SQLite
index of a folder tree) and `MastArchive` (astroquery.mast, in `.mast`).
"""

from __future__ import annotations

import functools
from pathlib import Path

from ..skycircle import sky_circle
from .base import Archive, Exposure, ExposureList
from .footprint import Footprint

__all__ = [
    "Archive",
    "Exposure",
    "ExposureList",
    "Footprint",
    "LineageArchive",
    "LocalArchive",
    "find_exposures",
    "index",
    "level1_for",
]

SOURCES = ("auto", "lineage", "local", "mast")


def __getattr__(name):
    if name == "LineageArchive":
        from .lineage import LineageArchive

        return LineageArchive
    if name == "LocalArchive":
        from .local import LocalArchive

        return LocalArchive
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _mast_archive(mast):
    try:
        from .mast import MastArchive
    except ImportError as exc:
        raise RuntimeError(
            f"the MAST source is not available in this installation (roman_lab.archive.mast: {exc}); "
            "use source='lineage' with mosaic=..., or source='local' with root=..."
        ) from exc
    return MastArchive(**(mast or {}))


def _lineage(mosaic, root):
    """A LineageArchive per (mosaic file version, root), kept for the next queries (its
    members' footprints and the context array are read once)."""
    path = Path(mosaic).expanduser().resolve()
    st = path.stat() if path.exists() else None
    return _lineage_of_version(path, st and st.st_size, st and st.st_mtime_ns,
                               Path(root).expanduser().resolve() if root else None)


@functools.lru_cache(maxsize=8)
def _lineage_of_version(path, size, mtime_ns, root):
    from .lineage import LineageArchive

    return LineageArchive(path, root=root)


def find_exposures(region, source="auto", mosaic=None, root=None, mast=None, db=None, update=True):
    """Every L2 exposure covering `region`, sorted by start time (an `ExposureList`).

    region: a `regions.CircleSkyRegion`, or a `(SkyCoord, radius)` pair; the radius is an angle
      Quantity (preferred) or a bare number of arcsec; 0 for a single point / clicked pixel.
    source: "lineage" (the members of `mosaic`, found under `root` or the mosaic's folder,
      with `contributing` from the mosaic's context array), "local" (the SQLite index of
      `root`, default the current directory; indexed first if never indexed), "mast"
      (astroquery.mast; `mast` holds MastArchive keyword arguments), or "auto": lineage when
      a mosaic is given, else local.
    update: for "local", bring the index of `root` up to date first (incremental: a walk and
      a stat per file when nothing changed); False uses the index as it is (but still builds
      it when `root` was never indexed).
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    region = sky_circle(region, point=True)  # validated early, whatever the source
    if source == "auto":
        source = "lineage" if mosaic is not None else "local"
    if source == "lineage":
        if mosaic is None:
            raise ValueError("source='lineage' needs mosaic= (the path of an L3 mosaic)")
        return _lineage(mosaic, root).find(region)
    if source == "local":
        from .local import LocalArchive

        archive = LocalArchive(root, db=db)
        if update or archive.count() == 0:
            archive.index(progress=False)
        return archive.find(region)
    return _mast_archive(mast).find(region.to_region())


def index(root, scheduler=None, db=None, progress=True):
    """Build or update the local archive index of `root` (new, changed and deleted files).
    `scheduler`: a dask.distributed scheduler address or Client to read the files on.
    Returns counts: added, updated, removed, unchanged, errors, seconds."""
    from .local import LocalArchive

    return LocalArchive(root, db=db).index(scheduler=scheduler, progress=progress)


def level1_for(exposure, root=None, db=None, directory=None, mast=None):
    """The L1 `_uncal` file behind an L2 exposure (an `Exposure`, or a path / file name).

    Looks beside the L2 file (Roman naming: ..._cal.asdf -> ..._uncal.asdf), then in `root`,
    then in the local archive index of `root`. A remote exposure (source "mast", with a
    `uri`) is downloaded from MAST into `directory` (default `root`, else the current
    folder; `mast` holds MastArchive keyword arguments). Raises FileNotFoundError naming
    every place it looked."""
    from roman_lab.io import l1_name_for

    path = getattr(exposure, "path", None) if isinstance(exposure, Exposure) else str(exposure)
    name = exposure.name if isinstance(exposure, Exposure) else Path(str(exposure)).name
    l1_name = l1_name_for(name)
    looked = []
    if path and Path(path).exists():
        # the file's own metadata knows its L1 name (meta.filename), beside the L2
        try:
            from ..io import open as open_roman

            with open_roman(path) as rf:
                lineage = rf.lineage or {}
                if lineage.get("l1_path"):
                    return Path(lineage["l1_path"])
                l1_name = lineage.get("l1") or l1_name
        except Exception:  # noqa: BLE001, S110 - fall back to the name
            pass
    if l1_name is None:
        raise FileNotFoundError(f"{name} is not an L2 '_cal' file name, so it has no '_uncal' Level 1 file")
    folders = []
    if path:
        folders.append(Path(path).parent)
    if root is not None:
        folders.append(Path(root))
    for folder in folders:
        candidate = folder / l1_name
        looked.append(str(candidate))
        if candidate.exists():
            return candidate
    if root is not None:
        from .local import LocalArchive

        hits = [p for p in LocalArchive(root, db=db).find_by_name(l1_name) if Path(p).exists()]
        looked.append(f"the local archive index of {Path(root).resolve()}")
        if hits:
            return Path(hits[0])
    if isinstance(exposure, Exposure) and exposure.source == "mast" and exposure.uri:
        target = Path(directory or root or ".")
        return Path(_mast_archive(mast).fetch_level1(exposure, target, progress=True))
    raise FileNotFoundError(f"Level 1 file {l1_name} of {name} not found; looked in: " + "; ".join(looked or ["nowhere"]))

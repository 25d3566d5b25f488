"""The local archive: a SQLite index of every Roman ASDF file under a folder.

One row per file (path, size, mtime, level, model type, exposure metadata, footprint polygon
as JSON RA/Dec vertices and its bounding cap), and a coarse sky index: the (Dec band, RA bin)
cells each footprint's bounding cap touches. A query looks up the cells its circle touches,
keeps the files whose caps reach the circle, then tests the exact spherical polygon.

The database defaults to `<cache>/archive.sqlite` beside the store cache
(`roman_lab.store.cache.default_cache_dir().parent`); many roots share it, keyed by root.
`index()` is incremental: new and changed files (size or mtime) are read, deleted ones
removed, the rest untouched. With `scheduler=` (an address or a dask.distributed Client) the
files are read on the cluster; otherwise locally with a tqdm progress bar.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from pathlib import Path

from ..io.names import L2_SUFFIX
from ..skycircle import sky_circle
from ._meta import exposure_fields
from .base import Archive, Exposure, ExposureList
from .footprint import Footprint, coverage_of, unit

BAND_DEG = 0.25  # Dec band height and (at the band's widest) RA bin width of the sky index
RA_BINS_MAX = round(360 / BAND_DEG)
SCHEMA_VERSION = 1  # PRAGMA user_version
MAX_QUERY_CELLS = 30_000  # under SQLite's default limit of variables in one statement (32766 since 3.32)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    root TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    level INTEGER,
    model_type TEXT,
    exposure_id TEXT,
    start_time TEXT,
    exposure_time REAL,
    detector TEXT,
    optical_element TEXT,
    program TEXT,
    visit TEXT,
    shape TEXT,
    footprint TEXT,
    cx REAL, cy REAL, cz REAL,
    cap_deg REAL, cos_cap REAL, sin_cap REAL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS files_root ON files(root);
CREATE TABLE IF NOT EXISTS cells (
    cell INTEGER NOT NULL,
    file_id INTEGER NOT NULL,
    PRIMARY KEY (cell, file_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cells_file ON cells(file_id);
"""


def default_db():
    from roman_lab.store.cache import default_cache_dir, home_cache_dir, is_url

    stores = default_cache_dir()  # beside the store cache, unless that is on object storage
    return (home_cache_dir() if is_url(stores) else stores).parent / "archive.sqlite"


# -- the coarse sky index -------------------------------------------------------------------
def _ra_bins(band):
    """Number of RA bins of a Dec band (fewer toward the poles, at least 1)."""
    lo = -90.0 + band * BAND_DEG
    hi = lo + BAND_DEG
    widest = 0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi))
    return max(1, min(RA_BINS_MAX, int(360.0 * math.cos(math.radians(widest)) / BAND_DEG)))


def cap_cells(ra, dec, radius_deg):
    """Cell ids (band * 100000 + RA bin) a spherical cap touches (conservative)."""
    nbands = round(180 / BAND_DEG)
    dlo, dhi = dec - radius_deg, dec + radius_deg

    def band(d):
        return min(nbands - 1, max(0, math.floor((d + 90.0) / BAND_DEG)))

    b0, b1 = band(dlo), band(dhi)
    polar = dhi >= 90.0 or dlo <= -90.0
    if not polar:
        s = math.sin(math.radians(radius_deg)) / max(math.cos(math.radians(dec)), 1e-12)
        polar = s >= 1.0
        half = math.degrees(math.asin(min(s, 1.0))) if not polar else 180.0
    cells = []
    for band in range(b0, b1 + 1):
        n = _ra_bins(band)
        width = 360.0 / n
        if polar or half >= 180.0 - width:
            bins = range(n)
        else:
            lo = (ra - half) % 360.0
            i0 = int(lo // width)
            count = math.ceil((lo - i0 * width + 2 * half) / width)
            bins = {(i0 + k) % n for k in range(min(count + 1, n))}
        cells.extend(band * 100000 + i for i in bins)
    return cells


# -- one file -------------------------------------------------------------------------------
def describe(path):
    """Everything the index keeps about one file (a plain dict; runs on dask workers too)."""
    from ..io import open as open_roman

    path = Path(path)
    st = path.stat()
    row = {"path": str(path), "name": path.name, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
           "level": None, "model_type": None, "error": None, "footprint": None, "shape": None}
    try:
        with open_roman(path) as rf:
            row["level"], row["model_type"] = rf.level, rf.model_type
            row.update(exposure_fields(rf.summary))
            if rf.wcs is not None:
                row["shape"] = list(rf.shape)
                fp = Footprint.from_wcs(rf.wcs, rf.shape)
                row["footprint"] = fp.to_json()
    except Exception as exc:  # noqa: BLE001 - not a Roman file: remembered until it changes
        row["error"] = str(exc)
    return row


def _walk(root):
    """Every *.asdf file under root (hidden folders skipped), as absolute path -> stat."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for f in filenames:
            if f.endswith(".asdf") and not f.startswith("."):
                p = os.path.join(dirpath, f)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                out[p] = st
    return out


class LocalArchive(Archive):
    """The Roman files under `root`, indexed in SQLite (`db`, default `default_db()`)."""

    name = "local"

    def __init__(self, root=None, db=None):
        self.root = str(Path(root if root is not None else os.getcwd()).expanduser().resolve())
        self.db = Path(db).expanduser() if db is not None else default_db()
        self.db.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(_SCHEMA)

    def _connect(self):
        con = sqlite3.connect(str(self.db), timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        return con

    # -- indexing --------------------------------------------------------------------------
    def index(self, scheduler=None, progress=True):
        """Bring the index of `root` up to date. Returns counts: added, updated, removed,
        unchanged, errors, and seconds."""
        t0 = time.perf_counter()
        on_disk = _walk(self.root)
        with self._connect() as con:
            known = {p: (i, s, m) for i, p, s, m in con.execute(
                "SELECT id, path, size, mtime_ns FROM files WHERE root = ?", (self.root,))}
        todo = [p for p, st in on_disk.items()
                if p not in known or known[p][1:] != (st.st_size, st.st_mtime_ns)]
        removed = [known[p][0] for p in known if p not in on_disk]
        rows = self._describe_all(todo, scheduler, progress)
        added = sum(1 for p in todo if p not in known)
        with self._connect() as con:
            for fid in removed:
                con.execute("DELETE FROM cells WHERE file_id = ?", (fid,))
                con.execute("DELETE FROM files WHERE id = ?", (fid,))
            for row in rows:
                self._store(con, row)
        return {
            "added": added,
            "updated": len(todo) - added,
            "removed": len(removed),
            "unchanged": len(on_disk) - len(todo),
            "errors": sum(1 for r in rows if r["error"]),
            "seconds": round(time.perf_counter() - t0, 3),
        }

    def _describe_all(self, paths, scheduler, progress):
        if not paths:
            return []
        if scheduler is not None:
            from dask.distributed import Client, as_completed

            client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
            try:
                futures = client.map(describe, paths, pure=False)
                return [f.result() for f in as_completed(futures)]
            finally:
                if client is not scheduler:
                    client.close()
        it = paths
        if progress:
            try:
                from tqdm.auto import tqdm

                it = tqdm(paths, desc="indexing", unit="file")
            except ImportError:
                pass
        return [describe(p) for p in it]

    def _store(self, con, row):
        cur = con.execute("SELECT id FROM files WHERE path = ?", (row["path"],)).fetchone()
        if cur:
            con.execute("DELETE FROM cells WHERE file_id = ?", (cur[0],))
            con.execute("DELETE FROM files WHERE id = ?", (cur[0],))
        cx = cy = cz = cap = cos_cap = sin_cap = None
        cells = []
        if row.get("footprint"):
            fp = Footprint.from_json(row["footprint"])
            cx, cy, cz = (float(v) for v in fp.centre)
            cap = math.degrees(fp.radius)
            cos_cap, sin_cap = math.cos(fp.radius), math.sin(fp.radius)
            cells = _cells_of_centre(fp.centre, cap)
        values = (
            self.root, row["path"], row["name"], row["size"], row["mtime_ns"], row["level"], row["model_type"],
            row.get("exposure_id"), row.get("start_time"), row.get("exposure_time"), row.get("detector"),
            row.get("optical_element"), row.get("program"), row.get("visit"),
            json.dumps(row["shape"]) if row.get("shape") else None,
            json.dumps(row["footprint"]) if row.get("footprint") else None,
            cx, cy, cz, cap, cos_cap, sin_cap, row.get("error"),
        )
        fid = con.execute(
            "INSERT INTO files (root, path, name, size, mtime_ns, level, model_type, exposure_id, start_time,"
            " exposure_time, detector, optical_element, program, visit, shape, footprint, cx, cy, cz, cap_deg, cos_cap, sin_cap,"
            " error) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            values,
        ).lastrowid
        con.executemany("INSERT OR IGNORE INTO cells (cell, file_id) VALUES (?, ?)", [(c, fid) for c in cells])
        return fid

    # -- queries ---------------------------------------------------------------------------
    def count(self):
        with self._connect() as con:
            return con.execute("SELECT COUNT(*) FROM files WHERE root = ?", (self.root,)).fetchone()[0]

    def candidates(self, ra, dec, radius_deg, model_type="ImageModel"):
        """(row dict, Footprint, coverage) of the files whose footprint overlaps the circle,
        or whose edge passes within a hair of it (coverage None: the gwcs decides)."""
        cells = cap_cells(ra, dec, radius_deg)
        qx, qy, qz = (float(v) for v in unit(ra, dec))
        r = math.radians(radius_deg)
        out = []
        # cells -> file ids, then the bounding caps: cos(angle) >= cos(cap + r) (+ a margin); a
        # circle of tens of degrees covers more cells than SQLite takes variables: all files then
        if len(cells) <= MAX_QUERY_CELLS:
            files = ("(SELECT DISTINCT file_id FROM cells WHERE cell IN (" + ",".join("?" * len(cells)) + ")) AS c"
                     " CROSS JOIN files AS f ON f.id = c.file_id")
        else:
            files, cells = "files AS f", []
        with self._connect() as con:
            con.row_factory = sqlite3.Row
            rows = con.execute(
                f"SELECT f.* FROM {files} WHERE f.root = ? AND f.model_type = ?"
                " AND f.cx * ? + f.cy * ? + f.cz * ? >= f.cos_cap * ? - f.sin_cap * ? - 1e-9",
                (*cells, self.root, model_type, qx, qy, qz, math.cos(r), math.sin(r)),
            ).fetchall()
        for row in rows:
            fp = Footprint.from_json(json.loads(row["footprint"]))
            cov = fp.overlap(ra, dec, radius_deg)
            # a centre within a hair of the edge: the exact gwcs check decides later
            if cov is not None or fp.distance_to_edge(ra, dec) < r + 1e-6:
                out.append((dict(row), fp, cov))
        return out

    def find(self, region, pixels=True):
        """ExposureList of the calibrated exposures (L2 ImageModel files named `*_cal.asdf`)
        under root covering `region`; images derived from them (a user's model or residual,
        also ImageModels) are not exposures. With `pixels` (default) each match is opened for
        the centre's exact pixel position."""
        from ..io import open as open_roman

        ra, dec, radius = sky_circle(region, point=True).ra_dec_radius_deg
        found = []
        for row, fp, cov in self.candidates(ra, dec, radius):
            if not row["name"].endswith(L2_SUFFIX):
                continue
            x = y = None
            if pixels and Path(row["path"]).exists():
                try:
                    with open_roman(row["path"]) as rf:
                        cov, x, y = coverage_of(fp, rf.wcs, rf.shape, ra, dec, radius)
                except Exception:  # noqa: BLE001, S110 - changed since indexed: keep the footprint answer
                    pass
            if cov is None:
                continue
            found.append(Exposure(
                name=row["name"], source="local", path=row["path"], exposure_id=row["exposure_id"],
                start_time=row["start_time"], exposure_time=row["exposure_time"], detector=row["detector"],
                optical_element=row["optical_element"], program=row["program"], visit=row["visit"],
                x=x, y=y, coverage=cov,
            ))
        message = ""
        if not found:
            n = self.count()
            message = (
                f"No indexed L2 exposure under {self.root} covers RA {ra:.6f}, Dec {dec:.6f} "
                f"(radius {radius * 3600:.2f} arcsec); {n} file(s) indexed"
                + (" (run roman_lab.index(root) first)." if n == 0 else ".")
            )
        return ExposureList(found, message=message, archive=self)

    def find_by_name(self, name):
        """Indexed paths (under root) with this file name."""
        with self._connect() as con:
            return [p for (p,) in con.execute("SELECT path FROM files WHERE root = ? AND name = ?", (self.root, name))]


def _cells_of_centre(centre, cap_deg):
    ra = math.degrees(math.atan2(centre[1], centre[0])) % 360.0
    dec = math.degrees(math.asin(max(-1.0, min(1.0, centre[2]))))
    return cap_cells(ra, dec, cap_deg)

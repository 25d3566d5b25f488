"""The endpoints of `/roman-lab/api/` as plain functions, written once for both ways in.

The REST handlers (`handlers.py`, `triage.py`) and the notebook widget's channel
(`roman_lab.widget.channel`: anywidget custom messages to the kernel) parse nothing themselves:
each gives an endpoint its `Context` (where files may be read, the conversions, the cache) and
its arguments (query strings or the JSON body), and answers with what comes back, or with the
status and message of the `RomanHTTPError` raised. Every function blocks: callers run them off
their event loop.
"""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import importlib.metadata
import json
import math
import platform
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..skycircle import circle_from_degrees
from ..version import __version__
from .errors import RomanHTTPError
from .jobs import MAX_WAIT_S, Conversions
from .openstores import OpenStores
from .paths import resolve_in_root

RESOLVE_TIMEOUT_S = 5
RESOLVE_DEADLINE_S = 8
MAX_TRIAGE_PATHS = 200  # per request: a hundred exposures over one point, twice
TRIAGE_USAGE = ('The request body must be JSON like {"paths": ["a_cal.asdf", ...], "ra": 187.3, "dec": 12.4, '
                '"radius_arcsec": 2, "threshold": 4.5} (threshold optional).')


@dataclass
class Context:
    """What the endpoints may touch: files under `root`, stores in `cache_dir`."""

    root: Path
    conversions: Conversions
    cache_dir: Path
    open_stores: OpenStores
    index_db: Path | None = None
    mast: dict = field(default_factory=dict)
    ramps_max_pixels: int = 20_000
    # files readable where they are, outside the root: those a notebook viewer was given in Python
    readable: frozenset = frozenset()

    def resolve(self, given):
        """The real path of a user-given path, refused (4xx) outside the root."""
        if isinstance(given, str) and given in self.readable:
            return resolve_in_root(Path(given).resolve().parent, given)
        return resolve_in_root(self.root, given)

    def resolve_file(self, given):
        real = self.resolve(given)
        if not real.is_file():
            raise RomanHTTPError(400, f"{given} is a folder, not a Roman file.")
        return real


def make_conversions(cache_dir, max_bytes, workers=2, storage_options=None):
    """Conversions into `cache_dir` (a folder or an object storage URL, `storage_options` its
    fsspec options), one job per file version (its store id)."""
    from ..store import cache, cached_store, convert_in_stages

    return Conversions(
        functools.partial(convert_in_stages, cache_dir=cache_dir, max_cache_bytes=max_bytes,
                          storage_options=storage_options),
        lambda real_path: cache.file_identity(real_path)[2],
        workers=workers,
        cached=functools.partial(cached_store, cache_dir=cache_dir, storage_options=storage_options),
    )


def warmup():
    """The first conversion in a process costs seconds of imports and first calls (asdf and
    roman_datamodels' schemas, zarr and its codecs, the TAN-SIP fit's astropy/scipy): a server
    or kernel pays them at start, in a thread, with a tiny throw-away conversion, instead of in
    its first answer. Only a speed-up: when it fails (no space left in the temporary folder, ...)
    the first real conversion pays the imports and reports its own error, so this one is logged."""
    import logging
    import tempfile

    from ..io import warmup as warmup_io
    from ..store import convert

    try:
        with tempfile.TemporaryDirectory() as tmp:
            sample = warmup_io(tmp, shape=(64, 64))
            convert(sample, cache_dir=Path(tmp) / "stores", progress=False, max_cache_bytes=float("inf"))
    except Exception as err:  # noqa: BLE001 (a thread's last resort; nothing waits for it)
        logging.getLogger("roman_lab").warning("roman-lab: the warm-up conversion failed (%s); the first file will take longer", err)


def health(ctx, args):
    """At once, also while the first imports are under way: the versions from the installed metadata."""
    return {"status": "ok", "version": __version__, "roman_datamodels": importlib.metadata.version("roman_datamodels"),
            "python": platform.python_version()}


def dqflags(ctx, args):
    from roman_datamodels.dqflags import pixel

    return {"flags": {flag.name: int(flag.value) for flag in pixel if int(flag.value)}}


def info(ctx, args):
    return describe_or_fail(ctx.root, ctx.resolve(args.get("path", "")))


def start_conversion(ctx, body):
    """Starts or joins the conversion of `body["path"]`: the job, with what the file is, once
    display-ready or after `body["wait_s"]` (this thread waits: the kernel's channel)."""
    job, described, wait = started_job(ctx, body)
    job.wait_settled(wait)
    return {**job_answer(ctx, job, wait), "info": described}


def started_job(ctx, body):
    """(job, what the file is, how long to wait for its first pixels) of a conversion request,
    the job started or joined; the caller waits (`Job.settled` on an event loop)."""
    rel = body.get("path") if isinstance(body, dict) else None
    wait = wait_seconds(body.get("wait_s") if isinstance(body, dict) else None)
    real = ctx.resolve_file(rel)
    # Opening reads only the tree: bad input is refused here, before any job exists; the
    # file opened to describe it is the one its first stage reads (no second open)
    described, opened = describe_or_fail(ctx.root, real, keep_open=True)
    # the job names the file root-relative, also when it was given as an absolute path
    job = ctx.conversions.start(real, described["path"] if Path(rel).is_absolute() else rel, opened=opened,
                                viewed=wait > 0)  # a viewer waits for its first pixels
    return job, described, wait


def conversion(ctx, args):
    """The progress of the conversion `args["id"]`, once display-ready or after `args["wait_s"]`
    (this thread waits)."""
    job, wait = known_job(ctx, args)
    job.wait_settled(wait)
    return job_answer(ctx, job, wait)


def known_job(ctx, args):
    """(job `args["id"]`, how long to wait for it), without waiting; 404 for an unknown id."""
    store_id = args["id"]
    wait = wait_seconds(args.get("wait_s"))
    job = ctx.conversions.get(store_id)
    if job is None:
        raise RomanHTTPError(404, f"No conversion {store_id} is known to this server; POST the path again.")
    return job, wait


def job_answer(ctx, job, wait):
    """A job as JSON; to a caller that waited for the first pixels, once they can be read, with
    the store's opening metadata, so its viewer asks for its first chunk next."""
    body = job.to_json()
    if wait > 0 and body["display_ready"] and body["status"] != "error":
        metadata = opening_metadata(ctx, job.id)
        if metadata is not None:
            body["metadata"] = metadata
    return body


def wait_seconds(value):
    """`wait_s` of a store request: how long to wait for the first pixels before answering (default 0)."""
    if value is None:
        return 0.0
    try:
        wait = float(value)
    except (TypeError, ValueError):
        wait = float("nan")
    if not 0 <= wait <= MAX_WAIT_S:
        raise RomanHTTPError(400, f"wait_s must be a number of seconds from 0 to {MAX_WAIT_S:g}, not {value!r}.")
    return wait


def describe_or_fail(root, real_path, keep_open=False):
    """What a Roman file is (RomanFile JSON with root-relative paths), turning bad input
    into a 4xx with the reader's message. With `keep_open`: (that, the file left open when it
    had to be opened to describe it, else None), for a conversion to start with."""
    from ..io import RomanFileError

    stat = real_path.stat()
    try:
        text, opened = _described(real_path, stat, keep_open)
    except RomanFileError as err:
        raise RomanHTTPError(err.status, err.message) from err
    described = json.loads(text)
    described["path"] = real_path.relative_to(root).as_posix() if real_path.is_relative_to(root) else real_path.name
    l1 = described.get("lineage", {}).get("l1_path")
    if l1 is not None:  # the server's own folders never leave it
        l1 = Path(l1).resolve()
        described["lineage"]["l1_path"] = l1.relative_to(root).as_posix() if l1.is_relative_to(root) else None
    return (described, opened) if keep_open else described


_DESCRIBED = collections.OrderedDict()  # (real path, size, mtime_ns) -> RomanFile.to_json() as JSON text
_DESCRIBED_MAX = 4096
_DESCRIBED_LOCK = threading.Lock()


def _described(real_path, stat, keep_open):
    """(RomanFile.to_json() as JSON text, the file still open or None). The text is kept per
    file version: a blink stack asks again for every file it shows, and opening the ASDF tree
    costs 10-100 ms each time; a file opened to describe it is left open with `keep_open`
    (`opened_stat`: its version), so its conversion does not open it again."""
    from ..io import open as open_roman

    key = (str(real_path), stat.st_size, stat.st_mtime_ns)
    with _DESCRIBED_LOCK:
        text = _DESCRIBED.get(key)
        if text is not None:
            _DESCRIBED.move_to_end(key)
            return text, None
    roman_file = open_roman(real_path)
    try:
        text = json.dumps(roman_file.to_json())
    except BaseException:
        roman_file.close()
        raise
    with _DESCRIBED_LOCK:
        _DESCRIBED[key] = text
        while len(_DESCRIBED) > _DESCRIBED_MAX:
            _DESCRIBED.popitem(last=False)
    if not keep_open:
        roman_file.close()
        return text, None
    roman_file.opened_stat = stat
    return text, roman_file


# ------------------------------------------------------------------ stores


def servable_store_path(ctx, store_id):
    """A complete store (also one converted before this server started), or one this
    server is converting whose coarse levels are published; arrays still being written
    do not exist yet and answer 404 until they are renamed into place. Complete stores
    are looked up through `OpenStores` (not re-opened for every chunk)."""
    path = ctx.open_stores.path(store_id)
    if path is not None:
        return path
    job = ctx.conversions.get(store_id)
    if job is not None and job.status == "running" and job.display_ready:
        return Path(ctx.cache_dir) / store_id
    raise RomanHTTPError(404, f"Store {store_id} is not ready; POST its path to /roman-lab/api/stores.")


def root_metadata(ctx, store_id, folder):
    """The root `zarr.json` without the server's own folders, and whether it is final (a
    complete store's, built once) or changes while the store is converted."""
    body = ctx.open_stores.root_json(store_id, without_server_paths)
    if body is not None:
        return body, True
    meta = json.loads((Path(folder) / "zarr.json").read_text())
    return json.dumps(without_server_paths(meta)).encode(), False


def store_key(ctx, store_id, key):
    """The bytes of one key of a store (None: no such key, or not written yet)."""
    if ctx.open_stores.remote:  # a cache on object storage: only published stores, read through fsspec
        from ..io import RomanFileError

        try:
            return ctx.open_stores.read(store_id, key, without_server_paths)
        except RomanFileError as err:
            raise RomanHTTPError(err.status, err.message) from err
    folder = servable_store_path(ctx, store_id)
    if key == "zarr.json":
        return root_metadata(ctx, store_id, folder)[0]
    parts = PurePosixPath(key).parts
    if not parts or "\x00" in key or key.startswith("/") or any(part in ("..", ".") for part in parts):
        return None
    try:
        return (folder / key).read_bytes()
    except OSError:  # absent, a folder, or evicted meanwhile
        return None


def opening_metadata(ctx, store_id):
    """The zarr.json documents a viewer opens a store with, by key: the root, the written
    pyramid levels and `dq`; None when the store cannot be read now (the viewer then reads them)."""
    try:
        root = store_key(ctx, store_id, "zarr.json")
    except RomanHTTPError:
        return None
    if root is None:
        return None
    documents = {"zarr.json": json.loads(root)}
    attrs = documents["zarr.json"].get("attributes", {}).get("roman_lab", {})
    pending = set(attrs.get("arrays_pending") or [])
    names = [f"data/{index}" for index in range(attrs.get("pyramid_levels") or 0)]
    names += ["dq"] if "dq" in (attrs.get("arrays") or []) else []
    for name in names:
        body = None if name in pending else store_key(ctx, store_id, f"{name}/zarr.json")
        if body is not None:
            documents[f"{name}/zarr.json"] = json.loads(body)
    return documents


def without_server_paths(meta):
    """A store's root zarr.json metadata minus the server's own folders."""
    attrs = meta.get("attributes", {}).get("roman_lab", {})
    attrs.get("source", {}).pop("path", None)
    attrs.get("lineage", {}).pop("l1_path", None)
    return meta


# ------------------------------------------------------------------ sky


def resolve_target(ctx, args):
    """A target name to ICRS RA/Dec through astropy's name resolver (CDS Sesame), with a
    bounded wait and a clear 503 when it cannot be reached."""
    name = (args.get("name") or "").strip()
    if not name:
        raise RomanHTTPError(400, "Give a target name to resolve, e.g. ?name=M87.")
    lookup = _RESOLVER.submit(resolve_name, name)
    try:  # astropy's timeout bounds each request, not the DNS lookups or its retry on a mirror
        return lookup.result(timeout=RESOLVE_DEADLINE_S)
    except concurrent.futures.TimeoutError:
        raise RomanHTTPError(
            503, f"The name resolver did not answer within {RESOLVE_DEADLINE_S} s; type RA and Dec instead."
        ) from None


_RESOLVER = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="roman-lab-resolve")


def resolve_name(name):
    from astropy.coordinates import SkyCoord
    from astropy.coordinates.name_resolve import NameResolveError
    from astropy.utils.data import conf

    try:
        with conf.set_temp("remote_timeout", RESOLVE_TIMEOUT_S):
            coord = SkyCoord.from_name(name, parse=False)
    except NameResolveError as err:
        text = str(err)
        if "Unable to find coordinates" in text:
            raise RomanHTTPError(404, f"The name resolver does not know {name!r}.") from err
        raise RomanHTTPError(
            503, f"The name resolver cannot be reached from this server ({text.splitlines()[0][:160]}); type RA and Dec instead."
        ) from err
    except OSError as err:
        raise RomanHTTPError(503, f"The name resolver cannot be reached from this server ({err}); type RA and Dec instead.") from err
    return {"name": name, "ra": float(coord.icrs.ra.deg), "dec": float(coord.icrs.dec.deg)}


def http_circle(ra, dec, radius_arcsec, point=False):
    """The circle of a request (`roman_lab.skycircle`), a bad one as a 400 with the same words as in Python."""
    try:
        return circle_from_degrees(ra, dec, radius_arcsec, point=point)
    except ValueError as err:
        raise RomanHTTPError(400, f"{str(err)[0].upper()}{str(err)[1:]}.") from err


def _threshold(value):
    if value is not None and not (0 < value < math.inf):
        raise RomanHTTPError(400, f"The threshold is a positive number of sigma, got {value}.")
    return value


def exposures(ctx, args):
    """Every L2 exposure covering a sky circle, from the mosaic's lineage, the local archive
    under the root, or MAST (roman_lab.find_exposures), with root-relative paths."""
    try:
        ra, dec = float(args["ra"]), float(args["dec"])
        radius = float(args.get("radius_arcsec", "0"))
    except (KeyError, TypeError, ValueError) as err:
        raise RomanHTTPError(400, "Give the circle as ra and dec in degrees and radius_arcsec, e.g. ?ra=187.3&dec=12.4&radius_arcsec=2.") from err
    circle = http_circle(ra, dec, radius, point=True)  # radius 0: "what went into this pixel"
    source = args.get("source", "auto")
    if source not in ("auto", "lineage", "local", "mast"):
        raise RomanHTTPError(400, f"Unknown source {source!r}: use lineage, local, mast or auto.")
    mosaic_rel = args.get("mosaic", "")
    mosaic = ctx.resolve(mosaic_rel) if mosaic_rel else None
    return find_for_http(circle, source, mosaic, ctx.root, ctx.mast, ctx.index_db)


def find_for_http(circle, source, mosaic, root, mast, db):
    """find_exposures with its answers made JSON: paths relative to the root, errors as 4xx/503."""
    from ..archive import find_exposures
    from ..io import RomanFileError

    try:
        found = find_exposures(circle, source=source, mosaic=mosaic, root=root, mast=mast, db=db)
    except RomanFileError as err:
        raise RomanHTTPError(err.status, root_relative(err.message, root)) from err
    except ConnectionError as err:  # MAST unreachable or too slow
        raise RomanHTTPError(503, str(err)) from err
    except (ValueError, FileNotFoundError) as err:
        raise RomanHTTPError(400, str(err)) from err
    found_json = []
    for exposure in found:
        item = exposure.to_dict()
        if item["path"] is not None:
            path = Path(item["path"]).resolve()
            if not path.is_relative_to(root):  # a symlink out of the root: refused, so not listed
                continue
            item["path"] = path.relative_to(root).as_posix()
        found_json.append(item)
    return {"exposures": found_json, "message": root_relative(found.message, root), "source": source}


def root_relative(text, root):
    """A message with the server's own folders left out: files named root-relative."""
    return text and text.replace(f"{root}/", "").replace(str(root), "the Jupyter root")


# ------------------------------------------------------------------ ramps


def ramps(ctx, args):
    """The L1 ramps of the pixels of an L2 exposure (or L1) inside a sky circle, with their jump
    test (roman_lab.ramps), read from the L1 store (converted first if needed)."""
    from ..io import RomanFileError
    from ..ramp import ramps as ramps_of

    try:
        ra, dec = float(args["ra"]), float(args["dec"])
        radius = float(args["radius_arcsec"])
        threshold = args.get("threshold", "")
        threshold = float(threshold) if threshold.strip() else None
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise RomanHTTPError(400, "Give the circle as ra and dec in degrees and radius_arcsec (and optionally a "
                                  "threshold in sigma), e.g. ?path=x_cal.asdf&ra=187.3&dec=12.4&radius_arcsec=2.") from err
    circle = http_circle(ra, dec, radius)
    threshold = _threshold(threshold)
    real = ctx.resolve_file(args.get("path", ""))
    try:
        found = ramps_of(real, circle, threshold, cache_dir=ctx.cache_dir, max_pixels=ctx.ramps_max_pixels)
    except RomanFileError as err:
        raise RomanHTTPError(err.status if 400 <= err.status < 600 else 422, root_relative(err.message, ctx.root)) from err
    return found.to_json(ctx.root)


def triage(ctx, body):
    """One row per exposure of `body["paths"]`, in the order sent: pixels in the circle,
    pipeline-flagged and unflagged jumps, the strongest unflagged one (sigma, pixel,
    resultant), saturated pixels, a note when it could not be triaged (no L1, not a Roman L2)."""
    if not isinstance(body, dict) or not isinstance(body.get("paths"), list):
        raise RomanHTTPError(400, TRIAGE_USAGE)
    paths = body["paths"]
    if not 0 < len(paths) <= MAX_TRIAGE_PATHS or not all(isinstance(p, str) for p in paths):
        raise RomanHTTPError(400, f"Give 1 to {MAX_TRIAGE_PATHS} file paths (strings) per request, got {len(paths)}.")
    try:
        ra, dec, radius = (float(body[k]) for k in ("ra", "dec", "radius_arcsec"))
        threshold = body.get("threshold")
        threshold = None if threshold is None else float(threshold)
    except (KeyError, TypeError, ValueError) as err:
        raise RomanHTTPError(400, TRIAGE_USAGE) from err
    threshold = _threshold(threshold)
    circle = http_circle(ra, dec, radius)
    reals = [ctx.resolve_file(rel) for rel in paths]
    return {"rows": triage_rows(reals, paths, circle, threshold, ctx.root, ctx.cache_dir)}


def triage_rows(reals, rels, circle, threshold, root, cache_dir):
    """The triage rows in the order of `rels`, JSON-ready: NaN as null, paths root-relative."""
    from ..ramp.triage import triage as triage_table

    table = triage_table(circle, reals, threshold, cache_dir=cache_dir, progress=False)
    by_path = {}
    for row in table:
        item = {name: row[name].item() if hasattr(row[name], "item") else row[name]
                for name in table.colnames if name != "unflagged_pixels"}
        sig = item["max_unflagged_significance"]
        item["max_unflagged_significance"] = sig if math.isfinite(sig) else None
        item["unflagged_pixels"] = [[int(x), int(y)] for x, y in row["unflagged_pixels"]]
        item["note"] = root_relative(item["note"], root)
        for key in ("l2_path", "l1_path"):
            item[key] = root_relative(item[key], root)
        by_path[row["l2_path"]] = item
    return [{**by_path[str(real)], "path": rel} for real, rel in zip(reals, rels, strict=True)]


# ------------------------------------------------------------------ the routes


GET = {("health",): health, ("dqflags",): dqflags, ("info",): info, ("exposures",): exposures,
       ("resolve",): resolve_target, ("ramps",): ramps}
POST = {("stores",): start_conversion, ("triage",): triage}


def dispatch(ctx, method, end_point, query=None, body=None):
    """The answer of `method /roman-lab/api/<end_point...>` (a list of parts): JSON-ready."""
    end_point = tuple(end_point)
    if method == "GET" and len(end_point) == 2 and end_point[0] == "stores":
        return conversion(ctx, {**(query or {}), "id": end_point[1]})
    routes = GET if method == "GET" else POST if method == "POST" else {}
    endpoint = routes.get(end_point)
    if endpoint is None:
        status = 405 if end_point in GET or end_point in POST else 404
        raise RomanHTTPError(status, f"No roman-lab endpoint {method} {'/'.join(end_point)}.")
    return endpoint(ctx, (query or {}) if method == "GET" else body)

"""HTTP handlers. Every one is authenticated and authorised through jupyter_server."""

import asyncio
import functools
import hashlib
import json
import math
import mimetypes
import platform
from pathlib import Path

import roman_datamodels
import tornado
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join

from ..skycircle import circle_from_degrees
from ..version import __version__
from .errors import RomanHTTPError
from .jobs import MAX_WAIT_S
from .paths import resolve_in_root

AUTH_RESOURCE = "roman-lab"


class RomanAPIHandler(APIHandler):
    """Base for roman-lab API handlers: one authorisation resource, JSON errors with our message."""

    auth_resource = AUTH_RESOURCE

    @property
    def conversions(self):
        return self.settings["roman_lab_conversions"]

    @property
    def root(self):
        """The Jupyter root as a real path (`paths.jupyter_root`, taken once at load)."""
        return self.settings["roman_lab_root"]

    def resolve(self, rel):
        return resolve_in_root(self.root, rel)

    def json_body(self, usage):
        """The request's JSON body; a 400 saying `usage` when it is not JSON (or nested thousands deep)."""
        try:
            return json.loads(self.request.body or b"{}")
        except (ValueError, RecursionError) as err:
            raise RomanHTTPError(400, usage) from err

    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, RomanHTTPError):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"message": exc.message, "status": status_code}))
        else:
            super().write_error(status_code, **kwargs)

    def describe_or_fail(self, real_path):
        """What a Roman file is (RomanFile JSON with root-relative paths), turning bad input
        into a 4xx with the reader's message."""
        from ..io import RomanFileError

        stat = real_path.stat()
        try:
            info = json.loads(_described(str(real_path), stat.st_size, stat.st_mtime_ns))
        except RomanFileError as err:
            raise RomanHTTPError(err.status, err.message) from err
        root = self.root
        info["path"] = real_path.relative_to(root).as_posix()
        l1 = info.get("lineage", {}).get("l1_path")
        if l1 is not None:  # the server's own folders never leave it
            l1 = Path(l1).resolve()
            info["lineage"]["l1_path"] = l1.relative_to(root).as_posix() if l1.is_relative_to(root) else None
        return info


@functools.lru_cache(maxsize=4096)
def _described(real_path, size, mtime_ns):
    """RomanFile.to_json() as JSON text, kept per file version: a blink stack asks again for
    every file it shows, and opening the ASDF tree costs ~0.1 s each time."""
    from ..io import open as open_roman

    with open_roman(real_path) as roman_file:
        return json.dumps(roman_file.to_json())


class HealthHandler(RomanAPIHandler):
    """`GET /roman-lab/api/health`: is the server extension loaded, and with which versions."""

    @tornado.web.authenticated
    @authorized
    def get(self):
        self.finish(
            json.dumps(
                {
                    "status": "ok",
                    "version": __version__,
                    "roman_datamodels": roman_datamodels.__version__,
                    "python": platform.python_version(),
                }
            )
        )


class DqFlagsHandler(RomanAPIHandler):
    """`GET /roman-lab/api/dqflags`: the Roman pixel DQ bit names, from roman_datamodels itself,
    so the viewer names flags exactly as the installed data models do."""

    @tornado.web.authenticated
    @authorized
    def get(self):
        from roman_datamodels.dqflags import pixel

        self.finish(json.dumps({"flags": {flag.name: int(flag.value) for flag in pixel if int(flag.value)}}))


class InfoHandler(RomanAPIHandler):
    """`GET /roman-lab/api/info?path=REL`: what a Roman file is, without reading its arrays."""

    @tornado.web.authenticated
    @authorized
    async def get(self):
        real = self.resolve(self.get_query_argument("path", ""))
        info = await tornado.ioloop.IOLoop.current().run_in_executor(None, self.describe_or_fail, real)
        self.finish(json.dumps(info))


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


class StoresHandler(RomanAPIHandler):
    """`POST /roman-lab/api/stores {"path": REL}`: start or join the conversion of a file."""

    @tornado.web.authenticated
    @authorized
    async def post(self):
        body = self.json_body('The request body must be JSON like {"path": "file.asdf"}.')
        rel = body.get("path") if isinstance(body, dict) else None
        real = self.resolve(rel)
        if not real.is_file():
            raise RomanHTTPError(400, f"{rel} is a folder, not a Roman file.")
        # Opening reads only the tree: bad input is refused here, before any job exists.
        info = await tornado.ioloop.IOLoop.current().run_in_executor(None, self.describe_or_fail, real)
        # the job names the file root-relative, also when it was given as an absolute path
        job = self.conversions.start(real, info["path"] if Path(rel).is_absolute() else rel)
        await self.conversions.settled(job, wait_seconds(body.get("wait_s")))
        self.set_status(202 if job.status != "ready" else 200)
        self.finish(json.dumps({**job.to_json(), "info": info, "url": self.store_url(job.id)}))

    def store_url(self, store_id):
        return url_path_join(self.base_url, "roman-lab", "stores", store_id) + "/"


class StoreJobHandler(RomanAPIHandler):
    """`GET /roman-lab/api/stores/ID`: the progress of a conversion."""

    @tornado.web.authenticated
    @authorized
    async def get(self, store_id):
        job = self.conversions.get(store_id)
        if job is None:
            raise RomanHTTPError(404, f"No conversion {store_id} is known to this server; POST the path again.")
        await self.conversions.settled(job, wait_seconds(self.get_query_argument("wait_s", None)))
        self.finish(json.dumps(job.to_json()))


class StoreFileHandler(JupyterHandler, tornado.web.StaticFileHandler):
    """`GET /roman-lab/stores/ID/<zarr key>`: the files of a finished store, for the browser's zarr reader.

    A store is keyed by its source file's version, so its files never change: they are served
    as immutable, with an ETag naming the store and key.
    """

    auth_resource = AUTH_RESOURCE

    def initialize(self):
        super().initialize(path="/")

    @tornado.web.authenticated
    @authorized
    async def get(self, store_id, key, include_body=True):
        if "\x00" in key:
            raise RomanHTTPError(404, f"Store {store_id} has no key {key!r}.")
        self._etag = f'"{store_id}/{key}"'
        if self.settings["roman_lab_open_stores"].remote:
            return await self.get_remote(store_id, key, include_body)
        self.root = str(self.servable_store_path(store_id))
        if key == "zarr.json":
            return self.finish_root_metadata(store_id, include_body)
        return await tornado.web.StaticFileHandler.get(self, key, include_body)

    async def get_remote(self, store_id, key, include_body):
        """A key of a store on object storage (`c.RomanLab.cache_dir = "s3://..."`), read through
        fsspec and served with the same headers as a local file; only published stores (their
        completion marker written) are served, and only keys inside the store's own prefix."""
        from ..io import RomanFileError

        stores = self.settings["roman_lab_open_stores"]
        try:
            body = await tornado.ioloop.IOLoop.current().run_in_executor(
                None, stores.read, store_id, key, without_server_paths)
        except RomanFileError as err:
            raise RomanHTTPError(err.status, err.message) from err
        if body is None:
            raise RomanHTTPError(404, f"Store {store_id} has no key {key!r}, or is not ready; POST its path to /roman-lab/api/stores.")
        self.set_header("Content-Type", mimetypes.guess_type(key)[0] or "application/octet-stream")
        self.set_extra_headers(None)
        self.set_header("Etag", self._etag)
        if self.check_etag_header():
            self.set_status(304)
            return self.finish()
        if not include_body:
            self.set_header("Content-Length", len(body))
            return self.finish()
        return self.finish(body)

    def finish_root_metadata(self, store_id, include_body):
        """The root `zarr.json` without the server's own folders (the source file's absolute
        path, its L1's): the browser needs neither, and they are not the user's business.
        A complete store's is built once; a display-ready one's is read each time (it changes)."""
        body = self.settings["roman_lab_open_stores"].root_json(store_id, without_server_paths)
        self.set_header("Content-Type", "application/json")
        if body is None:
            # still converting: this file changes as levels are published, so the browser must
            # ask again (a cached copy would keep it on the coarse levels for good)
            body = json.dumps(without_server_paths(json.loads((Path(self.root) / "zarr.json").read_text())))
            self._etag = f'"{store_id}/zarr.json/{hashlib.sha1(body.encode()).hexdigest()[:16]}"'
            self.set_header("Cache-Control", "no-cache")
        else:
            self.set_extra_headers(None)
        self.set_header("Etag", self._etag)
        if self.check_etag_header():
            self.set_status(304)
            return self.finish()
        return self.finish(body if include_body else None)

    def servable_store_path(self, store_id):
        """A complete store (also one converted before this server started), or one this
        server is converting whose coarse levels are published; arrays still being written
        do not exist yet and answer 404 until they are renamed into place. Complete stores
        are looked up through `OpenStores` (not re-opened for every chunk)."""
        path = self.settings["roman_lab_open_stores"].path(store_id)
        if path is not None:
            return path
        job = self.settings["roman_lab_conversions"].get(store_id)
        if job is not None and job.status == "running" and job.display_ready:
            return Path(self.settings["roman_lab_cache_dir"]) / store_id
        raise RomanHTTPError(404, f"Store {store_id} is not ready; POST its path to /roman-lab/api/stores.")

    @tornado.web.authenticated
    @authorized
    async def head(self, store_id, key):
        return await self.get(store_id, key, include_body=False)

    def get_login_url(self):
        # a zarr reader cannot follow a login page: refuse like the API handlers do
        raise RomanHTTPError(403, "Authentication is required to read roman-lab stores.")

    def compute_etag(self):
        return self._etag

    def set_extra_headers(self, path):
        self.set_header("Cache-Control", "private, max-age=31536000, immutable")

    def get_content_type(self):
        return mimetypes.guess_type(self.absolute_path)[0] or "application/octet-stream"

    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None, None))[1]
        self.set_header("Content-Type", "application/json")
        message = exc.message if isinstance(exc, RomanHTTPError) else self._reason
        self.finish(json.dumps({"message": message, "status": status_code}))


def without_server_paths(meta):
    """A store's root zarr.json metadata minus the server's own folders."""
    attrs = meta.get("attributes", {}).get("roman_lab", {})
    attrs.get("source", {}).pop("path", None)
    attrs.get("lineage", {}).pop("l1_path", None)
    return meta


class ResolveHandler(RomanAPIHandler):
    """`GET /roman-lab/api/resolve?name=M87`: a target name to ICRS RA/Dec through astropy's
    name resolver (CDS Sesame), with a bounded wait and a clear 503 when it cannot be reached."""

    @tornado.web.authenticated
    @authorized
    async def get(self):
        name = self.get_query_argument("name", "").strip()
        if not name:
            raise RomanHTTPError(400, "Give a target name to resolve, e.g. ?name=M87.")
        lookup = tornado.ioloop.IOLoop.current().run_in_executor(None, resolve_name, name)
        try:  # astropy's timeout bounds each request, not the DNS lookups or its retry on a mirror
            result = await asyncio.wait_for(lookup, RESOLVE_DEADLINE_S)
        except TimeoutError:
            raise RomanHTTPError(
                503, f"The name resolver did not answer within {RESOLVE_DEADLINE_S} s; type RA and Dec instead."
            ) from None
        self.finish(json.dumps(result))


RESOLVE_TIMEOUT_S = 5
RESOLVE_DEADLINE_S = 8


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


class ExposuresHandler(RomanAPIHandler):
    """`GET /roman-lab/api/exposures?ra=&dec=&radius_arcsec=&source=&mosaic=`: every L2 exposure
    covering a sky circle, from the mosaic's lineage, the local archive under the Jupyter root,
    or MAST (roman_lab.find_exposures), with root-relative paths."""

    @tornado.web.authenticated
    @authorized
    async def get(self):
        try:
            ra, dec = float(self.get_query_argument("ra")), float(self.get_query_argument("dec"))
            radius = float(self.get_query_argument("radius_arcsec", "0"))
        except (ValueError, tornado.web.MissingArgumentError) as err:
            raise RomanHTTPError(400, "Give the circle as ra and dec in degrees and radius_arcsec, e.g. ?ra=187.3&dec=12.4&radius_arcsec=2.") from err
        circle = http_circle(ra, dec, radius, point=True)  # radius 0: "what went into this pixel"
        source = self.get_query_argument("source", "auto")
        if source not in ("auto", "lineage", "local", "mast"):
            raise RomanHTTPError(400, f"Unknown source {source!r}: use lineage, local, mast or auto.")
        mosaic_rel = self.get_query_argument("mosaic", "")
        mosaic = self.resolve(mosaic_rel) if mosaic_rel else None
        root = self.root
        found = await tornado.ioloop.IOLoop.current().run_in_executor(
            None, find_for_http, circle, source, mosaic, root, self.settings["roman_lab_mast"],
            self.settings["roman_lab_index_db"],
        )
        self.finish(json.dumps(found))


def http_circle(ra, dec, radius_arcsec, point=False):
    """The circle of a request (`roman_lab.skycircle`), a bad one as a 400 with the same words as in Python."""
    try:
        return circle_from_degrees(ra, dec, radius_arcsec, point=point)
    except ValueError as err:
        raise RomanHTTPError(400, f"{str(err)[0].upper()}{str(err)[1:]}.") from err


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
    exposures = []
    for exposure in found:
        item = exposure.to_dict()
        if item["path"] is not None:
            path = Path(item["path"]).resolve()
            if not path.is_relative_to(root):  # a symlink out of the root: refused, so not listed
                continue
            item["path"] = path.relative_to(root).as_posix()
        exposures.append(item)
    return {"exposures": exposures, "message": root_relative(found.message, root), "source": source}


def root_relative(text, root):
    """A message with the server's own folders left out: files named root-relative."""
    return text and text.replace(f"{root}/", "").replace(str(root), "the Jupyter root")


class RampsHandler(RomanAPIHandler):
    """`GET /roman-lab/api/ramps?path=REL&ra=&dec=&radius_arcsec=&threshold=`: the L1 ramps of the
    pixels of an L2 exposure (or L1) inside a sky circle, with their jump test (roman_lab.ramps),
    read from the L1 store (converted first if needed) in a worker thread."""

    @tornado.web.authenticated
    @authorized
    async def get(self):
        try:
            ra, dec = float(self.get_query_argument("ra")), float(self.get_query_argument("dec"))
            radius = float(self.get_query_argument("radius_arcsec"))
            threshold = self.get_query_argument("threshold", "")
            threshold = float(threshold) if threshold.strip() else None
        except (ValueError, tornado.web.MissingArgumentError) as err:
            raise RomanHTTPError(400, "Give the circle as ra and dec in degrees and radius_arcsec (and optionally a "
                                      "threshold in sigma), e.g. ?path=x_cal.asdf&ra=187.3&dec=12.4&radius_arcsec=2.") from err
        circle = http_circle(ra, dec, radius)
        if threshold is not None and not (0 < threshold < math.inf):
            raise RomanHTTPError(400, f"The threshold is a positive number of sigma, got {threshold}.")
        real = self.resolve(self.get_query_argument("path", ""))
        if not real.is_file():
            raise RomanHTTPError(400, f"{self.get_query_argument('path')} is a folder, not a Roman file.")
        root = self.root
        payload = await tornado.ioloop.IOLoop.current().run_in_executor(
            None, ramps_for_http, real, circle, threshold, root,
            self.settings["roman_lab_cache_dir"], self.settings["roman_lab_ramps_max_pixels"],
        )
        self.finish(json.dumps(payload, separators=(",", ":")))


def ramps_for_http(real, circle, threshold, root, cache_dir, max_pixels):
    """roman_lab.ramps as the HTTP payload; bad input as 4xx with the server's folders left out."""
    from ..io import RomanFileError
    from ..ramp import ramps

    try:
        found = ramps(real, circle, threshold, cache_dir=cache_dir, max_pixels=max_pixels)
    except RomanFileError as err:
        raise RomanHTTPError(err.status if 400 <= err.status < 600 else 422, root_relative(err.message, root)) from err
    return found.to_json(root)

"""HTTP handlers. Every one is authenticated and authorised through jupyter_server."""

import hashlib
import json
import mimetypes

import tornado
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join

from . import api
from .errors import RomanHTTPError

AUTH_RESOURCE = "roman-lab"


def set_server_timing(handler, **parts_s):
    """`Server-Timing: app;dur=MS`, the server's own time on a request so far, then its named
    parts (seconds): the browser shows them beside the network time (devtools, resource
    timing, benchmarks/bench_viewer.py)."""
    metrics = [("app", handler.request.request_time()), *((name.replace("_", "-"), s) for name, s in parts_s.items())]
    handler.set_header("Server-Timing", ", ".join(f"{name};dur={1000 * s:.1f}" for name, s in metrics if s is not None))


class RomanAPIHandler(APIHandler):
    """Base for roman-lab API handlers: one authorisation resource, JSON errors with our message.
    Each endpoint is a function of `api.py`, run off the event loop with the server's `Context`."""

    auth_resource = AUTH_RESOURCE

    @property
    def context(self):
        return self.settings["roman_lab_context"]

    def json_body(self, usage):
        """The request's JSON body; a 400 saying `usage` when it is not JSON (or nested thousands deep)."""
        try:
            return json.loads(self.request.body or b"{}")
        except (ValueError, RecursionError) as err:
            raise RomanHTTPError(400, usage) from err

    def query(self):
        """The query arguments, the last of each name (as `get_query_argument` gives them)."""
        return {name: self.get_query_argument(name) for name in self.request.query_arguments}

    async def answer(self, endpoint, args, separators=None):
        """Runs `endpoint(context, args)` in a worker thread and finishes with its JSON."""
        body = await tornado.ioloop.IOLoop.current().run_in_executor(None, endpoint, self.context, args)
        set_server_timing(self)
        self.finish(json.dumps(body, separators=separators))

    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, RomanHTTPError):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"message": exc.message, "status": status_code}))
        else:
            super().write_error(status_code, **kwargs)


class HealthHandler(RomanAPIHandler):
    """`GET /roman-lab/api/health`: is the server extension loaded, and with which versions."""

    @tornado.web.authenticated
    @authorized
    async def get(self):
        await self.answer(api.health, {})


class DqFlagsHandler(RomanAPIHandler):
    """`GET /roman-lab/api/dqflags`: the Roman pixel DQ bit names, from roman_datamodels itself,
    so the viewer names flags exactly as the installed data models do."""

    @tornado.web.authenticated
    @authorized
    async def get(self):
        await self.answer(api.dqflags, {})


class InfoHandler(RomanAPIHandler):
    """`GET /roman-lab/api/info?path=REL`: what a Roman file is, without reading its arrays."""

    @tornado.web.authenticated
    @authorized
    async def get(self):
        await self.answer(api.info, self.query())


class StoresHandler(RomanAPIHandler):
    """`POST /roman-lab/api/stores {"path": REL}`: start or join the conversion of a file."""

    @tornado.web.authenticated
    @authorized
    async def post(self):
        body = self.json_body('The request body must be JSON like {"path": "file.asdf"}.')
        loop = tornado.ioloop.IOLoop.current()
        job, described, wait = await loop.run_in_executor(None, api.started_job, self.context, body)
        described_s = self.request.request_time()
        await job.settled(wait)  # on the event loop: no worker thread held while the file converts
        waited_s = self.request.request_time() - described_s
        answer = {**await loop.run_in_executor(None, api.job_answer, self.context, job, wait), "info": described}
        self.set_status(202 if answer["status"] != "ready" else 200)
        set_server_timing(self, described=described_s, waited=waited_s, first_stage=job.first_stage_s())
        self.finish(json.dumps({**answer, "url": url_path_join(self.base_url, "roman-lab", "stores", job.id) + "/"}))


class StoreJobHandler(RomanAPIHandler):
    """`GET /roman-lab/api/stores/ID?wait_s=`: the progress of a conversion."""

    @tornado.web.authenticated
    @authorized
    async def get(self, store_id):
        loop = tornado.ioloop.IOLoop.current()
        job, wait = await loop.run_in_executor(
            None, api.known_job, self.context, {**self.query(), "id": store_id})  # may wait for `start`'s lock
        await job.settled(wait)
        answer = await loop.run_in_executor(None, api.job_answer, self.context, job, wait)  # reads the store's metadata
        set_server_timing(self)
        self.finish(json.dumps(answer))


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
        if self.settings["roman_lab_context"].open_stores.remote:
            return await self.get_remote(store_id, key, include_body)
        self.root = str(api.servable_store_path(self.settings["roman_lab_context"], store_id))
        if key == "zarr.json":
            return self.finish_root_metadata(store_id, include_body)
        await tornado.web.StaticFileHandler.get(self, key, include_body)
        if "/c/" in key:  # a viewer has its first pixels: the conversion's stage 2 may go on
            self.settings["roman_lab_context"].conversions.chunk_served(store_id)

    async def get_remote(self, store_id, key, include_body):
        """A key of a store on object storage (`c.RomanLab.cache_dir = "s3://..."`), read through
        fsspec and served with the same headers as a local file; only published stores (their
        completion marker written) are served, and only keys inside the store's own prefix."""
        body = await tornado.ioloop.IOLoop.current().run_in_executor(
            None, api.store_key, self.settings["roman_lab_context"], store_id, key)
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
        body, final = api.root_metadata(self.settings["roman_lab_context"], store_id, self.root)
        self.set_header("Content-Type", "application/json")
        if not final:
            # still converting: this file changes as levels are published, so the browser must
            # ask again (a cached copy would keep it on the coarse levels for good)
            self._etag = f'"{store_id}/zarr.json/{hashlib.sha1(body).hexdigest()[:16]}"'
            self.set_header("Cache-Control", "no-cache")
            set_server_timing(self)
        else:
            self.set_extra_headers(None)
        self.set_header("Etag", self._etag)
        if self.check_etag_header():
            self.set_status(304)
            return self.finish()
        return self.finish(body if include_body else None)

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
        set_server_timing(self)

    def get_content_type(self):
        return mimetypes.guess_type(self.absolute_path)[0] or "application/octet-stream"

    def write_error(self, status_code, **kwargs):
        exc = kwargs.get("exc_info", (None, None, None))[1]
        self.set_header("Content-Type", "application/json")
        message = exc.message if isinstance(exc, RomanHTTPError) else self._reason
        self.finish(json.dumps({"message": message, "status": status_code}))


class ResolveHandler(RomanAPIHandler):
    """`GET /roman-lab/api/resolve?name=M87`: a target name to ICRS RA/Dec (CDS Sesame), bounded in time."""

    @tornado.web.authenticated
    @authorized
    async def get(self):
        await self.answer(api.resolve_target, self.query())


class ExposuresHandler(RomanAPIHandler):
    """`GET /roman-lab/api/exposures?ra=&dec=&radius_arcsec=&source=&mosaic=`: every L2 exposure
    covering a sky circle, from the mosaic's lineage, the local archive under the Jupyter root,
    or MAST (roman_lab.find_exposures), with root-relative paths."""

    @tornado.web.authenticated
    @authorized
    async def get(self):
        await self.answer(api.exposures, self.query())


class RampsHandler(RomanAPIHandler):
    """`GET /roman-lab/api/ramps?path=REL&ra=&dec=&radius_arcsec=&threshold=`: the L1 ramps of the
    pixels of an L2 exposure (or L1) inside a sky circle, with their jump test (roman_lab.ramps),
    read from the L1 store (converted first if needed) in a worker thread."""

    @tornado.web.authenticated
    @authorized
    async def get(self):
        await self.answer(api.ramps, self.query(), separators=(",", ":"))

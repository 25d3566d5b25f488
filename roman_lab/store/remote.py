"""Store caches and source files on object storage (S3, or any store fsspec opens), so that the
users of a JupyterHub share one cache, and MAST's cloud copies convert without a download by hand.

A cache URL (e.g. s3://bucket/roman-lab/stores) holds, per store ID (`cache.store_id`):

    <url>/<ID>/<attempt>/...     the zarr keys of the store, as one conversion wrote them
    <url>/<ID>/complete.json     the completion marker: {"attempt", "format_version", "attrs"}

Object storage has no atomic rename, so a store is never written in place: a conversion writes
it in a local temporary folder (the local cache's code, `converter._Build`), uploads it under a
fresh attempt prefix, and publishes it by writing the marker last (one PUT, which object stores
make visible whole). Readers treat an ID without a marker as absent: an interrupted upload is
never served, and the next conversion writes a new attempt. Two users converting the same file
at once both upload complete attempts; the one that finds the marker written when its upload
ends deletes its own attempt and returns the published store; if both finish at the same
instant the marker names the later one and the other attempt stays behind, whole but never
served. roman-lab does not evict stores from object storage (give the bucket a lifecycle rule).

Endpoint and credentials: `storage_options` (fsspec's keyword arguments, e.g.
{"endpoint_url": ..., "key": ..., "secret": ...}), else fsspec's configuration and the AWS SDK's
own (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ~/.aws/).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import tempfile
import uuid
from pathlib import Path

from ..io.errors import RomanFileError
from . import cache as _cache
from .opened import RemoteStore

MARKER = "complete.json"
KEY_RE = re.compile(r"^(?!.*(?:^|/)\.{1,2}(?:/|$))[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*$")


def filesystem(url, storage_options=None):
    """(fsspec filesystem, path without the protocol) of an object storage URL."""
    from fsspec.core import url_to_fs

    try:
        return url_to_fs(url, **(storage_options or {}))
    except ImportError as err:
        raise RomanFileError(f"{url} needs an fsspec driver that is not installed ({err}); "
                             "for S3: pip install 'roman_lab[s3]'", 501) from None
    except ValueError as err:
        raise RomanFileError(f"{url} is not an object storage URL fsspec can open ({err})", 400) from None


def _unreachable(what, url, err):
    """The RomanFileError of a failed object storage call, in words (403 when access is denied)."""
    status = 403 if isinstance(err, PermissionError) else 502
    reason = "access denied" if status == 403 else f"{type(err).__name__}: {err}"
    return RomanFileError(f"{what} {url} cannot be reached ({reason})", status)


class RemoteCache:
    """The stores of one object storage cache URL."""

    def __init__(self, url, storage_options=None):
        self.url = url.rstrip("/")
        self.storage_options = dict(storage_options or {})
        self.fs, self.root = filesystem(self.url, self.storage_options)
        self.root = self.root.rstrip("/")

    def _call(self, fn, *args, absent_ok=False, **kwargs):
        """fn(*args, **kwargs), its failures as RomanFileError; FileNotFoundError passes when
        `absent_ok` (a key that is not there), else it means the bucket does not exist."""
        try:
            return fn(*args, **kwargs)
        except FileNotFoundError:
            if absent_ok:
                raise
            raise RomanFileError(f"the store cache {self.url} does not exist (create its bucket first)", 404) from None
        except Exception as err:  # noqa: BLE001 - botocore/aiohttp errors are not OSErrors
            raise _unreachable("the store cache", self.url, err) from None

    def marker(self, sid):
        """The completion marker of store `sid` (a dict), or None when the store is absent."""
        if not _cache.ID_RE.match(sid or ""):
            return None
        try:
            marker = json.loads(self._call(self.fs.cat_file, f"{self.root}/{sid}/{MARKER}", absent_ok=True))
        except FileNotFoundError:
            return None
        except ValueError:  # not JSON: not ours, absent
            return None
        ok = marker.get("format_version") == _cache.FORMAT_VERSION and KEY_RE.match(str(marker.get("attempt")))
        return marker if ok else None

    def store(self, sid, marker=None):
        """The published store `sid` (a RemoteStore), or None."""
        marker = marker or self.marker(sid)
        if marker is None:
            return None
        return RemoteStore(sid, f"{self.url}/{sid}/{marker['attempt']}", marker["attrs"], self.storage_options)

    def read(self, sid, attempt, key):
        """The bytes of `key` in an attempt of store `sid`; FileNotFoundError when absent. Keys
        outside the attempt's prefix (.., absolute, empty parts) are refused as absent."""
        if not (_cache.ID_RE.match(sid) and KEY_RE.match(key)):
            raise FileNotFoundError(key)
        return self._call(self.fs.cat_file, f"{self.root}/{sid}/{attempt}/{key}", absent_ok=True)

    def publish(self, folder, sid, report):
        """Upload the complete store in local `folder` as a new attempt of `sid` and write its
        marker, unless another conversion published `sid` meanwhile (then that store is returned)."""
        attrs = _cache.read_root_attrs(folder)
        attempt = f"a-{uuid.uuid4().hex[:12]}"
        dest = f"{self.root}/{sid}/{attempt}"
        local, remote = [], []
        for base, _dirs, files in os.walk(folder):
            for name in files:
                path = os.path.join(base, name)
                local.append(path)
                remote.append(f"{dest}/{Path(path).relative_to(folder).as_posix()}")
        report(0.96, f"uploading to {self.url}")
        self._call(self.fs.put, local, remote)
        existing = self.marker(sid)
        if existing is not None:
            self._call(self.fs.rm, dest, recursive=True)
            return self.store(sid, existing)
        marker = {"attempt": attempt, "format_version": _cache.FORMAT_VERSION, "attrs": attrs}
        self._call(self.fs.pipe_file, f"{self.root}/{sid}/{MARKER}", json.dumps(marker).encode())
        return self.store(sid, marker)


class _Source:
    """A source file: a local path, or an object storage URL copied to a local file to convert."""

    def __init__(self, path, storage_options):
        self.url = path if _cache.is_url(path) else None
        if self.url is None:
            from .converter import local_source

            self.real, _st, self.sid, self.name = local_source(path)
            return
        self.fs, self.key = filesystem(self.url, storage_options)
        self.name = posixpath.basename(self.key.rstrip("/")) or self.url
        try:
            info = self.fs.info(self.key)
        except FileNotFoundError:
            raise RomanFileError(f"{self.url} does not exist", 404) from None
        except Exception as err:  # noqa: BLE001
            raise _unreachable("the source file", self.url, err) from None
        if info.get("type") == "directory":
            raise RomanFileError(f"{self.url} is a folder, not a Roman file", 415)
        version = info.get("ETag") or info.get("LastModified") or info.get("mtime") or ""
        self.source = {"path": self.url, "size": int(info["size"]), "version": str(version).strip('"')}
        self.sid = _cache.store_id(self.url, self.source["size"], self.source["version"])

    def build(self, cache_dir, use_tqdm, options, staged):
        """Convert into the local cache folder `cache_dir` in one go (`converter._Build`); a URL
        is downloaded first, into a temporary folder removed afterwards."""
        from .converter import _Build

        if self.url is None:
            return _Build(self.real, os.stat(self.real), cache_dir, self.sid, self.name, use_tqdm, options).run(staged)
        with tempfile.TemporaryDirectory(prefix="roman-lab-source-") as work:
            local = os.path.join(work, self.name)
            try:
                self.fs.get_file(self.key, local)
            except Exception as err:  # noqa: BLE001
                raise _unreachable("the source file", self.url, err) from None
            return _Build(local, os.stat(local), cache_dir, self.sid, self.name, use_tqdm, options,
                          source=self.source, relineage=self.relineage).run(staged)

    def relineage(self, lineage):
        """An L2's L1 looked for beside it in the bucket (the local copy has no neighbours)."""
        if "l1_path" not in lineage or not lineage.get("l1"):
            return lineage
        sibling = posixpath.join(posixpath.dirname(self.key), lineage["l1"])
        try:
            found = self.fs.exists(sibling)
        except Exception:  # noqa: BLE001 - lineage is a hint: unknown, not an error
            found = False
        protocol = self.url.split("://", 1)[0]
        return {**lineage, "l1_path": f"{protocol}://{sibling}" if found else None}


def convert_remote(path, cache, storage_options, use_tqdm, on_progress, max_cache_bytes, options):
    """`converter.convert` when the source or the cache is an object storage URL."""
    from .converter import _Progress, convert_into_cache, joined

    source = _Source(path, storage_options)
    if not _cache.is_url(cache):
        return convert_into_cache(source.sid, Path(cache).expanduser(),
                                  lambda folder: source.build(folder, use_tqdm, options, staged=True),
                                  on_progress, max_cache_bytes)
    remote = RemoteCache(cache, storage_options)
    with joined(source.sid, on_progress):
        store = remote.store(source.sid)
        if store is None:
            with tempfile.TemporaryDirectory(prefix="roman-lab-upload-") as work:
                built = source.build(Path(work), use_tqdm, options, staged=False)
                store = remote.publish(built.path, source.sid, _Progress(source.sid, source.name, None, False))
        return store

"""Roman ASDF -> chunked zarr v3 stores: `convert(path) -> Store` (format: docs/store-format.md)."""

from ..io.errors import RomanFileError
from .cache import default_cache_dir, default_max_bytes, evict, list_stores
from .opened import RemoteStore, Store


def convert(path, cache_dir=None, progress=True, on_progress=None, max_cache_bytes=None, storage_options=None,
            **options):
    """The zarr store of a Roman ASDF file or a FITS image, converted if needed. Raises RomanFileError.

    cache_dir: folder of the stores (default: `default_cache_dir()`: $ROMAN_LAB_CACHE or
      ~/.cache/roman-lab/stores), or an object storage URL such as s3://bucket/prefix
      (`remote.py`; then a `RemoteStore` is returned). `path` may be such a URL too.
    storage_options: fsspec's options for those URLs (endpoint, credentials); by default fsspec's
      and the AWS SDK's own configuration (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...).
    max_cache_bytes: LRU size limit of a local cache (default $ROMAN_LAB_CACHE_MAX or 20 GiB;
      0 or None from the env disables nothing: pass float('inf') for no limit).
    on_progress: callable(fraction in [0, 1], message) for the caller and every other caller
      waiting on the same conversion, called in the converting thread outside any lock (the
      server paces conversions there). options: chunk=, codec= (benchmarks).
    """
    from .cache import is_url

    cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
    if is_url(path) or is_url(cache_dir):
        from .remote import convert_remote

        return convert_remote(path, cache_dir, storage_options, progress, on_progress, max_cache_bytes, options)
    from .converter import convert_local

    return convert_local(path, cache_dir, progress, on_progress, max_cache_bytes, options)


def convert_in_stages(path, cache_dir=None, on_progress=None, max_cache_bytes=None, storage_options=None,
                      opened=None, **options):
    """`convert` in two calls, for a scheduler that runs other files between them (the server's
    jobs): this one runs stage 1 and returns `finish`; `finish() -> Store` runs stage 2 and must
    be called once, in any thread (`finish(between_arrays=f)` calls `f()` before each array). After this call the store is display-ready under its id
    (`on_progress` was told "display-ready") or already complete; nothing of the file is held
    until `finish` (it opens the file again, checked unchanged), only the conversion's locks, so
    a second caller of the same file joins it (waits for `finish`). An L1, a store already in
    the cache, or a source or cache on object storage is complete after the first call.
    `opened`: the file already opened with `roman_lab.io.open`, its `opened_stat` the version
    it was opened at; stage 1 reads it if that is still the file's version, and closes it."""
    from .cache import is_url

    cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
    if is_url(path) or is_url(cache_dir):
        if opened is not None:
            opened.close()
        store = convert(path, cache_dir, False, on_progress, max_cache_bytes, storage_options, **options)
        return lambda between_arrays=None: store
    from .converter import convert_local_in_stages

    return convert_local_in_stages(path, cache_dir, False, on_progress, max_cache_bytes, options, opened)


def cached_store(path, cache_dir=None, storage_options=None):
    """The complete store of this file already in the cache, else None: never converts (a
    query that needs one array of a large file reads it from the file instead). A cache on
    object storage (`storage_options`: its fsspec options) is asked over the network."""
    from pathlib import Path

    from .cache import file_identity, is_url, read_root_attrs

    try:
        sid = file_identity(path)[2]
    except OSError:
        return None
    cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
    if is_url(cache_dir):
        from .remote import RemoteCache

        try:
            return RemoteCache(cache_dir, storage_options).store(sid)
        except RomanFileError:  # unreachable: the conversion that follows says why
            return None
    final = Path(cache_dir).expanduser() / sid
    return Store(final) if read_root_attrs(final) is not None else None


def open_store(store_id, cache_dir=None):
    """The complete store with this id in the cache (for the HTTP handlers), else RomanFileError 404."""
    from pathlib import Path

    from .cache import ID_RE

    if not isinstance(store_id, str) or not ID_RE.match(store_id):
        raise RomanFileError(f"no store {store_id!r}", 404)
    base = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    return Store(base / store_id)


__all__ = ["RemoteStore", "RomanFileError", "Store", "cached_store", "convert", "convert_in_stages", "default_cache_dir", "default_max_bytes", "evict",
           "list_stores", "open_store"]

"""Roman ASDF -> chunked zarr v3 stores: `convert(path) -> Store` (format: docs/store-format.md)."""

from ..io.errors import RomanFileError
from .cache import default_cache_dir, default_max_bytes, evict, list_stores
from .converter import Store, convert


def cached_store(path, cache_dir=None):
    """The complete store of this file already in the cache, else None: never converts (a
    query that needs one array of a large file reads it from the file instead)."""
    from pathlib import Path

    from .cache import file_identity, read_root_attrs

    try:
        sid = file_identity(path)[2]
    except OSError:
        return None
    base = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    final = base / sid
    return Store(final) if read_root_attrs(final) is not None else None


def open_store(store_id, cache_dir=None):
    """The complete store with this id in the cache (for the HTTP handlers), else RomanFileError 404."""
    from pathlib import Path

    from .cache import ID_RE

    if not isinstance(store_id, str) or not ID_RE.match(store_id):
        raise RomanFileError(f"no store {store_id!r}", 404)
    base = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    return Store(base / store_id)


__all__ = ["RomanFileError", "Store", "cached_store", "convert", "default_cache_dir", "default_max_bytes", "evict",
           "list_stores", "open_store"]

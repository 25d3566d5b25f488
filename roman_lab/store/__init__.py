"""Roman ASDF -> chunked zarr v3 stores: `convert(path) -> Store` (format: docs/store-format.md)."""

from ..io.errors import RomanFileError
from .cache import default_cache_dir, default_max_bytes, evict, list_stores
from .converter import Store, convert


def open_store(store_id, cache_dir=None):
    """The complete store with this id in the cache (for the HTTP handlers), else RomanFileError 404."""
    from pathlib import Path

    from .cache import ID_RE

    if not isinstance(store_id, str) or not ID_RE.match(store_id):
        raise RomanFileError(f"no store {store_id!r}", 404)
    base = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    return Store(base / store_id)


__all__ = ["RomanFileError", "Store", "convert", "default_cache_dir", "default_max_bytes", "evict",
           "list_stores", "open_store"]

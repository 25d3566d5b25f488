"""A converted store, opened for reading: `Store` (a folder of the local cache) and
`RemoteStore` (a store on object storage, `remote.py`). Both read through zarr."""

from __future__ import annotations

from pathlib import Path

from ..io.errors import RomanFileError
from . import cache as _cache


class Store:
    """A complete zarr store of one Roman file (open it with `Store(path)`)."""

    def __init__(self, path, require_complete=True):
        self.path = Path(path)
        self.id = self.path.name
        attrs = _cache.read_root_attrs(self.path, require_complete=require_complete)
        if attrs is None:
            raise RomanFileError(f"{self.path} is not a complete roman-lab store", 404, self.path)
        self._set_attrs(attrs)

    def _set_attrs(self, attrs):
        self.attrs = attrs
        self.level = attrs["level"]
        self.model_type = attrs["model_type"]
        self.sip_max_error_px = attrs.get("sip_max_error_px")
        self._group = None
        self._wcs = None

    def _zarr_store(self):
        from zarr.storage import LocalStore

        return LocalStore(str(self.path), read_only=True)

    @property
    def group(self):
        if self._group is None:
            import zarr

            self._group = zarr.open_group(store=self._zarr_store(), mode="r")
        return self._group

    @property
    def complete(self):
        return self.attrs.get("complete") is True

    @property
    def arrays(self):
        """name -> zarr.Array (for L2/L3 `data` is the full-resolution level `data/0`)."""
        out = {}
        pending = set(self.attrs.get("arrays_pending") or ())
        for name in self.attrs["arrays"]:
            if name in pending or (name == "data" and "data/0" in pending):
                continue
            key = f"{name}/0" if name == "data" and self.level != 1 else name
            out[name] = self.group[key]
        return out

    @property
    def levels(self):
        """The `data` pyramid, full resolution first (empty for L1)."""
        if self.level == 1:
            return []
        pending = set(self.attrs.get("arrays_pending") or ())
        return [self.group[f"data/{i}"] for i in range(self.attrs["pyramid_levels"]) if f"data/{i}" not in pending]

    @property
    def fits_wcs(self):
        """astropy.wcs.WCS of the TAN-SIP header (None for L1, which has no WCS)."""
        if self._wcs is None and self.attrs.get("fits_wcs"):
            from ..io.sipheader import header_to_wcs

            self._wcs = header_to_wcs(self.attrs["fits_wcs"])
        return self._wcs

    @property
    def statistics(self):
        return self.attrs.get("statistics")

    def exists(self):
        """Whether the store is still in the cache (it may have been evicted since it was opened)."""
        return self.path.exists()

    def touch(self):
        """Mark as recently used (LRU eviction); call when serving it."""
        _cache.touch(self.path)

    def __repr__(self):
        level = "" if self.level is None else f" L{self.level}"
        return f"<Store {self.id}{level} {self.model_type}>"


class RemoteStore(Store):
    """A complete store on object storage: `url` is its attempt's prefix (`remote.py`), read
    through zarr's FsspecStore. Object storage caches are not evicted by roman-lab."""

    def __init__(self, store_id, url, attrs, storage_options=None):
        self.id, self.path, self.storage_options = store_id, url, dict(storage_options or {})
        self._set_attrs(attrs)

    def _zarr_store(self):
        from zarr.storage import FsspecStore

        return FsspecStore.from_url(self.path, storage_options=self.storage_options or None, read_only=True)

    def exists(self):
        return True

    def touch(self):
        pass

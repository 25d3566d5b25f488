"""The complete stores the chunk handler serves, found once per store rather than once per chunk.

Blinking 100 stores means thousands of chunk requests; opening a store (reading and parsing
its root zarr.json to check it is complete) cost ~0.23 ms each time, and serving the root
zarr.json re-parsed and re-serialised it. A complete store never changes, so both are kept
per store id. What can happen to a store is eviction (renamed away, by this server or by any
process sharing the cache, e.g. a kernel's `roman_lab.convert`) and a later conversion under
the same id into a new folder: every lookup stats the folder (~2 us) and trusts its entry only
while it is the very same folder (device and inode), so neither is served from a stale entry.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

TOUCH_EVERY_S = 60.0  # the LRU clock of a served store is advanced at most this often


@dataclass
class _Entry:
    folder: tuple  # (st_dev, st_ino) of the store folder when it was opened
    touched: float
    root_json: bytes | None = None  # the root zarr.json as served, built on first request


class OpenStores:
    """id -> folder of a complete store in `cache_dir`, for the event loop's handlers and the
    first-pixels answer's worker thread (`api.opening_metadata`): two threads missing the same
    entry at once both open the store, and the second entry replaces the first."""

    remote = False

    def __init__(self, cache_dir):
        self.cache_dir = Path(cache_dir)
        self._entries: dict[str, _Entry] = {}

    def path(self, store_id):
        """The folder of the complete store `store_id`, or None (absent, incomplete, not an id)."""
        return None if self._entry(store_id) is None else self.cache_dir / store_id

    def root_json(self, store_id, sanitise):
        """The served bytes of the store's root zarr.json (`sanitise(meta) -> meta` applied once),
        or None if the store is not complete."""
        entry = self._entry(store_id)
        if entry is None:
            return None
        if entry.root_json is None:
            meta = json.loads((self.cache_dir / store_id / "zarr.json").read_bytes())
            entry.root_json = json.dumps(sanitise(meta)).encode()
        return entry.root_json

    def _entry(self, store_id):
        from ..io import RomanFileError
        from ..store import open_store

        entry = self._entries.get(store_id)
        try:
            st = os.stat(self.cache_dir / store_id) if entry is not None else None
        except OSError:  # evicted
            st = None
        if entry is not None and st is not None and (st.st_dev, st.st_ino) == entry.folder:
            if time.monotonic() - entry.touched > TOUCH_EVERY_S:
                self._touch(store_id, entry)
            return entry
        self._entries.pop(store_id, None)
        try:
            # stat first: if the folder is replaced meanwhile, the entry names the old one and
            # the next lookup reopens
            st = st or os.stat(self.cache_dir / store_id)
            open_store(store_id, self.cache_dir)  # RomanFileError unless complete (and a valid id)
        except (RomanFileError, OSError, ValueError):
            return None
        entry = self._entries[store_id] = _Entry((st.st_dev, st.st_ino), 0.0)
        self._touch(store_id, entry)
        return entry

    def _touch(self, store_id, entry):
        from ..store import cache

        cache.touch(self.cache_dir / store_id)
        entry.touched = time.monotonic()


class RemoteOpenStores:
    """The published stores of an object storage cache (`roman_lab/store/remote.py`), for the
    chunk handler. Every method may wait on the network: call them off the event loop. A
    store's marker (which attempt holds its keys) and served root zarr.json are kept once read:
    roman-lab never evicts a store from object storage, and a store never changes."""

    remote = True

    def __init__(self, url, storage_options):
        from ..store.remote import RemoteCache

        self.cache = RemoteCache(url, storage_options)
        self._markers: dict[str, dict] = {}
        self._root_json: dict[str, bytes] = {}

    def read(self, store_id, key, sanitise):
        """The served bytes of `key` in store `store_id` (the root zarr.json with `sanitise(meta)
        -> meta` applied), or None when the store is not published or has no such key."""
        marker = self._markers.get(store_id) or self.cache.marker(store_id)
        if marker is None:
            return None
        self._markers[store_id] = marker
        if key == "zarr.json" and store_id in self._root_json:
            return self._root_json[store_id]
        try:
            body = self.cache.read(store_id, marker["attempt"], key)
        except FileNotFoundError:
            return None
        if key == "zarr.json":
            body = self._root_json[store_id] = json.dumps(sanitise(json.loads(body))).encode()
        return body

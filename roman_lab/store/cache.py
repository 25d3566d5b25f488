"""Where stores live, how they are named, and the least-recently-used size limit.

Layout of a cache folder:

    <cache>/<ID>/              a complete store (renamed into place when finished)
    <cache>/.tmp-<ID>-<pid>-<rand>/   a store being written (never served)
    <cache>/.trash-<ID>-<rand>/       a store being deleted (renamed away first)
    <cache>/.locks/<ID>.lock          the cross-process file lock of one store

ID = <file stem, sanitised, <= 48 chars>-<16 hex of sha256(real path, size, mtime_ns, format)>.
The last access of a store is the mtime of its folder (touched on every `convert` that
returns it and by `Store.touch()`), which drives LRU eviction.

A cache may also be an object storage URL (s3://bucket/prefix): its layout, publication by a
completion marker and lack of eviction are in `remote.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path

FORMAT_VERSION = 2  # 2: statistics carry tail_quantiles and quantiles of the whole subsample
DEFAULT_MAX_BYTES = 20 * 2**30
ID_RE = re.compile(r"^[A-Za-z0-9_.+-]{1,48}-[0-9a-f]{16}$")
TMP_PREFIX = ".tmp-"
TRASH_PREFIX = ".trash-"
STALE_SECONDS = 3600  # leftover temp/trash folders older than this are removed when unlocked


URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(location):
    """Whether a cache or source location is an object storage URL (s3://bucket/key, gs://...:
    `remote.py`) rather than a local path. file:// URLs are not: use the path."""
    return isinstance(location, str) and bool(URL_RE.match(location)) and not location.startswith("file://")


def default_cache_dir():
    """$ROMAN_LAB_CACHE (a folder, or an object storage URL such as s3://bucket/prefix, kept as
    text), else $XDG_CACHE_HOME/roman-lab/stores, else ~/.cache/roman-lab/stores."""
    env = os.environ.get("ROMAN_LAB_CACHE")
    if env:
        return env.rstrip("/") if is_url(env) else Path(env).expanduser()
    return home_cache_dir()


def home_cache_dir():
    """$XDG_CACHE_HOME/roman-lab/stores, else ~/.cache/roman-lab/stores."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "roman-lab" / "stores"


def parse_size(text):
    """'20G', '500M', '1.5T', '123' (bytes) -> int bytes."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return int(text)
    m = re.fullmatch(r"\s*([0-9.]+)\s*([kKmMgGtT]?)(i?[bB])?\s*", str(text))
    if not m:
        raise ValueError(f"not a size: {text!r} (use e.g. 20G, 500M or a number of bytes)")
    mult = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}[m.group(2).lower()]
    return int(float(m.group(1)) * mult)


def default_max_bytes():
    """$ROMAN_LAB_CACHE_MAX (e.g. '20G'), else 20 GiB."""
    env = os.environ.get("ROMAN_LAB_CACHE_MAX")
    return parse_size(env) if env else DEFAULT_MAX_BYTES


def file_identity(path):
    """(real path, os.stat of it, store id) of a file: the one identity of a file version
    that the converter, the cache look-up and the server's jobs share. Raises OSError."""
    real = os.path.realpath(Path(path).expanduser())
    st = os.stat(real)
    return real, st, store_id(real, st.st_size, st.st_mtime_ns)


def store_id(real_path, size, mtime_ns):
    stem = Path(real_path).name
    if stem.endswith(".asdf"):
        stem = stem[: -len(".asdf")]
    stem = re.sub(r"[^A-Za-z0-9_.+-]", "_", stem)[:48].strip(".") or "file"
    digest = hashlib.sha256(f"{real_path}\0{size}\0{mtime_ns}\0{FORMAT_VERSION}".encode()).hexdigest()[:16]
    return f"{stem}-{digest}"


def lock_path(cache_dir, sid):
    d = Path(cache_dir) / ".locks"
    d.mkdir(parents=True, exist_ok=True)
    return d / f"{sid}.lock"


def read_root_attrs(store_path, require_complete=True):
    """The `roman_lab` attributes of a store, or None if it is missing/unreadable/incomplete."""
    try:
        with open(Path(store_path) / "zarr.json", encoding="utf-8") as fh:
            meta = json.load(fh)
    except (OSError, ValueError):
        return None
    attrs = (meta.get("attributes") or {}).get("roman_lab")
    if not isinstance(attrs, dict):
        return None
    if attrs.get("format_version") != FORMAT_VERSION:
        return None
    if require_complete and attrs.get("complete") is not True:
        return None
    return attrs


def write_root_attrs(store_path, attrs):
    """Replace the `roman_lab` attributes of a store's root zarr.json atomically (os.replace)."""
    path = Path(store_path) / "zarr.json"
    with open(path, encoding="utf-8") as fh:
        meta = json.load(fh)
    meta.setdefault("attributes", {})["roman_lab"] = attrs
    tmp = path.with_name(f".zarr.json.{uuid.uuid4().hex[:8]}")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(meta, fh, allow_nan=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def is_locked(cache_dir, sid):
    """True while some process holds the conversion lock of store `sid`."""
    return _is_locked(cache_dir, sid)


def remove_tree(path):
    """Rename away first (readers then see nothing rather than half a store), then delete."""
    path = Path(path)
    if not path.exists():
        return
    target = path
    if not path.name.startswith((TRASH_PREFIX, TMP_PREFIX)):
        target = path.with_name(f"{TRASH_PREFIX}{path.name}-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(path, target)
        except OSError:
            target = path
    shutil.rmtree(target, ignore_errors=True)


def dir_size(path):
    total = 0
    stack = [str(path)]
    while stack:
        cur = stack.pop()
        try:
            with os.scandir(cur) as it:
                for entry in it:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                        else:
                            total += entry.stat(follow_symlinks=False).st_size
                    except OSError:
                        pass
        except OSError:
            pass
    return total


def touch(path):
    try:
        os.utime(path, None)
    except OSError:
        pass


def _is_locked(cache_dir, sid):
    from filelock import FileLock, Timeout

    lock = FileLock(str(lock_path(cache_dir, sid)))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return True
    lock.release()
    return False


def clean_leftovers(cache_dir, sid=None, older_than=STALE_SECONDS):
    """Delete temp/trash folders: those of `sid` (caller holds its lock) and stale unlocked ones."""
    cache_dir = Path(cache_dir)
    now = time.time()
    try:
        entries = list(os.scandir(cache_dir))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not name.startswith((TMP_PREFIX, TRASH_PREFIX)):
            continue
        body = name[len(TMP_PREFIX):] if name.startswith(TMP_PREFIX) else name[len(TRASH_PREFIX):]
        mine = sid is not None and body.startswith(sid + "-")
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > older_than
        except OSError:
            continue
        if mine or name.startswith(TRASH_PREFIX) and old:
            shutil.rmtree(entry.path, ignore_errors=True)
        elif old:
            owner = body.rsplit("-", 2)[0]
            if ID_RE.match(owner) and not _is_locked(cache_dir, owner):
                shutil.rmtree(entry.path, ignore_errors=True)


def list_stores(cache_dir):
    """[(id, path, last_access, bytes)] of the complete stores in a cache folder."""
    out = []
    try:
        entries = list(os.scandir(cache_dir))
    except OSError:
        return out
    for entry in entries:
        if entry.name.startswith(".") or not ID_RE.match(entry.name):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False):
                continue
            atime = entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        attrs = read_root_attrs(entry.path)
        size = attrs.get("store_bytes") if attrs else None
        if not isinstance(size, int):
            size = dir_size(entry.path)
        out.append((entry.name, Path(entry.path), atime, size))
    return out


def evict(cache_dir, max_bytes, protect=()):
    """Delete least-recently-used complete stores until the cache holds <= max_bytes.

    Never deletes a store in `protect` (the one just returned), one whose file lock is held
    (being written or rebuilt by some process), or a temp folder (being written).
    Returns the ids deleted.
    """
    if max_bytes is None:
        return []
    stores = list_stores(cache_dir)
    total = sum(s[3] for s in stores)
    removed = []
    for sid, path, _atime, size in sorted(stores, key=lambda s: s[2]):
        if total <= max_bytes:
            break
        if sid in protect or _is_locked(cache_dir, sid):
            continue
        remove_tree(path)
        removed.append(sid)
        total -= size
    return removed

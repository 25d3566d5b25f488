"""Roman ASDF -> chunked zarr v3 store (see docs/store-format.md), cached, atomic, shared.

`convert(path)` (`roman_lab.store.convert`) returns a `Store`. The store of an unchanged file (same real path, size and
mtime_ns) is reused; otherwise it is written into `<cache>/.tmp-<ID>-...` and renamed to
`<cache>/<ID>` when complete, so a half-written store is never visible under its ID.
Concurrent calls share one conversion: one lock per ID inside the process, and a
`filelock` file lock across processes. Progress goes to `on_progress(fraction, message)`
(every caller waiting on the same conversion gets it) and to tqdm when `progress=True`.

An L2/L3 is converted in two stages (`_Build`): the first publishes a display-ready store
(coarsest level, statistics, WCS) under its ID, the second re-opens the file and renames each
other array in. `convert` runs both at once; `convert_in_stages` (the server's jobs) returns
between them with the locks still held, and a failure in either stage removes the store.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import threading
import time
import uuid
import warnings
from pathlib import Path

import numpy as np

from ..io.errors import RomanFileError
from . import cache as _cache
from .cache import FORMAT_VERSION
from .opened import Store

IMAGE_CHUNK = 512  # L2/L3 chunks (pixels a side); the coarsest pyramid level is one chunk
MAX_LEVEL_SIDE = 512
RAMP_CHUNK = 128  # L1 chunks: (n_resultants, 128, 128), measured in benchmarks/bench_store.py
ZSTD_LEVEL = 1

# in-process state: one lock per store id, and the progress observers of running conversions
_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}
_observers: dict[str, list] = {}
# progress messages a server follows: the store is published (first pixels), then each array
# renamed into it ("published data/2"); see roman_lab/server/jobs.py
DISPLAY_READY = "display-ready"
PUBLISHED = "published"
CONVERSIONS = {"count": 0}  # conversions actually written by this process (tests, stats)


def _key_lock(sid):
    with _guard:
        lock = _locks.get(sid)
        if lock is None:
            lock = _locks[sid] = threading.Lock()
        return lock


def default_codec():
    from zarr.codecs import ZstdCodec

    return [ZstdCodec(level=ZSTD_LEVEL, checksum=False)]


def _is_enospc(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class _Progress:
    def __init__(self, sid, name, on_progress, use_tqdm):
        self.sid = sid
        self.bar = None
        if use_tqdm:
            try:
                from tqdm.auto import tqdm

                self.bar = tqdm(total=100, desc=f"roman-lab convert {name}", unit="%", leave=False)
            except Exception:  # noqa: BLE001
                self.bar = None
        self.last = 0.0

    def __call__(self, fraction, message):
        fraction = float(min(max(fraction, 0.0), 1.0))
        with _guard:
            observers = list(_observers.get(self.sid, ()))
        for cb in observers:
            try:
                cb(fraction, message)
            except Exception:  # noqa: BLE001 - an observer never breaks a conversion
                pass
        if self.bar is not None:
            self.bar.n = round(100 * fraction)
            self.bar.set_postfix_str(message, refresh=False)
            self.bar.refresh()
        self.last = fraction

    def close(self):
        if self.bar is not None:
            self.bar.close()


def convert_local(path, cache_dir, progress, on_progress, max_cache_bytes, options):
    """`roman_lab.store.convert` of a local file into a local cache folder: both stages in one go."""
    real, st, sid, name = local_source(path)
    return convert_into_cache(sid, Path(cache_dir).expanduser(),
                              lambda cache: _Build(real, st, cache, sid, name, progress, options).run(),
                              on_progress, max_cache_bytes)


def convert_local_in_stages(path, cache_dir, progress, on_progress, max_cache_bytes, options, opened=None):
    """Stage 1 of `convert_local` now; returns `finish() -> Store`, stage 2 (`in_stages`).
    `opened`: the file already open (`convert_in_stages`), which this closes."""
    with contextlib.closing(opened) if opened is not None else contextlib.nullcontext():
        real, st, sid, name = local_source(path)
        current = opened if opened is not None and _version(opened.opened_stat) == _version(st) else None
        return in_stages(sid, Path(cache_dir).expanduser(),
                         lambda cache: _Build(real, st, cache, sid, name, progress, options, opened=current).first(),
                         on_progress, max_cache_bytes)


def _version(st):
    """What says a file is unchanged (`cache.file_identity` keys stores by it too)."""
    return st.st_size, st.st_mtime_ns


def local_source(path):
    """(real path, os.stat_result, store id, name) of a local source file (`cache.file_identity`);
    RomanFileError 404 if unreadable."""
    path = Path(path).expanduser()
    name = path.name or str(path)
    try:
        real, st, sid = _cache.file_identity(path)
        return real, st, sid, name
    except FileNotFoundError:
        raise RomanFileError(f"{name} does not exist", 404, path) from None
    except OSError as exc:
        raise RomanFileError(f"{name} cannot be read ({exc.strerror or exc})", 404, path) from None


def convert_into_cache(sid, cache_dir, build, on_progress, max_cache_bytes):
    """The store `sid` of the local cache `cache_dir`, `build(cache_dir) -> Store` called when
    absent, in one go (`in_stages`)."""
    return in_stages(sid, cache_dir, lambda cache: _done(build(cache)), on_progress, max_cache_bytes)()


def in_stages(sid, cache_dir, begin, on_progress, max_cache_bytes):
    """The store `sid` of the local cache `cache_dir` in two calls. This one takes the
    conversion locks (see the module docstring) and, when the store is absent, runs
    `begin(cache_dir) -> finish` (stage 1); it returns `finish() -> Store` (stage 2), to be
    called once, in any thread, which then releases the locks and applies the LRU limit;
    `finish(between_arrays=f)` calls `f()` before each array of stage 2 (a scheduler's chance to
    let other files' first stages go first).

    The locks stay held between the two calls, so a file whose stage 2 waits is display-ready
    (readable under its id) and another caller of it, in this process or another, joins it:
    it waits for `finish` and gets the complete store (the file lock is not thread-local)."""
    from filelock import FileLock

    if max_cache_bytes is None:
        max_cache_bytes = _cache.default_max_bytes()
    _make_cache_dir(cache_dir)
    final = cache_dir / sid
    with contextlib.ExitStack() as locks:  # left on error (`joined` then tells no "ready")
        locks.enter_context(joined(sid, on_progress))
        store = _existing(final)
        if store is None:
            locks.enter_context(FileLock(str(_cache.lock_path(cache_dir, sid)), thread_local=False))
            store = _existing(final)
        rest = _done(store) if store is not None else begin(cache_dir)
        held = locks.pop_all()

    def finish(between_arrays=None):
        with held:
            store = rest(between_arrays)
            if max_cache_bytes != float("inf"):
                _cache.evict(cache_dir, max_cache_bytes, protect={sid})
            return store

    return finish


def _done(store):
    """The `finish` of a store complete after its first call."""
    return lambda between_arrays=None: store


def _make_cache_dir(cache_dir):
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        status = 507 if exc.errno == errno.ENOSPC else 500
        raise RomanFileError(f"the store cache {cache_dir} cannot be created ({exc.strerror})", status) from None


@contextlib.contextmanager
def joined(sid, on_progress):
    """Hold the in-process conversion lock of store `sid`, with `on_progress` told of the
    conversion's progress (whoever runs it) and of "ready" when the block ends without error.
    The lock is a plain `threading.Lock`: a block may end in another thread than it began
    (`in_stages`)."""
    if on_progress is not None:
        with _guard:
            _observers.setdefault(sid, []).append(on_progress)
    try:
        with _key_lock(sid):
            yield
            if on_progress is not None:
                try:
                    on_progress(1.0, "ready")
                except Exception:  # noqa: BLE001
                    pass
    finally:
        if on_progress is not None:
            with _guard:
                lst = _observers.get(sid, [])
                if on_progress in lst:
                    lst.remove(on_progress)
                if not lst:
                    _observers.pop(sid, None)


def _existing(final):
    if _cache.read_root_attrs(final) is None:
        return None
    _cache.touch(final)
    return Store(final)


class _Build:
    """The conversion of `real` into `<cache_dir>/<sid>`, in two stages: `first()` publishes
    the display-ready store and returns `second`, which opens the file again: a conversion
    waiting between its stages holds no array and no open file, only its root attributes.
    `run()` does both on one open file (`convert`).
    `source` (the store's `source` attribute) and `relineage(lineage) -> lineage` describe a
    file that `real` is a local copy of (`remote.py`).

    A failure in either stage removes the temporary folders and the store under its id
    (display-ready or not): a store that is there is always what its attributes claim."""

    def __init__(self, real, st, cache_dir, sid, name, use_tqdm, options, source=None, relineage=None,
                 opened=None):
        self.real, self.st, self.cache_dir, self.sid, self.name = real, st, cache_dir, sid, name
        self.options, self.relineage = options, relineage
        self.opened = opened  # the file already open, for stage 1 (`convert_local_in_stages`)
        self.source = source or {"path": str(real), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        self.final = cache_dir / sid
        stamp = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.tmp = cache_dir / f"{_cache.TMP_PREFIX}{sid}-{stamp}"
        self.tmp2 = cache_dir / f"{_cache.TMP_PREFIX}{sid}-{stamp}p2"
        self.report = _Progress(sid, name, None, use_tqdm)
        self.writer = None

    def run(self, staged=True):
        """Both stages in one go (published at "display-ready" in between when `staged`), the
        file opened once (stage 2 decompresses `data` again: ~15 ms, and no copy held between)."""
        with self._failing():
            with self._open_fresh() as rf:
                self._write_first(rf, staged)
                if self._publish():
                    write_second_stage(self.writer, rf, self.tmp2, self.final)
                    self._check_source()
            return self._finished()

    def first(self, staged=True):
        """Stage 1 (the whole store when not `staged`, or for an L1): returns `finish() -> Store`."""
        with self._failing():
            with self._open_fresh() as rf:
                self._write_first(rf, staged)
            if self._publish():
                return self.second
            return _done(self._finished())

    def second(self, between_arrays=None):
        """Stage 2: the file opened and checked again, each pending array renamed into the store
        (`between_arrays()` called before each)."""
        with self._failing():
            self._check_source()
            with self._open() as rf:
                write_second_stage(self.writer, rf, self.tmp2, self.final, between_arrays)
            self._check_source()
            return self._finished()

    def _open_fresh(self):
        """The file opened, after any earlier try's folders are removed."""
        _cache.clean_leftovers(self.cache_dir, self.sid)  # our temp folders: a crashed/killed earlier try
        if self.final.exists():  # present but incomplete/unreadable/old format: rebuild
            _cache.remove_tree(self.final)
        self.report(0.0, "opening")
        return self._open()

    def _write_first(self, rf, staged):
        if staged:
            self.writer = write_first_stage(rf, self.tmp, self.source, self.report, **self.options)
        else:
            write_store(rf, self.tmp, self.source, self.report, **self.options)

    def _publish(self):
        """The store renamed under its id; whether stage 2 remains (it is then display-ready)."""
        self._check_source()
        os.rename(self.tmp, self.final)
        if self.writer is None:  # complete in one stage
            return False
        self.report(0.5, DISPLAY_READY)
        return True

    def _finished(self):
        CONVERSIONS["count"] += 1
        self.report.close()
        return Store(self.final)

    def _open(self):
        from ..io import open as open_roman

        rf = self.opened if self.opened is not None else open_roman(self.real)
        self.opened = None  # stage 2 opens the file again
        if self.relineage is not None:
            rf.lineage = self.relineage(rf.lineage)
        return rf

    def _check_source(self):
        try:
            now = os.stat(self.real)
        except OSError:
            raise RomanFileError(f"{self.name} vanished while it was being converted", 404, self.real) from None
        if _version(now) != _version(self.st):
            raise RomanFileError(f"{self.name} changed while it was being converted; try again", 409, self.real)

    @contextlib.contextmanager
    def _failing(self):
        """Any failure: nothing of this conversion left behind, and a RomanFileError saying why."""
        try:
            yield
        except BaseException as exc:
            for path in (self.tmp, self.tmp2, self.final):  # never an incomplete store under its id
                _cache.remove_tree(path)
            self.report.close()
            raise _as_file_error(exc, self.cache_dir, self.name, self.real) from None
        finally:
            shutil.rmtree(self.tmp2, ignore_errors=True)


def _as_file_error(exc, cache_dir, name, real):
    """The RomanFileError of a failed conversion (other exceptions: themselves, bugs)."""
    if isinstance(exc, RomanFileError):
        return exc
    if _is_enospc(exc):
        return RomanFileError(f"no space left in the store cache {cache_dir} to convert {name}", 507, real)
    if isinstance(exc, MemoryError):
        return RomanFileError(f"{name} is too large to convert in the memory available", 413, real)
    if isinstance(exc, OSError):
        return RomanFileError(f"{name} could not be converted ({exc.strerror or exc})", 500, real)
    return exc


# --------------------------------------------------------------------------------------
# writing


def _native(a, dtype=None):
    a = np.asarray(a)
    if dtype is not None and a.dtype != dtype:
        return a.astype(dtype)
    if a.dtype.byteorder not in ("=", "|"):
        return a.astype(a.dtype.newbyteorder("="))
    return a


def _write_array(group, key, arr, chunks, codec, dims=None, attributes=None):
    fill = np.nan if arr.dtype.kind == "f" else 0
    z = group.create_array(
        name=key,
        shape=arr.shape,
        dtype=arr.dtype,
        chunks=chunks,
        compressors=codec,
        fill_value=fill,
        dimension_names=dims,
        attributes=attributes or {},
    )
    z[...] = arr
    return z


def _ngff(levels, name="data"):
    datasets = []
    for i in range(levels):
        s = float(2**i)
        datasets.append(
            {
                "path": str(i),
                "coordinateTransformations": [
                    {"type": "scale", "scale": [s, s]},
                    {"type": "translation", "translation": [(s - 1) / 2, (s - 1) / 2]},
                ],
            }
        )
    return {
        "ome": {
            "version": "0.5",
            "multiscales": [
                {
                    "name": name,
                    "axes": [{"name": "y", "type": "space"}, {"name": "x", "type": "space"}],
                    "datasets": datasets,
                    "type": "mean",
                    "metadata": {"method": "2x2 mean ignoring NaN (roman_lab.store.imaging.downsample2)"},
                }
            ],
        }
    }


def resultant_times(summary):
    """Mean time (s from reset) of each resultant: frame_time x mean frame number of its reads."""
    pattern = summary.get("read_pattern") or []
    frame = summary.get("frame_time")
    if not pattern or not frame:
        return None
    try:
        return [float(frame) * float(np.mean(group)) for group in pattern]
    except Exception:  # noqa: BLE001
        return None


def _plane_layout(arr, shape, chunk):
    if arr.shape == shape:
        return (chunk, chunk), ["y", "x"]
    if arr.ndim == 3 and arr.shape[1:] == shape:
        return (arr.shape[0], chunk, chunk), ["plane", "y", "x"]
    if arr.ndim == 3 and arr.shape[:2] == shape:
        return (chunk, chunk, arr.shape[2]), ["y", "x", "plane"]
    return arr.shape, None


def write_store(rf, out, source, report=lambda f, m: None, chunk=None, codec=None):
    """Write the whole store of an opened RomanFile into `out`, in one go."""
    writer = _StoreWriter(rf, _new_group(out), source, report, chunk, codec)
    if rf.level == 1:
        writer.write_ramps()
    else:
        writer.write_display_ready(coarsest_only=False)
        writer.write_other_planes(writer.group)
    return writer.finish(out)


def write_first_stage(rf, out, source, report=lambda f, m: None, chunk=None, codec=None):
    """Stage 1 of an L2/L3 store into `out`: what the first pixels on screen need, the coarsest
    `data` pyramid level, the statistics and the TAN-SIP WCS (`complete` false, `arrays_pending`
    listing stage 2). Returns the writer for `write_second_stage`, holding none of the file's
    arrays; None for an L1, written whole into `out` in one stage."""
    writer = _StoreWriter(rf, _new_group(out), source, report, chunk, codec)
    if rf.level == 1:
        writer.write_ramps()
        writer.finish(out)
        return None
    writer.write_display_ready(coarsest_only=True)
    writer.rf = writer.group = None
    return writer


def write_second_stage(writer, rf, folder, final, between_arrays=None):
    """Stage 2 of `writer`'s store, published (renamed) to `final` since, from `rf`: the same
    file opened again. Each other array is written into `folder`, the finer pyramid levels first
    (coarse to fine, computed again from `data`), then err, dq, ...: each is renamed into `final`
    whole and the root attributes are rewritten atomically with it (`arrays_pending` one
    shorter, and at the end `complete: true`). An array is therefore either absent or complete,
    never half-written. `between_arrays()`, when given, is called before each array."""
    writer.resume(rf)
    writer.write_other_planes(_new_group(folder), move_from=folder, into=final, between_arrays=between_arrays)
    return writer.finish(final)


def _new_group(folder):
    import zarr
    from zarr.storage import LocalStore

    return zarr.open_group(store=LocalStore(str(folder)), mode="w-", zarr_format=3)


def _data_levels(rf):
    """`data` as float32 and its pyramid: [level 0, level 1, ...]."""
    data = _native(rf.read("data"), np.float32)
    return [data] + _pyramid(data)


class _StoreWriter:
    """The steps of `write_store`, sharing the file, the root group, its attributes and the timings."""

    def __init__(self, rf, group, source, report, chunk, codec):
        self.t0 = time.perf_counter()
        self.rf, self.group, self.report = rf, group, report
        self.codec = default_codec() if codec is None else codec
        self.chunk = chunk or (RAMP_CHUNK if rf.level == 1 else IMAGE_CHUNK)
        self.timings, self.written, self.planes = {}, [], []
        self.levels = None  # the L2/L3 pyramid levels, while stage 2 writes the finer ones
        self.attrs = {
            "format_version": FORMAT_VERSION,
            "complete": False,
            "stage": "writing",
            "level": rf.level,
            "model_type": rf.model_type,
            "summary": rf.summary,
            "lineage": rf.lineage,
            "source": source,
            "codecs": [c.to_dict() for c in self.codec] if self.codec else [],
        }

    def elapsed(self):
        return time.perf_counter() - self.t0

    def write_ramps(self):
        """L1: the ramps, their group DQ and resultant times, the statistics of the last resultant."""
        from .imaging import statistics

        rf, group, chunk, codec = self.rf, self.group, self.chunk, self.codec
        self.report(0.02, "reading ramps")
        data = _native(rf.read("data"))
        n = data.shape[0]
        self.report(0.3, "writing ramps")
        _write_array(group, "data", data, (n, chunk, chunk), codec, dims=["resultant", "y", "x"])
        self.written.append("data")
        self.timings["data_written_s"] = self.elapsed()
        if "groupdq" in rf.arrays:
            self.report(0.7, "groupdq")
            gdq = _native(rf.read("groupdq"))
            _write_array(group, "groupdq", gdq, (n, chunk, chunk), codec, dims=["resultant", "y", "x"])
            self.written.append("groupdq")
            del gdq
        times = resultant_times(rf.summary)
        ok = times is not None and len(times) == n
        if ok:
            _write_array(group, "resultant_times", np.asarray(times, dtype=np.float64), (n,), codec,
                         dims=["resultant"])
            self.written.append("resultant_times")
        self.report(0.85, "statistics")
        self.attrs.update({
            "resultant_times": times if ok else None,
            "n_resultants": int(n),
            "shape": list(data.shape),
            "statistics": statistics(data[-1]),
            "statistics_of": "last resultant",
            "fits_wcs": None,
            "sip_max_error_px": None,
            "pyramid_levels": 0,
            "arrays": self.written,
            "chunks": {"data": [int(n), chunk, chunk]},
        })

    def write_display_ready(self, coarsest_only):
        """L2/L3 stage 1, what a viewer needs first: the statistics, the TAN-SIP WCS and the
        `data` pyramid (only its coarsest level when `coarsest_only`, in one pass where it can
        be, `imaging.coarsest_level`: the finer ones are stage 2's; all of it otherwise); then
        the root attributes, `arrays_pending` listing stage 2."""
        import concurrent.futures as cf

        from .imaging import coarsest_level, pyramid_shapes, statistics
        from .wcsfit import GOAL_PX

        rf, chunk = self.rf, self.chunk
        self.report(0.02, "reading data")
        data = _native(rf.read("data"), np.float32)
        shape = data.shape
        self.timings["read_data_s"] = self.elapsed()
        shapes = pyramid_shapes(shape, MAX_LEVEL_SIDE)
        top = len(shapes) - 1
        with cf.ThreadPoolExecutor(2) as pool:
            # statistics and the WCS fit run beside each other and the pyramid writes (NumPy and
            # zstd release the GIL): stage 1 takes about the longest of the three
            stats_f = pool.submit(_timed, self.timings, "statistics_s", statistics, data)
            wcs_f = pool.submit(_timed, self.timings, "wcs_fit_s", _tan_sip, rf, shape)
            self.report(0.12, "pyramid")
            # the coarsest level alone is a first picture; the finer ones follow in stage 2
            levels = {top: coarsest_level(data, MAX_LEVEL_SIDE)} if coarsest_only else \
                dict(enumerate([data] + _pyramid(data)))
            self.timings["pyramid_s"] = self.elapsed() - self.timings["read_data_s"]
            dgroup = self.group.create_group("data", attributes=_ngff(len(shapes)))
            for i in sorted(levels, reverse=True):
                self._write_level(dgroup, str(i), levels[i])
                self.report(0.12 + 0.3 * (len(shapes) - i) / len(shapes), f"data level {i}")
            self.timings["data_written_s"] = self.elapsed()
            self.attrs["statistics"] = stats_f.result()
            header, err, details = wcs_f.result()
        first = min(levels)
        self.written.append("data")
        self.attrs.update({
            "pyramid_levels": len(shapes),
            "pyramid_shapes": [list(s) for s in shapes],
            "shape": list(shape),
            "fits_wcs": header,
            "sip_max_error_px": err,
            "sip_fit": details,
            "sip_goal_px": GOAL_PX,
            **_fits_wcs_attrs(rf, header, details),
            "chunks": {"image": chunk},
            "arrays": list(self.written),
            "stage": "display",
        })
        planes = ["err", "dq"] if rf.level == 2 else ["err", "dq", "context", "weight"]
        self.planes = [f"data/{i}" for i in reversed(range(first))] + [p for p in planes if p in rf.arrays]
        self.attrs["arrays_pending"] = self.planes
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.group.attrs.update({"roman_lab": _jsonable(self.attrs)})
        self.timings["display_ready_s"] = self.elapsed()

    def resume(self, rf):
        """Stage 2 begins: `rf` is the file opened again; the finer pyramid levels are computed
        again from its `data` when some are pending. The pause between the stages is not in
        the timings."""
        self.rf = rf
        self.t0 = time.perf_counter() - self.timings["display_ready_s"]
        if any(key.startswith("data/") for key in self.planes):
            self.levels = _data_levels(rf)
            self.timings["second_stage_pyramid_s"] = self.elapsed() - self.timings["display_ready_s"]

    def _write_level(self, group, key, level):
        c = min(self.chunk, max(level.shape))
        _write_array(group, key, level, (c, c), self.codec, dims=["y", "x"])

    def write_other_planes(self, group, move_from=None, into=None, between_arrays=None):
        """L2/L3 stage 2: each pending array into `group`; when the store was published, each is
        moved from `move_from` into the store `into` whole as soon as it is written, and the
        root attributes say so at once (a viewer picks up each finer level as it lands)."""
        shape = tuple(self.attrs["shape"])
        for j, key in enumerate(self.planes):
            if between_arrays is not None:
                between_arrays()
            self.report(0.5 + 0.45 * j / max(len(self.planes), 1), key)
            if key.startswith("data/"):
                level = int(key.removeprefix("data/"))
                self._write_level(group, key, self.levels[level])
                self.levels[level] = None
            else:
                arr = _native(self.rf.read(key), np.float32 if key in ("err", "weight") else None)
                chunks, dims = _plane_layout(arr, shape, self.chunk)
                _write_array(group, key, arr, chunks, self.codec, dims=dims)
                del arr
                self.written.append(key)
            self.attrs["arrays"] = list(self.written)
            self.attrs["arrays_pending"] = self.planes[j + 1:]
            if move_from is not None:
                os.rename(Path(move_from) / key, Path(into) / key)
                _cache.write_root_attrs(into, _jsonable(self.attrs))
                self.report(0.5 + 0.45 * (j + 1) / len(self.planes), f"{PUBLISHED} {key}")
        self.timings["planes_written_s"] = self.elapsed()
        self.levels = None
        self.attrs.pop("arrays_pending", None)

    def finish(self, path):
        """The final root attributes of the store at `path` (`complete: true`), written atomically."""
        self.attrs["stage"] = "complete"
        self.attrs["store_bytes"] = _cache.dir_size(path)
        self.timings["total_s"] = self.elapsed()
        self.attrs["timings"] = {k: round(v, 4) for k, v in self.timings.items()}
        self.attrs["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.attrs["complete"] = True
        _cache.write_root_attrs(path, _jsonable(self.attrs))
        self.report(1.0, "written")
        return self.attrs


def _timed(timings, key, fn, *args):
    """fn(*args), its duration in `timings[key]` (the parts of stage 1 that run beside others)."""
    t = time.perf_counter()
    out = fn(*args)
    timings[key] = time.perf_counter() - t
    return out


def _tan_sip(rf, shape):
    """(header, worst error px, details): the browser's TAN-SIP for a Roman gwcs or a FITS WCS."""
    if rf.model_type == "FITS":
        if rf.wcs is None:
            return None, None, None
        from .fitssip import tan_sip

        return tan_sip(rf.wcs, shape)
    from .wcsfit import fit_sip

    return fit_sip(rf.wcs, shape)


def _fits_wcs_attrs(rf, header, details):
    """FITS stores say where their WCS came from, or why they have none (the browser then
    lets the user borrow an exposure's); Roman stores always have a gwcs and get nothing."""
    if rf.model_type != "FITS":
        return {}
    if header is None:
        note = rf.wcs_note or f"{rf.path.name}: {details['error']}; borrow an exposure's WCS to place it on the sky"
        return {"wcs": None, "wcs_note": note}
    return {"wcs": {**details["original"], "method": details["method"]}, "wcs_note": None}


def _pyramid(data):
    from .imaging import pyramid

    return pyramid(data, MAX_LEVEL_SIDE)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj

"""Open a Roman ASDF file: level, model type, arrays, a metadata summary, the gwcs and lineage.

`open(path)` reads the ASDF tree (YAML) and the block headers only; no array is
decompressed until `RomanFile.read(name)` is called. Everything that can go wrong with the
input surfaces as a `RomanFileError` with an HTTP-like status and a sentence a person
understands; asdf/yaml/jsonschema exceptions never escape.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import numpy as np

from .errors import (
    MAX_ARRAY_BYTES,
    MAX_SIDE,
    RomanFileError,
    describe_start,
    short_reason,
)
from .jsonvalue import PLACEHOLDERS, json_value
from .names import is_fits_name, l1_name_for

# model class name -> level
LEVELS = {"ScienceRawModel": 1, "RampModel": 1, "ImageModel": 2, "MosaicModel": 3}
SUPPORTED = ", ".join(LEVELS)

_ASDF_MAGIC = b"#ASDF"
# asdf converts a tag's tree nodes with converters it loads lazily, the first time it meets the
# tag in a process, and that is not thread safe: two threads opening files at once (the server's
# two conversion workers) could get meta.wcs as a raw TaggedDict, even after a first open (seen
# 1 time in 5 with 4 threads on romancal L2s, and after `warmup()`). So ASDF trees are opened one
# at a time: 20-80 ms each, where reading the arrays, after, takes the seconds and runs in parallel.
_ASDF_OPEN = threading.Lock()

# Arrays whose shape must match `data` (L2/L3 image products).
_IMAGE_PLANES = ("err", "dq", "weight", "var_poisson", "var_rnoise", "var_flat")


def _get(node, dotted, default=None):
    cur = node
    for part in dotted.split("."):
        try:
            if part not in cur:
                return default
            cur = cur[part]
        except Exception:  # noqa: BLE001 - a node that is not a mapping
            return default
    return cur


def _summary(meta, level):
    """The metadata an astronomer looks at first, by level. Missing values are None."""
    g = lambda key: json_value(_get(meta, key))  # noqa: E731
    out = {
        "filename": g("filename"),
        "model_type": g("model_type"),
        "product_type": g("product_type"),
        "telescope": g("telescope"),
        "instrument": g("instrument.name"),
        "optical_element": g("instrument.optical_element"),
        "program": g("observation.program"),
        "execution_plan": g("observation.execution_plan"),
        "pass": g("observation.pass"),
        "segment": g("observation.segment"),
        "observation": g("observation.observation"),
        "visit": g("observation.visit"),
        "calibration_software_version": g("calibration_software_version"),
        "file_date": g("file_date"),
    }
    if level in (1, 2):
        out.update(
            {
                "detector": g("instrument.detector"),
                "exposure": g("observation.exposure"),
                "observation_id": g("observation.observation_id"),
                "visit_id": g("observation.visit_id"),
                "exposure_type": g("exposure.type"),
                "start_time": g("exposure.start_time"),
                "end_time": g("exposure.end_time"),
                "exposure_time": g("exposure.exposure_time"),
                "effective_exposure_time": g("exposure.effective_exposure_time"),
                "frame_time": g("exposure.frame_time"),
                "nresultants": g("exposure.nresultants"),
                "ma_table_name": g("exposure.ma_table_name"),
                "ma_table_number": g("exposure.ma_table_number"),
                "read_pattern": g("exposure.read_pattern"),
                "aperture_name": g("wcsinfo.aperture_name"),
                "ra_ref": g("wcsinfo.ra_ref"),
                "dec_ref": g("wcsinfo.dec_ref"),
                "roll_ref": g("wcsinfo.roll_ref"),
            }
        )
        # the exposure id, as in Roman file names: visit id + exposure number
        vid, expo = out["visit_id"], out["exposure"]
        out["exposure_id"] = f"{vid}_{int(expo):04d}" if vid and isinstance(expo, int) else None
    else:
        out.update(
            {
                "start_time": g("coadd_info.time_first"),
                "end_time": g("coadd_info.time_last"),
                "mean_time": g("coadd_info.time_mean"),
                "exposure_time": g("coadd_info.exposure_time"),
                "exposure_grouping": g("observation.exposure_grouping"),
                "skycell_name": g("wcsinfo.skycell_name"),
                "pixel_scale": g("wcsinfo.pixel_scale"),
                "ra": g("wcsinfo.ra"),
                "dec": g("wcsinfo.dec"),
                "association": g("association.name"),
            }
        )
    return out


def _members(meta):
    names = []
    for name in _get(meta, "resample.members", None) or []:
        names.append(str(name))
    iim = _get(meta, "individual_image_meta", None)
    if iim is not None:
        try:
            tables = list(iim.values())
        except Exception:  # noqa: BLE001
            tables = []
        for table in tables:
            cols = getattr(table, "colnames", None) or []
            if "filename" in cols:
                names.extend(str(v) for v in table["filename"])
    seen, out = set(), []
    for n in names:
        if n and n not in seen and n not in PLACEHOLDERS:
            seen.add(n)
            out.append(n)
    return out


class RomanFile:
    """An opened Roman file: metadata in memory, arrays read only on demand (`read`)."""

    def __init__(self, path, af, model, level, arrays, handle, lz4_blocks=None):
        self.path = Path(path)
        self._af = af
        self._model = model
        self.level = level
        self.model_type = type(model).__name__
        self.arrays = arrays  # name -> {"shape": tuple, "dtype": str}
        meta = model.meta
        self.summary = _summary(meta, level)
        self.wcs = _get(meta, "wcs", None) if level in (2, 3) else None
        self.lineage = self._lineage(meta)
        self._handle = handle  # the open file asdf reads its blocks from; ours to close
        # name -> (start, used size, shape, dtype) of the arrays read in parallel (`blocks.py`);
        # each read decompresses again, so an array is freed as soon as its reader drops it
        self._lz4_blocks = lz4_blocks or {}

    # -- lineage ---------------------------------------------------------------------------
    def _lineage(self, meta):
        if self.level == 3:
            return {"members": _members(meta)}
        if self.level == 2:
            # the name the pipeline gave the file first, then the one it has now (a user may
            # have renamed the pair)
            names = [n for n in (l1_name_for(self.summary.get("filename")), l1_name_for(self.path.name)) if n]
            found = next((self.path.with_name(n) for n in names if self.path.with_name(n).exists()), None)
            return {"l1": found.name if found else (names[0] if names else None),
                    "l1_path": str(found) if found else None}
        return {}

    # -- arrays ----------------------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self.arrays["data"]["shape"])

    @property
    def meta(self):
        """The full roman_datamodels metadata node."""
        return self._model.meta

    @property
    def model(self):
        return self._model

    def read(self, name):
        """Decompress and return one array as numpy (the only place arrays are read)."""
        if name not in self.arrays:
            raise RomanFileError(f"{self.path.name} has no array {name!r}", 422, self.path)
        try:
            if name in self._lz4_blocks:
                from .blocks import read_lz4_array

                arr = read_lz4_array(self._handle.fileno(), *self._lz4_blocks[name])
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    arr = np.asarray(self._model[name])
        except RomanFileError:
            raise
        except MemoryError:
            raise RomanFileError(f"{self.path.name}: array {name!r} does not fit in memory", 413, self.path) from None
        except Exception as exc:  # noqa: BLE001 - corrupt/truncated block, bad compression
            raise RomanFileError(
                f"{self.path.name} is corrupt: its {name!r} array cannot be read ({short_reason(exc)})", 422, self.path
            ) from None
        if tuple(arr.shape) != tuple(self.arrays[name]["shape"]):
            raise RomanFileError(
                f"{self.path.name} is corrupt: its {name!r} array has shape {arr.shape}, "
                f"the file says {tuple(self.arrays[name]['shape'])}",
                422,
                self.path,
            )
        return arr

    def close(self):
        try:
            self._model.close()
        except Exception:  # noqa: BLE001
            pass
        try:
            self._af.close()
        except Exception:  # noqa: BLE001
            pass
        if self._handle is not None:
            self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<RomanFile {self.path.name} L{self.level} {self.model_type} {self.shape}>"

    # -- JSON ------------------------------------------------------------------------------
    def to_json(self):
        """A JSON-able description (what the server's /info returns)."""
        wcs = None
        if self.wcs is not None:
            try:
                frames = [str(f) for f in self.wcs.available_frames]
            except Exception:  # noqa: BLE001
                frames = []
            bbox = None
            try:
                bb = self.wcs.bounding_box
                if bb is not None:
                    bbox = [[float(a), float(b)] for a, b in (bb.bounding_box(order="F") if hasattr(bb, "bounding_box") else bb)]
            except Exception:  # noqa: BLE001
                bbox = None
            wcs = {"type": "gwcs", "frames": frames, "bounding_box": bbox}
            try:
                ny, nx = self.shape[-2:]
                ra, dec = self.wcs(nx / 2 - 0.5, ny / 2 - 0.5)
                wcs["center"] = [float(ra), float(dec)]
            except Exception:  # noqa: BLE001
                pass
        return {
            "path": str(self.path),
            "name": self.path.name,
            "size": self.path.stat().st_size if self.path.exists() else None,
            "level": self.level,
            "model_type": self.model_type,
            "arrays": {k: {"shape": list(v["shape"]), "dtype": v["dtype"]} for k, v in self.arrays.items()},
            "summary": self.summary,
            "lineage": self.lineage,
            "wcs": wcs,
        }


def _check_shapes(path, level, arrays, block_sizes):
    name = path.name
    if "data" not in arrays:
        raise RomanFileError(f"{name} is a Roman data model without a 'data' array", 422, path)
    for key, info in arrays.items():
        shape = info["shape"]
        if any((not isinstance(s, (int, np.integer))) or s < 0 for s in shape):
            raise RomanFileError(f"{name}: array {key!r} has an invalid shape {shape}", 422, path)
        if any(s > MAX_SIDE for s in shape) or info["nbytes"] > MAX_ARRAY_BYTES:
            raise RomanFileError(
                f"{name}: array {key!r} has an absurd shape {tuple(shape)} "
                f"({info['nbytes'] / 2**30:.1f} GiB); roman-lab refuses arrays over "
                f"{MAX_SIDE} pixels a side or {MAX_ARRAY_BYTES >> 30} GiB",
                413,
                path,
            )
        expected = block_sizes.get(key)
        if expected is not None and expected < info["nbytes"]:
            raise RomanFileError(
                f"{name} is corrupt: array {key!r} claims shape {tuple(shape)} ({info['nbytes']} bytes) "
                f"but its block holds only {expected} bytes",
                422,
                path,
            )
    data = arrays["data"]["shape"]
    want = 3 if level == 1 else 2
    if len(data) != want:
        raise RomanFileError(
            f"{name}: a level {level} 'data' array must have {want} dimensions, this one has shape {tuple(data)}",
            422,
            path,
        )
    if 0 in data:
        raise RomanFileError(f"{name}: the 'data' array is empty (shape {tuple(data)})", 422, path)
    for key in _IMAGE_PLANES if level in (2, 3) else ("groupdq",):
        if key in arrays and tuple(arrays[key]["shape"]) != tuple(data):
            raise RomanFileError(
                f"{name}: array {key!r} has shape {tuple(arrays[key]['shape'])}, "
                f"which does not match 'data' {tuple(data)}",
                422,
                path,
            )


def open(path):  # noqa: A001 - the public name of the API
    """Open a Roman ASDF file (or a FITS image, by its name: `fitsfile.FITS_SUFFIXES`) without
    reading its arrays. Raises RomanFileError on bad input. Thread safe."""
    if is_fits_name(path):
        return _open(path)
    with _ASDF_OPEN:
        return _open(path)


def _open(path):
    path = Path(path).expanduser()
    name = path.name or str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise RomanFileError(f"{name} does not exist", 404, path) from None
    except PermissionError:
        raise RomanFileError(f"{name} cannot be read (permission denied)", 403, path) from None
    except OSError as exc:
        raise RomanFileError(f"{name} cannot be read ({exc.strerror or exc})", 404, path) from None
    if path.is_dir():
        raise RomanFileError(f"{name} is a folder, not an ASDF file", 415, path)
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except PermissionError:
        raise RomanFileError(f"{name} cannot be read (permission denied)", 403, path) from None
    except OSError as exc:
        raise RomanFileError(f"{name} cannot be read ({exc.strerror or exc})", 404, path) from None
    from .fitsfile import open_fits

    if is_fits_name(path):  # a user's own image: it joins the blink stack like an L2
        return open_fits(path, head, st.st_size)
    if not head.startswith(_ASDF_MAGIC):
        raise RomanFileError(f"{name} is not an ASDF file ({describe_start(head)})", 415, path)

    import asdf
    import roman_datamodels as rdm

    af = None
    try:
        # by file handle: given a path string, asdf parses it as a URL, so a name with '#', '?'
        # or '%20' would name another file
        fh = path.open("rb")
    except OSError as exc:
        raise RomanFileError(f"{name} cannot be read ({exc.strerror or exc})", 404, path) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            af = asdf.open(fh, lazy_load=True, memmap=False)
            tree = af.tree
    except Exception as exc:  # noqa: BLE001 - yaml errors, truncated headers, schema errors
        if af is not None:
            af.close()
        fh.close()
        raise RomanFileError(
            f"{name} is an ASDF file that cannot be read: it is truncated or corrupt ({short_reason(exc)})", 422, path
        ) from None

    try:
        node = tree.get("roman") if hasattr(tree, "get") else None
        if node is None:
            raise RomanFileError(f"{name} is an ASDF file but not a Roman data model (no 'roman' node)", 422, path)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = rdm.open(af)
        except Exception as exc:  # noqa: BLE001
            raise RomanFileError(f"{name} is an ASDF file but not a Roman data model ({short_reason(exc)})", 422, path) from None
        model_type = type(model).__name__
        if model_type not in LEVELS:
            raise RomanFileError(
                f"{name} is a Roman {model_type}, which roman-lab does not display (it reads {SUPPORTED})", 422, path
            )
        level = LEVELS[model_type]

        # arrays and their blocks, from the tree only. asdf has no public block table, and its
        # private one is the only way to tell a truncated file by its header (a 422 before any
        # conversion starts rather than a crash half-way): _blocks, _source, _offset below.
        blocks = list(af._blocks.blocks)
        file_size = st.st_size
        arrays, block_sizes, lz4_blocks = {}, {}, {}
        for key in list(node.keys()):
            try:
                value = node[key]
            except Exception:  # noqa: BLE001
                continue
            if key == "meta" or not hasattr(value, "shape") or not hasattr(value, "dtype"):
                continue
            try:
                shape = tuple(int(s) for s in value.shape)
                dtype = np.dtype(value.dtype)
            except Exception:  # noqa: BLE001
                raise RomanFileError(f"{name}: array {key!r} has an unreadable shape or type", 422, path) from None
            nbytes = int(np.prod(shape, dtype=np.float64) * dtype.itemsize)
            arrays[key] = {"shape": shape, "dtype": dtype.name, "nbytes": nbytes}
            src = getattr(value, "_source", None)
            if isinstance(src, int) and 0 <= src < len(blocks):
                try:
                    header = blocks[src].header
                    end = blocks[src].data_offset + header["used_size"]
                except Exception as exc:  # noqa: BLE001
                    raise RomanFileError(
                        f"{name} is truncated or corrupt: the block of array {key!r} cannot be read ({short_reason(exc)})",
                        422,
                        path,
                    ) from None
                if end > file_size:
                    raise RomanFileError(
                        f"{name} is truncated: array {key!r} needs bytes up to {end} but the file has {file_size}",
                        422,
                        path,
                    )
                offset = int(getattr(value, "_offset", 0) or 0)
                block_sizes[key] = int(header["data_size"]) - offset
                if _lz4_whole(value, header, offset, nbytes):
                    lz4_blocks[key] = (int(blocks[src].data_offset), int(header["used_size"]), shape, dtype)
            elif isinstance(src, int):
                raise RomanFileError(
                    f"{name} is truncated or corrupt: array {key!r} refers to block {src}, "
                    f"the file has {len(blocks)}",
                    422,
                    path,
                )
        _check_shapes(path, level, arrays, block_sizes)
        if level in (2, 3):
            from gwcs import WCS

            wcs = _get(model.meta, "wcs", None)
            if wcs is None:
                raise RomanFileError(
                    f"{name} is a level {level} {model_type} without a WCS (meta.wcs is missing or null), "
                    "so it cannot be placed on the sky",
                    422,
                    path,
                )
            if not isinstance(wcs, WCS):
                raise RomanFileError(f"{name}: meta.wcs is a {type(wcs).__name__}, not a gwcs WCS", 422, path)
        for info in arrays.values():
            info.pop("nbytes", None)
        return RomanFile(path, af, model, level, arrays, fh, lz4_blocks)
    except RomanFileError:
        af.close()
        fh.close()
        raise
    except Exception as exc:  # noqa: BLE001 - never let a raw traceback out
        af.close()
        fh.close()
        raise RomanFileError(f"{name} cannot be read as a Roman data model ({short_reason(exc)})", 422, path) from None


def _lz4_whole(node, header, offset, nbytes):
    """Whether the array `node` is the whole of its lz4 block, C-ordered, not yet read by asdf:
    `blocks.read_lz4_array` then reads it (asdf's private NDArrayType fields, as above)."""
    from .blocks import LZ4

    return (header.get("compression") == LZ4 and not header.get("flags") and offset == 0
            and int(header["data_size"]) == nbytes and getattr(node, "_strides", 0) is None
            and getattr(node, "_mask", 0) is None and getattr(node, "_array", 0) is None)


def warmup(folder=None, shape=(8, 8)):
    """Load the asdf/roman_datamodels schemas and extensions once (the first open in a process
    costs ~0.5 s; later ones a few ms). A server can call this at start-up. Writes a tiny L2
    into `folder` (a temporary one if None) and opens it; returns its path (gone with a
    temporary folder)."""
    import contextlib
    import tempfile

    import roman_datamodels.datamodels as dm

    with warnings.catch_warnings(), contextlib.ExitStack() as stack:
        warnings.simplefilter("ignore")
        if folder is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
        target = Path(folder) / "warmup_cal.asdf"
        with _ASDF_OPEN:  # asdf's lazy converter loading again (see _ASDF_OPEN)
            dm.ImageModel.create_fake_data(shape=shape).save(target)
        with open(target) as rf:
            rf.to_json()
    return target

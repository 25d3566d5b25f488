"""What `Viewer.load` accepts, turned into stack entries the browser can open by path.

Files are referenced where they are (absolute paths). In-memory data (numpy arrays, astropy
HDUs, NDData) is written once as FITS, WCS header included, into `.roman-lab/arrays/` under
the kernel's working directory, named by a hash of its content (loading the same array
twice writes one file).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..io.names import detector_of_name, display_name, is_fits_name, level_of_name
from ..state import KINDS  # noqa: F401 (the kinds of stack entries, as the state schema's)
from .geometry import Geometry, celestial, wcs_header

LEVEL_OF_KIND = {"ramp": 1, "exposure": 2, "mosaic": 3, "user": None}
KIND_OF_LEVEL = {1: "ramp", 2: "exposure", 3: "mosaic"}
ARRAYS_FOLDER = Path(".roman-lab") / "arrays"


@dataclass
class Loaded:
    """One image to add to the stack: its entry (without id), how it was given (for
    `get_image`) and its geometry when already known (None: read from the file when needed)."""

    entry: dict
    origin: str = "file"  # "file" | "array" | "nddata"
    geometry: Geometry | None = None


def _meta(time=None, detector=None, level=None):
    return {"time": None if time is None else str(time), "detector": detector, "level": level}


def from_path(path, name=None):
    """A Roman ASDF or FITS file. The kind comes from the Roman file-name convention; a file
    that does not follow it is opened (~40 ms) to read its level."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    name = name or display_name(path)
    if is_fits_name(path):
        return Loaded({"path": str(path), "name": name, "kind": "user", "meta": _meta()})
    kind = KIND_OF_LEVEL.get(level_of_name(path))
    meta = _meta(detector=detector_of_name(path), level=LEVEL_OF_KIND.get(kind))
    if kind is None:
        from ..io import open as open_roman

        with open_roman(path) as rf:
            return from_roman_file(rf, name)
    return Loaded({"path": str(path), "name": name, "kind": kind, "meta": meta})


def from_roman_file(rf, name=None):
    """An opened `RomanFile` (roman_lab.open): everything is known without reading arrays."""
    s = rf.summary
    meta = _meta(s.get("start_time"), s.get("detector"), rf.level)
    entry = {"path": str(Path(rf.path).resolve()), "name": name or display_name(rf.path), "kind": KIND_OF_LEVEL[rf.level], "meta": meta}
    return Loaded(entry, geometry=Geometry(tuple(rf.shape[-2:]), celestial(rf.wcs)))


def from_exposures(exposures, download_dir):
    """An ExposureList or Exposures: local ones by path; remote ones (MAST) downloaded into
    `download_dir` first, with a progress bar."""
    from roman_lab.archive import ExposureList

    archive = getattr(exposures, "archive", None)  # the source that found them (ExposureList)
    exposures = list(exposures)
    remote = [e for e in exposures if not e.local]
    paths = {}
    if remote:
        archive = archive or _archive_of(remote)
        fetched = ExposureList(remote, archive=archive).download(download_dir, progress=True)
        # ExposureList sorts by time: match the downloads back by file name
        paths = {Path(p).name: Path(p) for p in fetched}
    out = []
    for e in exposures:
        path = Path(e.path) if e.local else paths[e.name]
        meta = _meta(e.start_time, e.detector, 2)
        out.append(Loaded({"path": str(path.resolve()), "name": display_name(e.name), "kind": "exposure", "meta": meta}))
    return out


def _archive_of(exposures):
    from roman_lab.archive import _mast_archive

    if any(e.source == "mast" for e in exposures):
        return _mast_archive(None)
    missing = ", ".join(e.name for e in exposures)
    raise FileNotFoundError(f"these exposures have no local file and no remote source: {missing}")


def _array_and_wcs(obj):
    """(2-D array, WCS or None, FITS header of extra cards, origin) of in-memory image data."""
    from astropy.io import fits
    from astropy.nddata import NDData
    from astropy.wcs import WCS

    if isinstance(obj, fits.HDUList):
        hdus = [h for h in obj if getattr(h, "data", None) is not None and np.ndim(h.data) >= 2]
        if not hdus:
            raise ValueError("this HDUList has no image HDU")
        obj = hdus[0]
    if isinstance(obj, (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)):
        header = obj.header.copy()
        wcs = celestial(WCS(header, naxis=2)) if header.get("NAXIS", 0) >= 2 else None
        return np.asarray(obj.data), wcs, header, "nddata"
    if isinstance(obj, NDData):
        header = fits.Header()
        if obj.unit is not None:
            header["BUNIT"] = obj.unit.to_string("fits")
        wcs = obj.wcs
        wcs = getattr(wcs, "low_level_wcs", wcs) if not isinstance(wcs, WCS) else wcs
        return np.asarray(obj.data), celestial(wcs), header, "nddata"
    return np.asarray(obj), None, fits.Header(), "array"


def from_data(obj, name, wcs, folder, borrowed_from=None):
    """In-memory image data written as FITS into `folder`.

    wcs: None (the data's own, if any), an astropy WCS, a gwcs, or a (Geometry, id) pair of a
    stack image to borrow it from (then `wcs_from` is that image's id)."""
    from astropy.io import fits

    data, own_wcs, header, origin = _array_and_wcs(obj)
    if data.ndim != 2:
        raise ValueError(f"the viewer shows 2-D images; this array has shape {data.shape}")
    if data.dtype == bool:
        data = data.astype(np.uint8)
    data = np.ascontiguousarray(data)
    if borrowed_from is not None:
        geometry, _ = borrowed_from
        if tuple(geometry.shape) != data.shape:
            raise ValueError(
                f"the array has shape {data.shape} but the image whose WCS it borrows is {tuple(geometry.shape)}"
            )
        wcs = geometry.wcs
    wcs = celestial(wcs) if wcs is not None else own_wcs
    for key in list(header):
        if key in ("SIMPLE", "BITPIX", "EXTEND", "PCOUNT", "GCOUNT", "XTENSION") or key.startswith("NAXIS"):
            del header[key]
    if wcs is not None:
        header.update(wcs_header(wcs, data.shape))
    digest = hashlib.blake2b(data.tobytes(), digest_size=8)
    digest.update(str(data.dtype).encode() + str(data.shape).encode() + header.tostring().encode())
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "image"
    path = folder / f"{slug}-{digest.hexdigest()}.fits"
    if not path.exists():
        tmp = path.with_suffix(".fits.part")
        fits.PrimaryHDU(data=data, header=header).writeto(tmp, overwrite=True)
        tmp.replace(path)
    entry = {
        "path": str(path),
        "name": name,
        "kind": "user",
        "wcs_from": borrowed_from[1] if borrowed_from is not None else None,
        "meta": _meta(),
    }
    return Loaded(entry, origin=origin, geometry=Geometry(data.shape, wcs))


def is_image_data(obj):
    """True for what `from_data` takes: arrays, HDUs, HDULists, NDData."""
    from astropy.io import fits
    from astropy.nddata import NDData

    return isinstance(obj, (np.ndarray, NDData, fits.HDUList, fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)) or (
        hasattr(obj, "__array__") and not isinstance(obj, (str, Path))
    )


def is_exposure(obj: Any):
    from roman_lab.archive import Exposure

    return isinstance(obj, Exposure)

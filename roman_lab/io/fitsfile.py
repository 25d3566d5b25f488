"""Open a FITS image (a user's model, residual, or any image with a WCS header) as a stack member.

`open_fits(path)` returns a `FitsImage` with the interface of `RomanFile` that the store
converter uses (`level` None, `model_type` "FITS", `arrays`, `summary`, `lineage`, `wcs`,
`read`), so a FITS file becomes a zarr store like a Roman L2 and blinks beside the exposures.
The image is the first HDU with EXTNAME=SCI, else the first HDU holding a 2-D image (a cube
with length-1 axes is squeezed). Bad input is a `RomanFileError`, as for ASDF.
"""

from __future__ import annotations

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
from .jsonvalue import json_value

_FITS_MAGIC = b"SIMPLE  ="
_GZIP_MAGIC = b"\x1f\x8b"


class FitsImage:
    """A FITS image opened lazily: headers in memory, pixels read by `read()`."""

    level = None  # not a Roman product level
    model_type = "FITS"

    def __init__(self, path, hdul, index, dq_index, wcs, wcs_note):
        self.path = Path(path)
        self._hdul = hdul
        self._index = index
        self._dq_index = dq_index
        self.wcs = wcs  # the celestial astropy WCS of the image's two axes, or None
        self.wcs_note = wcs_note  # why there is no WCS (None when there is one)
        header = hdul[index].header
        shape = _image_shape(hdul[index])
        self.arrays = {"data": {"shape": shape, "dtype": "float32"}}
        if dq_index is not None:
            self.arrays["dq"] = {"shape": shape, "dtype": "uint32"}
        self.summary = _summary(self.path, index, header, shape)
        self.lineage = {}

    @property
    def shape(self):
        return tuple(self.arrays["data"]["shape"])

    def read(self, name):
        """The image as float32 (BSCALE/BZERO applied, NaN kept) or the DQ plane as uint32."""
        if name not in self.arrays:
            raise RomanFileError(f"{self.path.name} has no array {name!r}", 422, self.path)
        index = self._index if name == "data" else self._dq_index
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # astropy applies BSCALE/BZERO and turns BLANK into NaN (integers become floats)
                arr = np.asarray(self._hdul[index].data).reshape(self.shape)
                arr = arr.astype(np.float32 if name == "data" else np.uint32)
        except MemoryError:
            raise RomanFileError(f"{self.path.name}: HDU {index} does not fit in memory", 413, self.path) from None
        except Exception as exc:  # noqa: BLE001 - truncated gzip, corrupt tile compression
            raise RomanFileError(
                f"{self.path.name} is truncated or corrupt: HDU {index} cannot be read ({short_reason(exc)})", 422, self.path
            ) from None
        return arr

    def close(self):
        self._hdul.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<FitsImage {self.path.name}[{self._index}] {self.shape}>"

    def to_json(self):
        """A JSON-able description (what the server's /info returns), like RomanFile.to_json."""
        wcs = None
        if self.wcs is not None:
            ny, nx = self.shape
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    lon, lat = self.wcs.all_pix2world([[nx / 2 - 0.5, ny / 2 - 0.5]], 0)[0]
                center = [float(lon), float(lat)]  # in the file's own frame
            except Exception:  # noqa: BLE001 - a centre off the projection: the description stays useful
                center = None
            wcs = {"type": "fits", "ctype": list(self.wcs.wcs.ctype), "center": center}
        return {
            "path": str(self.path),
            "name": self.path.name,
            "size": self.path.stat().st_size if self.path.exists() else None,
            "level": None,
            "model_type": self.model_type,
            "arrays": {k: {"shape": list(v["shape"]), "dtype": v["dtype"]} for k, v in self.arrays.items()},
            "summary": self.summary,
            "lineage": self.lineage,
            "wcs": wcs,
            "wcs_note": self.wcs_note,
        }


def _image_shape(hdu):
    """The 2-D (ny, nx) of an image HDU, length-1 axes of a cube dropped; None if not 2-D."""
    shape = tuple(int(s) for s in hdu.shape)
    if len(shape) > 2:
        shape = tuple(s for s in shape if s != 1)
    return shape if len(shape) == 2 else None


def _summary(path, index, header, shape):
    """What the stack list shows (name, time, filter), with the Roman summary's key names
    where they mean the same thing (start_time, optical_element, detector, exposure_time)."""
    from astropy.time import Time

    def card(key):
        return json_value(header.get(key))

    date_obs = card("DATE-OBS")
    start = None
    if isinstance(date_obs, str):
        try:
            start = Time(date_obs, scale=str(header.get("TIMESYS", "utc")).lower()).utc.isot
        except Exception:  # noqa: BLE001 - a date astropy cannot parse: keep it only as written
            start = None
    return {
        "filename": path.name,
        "hdu": index,
        "extname": card("EXTNAME"),
        "object": card("OBJECT"),
        "date_obs": date_obs,
        "start_time": start,
        "filter": card("FILTER"),
        "optical_element": card("FILTER"),
        "detector": card("DETECTOR"),
        "telescope": card("TELESCOP"),
        "instrument": card("INSTRUME"),
        "exposure_time": card("EXPTIME"),
        "bunit": card("BUNIT"),
        "shape": list(shape),
    }


def _check_magic(path, head):
    name = path.name
    if name.lower().endswith(".gz"):
        if not head.startswith(_GZIP_MAGIC):
            raise RomanFileError(f"{name} is not a gzip-compressed FITS file ({describe_start(head)})", 415, path)
    elif not head.startswith(_FITS_MAGIC):
        raise RomanFileError(f"{name} is not a FITS file ({describe_start(head)})", 415, path)


def pick_image_hdu(path, hdul):
    """(index of the image HDU, index of a matching DQ HDU or None) of an open FITS file: the
    one picker of roman-lab (the reader and the widget show the same HDU); RomanFileError if none."""
    from astropy.io import fits

    kinds = (fits.PrimaryHDU, fits.ImageHDU, fits.CompImageHDU)
    images, others = [], []
    for i, hdu in enumerate(hdul):
        if not isinstance(hdu, kinds) or isinstance(hdu, fits.GroupsHDU) or not hdu.shape:
            continue
        extname = str(hdu.header.get("EXTNAME", "")).strip().upper()
        (images if _image_shape(hdu) else others).append((i, extname, tuple(hdu.shape)))
    name = path.name
    sci = [c for c in images + others if c[1] == "SCI"]
    chosen = sci[0] if sci else (images[0] if images else None)
    if chosen is None or chosen not in images:
        bad = chosen or (others[0] if others else None)
        if bad is None:
            raise RomanFileError(f"{name} has no image HDU (only tables or empty HDUs)", 422, path)
        i, _, shape = bad
        if len(shape) > 2:
            raise RomanFileError(
                f"{name}: HDU {i} is a cube of shape {shape}; roman-lab shows 2-D images "
                "(a cube whose extra axes have length 1 is accepted): save the plane you want as an image",
                422,
                path,
            )
        raise RomanFileError(f"{name} has no 2-D image: HDU {i} has shape {shape}", 422, path)
    index, _, _ = chosen
    shape = _image_shape(hdul[index])
    # bit flags: an unscaled integer DQ of the image's shape
    dq = [i for i, ext, _ in images if ext == "DQ" and i != index and _image_shape(hdul[i]) == shape
          and hdul[i].header.get("BITPIX", -32) > 0 and hdul[i].header.get("BSCALE", 1) == 1]
    return index, (dq[0] if dq else None)


def _check_size(path, hdul, index, size):
    """413 for absurd shapes; 422 when the file is shorter than the HDU's pixels need."""
    hdu = hdul[index]
    shape = _image_shape(hdu)
    name = path.name
    if any(s > MAX_SIDE for s in shape) or np.prod(shape, dtype=np.float64) * 4 > MAX_ARRAY_BYTES:
        raise RomanFileError(
            f"{name}: HDU {index} has an absurd shape {shape}; roman-lab refuses images over "
            f"{MAX_SIDE} pixels a side or {MAX_ARRAY_BYTES >> 30} GiB",
            413,
            path,
        )
    from astropy.io import fits

    if name.lower().endswith(".gz") or isinstance(hdu, fits.CompImageHDU):
        return  # sizes only known after decompression: a short file fails in read() with 422
    need = hdul.fileinfo(index)["datLoc"] + int(np.prod(hdu.shape)) * abs(int(hdu.header["BITPIX"])) // 8
    if need > size:
        raise RomanFileError(
            f"{name} is truncated: HDU {index} needs bytes up to {need} but the file has {size}", 422, path
        )


def celestial_wcs(name, hdul, index):
    """(astropy WCS of the image's sky axes, None) or (None, a note saying why there is none)."""
    from astropy.wcs import WCS

    hdu = hdul[index]
    borrow = "; borrow an exposure's WCS to place it on the sky"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            full = WCS(hdu.header, fobj=hdul)
    except Exception as exc:  # noqa: BLE001 - a malformed WCS is the same as none for display
        return None, f"{name}: the WCS in the header of HDU {index} cannot be read ({short_reason(exc)}){borrow}"
    if not full.has_celestial:
        return None, f"{name} has no celestial WCS in the header of HDU {index}{borrow}"
    # the sky axes must be the image's two axes (the others have length 1)
    fits_axes = [k for k, n in enumerate(reversed(hdu.shape)) if n != 1 or len(hdu.shape) == 2]
    if sorted((full.wcs.lng, full.wcs.lat)) != fits_axes:
        return None, f"{name}: the celestial axes of HDU {index} are not its image axes{borrow}"
    return full.celestial, None


def open_fits(path, head, size):
    """Open a FITS image without reading its pixels. `head`: its first bytes; `size`: its size."""
    path = Path(path)
    _check_magic(path, head)
    from astropy.io import fits

    hdul = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            hdul = fits.open(path, memmap=False, lazy_load_hdus=False)
    except Exception as exc:  # noqa: BLE001 - bad cards, a truncated header
        if hdul is not None:
            hdul.close()
        raise RomanFileError(
            f"{path.name} is a FITS file that cannot be read: it is truncated or corrupt ({short_reason(exc)})", 422, path
        ) from None
    try:
        index, dq_index = pick_image_hdu(path, hdul)
        _check_size(path, hdul, index, size)
        if dq_index is not None:
            _check_size(path, hdul, dq_index, size)
        wcs, note = celestial_wcs(path.name, hdul, index)
        return FitsImage(path, hdul, index, dq_index, wcs, note)
    except RomanFileError:
        hdul.close()
        raise
    except Exception as exc:  # noqa: BLE001 - never let a raw traceback out
        hdul.close()
        raise RomanFileError(f"{path.name} cannot be read as a FITS image ({short_reason(exc)})", 422, path) from None

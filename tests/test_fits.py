"""A user's own FITS images as stack members: opened like Roman files, converted into the same
stores (level null, model_type FITS), their WCS turned into the browser's TAN-SIP and checked
against astropy on the original header, bad FITS refused clearly, directly and over HTTP."""

import asyncio
import gzip
import json
import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS
from romanfiles import CAL, distorted_wcs, make_l2
from tornado.httpclient import HTTPClientError

import roman_lab
from roman_lab.io import RomanFileError
from roman_lab.store import list_stores
from roman_lab.store.wcsfit import GOAL_PX, header_to_wcs, sip_pix2world, sip_world2pix

SHAPE = (150, 210)  # (ny, nx): not square, so x/y swaps show


def _image(seed=0, shape=SHAPE):
    return np.random.default_rng(seed).normal(100, 5, size=shape).astype(np.float32)


def _tan_header(ctype="TAN", radesys="ICRS", scale=3e-5):
    h = fits.Header()
    h["CTYPE1"], h["CTYPE2"] = f"RA---{ctype}", f"DEC--{ctype}"
    h["CRPIX1"], h["CRPIX2"] = 80.5, 60.0
    h["CRVAL1"], h["CRVAL2"] = 187.3, 12.4
    h["CDELT1"], h["CDELT2"] = -scale, scale
    h["PC1_1"], h["PC1_2"], h["PC2_1"], h["PC2_2"] = 0.95, 0.31, -0.31, 0.95
    h["RADESYS"] = radesys
    if radesys == "FK5":
        h["EQUINOX"] = 2000.0
    return h


def _write(path, data, header=None, extra=()):
    hdus = [fits.PrimaryHDU(data, header=header), *extra]
    fits.HDUList(hdus).writeto(path)
    return path


@pytest.fixture(scope="module")
def roman_sip(tmp_path_factory):
    """The TAN-SIP header of a Roman exposure's store (a distorted gwcs), as a user's algorithm
    would copy it into its model and residual."""
    tmp = tmp_path_factory.mktemp("roman")
    n = 160
    store = roman_lab.convert(make_l2(tmp / CAL, shape=(n, n), wcs=distorted_wcs(n, scale_arcsec=2.0, amp=3.0)),
                              cache_dir=tmp / "cache", progress=False)
    return store.attrs["fits_wcs"]


def _pixel_errors(store, original_wcs, shape, n=7):
    """Forward and inverse error (px) of the store's header, evaluated as the browser does,
    against astropy's pixel_to_world on the original header (in ICRS), on an n x n grid."""
    hd = store.attrs["fits_wcs"]
    ny, nx = shape
    x, y = (a.ravel() for a in np.meshgrid(np.linspace(-0.5, nx - 0.5, n), np.linspace(-0.5, ny - 0.5, n)))
    truth = original_wcs.celestial.pixel_to_world(x, y).icrs
    w = header_to_wcs(hd)
    ra, dec = sip_pix2world(hd, w, x, y)
    scale = np.sqrt(abs(np.linalg.det(w.pixel_scale_matrix))) * u.deg
    forward = (SkyCoord(ra * u.deg, dec * u.deg).separation(truth) / scale).decompose().value
    xi, yi = sip_world2pix(hd, w, truth.ra.deg, truth.dec.deg)
    return forward.max(), np.hypot(xi - x, yi - y).max()


def _convert(path, tmp_path):
    return roman_lab.convert(path, cache_dir=tmp_path / "cache", progress=False)


def test_tan_header_is_taken_as_is(tmp_path):
    header = _tan_header()
    header["OBJECT"], header["DATE-OBS"], header["FILTER"], header["BUNIT"] = "NGC 4472", "2027-03-01T02:03:04", "F158", "MJy/sr"
    data = _image()
    data[10:20, 30:40] = np.nan
    path = _write(tmp_path / "model.fits", data, header)
    store = _convert(path, tmp_path)
    a = store.attrs
    assert a["level"] is None and a["model_type"] == "FITS" and a["complete"]
    assert a["arrays"] == ["data"] and set(store.arrays) == {"data"}
    np.testing.assert_array_equal(store.arrays["data"][...], data)  # NaN kept
    assert a["summary"]["filename"] == "model.fits" and a["summary"]["object"] == "NGC 4472"
    assert a["summary"]["start_time"] == "2027-03-01T02:03:04.000" and a["summary"]["optical_element"] == "F158"
    assert a["summary"]["bunit"] == "MJy/sr" and a["summary"]["hdu"] == 0 and a["summary"]["shape"] == list(SHAPE)
    assert a["wcs"] == {"ctype": ["RA---TAN", "DEC--TAN"], "radesys": "ICRS", "method": "header"}
    assert a["wcs_note"] is None
    hd = a["fits_wcs"]
    assert hd["CTYPE1"] == "RA---TAN" and "CD1_1" in hd and "PC1_1" not in hd
    forward, inverse = _pixel_errors(store, WCS(header), SHAPE)
    assert forward < 1e-3 and inverse < 1e-3
    assert a["sip_max_error_px"] < 1e-6


def test_roman_tan_sip_header_round_trips(tmp_path, roman_sip):
    header = fits.Header(roman_sip)
    store = _convert(_write(tmp_path / "residual.fits", _image(shape=(160, 160)), header), tmp_path)
    assert store.attrs["wcs"]["method"] == "header" and store.attrs["sip_fit"]["inverse_fit"] == "header"
    for key in ("A_ORDER", "B_ORDER", "AP_ORDER", "BP_ORDER"):
        assert store.attrs["fits_wcs"][key] == roman_sip[key]
    forward, inverse = _pixel_errors(store, WCS(header), (160, 160))
    assert forward < 1e-3 and inverse < GOAL_PX


def test_sip_without_inverse_gets_one(tmp_path, roman_sip):
    header = fits.Header({k: v for k, v in roman_sip.items() if not k.startswith(("AP_", "BP_"))})
    store = _convert(_write(tmp_path / "forward_only.fits", _image(shape=(160, 160)), header), tmp_path)
    fit = store.attrs["sip_fit"]
    assert fit["inverse_fit"] == "least-squares" and fit["ap_order"] >= 2
    forward, inverse = _pixel_errors(store, WCS(header), (160, 160))
    assert forward < 1e-3 and inverse <= store.attrs["sip_max_error_px"] < GOAL_PX


@pytest.mark.parametrize(
    "header",
    [
        _tan_header("SIN", scale=0.1),  # a 20 deg field: SIN and TAN differ by pixels at the edges
        _tan_header("ZEA", scale=0.1),
        _tan_header("TAN", radesys="FK5"),  # the browser is ICRS: refitted, not copied
    ],
    ids=["SIN", "ZEA", "FK5"],
)
def test_other_projections_are_fitted(tmp_path, header):
    store = _convert(_write(tmp_path / "other.fits", _image(), header), tmp_path)
    a = store.attrs
    assert a["wcs"]["method"] == "fit" and a["wcs"]["ctype"] == [header["CTYPE1"], header["CTYPE2"]]
    assert a["fits_wcs"]["CTYPE1"].startswith("RA---TAN") and a["fits_wcs"]["RADESYS"] == "ICRS"
    assert a["sip_max_error_px"] < GOAL_PX
    forward, inverse = _pixel_errors(store, WCS(header), SHAPE)
    # the stated error bounds what a user measures, to 1e-4 px (the fit and the measure differ on
    # another machine in the last bits; the goal is 0.05 px)
    assert max(forward, inverse) <= a["sip_max_error_px"] + 1e-4


def test_sin_differs_from_tan_enough_to_need_the_fit(tmp_path):
    """The fit is not a no-op: reading the SIN header as TAN would misplace the edges."""
    header = _tan_header("SIN", scale=0.1)
    as_tan = WCS(_tan_header("TAN", scale=0.1))
    x, y = np.array([0.0, 209.0]), np.array([0.0, 149.0])
    shift = WCS(header).pixel_to_world(x, y).separation(as_tan.pixel_to_world(x, y)).deg.max() / 0.1
    assert shift > 1


def test_image_without_wcs_borrows_one(tmp_path):
    store = _convert(_write(tmp_path / "plain.fits", _image()), tmp_path)
    a = store.attrs
    assert a["fits_wcs"] is None and a["wcs"] is None and a["sip_max_error_px"] is None
    assert "no celestial WCS" in a["wcs_note"] and "borrow" in a["wcs_note"]
    assert store.fits_wcs is None


def test_a_wcs_no_tan_sip_can_hold_leaves_the_image_without_one(tmp_path, monkeypatch):
    from roman_lab.store import fitssip

    def singular(*args):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(fitssip, "_fitted", singular)
    store = _convert(_write(tmp_path / "odd.fits", _image(), _tan_header("SIN")), tmp_path)
    a = store.attrs
    assert a["complete"] and a["fits_wcs"] is None and a["wcs"] is None
    assert a["wcs_note"] == ("odd.fits: no TAN-SIP approximates this WCS (Singular matrix); "
                             "borrow an exposure's WCS to place it on the sky")


def test_scaled_integers_become_physical_float32(tmp_path):
    raw = np.arange(SHAPE[0] * SHAPE[1], dtype=np.int16).reshape(SHAPE) % 1000
    raw[0, 0] = -32768
    hdu = fits.PrimaryHDU(raw, header=_tan_header())
    hdu.header["BSCALE"], hdu.header["BZERO"], hdu.header["BLANK"] = 0.25, 1000.0, -32768
    hdu.writeto(tmp_path / "scaled.fits")
    data = _convert(tmp_path / "scaled.fits", tmp_path).arrays["data"][...]
    assert data.dtype == np.float32
    assert np.isnan(data[0, 0])
    np.testing.assert_array_equal(data[1:], raw[1:].astype(np.float32) * 0.25 + 1000)


def test_blank_of_unscaled_integers_is_nan(tmp_path):
    raw = np.arange(SHAPE[0] * SHAPE[1], dtype=np.int32).reshape(SHAPE)
    raw[3, 4] = -1
    hdu = fits.PrimaryHDU(raw)
    hdu.header["BLANK"] = -1
    hdu.writeto(tmp_path / "blank.fits")
    data = _convert(tmp_path / "blank.fits", tmp_path).arrays["data"][...]
    assert np.isnan(data[3, 4]) and np.count_nonzero(np.isnan(data)) == 1
    assert data[0, 1] == 1


def test_plain_integers_and_float64(tmp_path):
    for name, dtype in (("int32.fits", np.int32), ("float64.fits", np.float64)):
        raw = (np.arange(SHAPE[0] * SHAPE[1]).reshape(SHAPE) - 5000).astype(dtype)
        data = _convert(_write(tmp_path / name, raw), tmp_path).arrays["data"][...]
        assert data.dtype == np.float32
        np.testing.assert_array_equal(data, raw.astype(np.float32))


def test_cube_with_a_degenerate_axis_is_squeezed(tmp_path):
    header = _tan_header()
    header["CTYPE3"], header["CRPIX3"], header["CRVAL3"], header["CDELT3"] = "FREQ", 1.0, 1.4e9, 1e6
    data = _image()
    path = _write(tmp_path / "radio.fits", data[np.newaxis], header)
    store = _convert(path, tmp_path)
    assert store.attrs["shape"] == list(SHAPE)
    np.testing.assert_array_equal(store.arrays["data"][...], data)
    forward, inverse = _pixel_errors(store, WCS(header), SHAPE)
    assert forward < 1e-3 and inverse < 1e-3


def test_sci_extension_and_matching_dq(tmp_path):
    data = _image()
    dq = np.zeros(SHAPE, np.int32)
    dq[5, 7] = 1 << 30
    sci = fits.ImageHDU(data, header=_tan_header(), name="SCI")
    extra = [fits.ImageHDU(np.zeros((4, 4), np.float32), name="OTHER"), sci, fits.ImageHDU(dq, name="DQ")]
    path = _write(tmp_path / "with_dq.fits", None, extra=extra)
    store = _convert(path, tmp_path)
    assert store.attrs["summary"]["hdu"] == 2 and store.attrs["summary"]["extname"] == "SCI"
    assert store.attrs["arrays"] == ["data", "dq"]
    assert store.arrays["dq"].dtype == np.uint32 and store.arrays["dq"][5, 7] == 1 << 30
    np.testing.assert_array_equal(store.arrays["data"][...], data)


def test_dq_of_another_shape_is_ignored(tmp_path):
    extra = [fits.ImageHDU(np.zeros((10, 10), np.int16), name="DQ")]
    store = _convert(_write(tmp_path / "odd_dq.fits", _image(), _tan_header(), extra), tmp_path)
    assert store.attrs["arrays"] == ["data"]


def test_gzipped_fits(tmp_path):
    plain = _write(tmp_path / "model.fits", _image(), _tan_header())
    (tmp_path / "model.fits.gz").write_bytes(gzip.compress(plain.read_bytes()))
    store = _convert(tmp_path / "model.fits.gz", tmp_path)
    np.testing.assert_array_equal(store.arrays["data"][...], _image())


def bad_fits(tmp_path):
    """name -> (HTTP-like status, words the message must contain): refused by `roman_lab.open`."""
    good = _write(tmp_path / "good.fits", _image(), _tan_header()).read_bytes()
    out = {
        "text.fits": (b"hello, I am not FITS\n", 415, "is not a FITS file (it starts with"),
        "empty.fit": (b"", 415, "is not a FITS file (it is empty)"),
        "asdf.fits": (b"#ASDF 1.0.0\n" + bytes(100), 415, "is not a FITS file"),
        "notgz.fits.gz": (good, 415, "is not a gzip-compressed FITS file"),
        "truncated.fits": (good[: len(good) // 2], 422, "is truncated"),
        "header_cut.fits": (good[:1000], 422, "truncated or corrupt"),
    }
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns([fits.Column("a", "E", array=[1.0])])]).writeto(
        tmp_path / "table.fits")
    out["table.fits"] = (None, 422, "has no image HDU")
    _write(tmp_path / "spectrum.fits", np.arange(100, dtype=np.float32))
    out["spectrum.fits"] = (None, 422, "has no 2-D image: HDU 0 has shape (100,)")
    _write(tmp_path / "cube.fits", np.zeros((3, 20, 30), np.float32))
    out["cube.fits"] = (None, 422, "is a cube of shape (3, 20, 30)")
    sci_cube = fits.ImageHDU(np.zeros((2, 20, 30), np.float32), name="SCI")
    _write(tmp_path / "sci_cube.fits", np.zeros((20, 30), np.float32), extra=[sci_cube])
    out["sci_cube.fits"] = (None, 422, "HDU 1 is a cube")
    huge = fits.Header({"SIMPLE": True, "BITPIX": -32, "NAXIS": 2, "NAXIS1": 300000, "NAXIS2": 300000})
    out["huge.fits"] = (huge.tostring().encode() + bytes(2880), 413, "absurd shape")
    gz_cut = gzip.compress(good)
    out["truncated.fits.gz"] = (gz_cut[: len(gz_cut) // 2], 422, "truncated or corrupt")
    for name, (content, _status, _words) in out.items():
        if content is not None:
            (tmp_path / name).write_bytes(content)
    return {name: (tmp_path / name, status, words) for name, (_c, status, words) in out.items()}


def test_bad_fits_is_refused_clearly_and_leaves_no_store(tmp_path):
    cache = tmp_path / "cache"
    for name, (path, status, words) in bad_fits(tmp_path).items():
        with pytest.raises(RomanFileError) as info, warnings.catch_warnings():
            warnings.simplefilter("error")  # astropy's warnings become our errors, not noise
            roman_lab.convert(path, cache_dir=cache, progress=False)
        assert info.value.status == status, (name, info.value.message)
        assert words in info.value.message and info.value.message.startswith(name), (name, info.value.message)
    assert list_stores(cache) == []
    assert [p.name for p in cache.iterdir() if not p.name.startswith(".locks")] == []


def test_asdf_named_file_with_fits_content_is_still_refused_as_asdf(tmp_path):
    """The reader is chosen by name: a .asdf keeps its own 415 that names the FITS content."""
    path = tmp_path / "x.asdf"
    path.write_bytes(_write(tmp_path / "y.fits", _image()).read_bytes())
    with pytest.raises(RomanFileError) as info:
        roman_lab.open(path)
    assert info.value.status == 415 and "a FITS file" in info.value.message


# ---- over HTTP


@pytest.fixture
def jp_server_config(tmp_path):
    return {
        "ServerApp": {"jpserver_extensions": {"roman_lab": True}},
        "RomanLab": {"cache_dir": str(tmp_path / "store-cache")},
    }


async def _post(jp_fetch, rel):
    response = await jp_fetch("roman-lab", "api", "stores", method="POST", body=json.dumps({"path": rel}))
    return json.loads(response.body)


async def test_fits_converts_and_serves_over_http(jp_fetch, jp_root_dir):
    _write(jp_root_dir / "model.fits", _image(), _tan_header())
    job = await _post(jp_fetch, "model.fits")
    assert job["info"]["model_type"] == "FITS" and job["info"]["level"] is None
    for _ in range(400):
        done = json.loads((await jp_fetch("roman-lab", "api", "stores", job["id"])).body)
        if done["status"] in ("ready", "error"):
            break
        await asyncio.sleep(0.05)
    assert done["status"] == "ready", done
    root = json.loads((await jp_fetch("roman-lab", "stores", job["id"], "zarr.json")).body)
    attrs = root["attributes"]["roman_lab"]
    assert attrs["level"] is None and attrs["model_type"] == "FITS" and attrs["fits_wcs"]["CTYPE1"] == "RA---TAN"
    chunk = await jp_fetch("roman-lab", "stores", job["id"], "data", "0", "c", "0", "0")
    assert chunk.code == 200 and len(chunk.body) > 0


def _garbled_compressed(path):
    """A tile-compressed image whose headers read but whose pixels do not (found by the job)."""
    hdul = fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(_image(), compression_type="GZIP_1")])
    hdul.writeto(path)
    with fits.open(path) as f:
        info = f.fileinfo(1)
    raw = bytearray(path.read_bytes())
    middle = info["datLoc"] + info["datSpan"] // 2
    raw[middle : middle + 2000] = bytes(2000)
    path.write_bytes(bytes(raw))
    return path


def test_tile_compressed_fits(tmp_path):
    path = tmp_path / "model.fits.fz"
    fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(_image(), header=_tan_header())]).writeto(path)
    store = _convert(path, tmp_path)
    assert store.attrs["summary"]["hdu"] == 1 and store.attrs["wcs"]["method"] == "header"
    np.testing.assert_allclose(store.arrays["data"][...], _image(), rtol=1e-2)  # RICE quantises floats


def test_unreadable_pixels_fail_the_conversion_cleanly(tmp_path):
    path = _garbled_compressed(tmp_path / "garbled.fits")
    assert roman_lab.open(path).shape == SHAPE  # the headers are fine
    with pytest.raises(RomanFileError) as info:
        _convert(path, tmp_path)
    assert info.value.status == 422 and "garbled.fits is truncated or corrupt: HDU 1" in info.value.message
    assert list_stores(tmp_path / "cache") == []


async def test_bad_fits_get_clear_4xx_over_http(jp_fetch, jp_root_dir):
    for name, (_path, status, words) in bad_fits(jp_root_dir).items():
        for method, kw in (("info", {"params": {"path": name}}),
                           ("stores", {"method": "POST", "body": json.dumps({"path": name})})):
            with pytest.raises(HTTPClientError) as info:
                await jp_fetch("roman-lab", "api", method, **kw)
            body = json.loads(info.value.response.body)
            assert info.value.code == status and words in body["message"], (name, body)
    _garbled_compressed(jp_root_dir / "garbled.fits")
    job = await _post(jp_fetch, "garbled.fits")
    for _ in range(400):
        done = json.loads((await jp_fetch("roman-lab", "api", "stores", job["id"])).body)
        if done["status"] in ("ready", "error"):
            break
        await asyncio.sleep(0.05)
    assert done["status"] == "error" and done["error_status"] == 422 and "truncated or corrupt" in done["message"]
    health = await jp_fetch("roman-lab", "api", "health")
    assert health.code == 200


def test_the_reader_and_the_widget_pick_the_same_hdu(tmp_path):
    """One HDU picker: a small primary image before the SCI extension shows the SCI one everywhere."""
    from roman_lab.widget.geometry import read_data, read_geometry

    path = tmp_path / "two_images.fits"
    science = np.arange(20 * 30, dtype=np.float32).reshape(20, 30)
    fits.HDUList([fits.PrimaryHDU(np.zeros((10, 10), np.float32)),
                  fits.ImageHDU(science, name="SCI")]).writeto(path)
    with roman_lab.open(path) as image:
        assert image.shape == (20, 30)
        assert np.array_equal(image.read("data"), science)
    assert read_geometry(path).shape == (20, 30)
    assert np.array_equal(read_data(path), science)

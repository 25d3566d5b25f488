"""Small Roman files for the tests, built with roman_datamodels' own `create_fake_data` and
`save`, and the corpus of bad inputs every reader and endpoint must refuse clearly."""

import gzip
import io
import json
import warnings
import zipfile

import asdf
import numpy as np
from astropy import coordinates
from astropy import units as u
from astropy.modeling import fitting, models
from astropy.table import Table
from gwcs import coordinate_frames as cf
from gwcs import wcs as gwcs_wcs
from roman_datamodels import datamodels as dm

VISIT_ID = "0004201001001001001"
CAL = f"r{VISIT_ID}_0001_wfi02_f158_cal.asdf"
UNCAL = f"r{VISIT_ID}_0001_wfi02_f158_uncal.asdf"
READ_PATTERN = [[1], [2, 3], [4, 5, 6, 7]]
FRAME_TIME = 3.04


def distorted_wcs(n, scale_arcsec=0.11, amp=2.0, with_inverse=True):
    """A Roman-like L2 gwcs: detector -> cubic distortion (with a fitted inverse) -> TAN sky.

    `amp` is the size of the distortion terms in pixels at the detector corners.
    """
    c = (n - 1) / 2.0
    h = n / 2.0
    px = models.Polynomial2D(3, c1_0=h, c2_0=1.5 * amp, c1_1=-0.8 * amp, c0_2=0.6 * amp, c3_0=1.2 * amp,
                             c1_2=0.4 * amp)
    py = models.Polynomial2D(3, c0_1=h, c2_0=0.7 * amp, c1_1=1.1 * amp, c0_2=-1.3 * amp, c2_1=0.5 * amp,
                             c0_3=1.0 * amp)
    to_unit = (models.Shift(-c) & models.Shift(-c)) | (models.Scale(1 / h) & models.Scale(1 / h))
    dist = to_unit | models.Mapping((0, 1, 0, 1)) | (px & py)
    if with_inverse:
        g = np.linspace(-1.3, 1.3, 41)
        uu, vv = np.meshgrid(g, g)
        X, Y = dist(uu * h + c, vv * h + c)
        fit = fitting.LinearLSQFitter()
        iu = fit(models.Polynomial2D(5), X / h, Y / h, uu)
        iv = fit(models.Polynomial2D(5), X / h, Y / h, vv)
        dist.inverse = ((models.Scale(1 / h) & models.Scale(1 / h)) | models.Mapping((0, 1, 0, 1)) | (iu & iv)
                        | (models.Scale(h) & models.Scale(h)) | (models.Shift(c) & models.Shift(c)))
    sky = ((models.Scale(scale_arcsec / 3600) & models.Scale(scale_arcsec / 3600)) | models.Rotation2D(30.0)
           | models.Pix2Sky_TAN() | models.RotateNative2Celestial(187.3, 12.4, 180.0))
    det = cf.Frame2D(name="detector", axes_order=(0, 1), unit=(u.pix, u.pix))
    ideal = cf.Frame2D(name="ideal", axes_order=(0, 1), unit=(u.pix, u.pix))
    world = cf.CelestialFrame(reference_frame=coordinates.ICRS(), name="world", axes_order=(0, 1),
                              axes_names=("lon", "lat"), unit=(u.deg, u.deg))
    w = gwcs_wcs.WCS([(det, dist), (ideal, sky), (world, None)])
    w.bounding_box = ((-0.5, n - 0.5), (-0.5, n - 0.5))
    return w


def _noise(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(1.0, 0.1, size=shape).astype(np.float32)


def _fill_exposure_meta(meta, detector="WFI02", exposure=1):
    meta.instrument.detector = detector
    meta.instrument.optical_element = "F158"
    meta.observation.program = 42
    meta.observation.visit = 1
    meta.observation.exposure = exposure
    meta.observation.visit_id = VISIT_ID
    meta.observation.observation_id = VISIT_ID[:16]
    meta.exposure.exposure_time = 139.84
    meta.exposure.frame_time = FRAME_TIME
    meta.exposure.read_pattern = READ_PATTERN
    meta.exposure.nresultants = len(READ_PATTERN)


def make_l2(path, shape=(64, 64), wcs=None, seed=0, nan_block=False):
    m = dm.ImageModel.create_fake_data(shape=shape)
    _fill_exposure_meta(m.meta)
    m.meta.filename = path.name
    data = _noise(shape, seed)
    if nan_block:
        data[:3, :5] = np.nan
        data[10, 10] = np.inf
    m.data = data
    m.err = np.full(shape, 0.1, dtype=m.err.dtype)
    dq = np.zeros(shape, m.dq.dtype)
    dq[5, 5] = 4
    m.dq = dq
    if wcs is not None:
        m.meta.wcs = wcs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.save(path)
    return path


def make_l1(path, shape=(3, 72, 72), ramp=False):
    cls = dm.RampModel if ramp else dm.ScienceRawModel
    m = cls.create_fake_data(shape=shape)
    _fill_exposure_meta(m.meta)
    m.meta.filename = path.name
    rng = np.random.default_rng(1)
    base = rng.integers(10000, 12000, size=shape[1:])
    data = np.stack([base + 50 * (i + 1) for i in range(shape[0])])
    m.data = data.astype(m.data.dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.save(path)
    return path


def make_l3(path, shape=(64, 64), members=("a_cal.asdf", "b_cal.asdf"), table_names=("a_cal.asdf", "c_cal.asdf"),
            wcs=None, context=None):
    """A small mosaic; `wcs` and `context` ((planes, ny, nx) uint32) replace the fake ones
    (the fake context is (ny, nx, 1), not a context of this mosaic)."""
    m = dm.MosaicModel.create_fake_data(shape=shape)
    m.meta.filename = path.name
    m.meta.resample.members = list(members)
    m.meta.individual_image_meta["basic"] = Table({"filename": list(table_names)})
    m.data = _noise(shape, 3)
    m.weight = np.ones(shape, np.float32)
    if wcs is not None:
        m.meta.wcs = wcs
    if context is not None:
        m.context = np.asarray(context, np.uint32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.save(path)
    return path



def bad_files(tmp_path):
    """name -> (path, HTTP-like status, words the message must contain): refused by `open()`."""
    good = make_l2(tmp_path / "good_cal.asdf")
    raw = good.read_bytes()
    out = {}
    out["text.asdf"] = (b"hello, I am not ASDF\n", 415, "is not an ASDF file (it starts with")
    out["fits.asdf"] = (b"SIMPLE  =                    T" + b" " * 50, 415, "a FITS file")
    out["empty.asdf"] = (b"", 415, "is not an ASDF file (it is empty)")
    out["truncated.asdf"] = (raw[: len(raw) // 2], 422, "truncated")
    out["header_only.asdf"] = (raw[:300], 422, "truncated or corrupt")
    buf = io.BytesIO()
    asdf.AsdfFile({"x": np.arange(10)}).write_to(buf)
    out["plain.asdf"] = (buf.getvalue(), 422, "is an ASDF file but not a Roman data model")
    absurd = raw.replace(b"    shape: [64, 64]\n  dq", b"    shape: [640000, 64000]\n  dq", 1)
    assert absurd != raw
    out["absurd.asdf"] = (absurd, 413, "absurd shape")
    out["png.asdf"] = (b"\x89PNG\r\n\x1a\n" + bytes(64), 415, "is not an ASDF file")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("x_cal.asdf", raw[:1000])
    out["zipped.asdf"] = (zipped.getvalue(), 415, "is not an ASDF file")
    out["json.asdf"] = (json.dumps({"roman": {"data": [1, 2]}}).encode(), 415, "is not an ASDF file")
    out["random.asdf"] = (np.random.default_rng(5).bytes(4096), 415, "is not an ASDF file")
    out["yaml_only.asdf"] = (b"%YAML 1.1\n---\nroman: {}\n...\n", 415, "is not an ASDF file")
    broken_yaml = raw.replace(b"roman: ", b"roman: [{: ", 1)
    assert broken_yaml != raw
    out["broken_yaml.asdf"] = (broken_yaml, 422, "")
    out["gzipped.asdf"] = (gzip.compress(raw), 415, "is not an ASDF file")
    out["utf16.asdf"] = ("#ASDF 1.0.0".encode("utf-16"), 415, "is not an ASDF file")
    for name, (content, _status, _msg) in out.items():
        (tmp_path / name).write_bytes(content)
    # Roman but no WCS, wrong shapes, unsupported model
    m = dm.ImageModel.create_fake_data(shape=(64, 64))
    m.meta.wcs = None
    m.save(tmp_path / "nowcs_cal.asdf")
    out["nowcs_cal.asdf"] = (None, 422, "without a WCS")
    m = dm.ImageModel.create_fake_data(shape=(64, 64))
    m.err = np.zeros((32, 32), np.float16)
    with asdf.config_context() as cfg:
        cfg.validate_on_write = False
        m.save(tmp_path / "mismatch_cal.asdf")
    out["mismatch_cal.asdf"] = (None, 422, "does not match 'data'")
    m = dm.ImageModel.create_fake_data(shape=(64, 64))
    m.dq = np.zeros((64, 65), m.dq.dtype)
    with asdf.config_context() as cfg:
        cfg.validate_on_write = False
        m.save(tmp_path / "dq_mismatch_cal.asdf")
    out["dq_mismatch_cal.asdf"] = (None, 422, "does not match 'data'")
    dm.FlatRefModel.create_fake_data(shape=(64, 64)).save(tmp_path / "flat.asdf")
    out["flat.asdf"] = (None, 422, "FlatRefModel, which roman-lab does not display")
    catalog = tmp_path / "catalog_cat.asdf"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dm.ImageSourceCatalogModel.create_fake_data().save(catalog)
    out["catalog_cat.asdf"] = (None, 422, "roman-lab does not display")
    out["missing.asdf"] = (None, 404, "does not exist")
    return {name: (tmp_path / name, status, msg) for name, (_c, status, msg) in out.items()}

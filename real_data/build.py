"""A small corpus of real Roman WFI products, made offline by romanisim and romancal (issue 15).

`make real-data` (real_data/build.sh) runs this file with the Python of its own venv,
`${ROMAN_LAB_REAL_DATA:-~/.cache/roman-lab/real-data}/venv-romancal`, built from the pins in
real_data/requirements-romancal.txt: romancal 1.1.0 pins romanisim < 0.15 and
roman_datamodels < 1.2, so the simulator (romanisim 0.14.0) and the pipeline share that venv,
apart from the project's venv (roman_datamodels 1.2).

What it makes, in `<root>/corpus-<size>/` (size "full", the default, or "ci"):

- a seeded source catalog made by romanisim's own catalog tools (`catalog.ecsv`);
- per exposure, over one sky point (two detectors, a dither, a roll):
  - `<name>_uncal.asdf`: the Level 1 ramp, simulated by romanisim with `usecrds=False`
    (MA table 3: 5 resultants from 18 reads, the shortest imaging table romanisim knows;
    cosmic rays on, romanisim's defaults). romanisim's own per-resultant cosmic-ray record
    (its optional "dq" array, 335 MB a file) is not kept in the file: it goes, as the sparse
    list of hits, to `<name>_cosmic_rays.npz` (arrays resultant, y, x; L1 frame, 4096x4096);
  - `<name>_cal.asdf`: the Level 2 image, made from that L1 by romancal's ExposurePipeline:
    dq_init, saturation, ramp fit ("likely", with its jump detection and `jump_indices`) and
    dark current run, with constant reference files written here that state romanisim's own
    no-CRDS instrument (gain 2 e/DN, read noise 5 DN, saturation 55000 DN, dark 0.01 e/s,
    no bad pixels) because CRDS cannot be reached; refpix, dark_decay, wfi18_transient,
    linearity, photom, flatfield, source_catalog and tweakreg are skipped (romanisim made no
    such effects without CRDS, or they need CRDS files). assign_wcs needs a CRDS distortion
    file, so it is skipped too and the L2 carries romanisim's own WCS of the exposure (the
    gwcs romanisim used to place the sources: galsim's Roman TAN-SIP), with its s_region and an
    analytic inverse fitted here to 0.01 pixel (`with_inverse`: gwcs 1.0.3 with astropy 8
    cannot invert it numerically, and resample inverts every input WCS).
- `<product>_coadd.asdf`: the Level 3 mosaic of all the L2s, by romancal's MosaicPipeline
  (resample; flux, skymatch, outlier_detection and source_catalog skipped: they need CRDS files)
  from an association without a `target` (with one, resample asks CRDS for a sky-cell grid),
  with STPIPE_DISABLE_CRDS_STEPPARS=True;
- `truth.json`: for every file its level, detector, pointing, footprint, which L2s cover the
  L3 centre (from their WCS) and which members the L3 `context` names there, the same for 16
  probe points (near each L2's corners, where the coverage differs), and, per exposure,
  cosmic-ray pixels: romanisim's hits that the pipeline flagged (JUMP_DET in the L2 `dq`, and
  the resultant in `jump_indices`), hits it missed, and clean pixels;
- `timings.json`: seconds per stage of the build that made the corpus.

Pixel coordinates in truth.json are zero-based (x, y) into the file's own data array; an L1
array has the 4-pixel reference border, so L1 (x + 4, y + 4) is L2 (x, y).

Usage (build.sh does this): `python build.py --root DIR --size full|ci`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("STPIPE_DISABLE_CRDS_STEPPARS", "True")

CENTRE = (270.0, 66.0)  # ra, dec (deg): the one point every exposure covers
BANDPASS = "F087"
MA_TABLE = 3  # 5 resultants / 18 reads: the shortest imaging MA table in romanisim 0.14
CATALOG = {"n_stars": 250, "n_galaxies": 120, "radius_deg": 0.1, "seed": 1501}
GAIN, READNOISE, SATURATION, DARK = 2.0, 5.0, 55000.0, 0.01  # romanisim's no-CRDS instrument
BORDER = 4

# visit, exposure, detector, roll (PA of the aperture, deg), dither (where CENTRE lands: pixel
# offset from (2044.5, 2044.5) in the WCS's zero-based pixels), start time, seed.
EXPOSURES = {
    "e1": {"visit": 1, "exposure": 1, "detector": 1, "roll": 0.0, "dither": (0, 0),
               "date": "2026-10-01T00:00:00.000", "seed": 11},
    "e2": {"visit": 1, "exposure": 2, "detector": 1, "roll": 0.0, "dither": (160, 100),
               "date": "2026-10-01T00:01:30.000", "seed": 12},
    "e3": {"visit": 1, "exposure": 3, "detector": 2, "roll": 0.0, "dither": (-200, 150),
               "date": "2026-10-01T00:03:00.000", "seed": 13},
    "e4": {"visit": 2, "exposure": 1, "detector": 1, "roll": 30.0, "dither": (60, -80),
               "date": "2026-10-31T00:00:00.000", "seed": 14},
}
SIZES = {
    "full": ["e1", "e2", "e3", "e4"],  # two detectors, a dither, a roll
    "ci": ["e1", "e3", "e4"],  # two detectors and a roll: still an L3 of three members
}


def recipe(size):
    """Everything that decides the corpus's content (goes into the stamp and truth.json)."""
    return {
        "size": size, "centre": CENTRE, "bandpass": BANDPASS, "ma_table_number": MA_TABLE,
        "catalog": CATALOG, "instrument": {"gain": GAIN, "read_noise_dn": READNOISE,
                                           "saturation_dn": SATURATION, "dark_e_per_s": DARK},
        "exposures": {k: EXPOSURES[k] for k in SIZES[size]},
    }


def base_name(spec):
    """Roman file naming: r<program 5><plan 2><pass 3><segment 3><observation 3><visit 3>_<exposure 4>_<det>_<filter>."""
    return (f"r00999{1:02d}{1:03d}{1:03d}{1:03d}{spec['visit']:03d}_{spec['exposure']:04d}"
            f"_wfi{spec['detector']:02d}_{BANDPASS.lower()}")


def log(msg):
    print(f"[real-data {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _write_atomic(path, write):
    """write(tmp) then rename: a product is there whole or not at all (a build resumes by names).
    The temporary file has the final name, in a `.part/` folder beside it: roman_datamodels picks
    the format by the extension and records the name it saves to in meta.filename."""
    tmp = path.parent / ".part" / path.name
    tmp.parent.mkdir(exist_ok=True)
    write(tmp)
    os.replace(tmp, path)


# ---------------------------------------------------------------- catalog

def make_catalog(path):
    import galsim  # noqa: F401  (romanisim needs it imported first on some versions)
    from astropy import units as u
    from astropy.coordinates import SkyCoord
    from astropy.table import vstack
    from romanisim import catalog

    coord = SkyCoord(CENTRE[0] * u.deg, CENTRE[1] * u.deg)
    seed = CATALOG["seed"]
    stars = catalog.make_stars(coord, CATALOG["n_stars"], radius=CATALOG["radius_deg"],
                               bandpasses=[BANDPASS], seed=seed)
    gals = catalog.make_galaxies(coord, CATALOG["n_galaxies"], radius=CATALOG["radius_deg"],
                                 bandpasses=[BANDPASS], seed=seed + 1)
    table = vstack([gals, stars])
    _write_atomic(path, lambda p: table.write(p, format="ascii.ecsv"))


# ---------------------------------------------------------------- L1 (romanisim)

def _metadata(spec):
    from romanisim import ris_make_utils as ris

    return ris.set_metadata(date=spec["date"], bandpass=BANDPASS, sca=spec["detector"],
                            ma_table_number=MA_TABLE, usecrds=False)


def solve_pointing(spec):
    """The WFI_CEN pointing that puts CENTRE at the detector's centre + dither (romanisim's WCS)."""
    import galsim
    from astropy import units as u
    from astropy.coordinates import SkyCoord
    from romanisim.models import parameters
    from romanisim.models import wcs as rwcs

    target = SkyCoord(CENTRE[0] * u.deg, CENTRE[1] * u.deg)
    pointing = target
    centre = parameters.n_pix / 2 + 0.5  # galsim pixels are 1-based
    at = galsim.PositionD(centre + spec["dither"][0], centre + spec["dither"][1])
    for _ in range(6):
        meta = _metadata(spec)
        rwcs.fill_in_parameters(meta, pointing, boresight=False, pa_aper=spec["roll"])
        w = rwcs.get_wcs(meta, usecrds=False)
        world = w.toWorld(at)
        lands = SkyCoord(world.ra.deg * u.deg, world.dec.deg * u.deg)
        sep = lands.separation(target)
        if sep < 0.001 * u.arcsec:
            break
        pointing = pointing.directional_offset_by(lands.position_angle(target), sep)
    meta = _metadata(spec)
    rwcs.fill_in_parameters(meta, pointing, boresight=False, pa_aper=spec["roll"])
    return meta, pointing


def simulate_l1(spec, catalog_path, l1_path, cr_path):
    import asdf
    import galsim
    import numpy as np
    import romanisim
    from romanisim import image, persistence
    from romanisim import ris_make_utils as ris
    from romanisim.models import parameters

    meta, pointing = solve_pointing(spec)
    cat = ris.create_catalog(metadata=meta, catalog_name=str(catalog_path), bandpasses=[BANDPASS],
                             usecrds=False)
    rng = galsim.UniformDeviate(spec["seed"])
    im, extras = image.simulate(meta, cat, usecrds=False, psftype="galsim", level=1,
                                persistence=persistence.Persistence(), rng=rng, crparam={})
    name = l1_path.name
    im["meta"]["observation"].update(**ris.parse_filename(name))
    im["meta"]["observation"]["visit_file_group"] = 0
    im["meta"]["observation"]["visit_file_sequence"] = 1
    im["meta"]["observation"]["visit_file_activity"] = "01"
    im["meta"]["filename"] = name

    dq = extras.pop("dq")
    r, y, x = np.nonzero(dq & parameters.dqbits["jump_det"])
    def write_hits(p):
        with open(p, "wb") as fh:  # a file object: np.savez would add ".npz" to a path
            np.savez_compressed(fh, resultant=r.astype("u1"), y=y.astype("u2"), x=x.astype("u2"))

    _write_atomic(cr_path, write_hits)
    del dq

    tree_sim = {k: v for k, v in extras.items() if k in ("wcs", "simcatobj", "simulate_reffiles")}
    tree_sim.update(version=romanisim.__version__, usecrds=False, psftype="galsim", level=1,
                    bandpass=BANDPASS, sca=spec["detector"], ma_table_number=MA_TABLE,
                    roll=spec["roll"], radec=[pointing.ra.deg, pointing.dec.deg],
                    rng_seed=spec["seed"], date=spec["date"], catalog=catalog_path.name,
                    cosmic_rays=cr_path.name)

    def write(p):
        af = asdf.AsdfFile()
        af.tree = {"roman": im, "romanisim": tree_sim}
        with open(p, "wb") as fh:
            af.write_to(fh)

    _write_atomic(l1_path, write)


# ---------------------------------------------------------------- L2 (romancal)

def make_reference_files(refdir, detector):
    """Constant reference files stating romanisim's no-CRDS instrument, for the overrides."""
    import roman_datamodels.datamodels as rdm

    refdir.mkdir(parents=True, exist_ok=True)
    det = f"WFI{detector:02d}"
    n = 4096
    paths = {}

    def save(model, reftype):
        model.meta.instrument.detector = det
        path = refdir / f"{reftype}_{det}.asdf"
        if not path.exists():
            _write_atomic(path, lambda p: model.save(p))
        paths[reftype] = str(path)

    m = rdm.MaskRefModel.create_fake_data(shape=(n, n))
    m.dq[...] = 0
    save(m, "mask")
    m = rdm.SaturationRefModel.create_fake_data(shape=(n, n))
    m.data[...] = SATURATION
    m.dq[...] = 0
    save(m, "saturation")
    m = rdm.ReadnoiseRefModel.create_fake_data(shape=(n, n))
    m.data[...] = READNOISE
    save(m, "readnoise")
    m = rdm.GainRefModel.create_fake_data(shape=(n, n))
    m.data[...] = GAIN
    save(m, "gain")
    m = rdm.DarkRefModel.create_fake_data(shape=(n, n))
    m.dark_slope[...] = DARK / GAIN  # DN/s, as the ramp fit's slopes
    m.dark_slope_error[...] = 0
    m.dq[...] = 0
    save(m, "dark")
    return paths


def with_inverse(gw, degree=6):
    """romanisim's gwcs (galsim's TAN-SIP as a forward-only polynomial chain) with an analytic
    inverse: a polynomial fitted from the tangent plane back to pixels. Without one, gwcs 1.0.3
    (with astropy 8) fails in its numerical inverse (`'Pix2Sky_Gnomonic' object has no attribute
    '__name__'`), which romancal's resample calls."""
    import gwcs
    import numpy as np
    from astropy.modeling import fitting, models

    fwd = gw.forward_transform
    leaves = list(fwd)
    rot = next(m for m in leaves if isinstance(m, models.RotateNative2Celestial))
    x0, y0 = -leaves[0].offset.value, -leaves[1].offset.value
    (xlo, xhi), (ylo, yhi) = gw.bounding_box.bounding_box(order="F")
    pad = 16  # fit a little beyond the detector, for points just outside it
    x, y = np.meshgrid(np.linspace(xlo - pad, xhi + pad, 81), np.linspace(ylo - pad, yhi + pad, 81))
    ra, dec = fwd(x, y)
    to_plane = models.RotateCelestial2Native(rot.lon.value, rot.lat.value, rot.lon_pole.value) | models.Pix2Sky_TAN().inverse
    u, v = to_plane(ra, dec)
    fit = fitting.LinearLSQFitter()
    px = fit(models.Polynomial2D(degree), u, v, x - x0)
    py = fit(models.Polynomial2D(degree), u, v, y - y0)
    err = np.hypot(px(u, v) - (x - x0), py(u, v) - (y - y0)).max()
    if err > 0.01:
        raise RuntimeError(f"the fitted inverse WCS is off by {err:.3f} pixel")
    inverse = to_plane | models.Mapping((0, 1, 0, 1)) | (px & py) | (models.Shift(x0) & models.Shift(y0))
    fwd = fwd.copy()
    fwd.inverse = inverse
    out = gwcs.WCS([(gw.input_frame, fwd), (gw.output_frame, None)])
    out.bounding_box = gw.bounding_box.bounding_box(order="F")
    return out


def _offline_crds():
    """romancal records the CRDS context of the references it used; there is no CRDS here, and
    every reference is an override, so that bookkeeping call answers "offline"."""
    from stpipe import crds_client

    crds_client.get_context_used = lambda observatory: "offline"
    crds_client.get_svn_version = lambda: "offline"


def calibrate_l2(l1_path, l2_path, refdir, detector):
    import asdf
    from romancal.assign_wcs.assign_wcs import add_s_region
    from romancal.pipeline import ExposurePipeline

    _offline_crds()
    refs = make_reference_files(refdir, detector)
    result = ExposurePipeline.call(str(l1_path), save_results=False, steps={
        "dq_init": {"override_mask": refs["mask"]},
        "saturation": {"override_saturation": refs["saturation"]},
        "refpix": {"skip": True},
        "dark_decay": {"skip": True},
        "wfi18_transient": {"skip": True},
        "linearity": {"skip": True},
        "rampfit": {"override_readnoise": refs["readnoise"], "override_gain": refs["gain"],
                    "record_jumps": True},
        "dark_current": {"override_dark": refs["dark"]},
        "assign_wcs": {"skip": True},
        "photom": {"skip": True},
        "flatfield": {"skip": True},
        "source_catalog": {"skip": True},
        "tweakreg": {"skip": True},
    })
    model = result[0] if isinstance(result, tuple) else result
    with asdf.open(l1_path, lazy_load=True, memmap=False) as af:
        model.meta["wcs"] = with_inverse(af.tree["romanisim"]["wcs"])
    add_s_region(model)
    model.meta.filename = l2_path.name
    _write_atomic(l2_path, lambda p: model.save(p))
    model.close()


# ---------------------------------------------------------------- L3 (romancal)

def mosaic_l3(l2_paths, product, outdir):
    from romancal.associations.asn_from_list import asn_from_list
    from romancal.pipeline import MosaicPipeline

    _offline_crds()
    asn = json.loads(asn_from_list([p.name for p in l2_paths], product_name=product).dump()[1])
    asn.pop("target", None)  # no target: with one, resample asks CRDS for a sky-cell grid
    asn_path = outdir / f"{product}_asn.json"
    asn_path.write_text(json.dumps(asn, indent=1) + "\n")
    cwd = os.getcwd()
    os.chdir(outdir)  # the association names its members relative to itself
    try:
        MosaicPipeline.call(asn_path.name, output_dir=str(outdir), save_results=True,
                            resample_on_skycell=False, steps={
            "flux": {"skip": True},
            "skymatch": {"skip": True},
            "outlier_detection": {"skip": True},
            "source_catalog": {"skip": True},
        })
    finally:
        os.chdir(cwd)
    made = sorted(outdir.glob(f"{product}*.asdf"))
    if not made:
        raise RuntimeError(f"MosaicPipeline wrote no {product}*.asdf in {outdir}")
    return made[0]


# ---------------------------------------------------------------- truth

def _footprint(model):
    import numpy as np

    ny, nx = model.data.shape
    corners = np.array([[-0.5, -0.5], [nx - 0.5, -0.5], [nx - 0.5, ny - 0.5], [-0.5, ny - 0.5]])
    ra, dec = model.meta.wcs(corners[:, 0], corners[:, 1], with_bounding_box=False)
    return [[float(a), float(d)] for a, d in zip(ra, dec)]


def _covers(model, ra, dec):
    import numpy as np

    ny, nx = model.data.shape
    x, y = model.meta.wcs.world_to_pixel_values(ra, dec)
    inside = bool(np.isfinite(x) and np.isfinite(y) and -0.5 <= x < nx - 0.5 and -0.5 <= y < ny - 0.5)
    return inside, [float(x), float(y)]


def _pointing(meta):
    w = meta.wcsinfo
    return {"ra_ref": float(w.ra_ref), "dec_ref": float(w.dec_ref), "roll_ref": float(w.roll_ref),
            "v2_ref": float(w.v2_ref), "v3_ref": float(w.v3_ref), "aperture": str(w.aperture_name),
            "pa_aperture": float(meta.pointing.pa_aperture)}


def make_truth(corpus, names, l3_path, rec, versions):
    import numpy as np
    import roman_datamodels.datamodels as rdm

    files = {}
    l3 = rdm.open(l3_path)
    ny, nx = l3.data.shape
    cx, cy = (nx - 1) / 2, (ny - 1) / 2
    ra_c, dec_c = (float(v) for v in l3.meta.wcs(cx, cy))
    members = [str(m) for m in l3.meta.resample.members]
    ctx = np.asarray(l3.context)
    bits = [int(b) for b in np.atleast_1d(ctx[:, round(cy), round(cx)])]
    in_ctx = [members[i] for i in range(len(members)) if bits[i // 32] & (1 << (i % 32))]

    covered_by = []
    l2_models = {}
    for key in names:
        spec = EXPOSURES[key]
        base = base_name(spec)
        l1_name, l2_name = f"{base}_uncal.asdf", f"{base}_cal.asdf"
        l2 = rdm.open(corpus / l2_name)
        covers, pix = _covers(l2, ra_c, dec_c)
        if covers:
            covered_by.append(l2_name)
        centre_in, centre_pix = _covers(l2, *CENTRE)
        l2_models[l2_name] = l2
        exposure = {"visit": spec["visit"], "exposure": spec["exposure"], "roll": spec["roll"],
                    "dither_px": list(spec["dither"]), "start_time": spec["date"]}
        det = str(l2.meta.instrument.detector)

        # cosmic rays: romanisim's hits (truth) vs the pipeline's JUMP_DET and jump_indices
        hits = np.load(corpus / f"{base}_cosmic_rays.npz")
        r, y, x = hits["resultant"].astype(int), hits["y"].astype(int) - BORDER, hits["x"].astype(int) - BORDER
        keep = (y >= 0) & (x >= 0) & (y < l2.data.shape[0]) & (x < l2.data.shape[1])
        r, y, x = r[keep], y[keep], x[keep]
        flat = y * l2.data.shape[1] + x
        uniq, first, count = np.unique(flat, return_index=True, return_counts=True)
        jump = (np.asarray(l2.dq) & 4) > 0
        ji = np.asarray(l2.jump_indices) if "jump_indices" in l2 else np.zeros((0, 3), int)
        ji_set = {(int(a), int(b), int(c)) for a, b, c in ji}
        truth_mask = np.zeros(l2.data.shape, bool)
        truth_mask.flat[uniq] = True
        rng = np.random.default_rng(spec["seed"])
        single = uniq[(count == 1) & (r[first] >= 1)]  # one hit, after the first resultant
        single_r = {int(f): int(rr) for f, rr in zip(flat[first], r[first])}
        flagged = [int(f) for f in single if jump.flat[f]]
        missed = [int(f) for f in single if not jump.flat[f]]

        def sample(cands, k, rng=rng):
            cands = np.asarray(cands, dtype=np.int64)
            return [int(c) for c in rng.choice(cands, size=min(k, len(cands)), replace=False)] if len(cands) else []

        def px(f, with_r=True, width=l2.data.shape[1], single_r=single_r, ji_set=ji_set):
            yy, xx = divmod(int(f), width)
            d = {"x": xx, "y": yy}
            if with_r:
                d["resultant"] = single_r[int(f)]
                d["in_jump_indices"] = (single_r[int(f)], yy, xx) in ji_set
            return d

        clean = np.flatnonzero(~truth_mask.ravel() & ~jump.ravel() & (np.asarray(l2.dq).ravel() == 0))
        files[l1_name] = {
            "level": 1, "model_type": "ScienceRawModel", "made_by": f"romanisim {versions['romanisim']}",
            "detector": det, "exposure": exposure, "pointing": _pointing(l2.meta),
            "shape": [5, 4096, 4096], "l2": l2_name,
            "cosmic_rays": {
                "truth_file": f"{base}_cosmic_rays.npz",
                "hits": len(r), "pixels_hit": len(uniq),
                "note": "pixel (x, y) here are L2 pixels; in the L1 array add 4 (reference border)",
            },
        }
        files[l2_name] = {
            "level": 2, "model_type": "ImageModel",
            "made_by": f"romancal {versions['romancal']} ExposurePipeline (ramp fit 'likely' with jump detection)",
            "wcs_from": f"romanisim {versions['romanisim']} (galsim Roman WCS, usecrds=False); assign_wcs skipped",
            "detector": det, "exposure": exposure, "pointing": _pointing(l2.meta),
            "shape": list(l2.data.shape), "l1": l1_name, "footprint": _footprint(l2),
            "covers_l3_centre": covers, "l3_centre_pixel": pix,
            "covers_target": centre_in, "target_pixel": centre_pix,
            "jump_det_pixels": int(jump.sum()), "jump_indices": len(ji),
            "cosmic_rays": {
                "truth_pixels_hit": len(uniq),
                "truth_pixels_flagged_jump_det": int((truth_mask & jump).sum()),
                "jump_det_without_truth_hit": int((jump & ~truth_mask).sum()),
                "flagged": [px(f) for f in sample(flagged, 20)],
                "missed": [px(f) for f in sample(missed, 5)],
                "clean": [px(f, with_r=False) for f in sample(clean, 10)],
                "note": ("flagged/missed: romanisim put exactly one cosmic-ray hit in this pixel, "
                         "in `resultant`; flagged ones carry JUMP_DET (4) in dq; clean: no hit, dq 0"),
            },
        }

    # probes: points 50 pixels in from each L2's corners, and which L2s (by WCS) and which
    # members of the L3 (by its context) cover each: the coverage differs from point to point
    probes = []
    for name, l2 in l2_models.items():
        ny2, nx2 = l2.data.shape
        for x2, y2 in ((50, 50), (nx2 - 51, 50), (nx2 - 51, ny2 - 51), (50, ny2 - 51)):
            ra_p, dec_p = (float(v) for v in l2.meta.wcs(x2, y2))
            xl, yl = (float(v) for v in l3.meta.wcs.world_to_pixel_values(ra_p, dec_p))
            probe = {"radec": [ra_p, dec_p], "from": [name, x2, y2], "l3_pixel": [xl, yl],
                     "covered_by": [n for n, m in l2_models.items() if _covers(m, ra_p, dec_p)[0]]}
            ix, iy = round(xl), round(yl)
            if 0 <= ix < nx and 0 <= iy < ny:
                b = [int(v) for v in np.atleast_1d(ctx[:, iy, ix])]
                probe["l3_context_members"] = [members[i] for i in range(len(members))
                                               if b[i // 32] & (1 << (i % 32))]
            probes.append(probe)
    for l2 in l2_models.values():
        l2.close()

    files[l3_path.name] = {
        "level": 3, "model_type": type(l3).__name__,
        "made_by": f"romancal {versions['romancal']} MosaicPipeline (resample only)",
        "shape": list(l3.data.shape), "members": members,
        "centre_pixel": [cx, cy], "centre_radec": [ra_c, dec_c],
        "covered_by": covered_by, "context_members_at_centre": in_ctx, "probes": probes,
        "footprint": _footprint(l3),
    }
    l3.close()
    return {"recipe": rec, "versions": versions, "target_radec": list(CENTRE), "files": files}


# ---------------------------------------------------------------- driver

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path)
    ap.add_argument("--size", choices=sorted(SIZES), default="full")
    ap.add_argument("--print-recipe", action="store_true", help="print the recipe (JSON) and stop")
    args = ap.parse_args(argv)
    if args.print_recipe:
        print(json.dumps(recipe(args.size), sort_keys=True))
        return 0
    if args.root is None:
        ap.error("--root is required")
    from importlib.metadata import version

    versions = {p: version(p) for p in ("romanisim", "romancal", "roman_datamodels", "galsim", "stcal", "stpipe")}
    corpus = args.root / f"corpus-{args.size}"
    corpus.mkdir(parents=True, exist_ok=True)
    rec = recipe(args.size)
    t_all = time.time()
    timings = corpus / "timings.json"
    times = json.loads(timings.read_text()) if timings.exists() else {}

    def took(stage, t):
        times[stage] = round(time.time() - t, 1)
        timings.write_text(json.dumps(times, indent=1) + "\n")
        log(f"{stage}: {times[stage]} s")

    cat = corpus / "catalog.ecsv"
    if not cat.exists():
        t = time.time()
        make_catalog(cat)
        took("catalog", t)

    l2_paths = []
    for key in SIZES[args.size]:
        spec = EXPOSURES[key]
        base = base_name(spec)
        l1, l2, cr = corpus / f"{base}_uncal.asdf", corpus / f"{base}_cal.asdf", corpus / f"{base}_cosmic_rays.npz"
        if not l1.exists():
            t = time.time()
            log(f"{key}: romanisim L1 {l1.name}")
            simulate_l1(spec, cat, l1, cr)
            took(f"{key}_romanisim_l1", t)
        if not l2.exists():
            t = time.time()
            log(f"{key}: romancal ExposurePipeline -> {l2.name}")
            calibrate_l2(l1, l2, args.root / "references", spec["detector"])
            took(f"{key}_romancal_l2", t)
        l2_paths.append(l2)

    product = f"r0099901001_{BANDPASS.lower()}_{args.size}"
    made = sorted(corpus.glob(f"{product}*.asdf"))
    if made:
        l3 = made[0]
    else:
        t = time.time()
        log(f"romancal MosaicPipeline -> {product}")
        l3 = mosaic_l3(l2_paths, product, corpus)
        took("romancal_l3", t)

    t = time.time()
    truth = make_truth(corpus, SIZES[args.size], l3, rec, versions)
    (corpus / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    took("truth", t)
    took("this_run_total", t_all)
    for leftover in (corpus / ".part").glob("*"):  # from an interrupted write
        leftover.unlink()
    if (corpus / ".part").exists():
        (corpus / ".part").rmdir()
    log(f"corpus {corpus} done")


if __name__ == "__main__":
    sys.exit(main())

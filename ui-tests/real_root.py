"""The root of the JupyterLab the `real` browser tests use: the real-products corpus (romanisim L1s,
romancal L2s and L3, `make real-data`) linked into ui-tests/.real (the server refuses links that
leave its root, so hard links, else copies), a user's residual of the first exposure, and
real.json: what the tests check, from truth.json and from Python on the same files.

    python real_root.py CORPUS ROOT
"""

import json
import os
import shutil
import sys
import warnings
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.coordinates import SkyCoord
from astropy.io import fits
from scipy.ndimage import uniform_filter

import roman_lab


def link(src, dst):
    if dst.exists() and dst.stat().st_ino == src.stat().st_ino:
        return
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # another file system
        shutil.copyfile(src, dst)


def residual(l2, out):
    """The exposure minus a 5 x 5 box-smoothed copy of itself: a stand-in for a user's model
    residual (point sources and cosmic rays stand out); a FITS image without a WCS, as a user's
    own code writes it, which borrows the exposure's in the viewer."""
    if out.exists():
        return
    with roman_lab.open(l2) as rf:
        data = rf.read("data").astype(np.float32)
    finite = np.where(np.isfinite(data), data, 0)
    tmp = out.with_suffix(".tmp")
    fits.PrimaryHDU(data - uniform_filter(finite, 5)).writeto(tmp, overwrite=True)
    tmp.rename(out)


def file_facts(path):
    """Filter, exposure time and read pattern as roman_datamodels reads them (not roman-lab)."""
    import roman_datamodels as rdm

    with open(path, "rb") as fh, rdm.open(fh) as model:
        exposure = model.meta.exposure
        return {"filter": str(model.meta.instrument.optical_element), "exposure_time": float(exposure.exposure_time),
                "read_pattern": [[int(r) for r in group] for group in exposure.read_pattern]}


def missed_hit_found(l2, rays, cache):
    """A cosmic ray the pipeline did not flag that Python's ramps find (the browser must too)."""
    with roman_lab.open(l2) as rf:
        wcs = rf.wcs
    for hit in rays["missed"]:
        ra, dec = wcs(hit["x"], hit["y"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = roman_lab.ramps(l2, (SkyCoord(ra, dec, unit="deg"), 0.05 * u.arcsec), cache_dir=cache)
        if any((j["x"], j["y"], j["resultant"]) == (hit["x"], hit["y"], hit["resultant"]) for j in found.jumps):
            return hit
    raise SystemExit(f"none of the hits the pipeline missed in {l2.name} is found by roman_lab.ramps")


def main(corpus, root):
    corpus, root = Path(corpus), Path(root)
    root.mkdir(parents=True, exist_ok=True)
    truth = json.loads((corpus / "truth.json").read_text())
    for name in truth["files"]:
        link(corpus / name, root / name)
    levels = {n: f["level"] for n, f in truth["files"].items()}
    mosaic = next(n for n, lv in levels.items() if lv == 3)
    first = next(n for n, lv in levels.items() if lv == 2)
    residual_name = first.replace("_cal.asdf", "_residual.fits")
    residual(root / first, root / residual_name)
    cache = root.parent / ".real-stores"  # Python's own store cache for the pick, outside the root
    rays = truth["files"][first]["cosmic_rays"]
    real = {
        "mosaic": mosaic,
        "members": truth["files"][mosaic]["members"],
        "centre_radec": truth["files"][mosaic]["centre_radec"],
        "covered_by": truth["files"][mosaic]["covered_by"],
        "bandpass": truth["recipe"]["bandpass"],
        "exposures": {n: {"detector": f["detector"], "start_time": f["exposure"]["start_time"], "l1": f["l1"],
                          **file_facts(root / n)}
                      for n, f in truth["files"].items() if f["level"] == 2},
        "ramps": {"exposure": first, "flagged": rays["flagged"][0], "missed": missed_hit_found(root / first, rays, cache)},
        "residual": residual_name,
    }
    (root / "real.json").write_text(json.dumps(real, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:3])

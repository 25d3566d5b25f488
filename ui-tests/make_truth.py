"""What the browser tests compare the viewer against: pixel values and sky coordinates that
Python (roman_datamodels, gwcs) gives for the small demo's first L2 exposure."""

import json
import sys
from pathlib import Path

import numpy as np
import roman_datamodels as rdm


def main(demo_dir):
    demo_dir = Path(demo_dir)
    manifest = json.loads((demo_dir / "demo.json").read_text())
    name = sorted(n for n in manifest["files"] if n.endswith("_cal.asdf"))[0]
    with rdm.open(demo_dir / name) as model:
        data = np.asarray(model.data, dtype=np.float64)
        ny, nx = data.shape
        ys, xs = np.mgrid[0:ny:16, 0:nx:16]
        ra, dec = model.meta.wcs(xs.ravel().astype(float), ys.ravel().astype(float))
        dq = np.asarray(model.dq)
        jy, jx = np.nonzero(dq & 4)  # JUMP_DET
        from astropy.visualization import ZScaleInterval

        truth = {
            "zscale": [float(v) for v in ZScaleInterval().get_limits(model.data)],
            "jumps": [{"x": int(x), "y": int(y), "flags": int(dq[y, x])} for x, y in zip(jx[:20], jy[:20])],
            "file": name,
            "shape": [ny, nx],
            "data": [[None if not np.isfinite(v) else float(v) for v in row] for row in data],
            "sky": [{"x": int(x), "y": int(y), "ra": float(r), "dec": float(d)} for x, y, r, d in zip(xs.ravel(), ys.ravel(), ra, dec)],
        }
    truth["blink"] = blink_truth(demo_dir, manifest)
    (demo_dir.parent / "truth.json").write_text(json.dumps(truth))


def blink_truth(demo_dir, manifest, box=12):
    """For the blink test: a bright star near the faint cosmic ray, its pixel in the mosaic
    (the reference frame), and for every exposure covering it the affine map mosaic pixel ->
    exposure pixel there (gwcs, finite differences) with the exposure's pixels around it.
    Also writes the demo algorithm's model and residual of the exposure with the glitch."""
    cr = manifest["faint_cosmic_ray"]
    with rdm.open(demo_dir / manifest["mosaic"]["file"]) as mosaic:
        data = np.asarray(mosaic.data, dtype=np.float64)
        mx, my = mosaic.meta.wcs.world_to_pixel_values(cr["ra"], cr["dec"])
        y0, x0 = int(round(my)), int(round(mx))
        near = data[y0 - 30 : y0 + 31, x0 - 30 : x0 + 31]
        j, i = np.unravel_index(np.nanargmax(near), near.shape)
        rx, ry = float(x0 - 30 + i), float(y0 - 30 + j)
        ra, dec = (float(v) for v in mosaic.meta.wcs(rx, ry))
        exposures = []
        for name in manifest["mosaic"]["members"]:
            with rdm.open(demo_dir / name) as exposure:
                ny, nx = exposure.data.shape

                def to_exposure(x, y):
                    return np.array(exposure.meta.wcs.world_to_pixel_values(*mosaic.meta.wcs(x, y)))

                ex, ey = to_exposure(rx, ry)
                if not (box <= ex < nx - box and box <= ey < ny - box):
                    continue
                h = 1.0
                dx = (to_exposure(rx + h, ry) - to_exposure(rx - h, ry)) / (2 * h)
                dy = (to_exposure(rx, ry + h) - to_exposure(rx, ry - h)) / (2 * h)
                ix, iy = int(round(ex)), int(round(ey))
                values = np.asarray(exposure.data[iy - box : iy + box + 1, ix - box : ix + box + 1], dtype=np.float64)
                exposures.append({
                    "file": name,
                    # exposure pixel = at + jacobian @ (mosaic pixel - (rx, ry))
                    "at": [float(ex), float(ey)],
                    "jacobian": [[float(dx[0]), float(dy[0])], [float(dx[1]), float(dy[1])]],
                    "origin": [ix - box, iy - box],
                    "values": values.tolist(),
                })
    return {
        "cosmic_ray": {key: cr[key] for key in ("exposure", "ra", "dec", "resultant", "pixels")},
        "mosaic": manifest["mosaic"]["file"],
        "star": {"ra": ra, "dec": dec, "x": rx, "y": ry},
        "glitch": cr["exposure"],
        "exposures": exposures,
        "user_images": run_demo_algorithm(demo_dir, cr["exposure"]),
    }


def run_demo_algorithm(demo_dir, exposure):
    """The demo's photon_torpedo.py on one exposure: the user's model and residual images."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("photon_torpedo", demo_dir / "photon_torpedo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = [Path(p).name for p in module.torpedo(demo_dir / exposure, demo_dir)]
    # the residual once more as a bare FITS image without a WCS: it must borrow the exposure's
    from astropy.io import fits

    with rdm.open(demo_dir / written[1]) as residual:
        fits_name = Path(written[1]).with_suffix(".fits").name
        fits.PrimaryHDU(np.asarray(residual.data, dtype=np.float32)).writeto(demo_dir / fits_name, overwrite=True)
    return written + [fits_name]


if __name__ == "__main__":
    main(sys.argv[1])

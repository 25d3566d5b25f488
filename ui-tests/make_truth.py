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
    (demo_dir.parent / "truth.json").write_text(json.dumps(truth))


if __name__ == "__main__":
    main(sys.argv[1])

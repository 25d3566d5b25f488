"""photon_torpedo: an example of *your own* algorithm, run on a Roman L2 exposure.

It fits a smooth model of the exposure (a background from block medians plus the sources,
smoothed by a small Gaussian), and writes the model and the residual (data - model) next to
each other as Roman L2 files that carry the exposure's WCS, ready to blink against it.

    python photon_torpedo.py EXPOSURE_cal.asdf [OUTDIR]

or, from Python:

    from photon_torpedo import torpedo
    model_path, residual_path = torpedo("EXPOSURE_cal.asdf", "outdir")

Uses only numpy, scipy, astropy and roman_datamodels. Replace the body of `fit_model` with
your own science.
"""

import sys
from pathlib import Path

import numpy as np
import roman_datamodels.datamodels as rdm
from roman_datamodels.dqflags import pixel as dqflags
from scipy import ndimage

BLOCK = 32  # pixels per background block
DETECT_SIGMA = 4.0


def fit_model(data, err, good):
    """A smooth model of an image: block-median background plus Gaussian-smoothed sources."""
    ny, nx = data.shape
    by, bx = -(-ny // BLOCK), -(-nx // BLOCK)
    padded = np.full((by * BLOCK, bx * BLOCK), np.nan, np.float32)
    padded[:ny, :nx] = np.where(good, data, np.nan)
    blocks = padded.reshape(by, BLOCK, bx, BLOCK).transpose(0, 2, 1, 3).reshape(by, bx, -1)
    medians = np.nanmedian(blocks, axis=2)
    medians = np.where(np.isfinite(medians), medians, np.nanmedian(medians))
    medians = ndimage.median_filter(medians, size=3, mode="nearest")
    background = ndimage.zoom(medians, BLOCK, order=1, mode="nearest", grid_mode=True)[:ny, :nx].astype(np.float32)

    filled = np.where(good, data, background)
    excess = filled - background
    sources = excess > DETECT_SIGMA * np.where(np.isfinite(err), err, np.inf)
    sources = ndimage.binary_dilation(sources, iterations=3)
    smooth = ndimage.gaussian_filter(excess, 1.0)
    return (background + np.where(sources, smooth, 0)).astype(np.float32)


def torpedo(path, outdir=None):
    """Model and residual of one L2 exposure; returns the two paths written."""
    path = Path(path)
    outdir = Path(outdir) if outdir is not None else path.parent
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    # by file handle: given a name, roman_datamodels passes it to asdf as a URL ('#', '?' cut it)
    with path.open("rb") as fh, rdm.open(fh) as exposure:
        data = np.asarray(exposure.data, dtype=np.float32)
        err = np.asarray(exposure.err, dtype=np.float32)
        bad = dqflags.DO_NOT_USE | dqflags.JUMP_DET
        good = np.isfinite(data) & ((np.asarray(exposure.dq) & bad) == 0)
        model = fit_model(data, err, good)
        for suffix, values in (("model", model), ("residual", data - model)):
            product = exposure.copy()
            product.data = values.astype(np.float32)
            target = outdir / f"{path.stem}_{suffix}.asdf"
            save(product, target)
            written.append(target)
    return tuple(written)


def save(model, path):
    """`model.save(path)` for any file name, through a file handle (see `torpedo`).

    roman_datamodels' `to_asdf` takes only a path, so its two lines are written out here with
    the model's (private) node."""
    model.meta.filename = path.name
    asdf_file = model.open_asdf()
    asdf_file["roman"] = model._instance
    with path.open("wb") as fh:
        asdf_file.write_to(fh, all_array_compression="lz4")


def main(argv):
    if len(argv) not in (1, 2):
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 2
    for target in torpedo(*argv):
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

'''demo.ipynb: the science case, walked through in cells that run on the demo data set.

The notebook is built from CELLS, a list of (name, kind, source) entries: to add a step (for
example the viewer cells), insert an entry in the list. Each cell is tagged with its name.
Cells run with the data-set folder as the working directory and use only what is installed
with roman-lab's core (no plotting library).
'''

from typing import NamedTuple

import nbformat

NOTEBOOK = "demo.ipynb"


class Cell(NamedTuple):
    name: str
    kind: str  # "markdown" or "code"
    source: str


CELLS = [
    Cell("title", "markdown", """\
# A faint glitch near a low surface brightness galaxy

This folder holds a synthetic Roman WFI field made by `roman-lab demo`: eight calibrated
exposures (Level 2, `*_cal.asdf`) of the low surface brightness galaxy LSB-D1, taken on three
detectors at two roll angles, their up-the-ramp data (Level 1, `*_uncal.asdf`) and the Level 3
mosaic made from them (`*_coadd.asdf`). Everything is built with `roman_datamodels` and
validates against the Roman schemas.

The science case: on the galaxy's faint outskirts, something looks like a small knot.
Is it a star-forming clump, or a cosmic ray that the pipeline did not flag? We go from the
mosaic to the exposures behind it, then to the ramps of the suspicious pixels."""),
    Cell("setup", "code", """\
import json
from pathlib import Path

import numpy as np
import roman_datamodels.datamodels as rdm
from roman_datamodels.dqflags import pixel as dqflags

manifest = json.loads(Path("demo.json").read_text())
galaxy = manifest["galaxy"]
print(f"{galaxy['name']} at RA {galaxy['ra']:.5f}, Dec {galaxy['dec']:.5f}")
print(f"{len(manifest['exposures'])} exposures on {', '.join(manifest['detectors'])}, "
      f"{manifest['detector_pixels']} x {manifest['detector_pixels']} science pixels each")"""),
    Cell("mosaic-intro", "markdown", """\
## 1. The mosaic

The Level 3 mosaic is a `MosaicModel` in MJy/sr on a north-up TAN grid. Its WCS is a gwcs
object: `pixel -> sky` with `mosaic.meta.wcs(x, y)`, `sky -> pixel` with `.invert(ra, dec)`."""),
    Cell("mosaic-open", "code", """\
mosaic = rdm.open(manifest["mosaic"]["file"])
scale = mosaic.meta.wcsinfo.pixel_scale * 3600
print(f"{type(mosaic).__name__}: {mosaic.data.shape[1]} x {mosaic.data.shape[0]} pixels of {scale:.3f} arcsec")
x, y = mosaic.meta.wcs.invert(galaxy["ra"], galaxy["dec"])
centre = mosaic.data[int(round(float(y))), int(round(float(x)))]
print(f"galaxy centre at mosaic pixel ({float(x):.1f}, {float(y):.1f}): {centre:.4f} MJy/sr")"""),
    Cell("lineage-intro", "markdown", """\
## 2. Lineage: which exposures made the mosaic

`meta.resample.members` names the Level 2 files that went into the mosaic, and
`meta.individual_image_meta` keeps a table of their metadata (one row per member)."""),
    Cell("lineage", "code", """\
members = list(mosaic.meta.resample.members)
tables = mosaic.meta.individual_image_meta
for i, name in enumerate(members):
    print(f"{i}  {name}  {tables.instrument['detector'][i]}  "
          f"roll {tables.wcsinfo['roll_ref'][i]:6.1f}  start {tables.exposure['start_time'][i]}")"""),
    Cell("feature-intro", "markdown", """\
## 3. The suspicious feature

`demo.json` records where the faint, unflagged cosmic ray was planted. The mosaic's `context`
array says which members contributed to each mosaic pixel (bit *i* of plane *i // 32* for
member *i*; a member whose pixel there was flagged, e.g. by a cosmic ray, does not count)."""),
    Cell("feature-context", "code", """\
cr = manifest["faint_cosmic_ray"]
mx, my = (int(round(float(v))) for v in mosaic.meta.wcs.invert(cr["ra"], cr["dec"]))
bits = mosaic.context[:, my, mx]
contributors = [m for i, m in enumerate(members) if (int(bits[i // 32]) >> (i % 32)) & 1]
print(f"RA {cr['ra']:.6f}, Dec {cr['dec']:.6f} is mosaic pixel ({mx}, {my});")
print(f"{len(contributors)} of {len(members)} exposures contribute there:")
print(*contributors, sep="\\n")"""),
    Cell("blink-intro", "markdown", """\
## 4. Blink the exposures (in numbers)

For every exposure that covers the position, compare the pixel with the local background,
in units of that pixel's error. A real knot shows in all of them; a glitch in one."""),
    Cell("blink", "code", """\
print(f"{'exposure':52s} {'x':>5s} {'y':>5s} {'excess/err':>10s}  JUMP_DET")
for name in members:
    with rdm.open(name) as exp:
        ex, ey = (int(round(float(v))) for v in exp.meta.wcs.invert(cr["ra"], cr["dec"]))
        ny, nx = exp.data.shape
        if not (0 <= ex < nx and 0 <= ey < ny):
            continue
        around = exp.data[max(ey - 8, 0):ey + 9, max(ex - 8, 0):ex + 9]
        excess = (exp.data[ey, ex] - np.nanmedian(around)) / float(exp.err[ey, ex])
        jump = bool(exp.dq[ey, ex] & dqflags.JUMP_DET)
        print(f"{name:52s} {ex:5d} {ey:5d} {excess:10.1f}  {jump}")"""),
    Cell("ramp-intro", "markdown", """\
## 5. The ramp of the suspicious pixel

The Level 1 file of the same exposure (`_cal` -> `_uncal`) holds the resultants: means of
groups of reads (`meta.exposure.read_pattern`). A cosmic ray adds charge at one moment, so it
shows as one resultant difference far above its expected noise (read noise and Poisson
noise). L1 pixels include a 4-pixel reference border: L1 pixel = L2 pixel + 4."""),
    Cell("ramp", "code", """\
noise = manifest["noise"]
pixel = cr["pixels"][0]
with rdm.open(cr["uncal"]) as raw, rdm.open(cr["exposure"]) as cal:
    ramp = np.asarray(raw.data[:, pixel["l1_y"], pixel["l1_x"]], dtype=float)
    pattern, frame_time = raw.meta.exposure.read_pattern, raw.meta.exposure.frame_time
    flagged = bool(cal.dq[pixel["y"], pixel["x"]] & dqflags.JUMP_DET)

reads = [frame_time * np.asarray(group, dtype=float) for group in pattern]
t = np.array([r.mean() for r in reads])
n = np.array([len(r) for r in reads])
cov = np.array([[np.minimum.outer(a, b).mean() for b in reads] for a in reads])  # Poisson, per unit rate
k = np.arange(1, len(t))
diffs, dt = np.diff(ramp), np.diff(t)
others = k != cr["resultant"]
rate = diffs[others].sum() / dt[others].sum()
sigma = np.sqrt(noise["read_noise_dn"] ** 2 * (1 / n[k] + 1 / n[k - 1])
                + max(rate, 0) / noise["gain_e_per_dn"] * (cov[k, k] + cov[k - 1, k - 1] - 2 * cov[k, k - 1]))
print(f"pixel L2 ({pixel['x']}, {pixel['y']}) = L1 ({pixel['l1_x']}, {pixel['l1_y']}); rate {rate:.3f} DN/s")
print(f"{'resultant':>9s} {'time s':>8s} {'DN':>8s} {'diff':>8s} {'sigma':>7s}")
for i in range(len(t)):
    row = f"{i:9d} {t[i]:8.2f} {ramp[i]:8.0f}"
    if i:
        row += f" {(diffs[i - 1] - rate * dt[i - 1]) / sigma[i - 1]:+8.1f} {sigma[i - 1]:7.2f}"
    print(row)
print(f"JUMP_DET in the L2 DQ: {flagged}  (recorded: {cr['significance']} sigma at resultant {cr['resultant']})")"""),
    Cell("algorithm-intro", "markdown", """\
## 6. Run your own algorithm

`photon_torpedo.py` stands for your code: it fits a smooth model to an exposure and writes
the model and the residual as Roman files carrying the exposure's WCS, to blink against it.
From a terminal: `python photon_torpedo.py EXPOSURE_cal.asdf [OUTDIR]`."""),
    Cell("algorithm", "code", """\
from photon_torpedo import torpedo

model_path, residual_path = torpedo(cr["exposure"], "torpedo_output")
with rdm.open(cr["exposure"]) as cal, rdm.open(residual_path) as residual:
    same_wcs = np.allclose(cal.meta.wcs(10.0, 20.0), residual.meta.wcs(10.0, 20.0), rtol=0, atol=1e-12)
    x, y = pixel["x"], pixel["y"]
    print(f"wrote {model_path} and {residual_path}; same WCS as the exposure: {same_wcs}")
    print(f"residual at the suspicious pixel: {residual.data[y, x] / float(cal.err[y, x]):.1f} sigma")"""),
    Cell("next", "markdown", """\
## Next

The same steps, by eye: open the mosaic in the Roman viewer, draw a circle around the knot,
load the exposures that cover it, blink them with one stretch, and open the ramps of the
pixels in the circle. Viewer cells are added below as roman-lab grows."""),
]


def build(cells=CELLS):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for cell in cells:
        make = nbformat.v4.new_code_cell if cell.kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(make(cell.source, id=cell.name, metadata={"tags": [cell.name]}))
    nbformat.validate(nb)
    return nb


def write(path, cells=CELLS):
    nbformat.write(build(cells), str(path))

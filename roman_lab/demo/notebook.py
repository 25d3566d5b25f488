'''demo.ipynb: the science case, walked through in cells that run on the demo data set.

The notebook is built from CELLS, a list of (name, kind, source) entries: to add a step,
insert an entry in the list. Each cell is tagged with its name.
Cells run with the data-set folder as the working directory, unattended too (nbclient in the
tests): the viewer keeps its state in Python, so no cell needs a browser. They use only what is
installed with roman-lab's core; the ramp plot needs matplotlib and says so when it is missing.
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
mosaic to the exposures behind it, blink them, open the ramps of the suspicious pixels, run
our own model on the exposure, and save the whole view to come back to it.

The viewer, `roman_lab.Viewer`, is the Roman viewer of JupyterLab in a notebook output. What
Python sets on it (images, stretch, circles, ...) is kept in Python too, so this notebook also
runs unattended, top to bottom, without a browser."""),
    Cell("setup", "code", """\
import json
from pathlib import Path

import astropy.units as u
import numpy as np
import roman_datamodels.datamodels as rdm
from astropy.coordinates import SkyCoord
from regions import CircleSkyRegion
from roman_datamodels.dqflags import pixel as dqflags

from roman_lab import Viewer, find_exposures, sky_to_pixel

manifest = json.loads(Path("demo.json").read_text())
mosaic = manifest["mosaic"]["file"]
galaxy = manifest["galaxy"]
pixel = manifest["pixel_scale_arcsec"] * u.arcsec  # one detector pixel on the sky
print(f"{galaxy['name']} at RA {galaxy['ra']:.5f}, Dec {galaxy['dec']:.5f}; "
      f"{len(manifest['exposures'])} exposures of {manifest['detector_pixels']} x {manifest['detector_pixels']} "
      f"pixels of {pixel:.3f}")"""),
    Cell("open-intro", "markdown", """\
## 1. Open the mosaic

Drag to pan, scroll to zoom (`+`/`-`, `1` for one to one, `f` to fit). The status line shows
the pixel value, x, y, DQ flags and RA/Dec under the cursor."""),
    Cell("open", "code", """\
v = Viewer()
v.load(mosaic)
v.center_on(SkyCoord(galaxy["ra"], galaxy["dec"], unit="deg"))
v"""),
    Cell("circle-intro", "markdown", """\
## 2. Draw a circle around the knot

In the viewer above: the Circle tool (`C`), then drag from the knot's centre. `v.regions` is
every circle drawn, as `regions.CircleSkyRegion`; `v.get_region()` is the last one.

Nobody draws in an unattended run: then the next cell puts the circle where `demo.json`
recorded the knot, three pixels in radius."""),
    Cell("circle", "code", """\
if not v.regions:
    knot = manifest["faint_cosmic_ray"]
    v.add_region(CircleSkyRegion(SkyCoord(knot["ra"], knot["dec"], unit="deg"), 3 * pixel))
region = v.get_region()
v.center_on(region)
v.zoom_level = 8  # screen pixels per mosaic pixel
region"""),
    Cell("find-intro", "markdown", """\
## 3. Every exposure behind the circle

`find_exposures(region, mosaic=...)` reads the mosaic's lineage: its members
(`meta.resample.members`) that cover the circle, and from the `context` array whether each
one's pixels went into the mosaic there (`contributing`; a pixel the pipeline flagged, e.g. as
a cosmic ray, did not). The same call searches a folder (`root=`, a local SQLite index) or
MAST (`source="mast"`)."""),
    Cell("find", "code", """\
exposures = find_exposures(region, mosaic=mosaic)
exposures.to_table()["name", "start_time", "detector", "coverage", "x", "y", "contributing"]"""),
    Cell("load-intro", "markdown", """\
## 4. Load them all, with one stretch

The exposures join the mosaic in the viewer's blink stack, all drawn aligned on the sky in
the mosaic's frame. With `sync_stretch` on (the default) one display serves every image; the
percentile cuts are computed on each image's own pixels, so the mosaic (MJy/sr) and the
exposures (DN/s) look alike. `v.cuts` also takes a `(vmin, vmax)` pair, `"zscale"` or an
astropy interval; `v.stretch` an astropy stretch."""),
    Cell("load", "code", """\
v.load(exposures)
v.stretch = "asinh"
v.cuts = 99.5
v.colormap = "gray"
v.current = 1  # the first exposure
print(v)"""),
    Cell("blink-intro", "markdown", """\
## 5. Blink

`v.blink(0.5)` shows the next image every half second; the browser keeps time. In the viewer,
`N` shows the next image, `Shift+N` the previous one, and `Space` starts or stops blinking. A
real knot is in every exposure; a glitch flashes in one."""),
    Cell("blink", "code", """\
v.blink(0.5)"""),
    Cell("blink-stop", "code", """\
v.stop()
print(f"stopped on {v.current_image['name']}")"""),
    Cell("glitch-intro", "markdown", """\
## 6. Which exposure has the glitch?

What the eye does while blinking, in numbers: sample every exposure at the same sky points
inside the circle (half a pixel apart), leave out pixels the pipeline already flagged, and
compare each exposure with the median of the others, in units of its own error. A source on
the sky is in all of them; a cosmic ray stands out in one."""),
    Cell("glitch", "code", """\
r = region.radius.to_value(u.deg)
offsets = np.arange(-r, r + 1e-12, pixel.to_value(u.deg) / 2)
dra, ddec = np.meshgrid(offsets, offsets)
inside = np.hypot(dra, ddec) <= r
points = region.center.spherical_offsets_by(dra[inside] * u.deg, ddec[inside] * u.deg)

values, errors = [], []
for exposure in exposures:
    with rdm.open(exposure.path) as cal:
        ny, nx = cal.data.shape
        x, y = sky_to_pixel(cal.meta.wcs, points.ra.deg, points.dec.deg, shape=(ny, nx))
        x, y = np.nan_to_num(x, nan=-1.0), np.nan_to_num(y, nan=-1.0)  # NaN: not on this detector
        col, row = np.rint(x).astype(int), np.rint(y).astype(int)
        off = (col < 0) | (col >= nx) | (row < 0) | (row >= ny)
        col, row = col.clip(0, nx - 1), row.clip(0, ny - 1)
        flagged = (cal.dq[row, col] & (dqflags.DO_NOT_USE | dqflags.JUMP_DET)) != 0
        values.append(np.where(off | flagged, np.nan, cal.data[row, col]))
        errors.append(cal.err[row, col])
values, errors = np.array(values), np.array(errors)

others = np.array([np.nanmedian(np.delete(values, i, axis=0), axis=0) for i in range(len(exposures))])
excess = np.nanmax((values - others) / errors, axis=1)  # the strongest excess over the others, sigma
for exposure, sigma in zip(exposures, excess):
    print(f"{sigma:5.1f} sigma  {exposure.name}")
glitch = exposures[int(np.nanargmax(excess))]
print(f"the odd one out: {glitch.name}")"""),
    Cell("mark-intro", "markdown", """\
Show that exposure and mark it as suspicious (the mark is saved with the view)."""),
    Cell("mark", "code", """\
v.current = glitch
v.mark(glitch)
print(v)"""),
    Cell("ramps-intro", "markdown", """\
## 7. The ramps of the pixels in the circle

`v.ramps()` reads the Level 1 file behind the exposure on screen (`_cal` -> `_uncal`) and
returns the up-the-ramp samples of every pixel in the circle, each difference between
resultants tested against its expected noise (read noise and Poisson noise). `.jumps` lists
the jumps, with `pipeline_flagged` when the Level 2 DQ has `JUMP_DET` there. In the lab, the
same panel opens with the Ramps button under the circle or the `R` key;
`v.show_ramps()` opens it in this viewer."""),
    Cell("ramps", "code", """\
rs = v.ramps()
v.show_ramps()
print(rs)
jumps = rs.jumps
unflagged = jumps[~jumps["pipeline_flagged"] & ~jumps["saturated"]]
print(f"\\n{len(unflagged)} jump(s) the pipeline did not flag:")
unflagged"""),
    Cell("ramps-plot-intro", "markdown", """\
Counts against time for each pixel; the jump the pipeline missed is the orange star
(`rs.to_table()` has the numbers per pixel). A cosmic ray adds its charge at one moment: one
step, the same slope before and after. A clump on the sky would only make the slope steeper,
in every exposure."""),
    Cell("ramps-plot", "code", """\
try:
    rs.plot()
except ImportError as err:  # matplotlib is not a dependency of roman-lab
    print(err)"""),
    Cell("algorithm-intro", "markdown", """\
## 8. Run your own algorithm

`photon_torpedo.py` (in this folder) stands for your code: it fits a smooth model to an
exposure and writes the model and the residual as Roman files carrying the exposure's WCS.
Load both into the viewer next to the exposure: `N` and `Shift+N` then flip between
exposure, model and residual."""),
    Cell("algorithm", "code", """\
from photon_torpedo import torpedo

model, residual = torpedo(glitch.path, "torpedo_output")
v.load([model, residual])
for offset, image in enumerate([model, residual], start=1):
    v.move(image, v.current + offset)  # the stack order is the blink order
print(*(f"{i}: {e['name']}" for i, e in enumerate(v.images)), sep="\\n")"""),
    Cell("ab-intro", "markdown", """\
To blink just those three, a second viewer holds them, zoomed on the circle."""),
    Cell("ab", "code", """\
ab = Viewer()
ab.load([glitch, model, residual])
ab.add_region(region)
ab.center_on(region)
ab.zoom_level = 8
ab.stretch, ab.cuts = "asinh", 99.5
ab.blink(1.0)
ab"""),
    Cell("ab-stop", "code", """\
ab.stop()"""),
    Cell("save-intro", "markdown", """\
## 9. Save the view, restore it later

`save_state` writes the stack, the frame, the display, the circles, the marks and the open
ramp panel to a `NAME.romanview.json` file (docs/state.md; image paths relative to it, so the
folder can move). JupyterLab opens such a file in the Roman viewer too ("Save state" and
"Restore state" in the Roman panel do the same)."""),
    Cell("save", "code", """\
state = v.save_state("science_case.romanview.json")
restored = Viewer.from_state(state)
print(restored)
print("same images:", [e["name"] for e in restored.images] == [e["name"] for e in v.images])
restored"""),
    Cell("magics-intro", "markdown", """\
## The same in `%roman` magics

`%roman` acts on the viewer created last (here the restored one); `%roman help` lists the
subcommands (`open`, `region`, `find`, `load`, `stretch`, `blink`, `stop`, `ramps`, `save`,
`restore`)."""),
    Cell("magics", "code", """\
%load_ext roman_lab
%roman region
%roman stretch asinh 99.5
%roman ramps"""),
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

"""A stack of many demo exposures behind one point, a few hiding a faint jump the pipeline did not
flag: the truth `roman_lab.triage` is tested against (tests/test_triage.py).

Every exposure is simulated like the demo's (same sky, WCS, ramps, strong flagged cosmic rays),
at its own dither, roll and detector; then, in the circle around the target:
- `hidden`: one pixel gets a step between two resultants of `significance` sigma (the demo's
  own noise model of that difference at the pixel's rate), its DQ left clean: unflagged;
- `flagged`: one pixel gets a strong step with JUMP_DET set in its L2 DQ, as the pipeline
  leaves a cosmic ray it found;
- the rest: nothing added.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from roman_datamodels.dqflags import pixel as dqflags

from . import exposure as demo_exposure
from . import field, level1, level2
from . import wcs as demo_wcs
from .ramps import ReadPattern
from .sky import make_stars

TRUTH = "triage.json"
DETECTORS = ("WFI01", "WFI02", "WFI03")
STEP_RESULTANT = 3  # the hidden jump: between resultants 2 and 3


def target():
    """(RA, Dec) of the point the stack is behind: the demo's faint cosmic-ray place, on the
    galaxy's outskirts."""
    ra, dec = demo_wcs.tangent_to_sky(*field.FAINT_CR_OFFSET, field.GALAXY_RA, field.GALAXY_DEC)
    return float(ra), float(dec)


def make_stack(folder, n=24, hidden=(3, 10, 17), flagged=(5, 12, 20), significance=(4.5, 5.5, 6.0),
               radius_px=3, seed=1801, threads=2):
    """Write `n` L2/L1 pairs (the demo's small size) into `folder` and return the truth (also
    written as folder/triage.json): target, radius_arcsec, exposures, hidden, flagged."""
    folder = Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    size, ramp, stars = field.Size(small=True), ReadPattern(), make_stars()
    rng = np.random.default_rng(seed)
    ra, dec = target()
    truth = {"target": [ra, dec], "radius_arcsec": radius_px * size.scale, "exposures": [], "hidden": [],
             "flagged": []}
    sigmas = dict(zip(hidden, significance, strict=False))
    for i in range(n):
        ex = field.Exposure(10 + i // 4, i % 4 + 1, DETECTORS[i % 3], float(rng.uniform(0, 360)),
                            (float(rng.uniform(-120, 120)), float(rng.uniform(-120, 120))))
        data = demo_exposure.simulate(100 + i, ex, size, stars, ramp, threads=threads)
        tx, ty = (int(np.rint(v)) for v in data.wcs.backward_transform(ra, dec))
        if i in sigmas:
            truth["hidden"].append({"name": ex.cal_name, **_hide_jump(data, ramp, tx, ty, rng, radius_px, sigmas[i])})
        elif i in flagged:
            truth["flagged"].append({"name": ex.cal_name, **_flagged_jump(data, ramp, tx, ty, rng, radius_px)})
        for model, name in ((level1.build(data, size, ramp), ex.uncal_name), (level2.build(data, size, ramp), ex.cal_name)):
            model.save(folder / name)
        truth["exposures"].append(ex.cal_name)
    (folder / TRUTH).write_text(json.dumps(truth, indent=1))
    return truth


def _clean_pixel(data, tx, ty, rng, radius_px):
    """A pixel within radius_px - 1 of the target whose ramp has no flagged cosmic ray."""
    for _ in range(100):
        dx, dy = rng.integers(-(radius_px - 1), radius_px, size=2)
        x, y = tx + int(dx), ty + int(dy)
        if dx * dx + dy * dy <= (radius_px - 1) ** 2 and not data.l2["dq"][y, x] & dqflags.JUMP_DET:
            return x, y
    raise RuntimeError("no clean pixel near the target")


def _add_step(data, x, y, k, amplitude):
    b = field.REF_BORDER
    ramp = data.l1[:, y + b, x + b].astype(np.float64)
    ramp[k:] += amplitude
    data.l1[:, y + b, x + b] = np.clip(np.rint(ramp), 0, np.iinfo(np.uint16).max).astype(np.uint16)


def _hide_jump(data, ramp, tx, ty, rng, radius_px, sigma):
    x, y = _clean_pixel(data, tx, ty, rng, radius_px)
    rate = float(data.l2["data"][y, x])
    amplitude = sigma * float(ramp.difference_sigma(rate)[STEP_RESULTANT - 1])
    _add_step(data, x, y, STEP_RESULTANT, amplitude)
    return {"x": x, "y": y, "resultant": STEP_RESULTANT, "amplitude_dn": round(amplitude, 2), "sigma": sigma}


def _flagged_jump(data, ramp, tx, ty, rng, radius_px):
    x, y = _clean_pixel(data, tx, ty, rng, radius_px)
    amplitude = 40 * float(ramp.difference_sigma(float(data.l2["data"][y, x]))[1])
    _add_step(data, x, y, 2, amplitude)
    data.l2["dq"][y, x] |= dqflags.JUMP_DET
    return {"x": x, "y": y, "resultant": 2, "amplitude_dn": round(amplitude, 2)}

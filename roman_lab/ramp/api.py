"""`roman_lab.ramps(source, region)`: from an exposure and a sky circle to its ramps and jumps."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io import RomanFileError
from ..io.names import l2_name_for
from .extract import DEFAULT_MAX_PIXELS, extract_ramps
from .jumps import default_threshold, detect_jumps
from .noise import (
    DEFAULT_GAIN,
    DEFAULT_READ_NOISE_DN,
    DifferenceNoise,
    estimate_read_noise,
)
from .rampset import RampSet


def ramps(source, region, threshold=None, *, read_noise=None, gain=None, saturation=None, cache_dir=None,
          max_pixels=DEFAULT_MAX_PIXELS, download_to=None, mast=None):
    """The Level 1 ramps of every pixel whose centre is inside `region`, with their jumps.

    source: an L2 exposure (path, `RomanFile`, or an `Exposure` from `find_exposures`) whose L1
      is found with `level1_for`, or an L1 `_uncal` path (its L2 `_cal` beside it gives the WCS
      and DQ). A MAST exposure not on this computer is fetched into `download_to` when given.
    region: a `regions.CircleSkyRegion`, or (SkyCoord, radius); the radius is an angle Quantity
      (preferred) or a bare number of arcsec.
    threshold: significance (sigma) from which a step is a jump; default: the one allowing
      0.005 false jumps per ramp for Gaussian differences (`jumps.default_threshold`).
    read_noise (DN per read), gain (e-/DN): default: the read noise is estimated from the data
      (robust scatter of the ramps of the chunks read), the gain is the Roman-typical 2.0.
    saturation: DN from which a resultant is saturated (default: the top of the L1 data type);
      resultants the L2 DQ says saturated (a flat top) or the L1 group DQ flags are too.
    Raises RomanFileError (a ValueError) with a readable message for bad input.
    """
    l2_path, l1_path = _paths(source, download_to, mast)
    cube = extract_ramps(l2_path, region, cache_dir=cache_dir, max_pixels=max_pixels, l1_path=l1_path)
    try:
        noise = DifferenceNoise(cube.read_pattern, cube.frame_time)
    except ValueError as err:
        raise RomanFileError(f"{Path(cube.l1_path).name}: {err}", 422, cube.l1_path) from None
    saturated = _saturated(cube, saturation)
    gain = DEFAULT_GAIN if gain is None else float(gain)
    read_noise, source_text = _read_noise(noise, cube, saturated, read_noise, gain)
    threshold = default_threshold(noise.n_differences) if threshold is None else float(threshold)
    result = detect_jumps(noise, cube.counts, saturated, threshold, read_noise, gain)
    return RampSet(cube, result, saturated, threshold, read_noise, gain, source_text)


def _paths(source, download_to, mast):
    """(L2 path, L1 path or None) of the source."""
    from ..archive import Exposure

    if isinstance(source, Exposure):
        if source.local:
            return Path(source.path), None
        if source.source == "mast" and source.uri:
            if download_to is None:
                raise RomanFileError(
                    f"{source.name} is in MAST, not on this computer: pass download_to='a folder' to download "
                    "its L2 and L1 files there first (a few hundred MB each)", 404)
            return _download(source, Path(download_to).expanduser(), mast)
        raise RomanFileError(f"{source.name} is not on this computer (no local path)", 404)
    path = Path(getattr(source, "path", source)).expanduser()  # a RomanFile or a path
    if l2_name_for(path.name):
        l2 = path.with_name(l2_name_for(path.name))
        if not l2.exists():
            raise RomanFileError(f"ramps from the L1 {path.name} need its L2 for the sky position (WCS) and DQ; "
                                 f"looked for {l2}", 404, path)
        return l2, path
    if not path.exists():
        raise RomanFileError(f"{path} does not exist", 404, path)
    return path, None


def _download(exposure, folder, mast):
    from ..archive import level1_for
    from ..archive.mast import MastArchive

    folder.mkdir(parents=True, exist_ok=True)
    l2 = Path(MastArchive(**(mast or {})).download([exposure], folder, progress=True)[0])
    return l2, Path(level1_for(exposure, directory=folder, mast=mast))


def _saturated(cube, saturation):
    """(N, n) bool: at or above `saturation` (default the data type's top), flagged in the L1
    group DQ, or on the flat top of a pixel the L2 DQ calls saturated; and every later resultant."""
    from roman_datamodels.dqflags import (
        group as group_dq,  # here: roman_datamodels costs 0.4 s to import
    )
    from roman_datamodels.dqflags import pixel as pixel_dq

    counts = cube.counts
    level = cube.top if saturation is None else float(saturation)
    saturated = counts >= level
    if cube.groupdq is not None:
        saturated |= (cube.groupdq & group_dq.SATURATED) != 0
    if cube.dq is not None:
        plateau = counts >= counts.max(axis=1, keepdims=True) - 1.0
        saturated |= plateau & ((cube.dq & pixel_dq.SATURATED) != 0)[:, None]
    return np.logical_or.accumulate(saturated, axis=1)


def _read_noise(noise, cube, saturated, given, gain):
    """(read noise, where it came from)."""
    if given is not None:
        return float(given), "given"
    samples = [(cube.counts, saturated)]
    if cube.sample is not None:
        samples.append((cube.sample, cube.sample >= cube.top))
    counts = np.concatenate([c for c, _ in samples])
    sat = np.logical_or.accumulate(np.concatenate([s for _, s in samples]), axis=1)
    usable = ~(sat[:, 1:] | sat[:, :-1])
    estimate = estimate_read_noise(noise, counts, usable, gain=gain)
    if estimate is None:
        return DEFAULT_READ_NOISE_DN, "Roman-typical defaults: too few pixels to estimate the read noise"
    return estimate, f"read noise estimated from {len(counts)} ramps; Roman-typical gain"

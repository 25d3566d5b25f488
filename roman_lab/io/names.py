"""Roman file names, the one place that knows them: a product's level from its suffix (L1
`_uncal`, L2 `_cal`, L3 `_coadd` / `_i2d`), an L2's L1 and back, its detector, and which names
are FITS images (`.fits`, `.fits.gz`, `.fits.fz`, ...)."""

from __future__ import annotations

import re
from pathlib import Path

L1_SUFFIX, L2_SUFFIX = "_uncal.asdf", "_cal.asdf"
LEVEL_OF_PRODUCT = {"uncal": 1, "cal": 2, "coadd": 3, "i2d": 3}
FITS_SUFFIXES = (".fits", ".fit", ".fts", ".fits.gz", ".fit.gz", ".fts.gz", ".fits.fz")
_PRODUCT = re.compile(r"_([a-z0-9]+)\.asdf$", re.IGNORECASE)
_DETECTOR = re.compile(r"_wfi(\d\d)_", re.IGNORECASE)


def is_fits_name(path):
    """True for the file names roman-lab reads as FITS (case-insensitive suffix)."""
    return Path(path).name.lower().endswith(FITS_SUFFIXES)


def level_of_name(name):
    """The product level (1, 2, 3) a Roman file name says by its suffix, None when it says none."""
    match = _PRODUCT.search(Path(name).name)
    return LEVEL_OF_PRODUCT.get(match.group(1).lower()) if match else None


def detector_of_name(name):
    """"WFI02" from a Roman file name (..._wfi02_...), None when it names no detector."""
    match = _DETECTOR.search(Path(name).name)
    return f"WFI{match.group(1)}" if match else None


def l1_name_for(cal_name):
    """The L1 file name of an L2 by the Roman naming convention: ..._cal.asdf -> ..._uncal.asdf."""
    name = str(cal_name or "")
    return name[: -len(L2_SUFFIX)] + L1_SUFFIX if name.endswith(L2_SUFFIX) else None


def l2_name_for(uncal_name):
    """The L2 file name of an L1: ..._uncal.asdf -> ..._cal.asdf (None for another name)."""
    name = str(uncal_name or "")
    return name[: -len(L1_SUFFIX)] + L2_SUFFIX if name.endswith(L1_SUFFIX) else None


def display_name(path):
    """The name a file gets in a stack: its file name without `.asdf` or its FITS suffix."""
    name = Path(path).name
    for suffix in (".asdf", *sorted(FITS_SUFFIXES, key=len, reverse=True)):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name

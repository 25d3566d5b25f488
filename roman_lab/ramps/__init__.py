"""Up-the-ramp samples (Level 1 resultants) of the pixels inside a sky circle, with their jumps.

`roman_lab.ramps(source, region, threshold=None) -> RampSet`. This package is itself callable
as that function: `roman_lab.ramps` is the package once it is imported (Python binds
subpackages on their parent), so the call works whichever of the two it is.
"""

import sys
import types

from .api import ramps
from .extract import L1_BORDER, RampCube, extract_ramps, resultant_times
from .jumps import default_threshold, detect_jumps
from .noise import DifferenceNoise, estimate_read_noise
from .rampset import RampSet

__all__ = ["L1_BORDER", "DifferenceNoise", "RampCube", "RampSet", "default_threshold", "detect_jumps",
           "estimate_read_noise", "extract_ramps", "ramps", "resultant_times"]


class _CallablePackage(types.ModuleType):
    def __call__(self, source, region, threshold=None, **settings):
        return ramps(source, region, threshold, **settings)


sys.modules[__name__].__class__ = _CallablePackage

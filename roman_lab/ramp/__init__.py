"""Up-the-ramp samples (Level 1 resultants) of the pixels inside a sky circle, with their jumps.

The public call is `roman_lab.ramps(source, region, threshold=None) -> RampSet` (`.api.ramps`);
this package is named `ramp` so that `roman_lab.ramps` is always that function.
"""

from .api import ramps
from .extract import L1_BORDER, RampCube, extract_ramps, resultant_times
from .jumps import default_threshold, detect_jumps
from .noise import DifferenceNoise, estimate_read_noise
from .rampset import RampSet

__all__ = ["L1_BORDER", "DifferenceNoise", "RampCube", "RampSet", "default_threshold", "detect_jumps",
           "estimate_read_noise", "extract_ramps", "ramps", "resultant_times"]

"""Up-the-ramp samples (Level 1 resultants) of the pixels inside a sky circle of an L2 exposure.

Only extraction lives here so far: `extract_ramps(l2_path, region) -> RampCube`.
Jump detection is to come (issue 7).
"""

from .extract import L1_BORDER, RampCube, extract_ramps, resultant_times

__all__ = ["L1_BORDER", "RampCube", "extract_ramps", "resultant_times"]

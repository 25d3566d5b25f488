"""The demo field: where the galaxy is, which exposures look at it, and the detector model.

Everything that fixes the science content of the data set lives here, so that the full-size
and the small data set are the same field: `small` only shrinks the detectors and scales the
pixels up by the same factor (the sky in arcsec, the exposures, resultants and detectors stay).
"""

from dataclasses import dataclass, field

import numpy as np

GENERATOR_VERSION = "2"  # 2: the notebook walks the whole science case with roman_lab.Viewer
SEED = 20270315

FULL_NPIX = 4088  # science pixels of a WFI detector
SMALL_NPIX = 256
REF_BORDER = 4  # reference pixels on each side: L1 pixel = L2 pixel + 4
NATIVE_SCALE = 0.11  # arcsec per pixel
FILTER = "F158"

# The galaxy: a bulgeless low surface brightness disc in the direction of the Virgo cluster.
GALAXY_RA = 187.30725
GALAXY_DEC = 12.39108
GALAXY_NAME = "LSB-D1"

# Detector model (per read, in DN). The gain turns the rate in DN/s into Poisson variance.
FRAME_TIME = 3.04
READ_PATTERN = [[1], [2, 3], [4, 5, 6, 7], list(range(8, 16)), list(range(16, 28)), list(range(28, 40))]
READ_NOISE = 6.0
GAIN = 2.0
BIAS_LEVEL = 12000.0
BIAS_SPREAD = 700.0
SATURATION = 60000.0
ZEROPOINT_AB = 26.0  # AB magnitude of a source giving 1 DN/s

# Approximate focal-plane positions (arcsec) of the detectors used; not the SIAF values.
DETECTORS = {
    "WFI01": (1312.0, -1050.0),
    "WFI02": (1312.0, -1530.0),
    "WFI03": (1312.0, -2010.0),
}
V3YANGLE = -60.0
VPARITY = -1


PROGRAM, PLAN, PASS, SEGMENT, OBSERVATION = 42, 1, 1, 1, 1
GROUP, SEQUENCE, ACTIVITY = 1, 1, "01"


@dataclass(frozen=True)
class Exposure:
    """One L2/L1 pair: the detector that saw the galaxy, the roll, and where on it the galaxy fell."""

    visit: int
    exposure: int
    detector: str
    roll: float  # PA of V3, degrees east of north
    galaxy_offset: tuple  # arcsec, galaxy position in the detector's ideal frame (from its centre)

    @property
    def visit_id(self):
        """PPPPPCCAAASSSOOOVVV: program, execution plan, pass, segment, observation, visit."""
        return f"{PROGRAM:05d}{PLAN:02d}{PASS:03d}{SEGMENT:03d}{OBSERVATION:03d}{self.visit:03d}"

    @property
    def basename(self):
        """Roman file naming: r + visit id + group, sequence, activity + exposure + detector + filter."""
        return f"r{self.visit_id}{GROUP}{SEQUENCE}{ACTIVITY}_{self.exposure:04d}_{self.detector.lower()}_{FILTER.lower()}"

    @property
    def cal_name(self):
        return f"{self.basename}_cal.asdf"

    @property
    def uncal_name(self):
        return f"{self.basename}_uncal.asdf"


# Two visits at two rolls; a large gap-filling dither puts the galaxy on a neighbouring detector.
EXPOSURES = [
    Exposure(1, 1, "WFI02", 75.0, (-40.0, 25.0)),
    Exposure(1, 2, "WFI02", 75.0, (-18.5, 37.0)),
    Exposure(1, 3, "WFI02", 75.0, (-29.0, 8.0)),
    Exposure(1, 4, "WFI03", 75.0, (35.0, -30.0)),
    Exposure(2, 1, "WFI03", 112.0, (30.0, 20.0)),
    Exposure(2, 2, "WFI03", 112.0, (52.0, 34.0)),
    Exposure(2, 3, "WFI01", 112.0, (-25.0, -35.0)),
    Exposure(2, 4, "WFI01", 112.0, (-5.0, -48.0)),
]

# The faint cosmic ray the pipeline missed: which exposure, where (arcsec east/north of the
# galaxy centre, on the outskirts next to a star-forming clump), between which resultants.
FAINT_CR_EXPOSURE = 5
FAINT_CR_OFFSET = (-19.4, 11.9)
FAINT_CR_RESULTANT = 4  # between resultants 3 and 4: the biggest blip in the L2 rate for its significance
FAINT_CR_SIGNIFICANCE = 5.5  # target; the realised value is measured and recorded
FAINT_CR_SHAPE = [(0, 0, 1.0), (1, 0, 0.6), (1, 1, 0.25)]  # (dx, dy, fraction of the peak)

MOSAIC_NAME = f"r00042_p_v01_{GALAXY_NAME.lower().replace('-', '')}_{FILTER.lower()}_coadd.asdf"
FULL_MOSAIC_NPIX = 4096


@dataclass(frozen=True)
class Size:
    """Pixel-level sizes of one data-set flavour (the sky geometry does not depend on it)."""

    small: bool
    npix: int = field(init=False)
    scale: float = field(init=False)  # arcsec per pixel
    mosaic_npix: int = field(init=False)
    n_cosmic_rays: int = field(init=False)

    def __post_init__(self):
        npix = SMALL_NPIX if self.small else FULL_NPIX
        shrink = npix / FULL_NPIX
        object.__setattr__(self, "npix", npix)
        object.__setattr__(self, "scale", NATIVE_SCALE / shrink)
        object.__setattr__(self, "mosaic_npix", FULL_MOSAIC_NPIX * npix // FULL_NPIX)
        # about 1.5e-4 of the pixels are hit hard in 2 minutes; at least a few dozen events
        object.__setattr__(self, "n_cosmic_rays", max(40, int(1.5e-4 * npix * npix)))

    @property
    def pixel_area_sr(self):
        return (self.scale / 206264.80624709636) ** 2


def read_times(read_pattern=READ_PATTERN, frame_time=FRAME_TIME):
    """Mean time (s since reset) of each resultant."""
    return np.array([frame_time * np.mean(group) for group in read_pattern])


def mag_to_rate(mag):
    return 10 ** (-0.4 * (np.asarray(mag) - ZEROPOINT_AB))

"""Roman metadata for the demo products, filled the way the pipeline would fill it.

Models start from `create_fake_data` (so every required key exists and validates) and the
keys a person or a tool reads are then set to the truth of the simulation.
"""

import numpy as np
from astropy.time import Time, TimeDelta

from . import field
from . import wcs as demo_wcs

VISIT_START = {1: Time("2027-03-15T04:12:00", scale="utc"), 2: Time("2027-04-02T11:37:00", scale="utc")}
EXPOSURE_CADENCE = 150.0  # seconds between exposure starts in a visit
MA_TABLE = {"name": "DEMO_HLWAS_IMAGING_6R", "number": 1042, "id": "DEMO1042"}
PROGRAM_TITLE = "roman-lab demo: a low surface brightness galaxy (synthetic data)"


def _visit_start(visit):
    """The demo's two visits, and any later one (a triage stack's) a day after the one before."""
    if visit in VISIT_START:
        return VISIT_START[visit]
    return VISIT_START[max(VISIT_START)] + TimeDelta((visit - max(VISIT_START)) * 86400.0, format="sec")


def exposure_times(exposure, ramp):
    start = _visit_start(exposure.visit) + TimeDelta((exposure.exposure - 1) * EXPOSURE_CADENCE, format="sec")
    duration = ramp.last_read * ramp.frame_time
    return start, start + TimeDelta(duration, format="sec"), duration


def _dither_pattern(exposure):
    """Executed offsets (arcsec, x/y pairs) of the visit's exposures from its first one."""
    same = [e for e in field.EXPOSURES if e.visit == exposure.visit] or [exposure]  # a visit of its own
    x0, y0 = same[0].galaxy_offset
    return [float(v) for e in same for v in (x0 - e.galaxy_offset[0], y0 - e.galaxy_offset[1])]


def fill_common(meta, data, size, ramp, product_type):
    """Keys shared by L1 and L2: exposure, instrument, observation, pointing, visit, wcsinfo."""
    ex = data.exposure
    start, end, duration = exposure_times(ex, ramp)
    meta.product_type = product_type
    meta.file_date = Time.now()
    meta.calibration_software_name = "roman-lab demo generator"
    meta.calibration_software_version = field.GENERATOR_VERSION
    meta.prd_version = "synthetic"
    meta.sdf_software_version = "synthetic"

    exp = meta.exposure
    exp.type = "WFI_IMAGE"
    exp.start_time = start
    exp.end_time = end
    exp.engineering_quality = "OK"
    exp.data_problem = None
    exp.nresultants = ramp.nres
    exp.frame_time = ramp.frame_time
    exp.exposure_time = duration
    exp.effective_exposure_time = float(ramp.times[-1] - ramp.times[0])
    exp.ma_table_name = MA_TABLE["name"]
    exp.ma_table_number = MA_TABLE["number"]
    exp.ma_table_id = MA_TABLE["id"]
    exp.read_pattern = [list(g) for g in ramp.pattern]
    exp.truncated = False

    meta.instrument.name = "WFI"
    meta.instrument.detector = ex.detector
    meta.instrument.optical_element = field.FILTER

    obs = meta.observation
    obs.visit_id = ex.visit_id
    obs.observation_id = f"{ex.visit_id}{field.GROUP}{field.SEQUENCE}{field.ACTIVITY}{ex.exposure:04d}"
    obs.program = field.PROGRAM
    obs.execution_plan = field.PLAN
    setattr(obs, "pass", field.PASS)
    obs.segment = field.SEGMENT
    obs.observation = field.OBSERVATION
    obs.visit = ex.visit
    obs.visit_file_group = field.GROUP
    obs.visit_file_sequence = field.SEQUENCE
    obs.visit_file_activity = field.ACTIVITY
    obs.exposure = ex.exposure
    obs.wfi_parallel = False

    prog = meta.program
    prog.title = PROGRAM_TITLE
    prog.investigator_name = "roman-lab"
    prog.category = "GI"
    prog.subcategory = "None"
    prog.science_category = "Galaxies"

    v2_ref, v3_ref = field.DETECTORS[ex.detector]
    v1_ra, v1_dec = demo_wcs.v2v3_to_world(v2_ref, v3_ref, ex.roll, data.ra_ref, data.dec_ref)(0.0, 0.0)
    centre = (size.npix - 1) / 2
    ptg = meta.pointing
    ptg.ra_v1, ptg.dec_v1, ptg.pa_v3 = float(v1_ra), float(v1_dec), ex.roll
    ptg.pa_aperture = demo_wcs.position_angle_of_y(data.wcs, centre, centre)
    ptg.target_aperture = f"{ex.detector}_FULL"
    ptg.target_ra, ptg.target_dec = field.GALAXY_RA, field.GALAXY_DEC
    ptg.pointing_engineering_source = "CALCULATED"

    visit = meta.visit
    visit.type = "GENERAL_OBSERVATION"
    visit.start_time = _visit_start(ex.visit)
    visit.nexposures = sum(e.visit == ex.visit for e in field.EXPOSURES)
    visit.internal_target = False
    visit.wfi_acm_z_defocus_size = None
    visit.dither.primary_name = "DEMO_4POINT_GAP"
    visit.dither.subpixel_name = None
    visit.dither.executed_pattern = _dither_pattern(ex)

    info = meta.wcsinfo
    info.aperture_name = f"{ex.detector}_FULL"
    info.v2_ref, info.v3_ref = v2_ref, v3_ref
    info.vparity = field.VPARITY
    info.v3yangle = field.V3YANGLE
    info.ra_ref, info.dec_ref = data.ra_ref, data.dec_ref
    info.roll_ref = ex.roll
    info.s_region = demo_wcs.s_region(data.wcs, size.npix)

    va = meta.velocity_aberration
    va.ra_reference, va.dec_reference, va.scale_factor = data.ra_ref, data.dec_ref, 1.0
    meta.ephemeris.time = float(start.mjd)
    meta.ref_file.crds.version = "synthetic"
    meta.ref_file.crds.context = "synthetic"


def conversion_mjy_sr(size):
    """MJy/sr per DN/s: the zeropoint flux density spread over one pixel."""
    jansky = 3631.0 * 10 ** (-0.4 * field.ZEROPOINT_AB)
    return jansky * 1e-6 / size.pixel_area_sr


_MEMBER_TABLES = ("background", "cal_step", "coordinates", "ephemeris", "exposure", "guide_star", "instrument",
                  "observation", "photometry", "pointing", "program", "rcs", "ref_file", "source_catalog",
                  "velocity_aberration", "visit", "wcsinfo")


def _scalar(value):
    """A table cell: times as ISO strings, lists and None as text."""
    if isinstance(value, Time):
        return value.isot
    if value is None or isinstance(value, (list, tuple)):
        return str(value)
    return value.item() if isinstance(value, np.generic) else value


def individual_image_meta(metas):
    """The members' metadata as the resample step tabulates it: one table per metadata group
    (`basic` for the top-level keys), one row per member, nested values left out."""
    from astropy.table import Table

    rows = {}
    for meta in metas:
        basic = {}
        for key in meta:
            value = meta[key]
            if key in _MEMBER_TABLES:
                rows.setdefault(key, []).append(
                    {k: _scalar(value[k]) for k in value if not hasattr(value[k], "keys")}
                )
            elif not hasattr(value, "keys") and key != "wcs":
                basic[key] = _scalar(value)
        rows.setdefault("basic", []).append(basic)
    return {key: Table(rows=table) for key, table in rows.items() if table[0]}

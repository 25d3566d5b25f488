"""The L3 mosaic: the L2 exposures resampled onto a north-up TAN grid and averaged.

Each exposure is added as soon as it exists (so no exposure is kept in memory for later):
every mosaic pixel takes the exposure pixel its centre falls in (drizzle's point kernel),
pixels flagged DO_NOT_USE or JUMP_DET are left out, and the rest are averaged with
inverse read-noise variance weights ("ivm"). `context` is written as the resample step does:
bit i of plane j is set where member 32*j + i contributed. The mosaic -> exposure pixel map
is exact on a 32-pixel grid and interpolated in between (`PIXMAP_STEP`).
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import roman_datamodels.datamodels as rdm
from astropy.time import Time
from roman_datamodels.dqflags import pixel as dqflags

from . import field
from . import meta as demo_meta
from . import wcs as demo_wcs

BAD_BITS = dqflags.DO_NOT_USE | dqflags.JUMP_DET
GOOD_BITS = "~DO_NOT_USE+JUMP_DET"
PIXMAP_STEP = 32
BLOCK_ROWS = 256


class MosaicBuilder:
    def __init__(self, size, n_members, threads=2):
        self.size = size
        self.n = n = size.mosaic_npix
        self.wcs = demo_wcs.mosaic_wcs(field.GALAXY_RA, field.GALAXY_DEC, size)
        self.threads = threads
        self.sum_w = np.zeros((n, n), np.float32)
        self.sum_wd = np.zeros((n, n), np.float32)
        self.sum_w2vp = np.zeros((n, n), np.float32)
        self.sum_w2vr = np.zeros((n, n), np.float32)
        self.exptime = np.zeros((n, n), np.float32)
        self.context = np.zeros(((n_members + 31) // 32, n, n), np.uint32)
        self.members = []
        self.pixmap_errors = []

    def pixel_map(self, exposure_wcs):
        """Mosaic pixel -> exposure pixel, interpolated from a coarse grid."""
        def exact(x, y):
            return exposure_wcs.backward_transform(*self.wcs.forward_transform(x, y))

        return demo_wcs.PixelMap(exact, (self.n, self.n), step=PIXMAP_STEP)

    def add(self, index, l2, exposure_time, conversion):
        """Resample member `index` (its L2 arrays dict and gwcs) onto the mosaic."""
        pixmap = self.pixel_map(l2["wcs"])
        data, dq = l2["data"], l2["dq"]
        var_p, var_r = l2["var_poisson"], l2["var_rnoise"]
        ny, nx = data.shape
        self.pixmap_errors.append(pixmap.max_error(where=lambda a, b: (a > -1) & (a < nx) & (b > -1) & (b < ny)))
        plane, bit = divmod(index, 32)
        conv = np.float32(conversion)

        def block(y0):
            y1 = min(self.n, y0 + BLOCK_ROWS)
            x, y = pixmap.block(y0, y1)
            xi, yi = np.rint(x).astype(np.int32), np.rint(y).astype(np.int32)
            inside = (xi >= 0) & (xi < nx) & (yi >= 0) & (yi < ny)
            flat = np.where(inside, yi * nx + xi, 0)
            d = data.ravel()[flat]
            vr = var_r.ravel()[flat].astype(np.float32)
            good = inside & np.isfinite(d) & (dq.ravel()[flat] & BAD_BITS == 0) & (vr > 0)
            w = np.where(good, 1.0 / np.where(good, vr, 1) / conv**2, 0).astype(np.float32)
            vp = var_p.ravel()[flat].astype(np.float32)
            rows = slice(y0, y1)
            self.sum_w[rows] += w
            self.sum_wd[rows] += w * np.where(good, d, 0) * conv
            self.sum_w2vp[rows] += w**2 * np.where(good, vp, 0) * conv**2
            self.sum_w2vr[rows] += w**2 * np.where(good, vr, 0) * conv**2
            self.exptime[rows] += good * np.float32(exposure_time)
            self.context[plane, rows] |= good.astype(np.uint32) << np.uint32(bit)

        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            list(pool.map(block, range(0, self.n, BLOCK_ROWS)))

    def arrays(self):
        covered = self.sum_w > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = np.where(covered, 1.0 / self.sum_w, np.nan).astype(np.float32)
            data = (self.sum_wd * inv).astype(np.float32)
            var_p = (self.sum_w2vp * inv**2).astype(np.float32)
            var_r = (self.sum_w2vr * inv**2).astype(np.float32)
        return {
            "data": data,
            "err": np.sqrt(var_p + var_r).astype(np.float32),
            "var_poisson": var_p,
            "var_rnoise": var_r,
            "weight": self.sum_w,
            "context": self.context,
        }, covered

    def build(self, member_metas, name):
        """The MosaicModel, with lineage: resample members and individual_image_meta."""
        arrays, covered = self.arrays()
        model = rdm.MosaicModel.create_fake_data(shape=(2, 2))
        for key, value in arrays.items():
            model[key] = value
        m = model.meta
        m.filename = name
        m.product_type = "l3"
        m.calibration_software_name = "roman-lab demo generator"
        m.calibration_software_version = field.GENERATOR_VERSION
        m.wcs = self.wcs
        starts = [mm.exposure.start_time for mm in member_metas]
        ends = [mm.exposure.end_time for mm in member_metas]
        m.coadd_info.time_first = min(starts)
        m.coadd_info.time_last = max(ends)
        m.coadd_info.time_mean = Time(np.mean([s.mjd for s in starts]), format="mjd", scale="utc")
        m.coadd_info.time_mean.format = "isot"
        m.coadd_info.exposure_time = float(self.exptime[covered].mean())
        m.coadd_info.max_exposure_time = float(self.exptime.max())
        m.individual_image_meta = demo_meta.individual_image_meta(member_metas)
        m.instrument.name = "WFI"
        m.instrument.optical_element = field.FILTER
        obs = m.observation
        obs.program, obs.execution_plan, obs.segment, obs.observation = (
            field.PROGRAM, field.PLAN, field.SEGMENT, field.OBSERVATION)
        setattr(obs, "pass", field.PASS)
        obs.visit = None
        obs.exposure = None
        obs.exposure_grouping = "full"
        m.program.title = demo_meta.PROGRAM_TITLE
        m.program.investigator_name = "roman-lab"
        m.program.category = "GI"
        m.program.subcategory = "None"
        m.program.science_category = "Galaxies"
        good = arrays["data"][covered]
        median = float(np.median(good))
        m.statistics.image_median = median
        m.statistics.image_rms = float(np.mean(np.abs(good - median)))
        m.statistics.good_pixel_fraction = float(covered.mean())
        m.association.name = name.replace("_coadd.asdf", "_asn")
        m.cal_step.flux = "COMPLETE"
        m.cal_step.outlier_detection = "INCOMPLETE"
        m.cal_step.skymatch = "INCOMPLETE"
        m.cal_step.resample = "COMPLETE"
        m.resample = {
            "good_bits": GOOD_BITS,
            "pixel_scale_ratio": 1.0,
            "pixfrac": 0.0,
            "pixmap_order": 3,
            "pixmap_stepsize": PIXMAP_STEP,
            "pointings": len(member_metas),
            "members": [mm.filename for mm in member_metas],
            "weight_type": "ivm",
        }
        self._wcsinfo(m.wcsinfo)
        return model

    def _wcsinfo(self, info):
        n, scale = self.n, self.size.scale / 3600.0
        centre = (n - 1) / 2.0
        ra, dec = self.wcs(centre, centre)
        info.ra_ref, info.dec_ref = field.GALAXY_RA, field.GALAXY_DEC
        info.x_ref = info.y_ref = centre
        info.pixel_scale_ref = info.pixel_scale = scale
        info.projection = "TAN"
        info.s_region = demo_wcs.s_region(self.wcs, n)
        info.image_shape = [n, n]
        info.ra, info.dec = float(ra), float(dec)
        info.orientation = info.orientation_ref = 0.0
        info.skycell_name = f"demo_{field.GALAXY_NAME.lower()}"
        info.rotation_matrix = [[1.0, 0.0], [0.0, 1.0]]


"""The L2 product: an ImageModel with the fitted rate (DN/s), its variances, DQ and gwcs."""

import numpy as np
import roman_datamodels.datamodels as rdm
from roman_datamodels.dqflags import pixel as dqflags

from . import field, meta

L2_STEPS = ("assign_wcs", "dark", "dark_decay", "dq_init", "flat_field", "flux", "linearity", "outlier_detection",
            "photom", "source_catalog", "ramp_fit", "refpix", "saturation", "skymatch", "tweakreg", "wfi18_transient")
L2_STEPS_DONE = ("assign_wcs", "dark", "dq_init", "flat_field", "linearity", "photom", "ramp_fit", "refpix",
                 "saturation")


def build(data, size, ramp):
    model = rdm.ImageModel.create_fake_data(shape=(2, 2))
    m = model.meta
    meta.fill_common(m, data, size, ramp, product_type="l2")
    m.filename = data.exposure.cal_name
    m.wcs = data.wcs
    conversion = meta.conversion_mjy_sr(size)
    m.photometry.conversion_megajanskys = conversion
    m.photometry.conversion_megajanskys_uncertainty = 0.02 * conversion
    m.photometry.pixel_area = size.pixel_area_sr
    m.background = {"level": data.sky_level, "method": "None", "subtracted": False}
    m.cal_step = {step: "COMPLETE" if step in L2_STEPS_DONE else "INCOMPLETE" for step in L2_STEPS}
    m.outlier_detection = {"good_bits": "~DO_NOT_USE+NON_SCIENCE"}
    rate, dq = data.l2["data"], data.l2["dq"]
    good = np.isfinite(rate) & (dq & (dqflags.DO_NOT_USE | dqflags.JUMP_DET) == 0)
    median = float(np.median(rate[good]))
    m.statistics = {
        "zodiacal_light": data.sky_level * conversion,
        "image_median": median,
        "image_rms": float(np.mean(np.abs(rate[good] - median))),
        "good_pixel_fraction": float(good.mean()),
    }

    for key in ("data", "dq", "err", "var_poisson", "var_rnoise", "chisq", "dumo"):
        model[key] = data.l2[key]
    n = size.npix
    model.dq2 = np.zeros((n, n), np.uint32)
    b = field.REF_BORDER
    l1 = data.l1
    model.amp33 = data.amp33
    model.border_ref_pix_left = l1[:, :, :b].astype(np.float32)
    model.border_ref_pix_right = l1[:, :, -b:].astype(np.float32)
    model.border_ref_pix_top = l1[:, -b:, :].astype(np.float32)
    model.border_ref_pix_bottom = l1[:, :b, :].astype(np.float32)
    model.dq_border_ref_pix_left = np.zeros((n + 2 * b, b), np.uint32)
    model.dq_border_ref_pix_right = np.zeros((n + 2 * b, b), np.uint32)
    model.dq_border_ref_pix_top = np.zeros((b, n + 2 * b), np.uint32)
    model.dq_border_ref_pix_bottom = np.zeros((b, n + 2 * b), np.uint32)
    return model

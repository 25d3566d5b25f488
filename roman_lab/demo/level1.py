"""The L1 product: a ScienceRawModel holding the uint16 resultants, reference border included."""

import roman_datamodels.datamodels as rdm

from . import meta


def build(data, size, ramp):
    model = rdm.ScienceRawModel.create_fake_data(shape=(ramp.nres, 2, 2))
    meta.fill_common(model.meta, data, size, ramp, product_type="l1")
    model.meta.filename = data.exposure.uncal_name
    model.data = data.l1
    model.amp33 = data.amp33
    return model

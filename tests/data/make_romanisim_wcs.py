"""Makes romanisim_wfi07_wcs.asdf: the L2 WCS romanisim writes when it runs without CRDS.

Run once, in a throwaway environment with romanisim (0.15.0 made the committed file; it
brings galsim, whose galsim.roman SIP distortion this is, and needs no network):

    python -m venv /tmp/rsim-venv && /tmp/rsim-venv/bin/pip install romanisim
    /tmp/rsim-venv/bin/python tests/data/make_romanisim_wcs.py

The tests read the file with asdf + gwcs only. Besides the gwcs it keeps 200 pixels (some off
the detector) and galsim's own sky positions of them, as an independent sky -> pixel check.
"""

import copy
import warnings
from pathlib import Path

import asdf
import galsim
import numpy as np
import romanisim
from romanisim.models import parameters, wcs

warnings.simplefilter("ignore")
metadata = copy.deepcopy(parameters.default_parameters_dictionary)
metadata["instrument"]["detector"] = "WFI07"
metadata["instrument"]["optical_element"] = "F158"
imwcs = wcs.get_wcs(metadata, usecrds=False)  # a galsim GSFitsWCS (galsim.roman)
gw = wcs.convert_wcs_to_gwcs(imwcs)  # what romanisim.image.make_asdf stores as meta.wcs
rng = np.random.default_rng(7)
x, y = rng.uniform(-500, 4600, 200), rng.uniform(-500, 4600, 200)
ra, dec = imwcs._radec(x.copy(), y.copy())  # galsim shifts its arguments in place
tree = {
    "wcs": gw,
    "romanisim_version": romanisim.__version__,
    "galsim_version": galsim.__version__,
    "detector": "WFI07",
    "galsim_x": x,
    "galsim_y": y,
    "galsim_ra": np.degrees(ra),
    "galsim_dec": np.degrees(dec),
    "how": "romanisim.models.wcs.convert_wcs_to_gwcs(get_wcs(default_parameters_dictionary with WFI07, "
           "usecrds=False)); galsim_*: galsim's own _radec of 200 pixels (0-based, as the gwcs)",
}
asdf.AsdfFile(tree).write_to(Path(__file__).with_name("romanisim_wfi07_wcs.asdf"))

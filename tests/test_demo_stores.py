"""The store service on the demo field: every Roman file converts, and each store's TAN-SIP
header reproduces the file's own gwcs to well under the 0.05 px goal."""

import numpy as np
import roman_datamodels as rdm

import roman_lab


def test_every_demo_file_converts(small_demo, tmp_path):
    names = [n for n in small_demo["files"] if n.endswith(".asdf")]
    for name in names:
        store = roman_lab.convert(small_demo.path(name), cache_dir=tmp_path, progress=False)
        info = roman_lab.open(small_demo.path(name))
        assert store.level == info.level
        if store.level == 1:
            assert store.arrays["data"].shape == tuple(info.arrays["data"]["shape"])
            continue
        assert store.sip_max_error_px < 0.05, name
        with rdm.open(small_demo.path(name)) as model:
            ny, nx = model.data.shape
            rng = np.random.default_rng(0)
            x, y = rng.uniform(0, nx - 1, 200), rng.uniform(0, ny - 1, 200)
            ra, dec = model.meta.wcs(x, y)
            sx, sy = store.fits_wcs.all_world2pix(ra, dec, 0)
            assert np.max(np.hypot(sx - x, sy - y)) < 0.05, name
            np.testing.assert_array_equal(store.arrays["data"][:], model.data)
        info.close()


def test_store_statistics_carry_astropy_zscale_and_histeq_ranks(small_demo, tmp_path):
    from astropy.visualization import ZScaleInterval

    name = small_demo["exposures"][0]["cal"]
    store = roman_lab.convert(small_demo.path(name), cache_dir=tmp_path, progress=False)
    stats = store.statistics
    with rdm.open(small_demo.path(name)) as model:
        expected = ZScaleInterval().get_limits(model.data)
        finite = np.sort(model.data[np.isfinite(model.data)].ravel())
    np.testing.assert_allclose(stats["zscale"], expected, rtol=1e-6)
    q = np.asarray(stats["quantiles"])
    assert len(q) == 1025 and np.all(np.diff(q) >= 0)
    assert q[0] == finite[0] and q[-1] == finite[-1]

"""roman_lab.store.convert: layout, pyramid, statistics, TAN-SIP WCS, cache, atomicity, errors."""

import errno
import json
import os
import threading
import time
import warnings

import numpy as np
import pytest
from romanfiles import (
    CAL,
    FRAME_TIME,
    READ_PATTERN,
    UNCAL,
    bad_files,
    distorted_wcs,
    make_l1,
    make_l2,
    make_l3,
)

from roman_lab.io import RomanFileError
from roman_lab.store import Store, convert, open_store
from roman_lab.store import cache as scache
from roman_lab.store import converter as sconvert
from roman_lab.store.imaging import downsample2, statistics


@pytest.fixture
def cache(tmp_path):
    d = tmp_path / "cache"
    d.mkdir()
    return d


def _conv(path, cache, **kw):
    kw.setdefault("progress", False)
    return convert(path, cache_dir=cache, **kw)


def test_l2_layout_pyramid_stats_wcs(tmp_path, cache):
    n = 1100
    p = make_l2(tmp_path / CAL, shape=(n, n), wcs=distorted_wcs(n, scale_arcsec=0.11 * 4088 / n), nan_block=True)
    events = []
    s = _conv(p, cache, on_progress=lambda f, m: events.append((f, m)))
    assert isinstance(s, Store) and s.complete and s.level == 2 and s.model_type == "ImageModel"
    assert s.path.parent == cache and s.id == s.path.name
    assert set(s.arrays) == {"data", "err", "dq"}
    data = s.arrays["data"]
    assert data.shape == (n, n) and data.dtype == np.float32 and data.chunks == (512, 512)
    assert s.arrays["err"].dtype == np.float32 and s.arrays["dq"].dtype == np.uint32
    meta = json.loads((s.path / "data" / "0" / "zarr.json").read_text())
    assert [c["name"] for c in meta["codecs"]] == ["bytes", "zstd"]
    assert meta["zarr_format"] == 3
    # the values round-trip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from roman_lab.io import open as ropen

        with ropen(p) as f:
            src = f.read("data")
            np.testing.assert_array_equal(s.arrays["dq"][...], f.read("dq"))
    np.testing.assert_array_equal(data[...], src)
    # pyramid: 1100 -> 550 -> 275, NGFF multiscales on the data group
    levels = s.levels
    assert [lv.shape for lv in levels] == [(1100, 1100), (550, 550), (275, 275)]
    assert levels[-1].chunks == (275, 275)  # the coarsest level is one chunk
    ome = json.loads((s.path / "data" / "zarr.json").read_text())["attributes"]["ome"]
    ms = ome["multiscales"][0]
    assert ome["version"] == "0.5" and [d["path"] for d in ms["datasets"]] == ["0", "1", "2"]
    assert ms["datasets"][1]["coordinateTransformations"][0] == {"type": "scale", "scale": [2.0, 2.0]}
    lv1 = levels[1][...]
    np.testing.assert_allclose(lv1, downsample2(src), rtol=1e-6)
    blk = src[2:4, 2:4]  # a block with NaN: mean of the finite ones
    assert lv1[1, 1] == pytest.approx(np.nanmean(np.where(np.isfinite(blk), blk, np.nan)))
    assert np.isnan(lv1[0, 0])  # an all-NaN block stays NaN
    # statistics vs numpy on the same data (1.21 M pixels: no subsampling)
    st = s.statistics
    fin = src[np.isfinite(src)]
    assert st["finite"] == fin.size and st["nan"] == int(np.isnan(src).sum())
    assert st["min"] == pytest.approx(fin.min()) and st["max"] == pytest.approx(fin.max())
    for q in (0.5, 1, 5, 50, 95, 99, 99.5, 99.9):
        key = str(q) if not float(q).is_integer() else str(int(q))
        assert st["percentiles"][key] == pytest.approx(np.percentile(fin, q), rel=1e-6)
    counts, _ = np.histogram(fin.astype(np.float64), bins=256, range=(float(fin.min()), float(fin.max())))
    assert st["histogram"]["counts"] == counts.tolist() and len(st["histogram"]["counts"]) == 256
    # TAN-SIP: within the stated error of the gwcs on random pixels, and under the goal
    assert s.sip_max_error_px is not None and s.sip_max_error_px < 0.05
    w, gw = s.fits_wcs, distorted_wcs(n, scale_arcsec=0.11 * 4088 / n)
    rng = np.random.default_rng(5)
    x, y = rng.uniform(-0.5, n - 0.5, 500), rng.uniform(-0.5, n - 0.5, 500)
    ra, dec = gw(x, y)
    ra2, dec2 = w.all_pix2world(x, y, 0)
    scale = 0.11 * 4088 / n / 3600
    sep = np.hypot((ra2 - ra) * np.cos(np.deg2rad(dec)), dec2 - dec) / scale
    assert sep.max() <= s.sip_max_error_px + 1e-3
    xi, yi = w.all_world2pix(ra, dec, 0)
    assert np.hypot(xi - x, yi - y).max() < 0.05
    assert "A_ORDER" in s.attrs["fits_wcs"] and "AP_ORDER" in s.attrs["fits_wcs"]
    # attributes and progress
    a = s.attrs
    assert a["summary"]["detector"] == "WFI02" and a["lineage"]["l1"] == UNCAL
    assert a["source"]["path"] == os.path.realpath(p) and a["source"]["size"] == p.stat().st_size
    fr = [f for f, _ in events]
    assert fr == sorted(fr) and fr[-1] == 1.0 and any(m == "display-ready" for _, m in events)
    assert open_store(s.id, cache).path == s.path


@pytest.mark.parametrize("shape", [(6, 8), (7, 8), (6, 9), (7, 9)])
def test_downsample2_is_the_mean_of_the_finite_pixels_of_each_block(shape):
    """Against the plain definition: NaN-padded 2x2 blocks, nanmean, NaN where nothing is finite."""
    rng = np.random.default_rng(1)
    a = rng.normal(10, 3, shape).astype(np.float32)
    a[0:2, 0:2] = np.nan  # a block with nothing finite
    a[2, 3], a[3, 2], a[-1, -1] = np.inf, np.nan, -np.inf
    padded = np.full(((shape[0] + 1) // 2 * 2, (shape[1] + 1) // 2 * 2), np.nan, np.float32)
    padded[:shape[0], :shape[1]] = np.where(np.isfinite(a), a, np.nan)
    blocks = padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the all-NaN block
        expected = np.nanmean(blocks, axis=(1, 3))
    got = downsample2(a)
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-6, equal_nan=True)
    assert np.isnan(got[0, 0])
    finite = np.nan_to_num(a[: shape[0] // 2 * 2, : shape[1] // 2 * 2], nan=1.0, posinf=1.0, neginf=1.0)
    np.testing.assert_allclose(downsample2(finite), finite.reshape(shape[0] // 2, 2, -1, 2).mean(axis=(1, 3)), rtol=1e-6)


def test_display_ready_publishes_the_coarsest_level_then_each_array_with_its_attributes(tmp_path, cache):
    """First pixels need only the coarsest level: the store is published with it alone; every
    finer level (coarse to fine), then err and dq, lands whole with root attributes saying so."""
    n = 1100
    p = make_l2(tmp_path / CAL, shape=(n, n))
    seen = []

    def on_progress(fraction, message):
        if message == sconvert.DISPLAY_READY or message.startswith(sconvert.PUBLISHED):
            final = next(path for path in cache.iterdir() if path.name.startswith("r"))
            attrs = json.loads((final / "zarr.json").read_text())["attributes"]["roman_lab"]
            present = sorted(k for k in ("data/0", "data/1", "data/2", "err", "dq") if (final / k / "zarr.json").exists())
            seen.append((message, attrs["arrays_pending"] if not attrs["complete"] else [], present))

    s = _conv(p, cache, on_progress=on_progress)
    assert s.complete
    assert seen == [
        ("display-ready", ["data/1", "data/0", "err", "dq"], ["data/2"]),
        ("published data/1", ["data/0", "err", "dq"], ["data/1", "data/2"]),
        ("published data/0", ["err", "dq"], ["data/0", "data/1", "data/2"]),
        ("published err", ["dq"], ["data/0", "data/1", "data/2", "err"]),
        ("published dq", [], ["data/0", "data/1", "data/2", "dq", "err"]),
    ]
    assert [lv.shape for lv in s.levels] == [(1100, 1100), (550, 550), (275, 275)]


def test_sip_fallback_inverse_without_gwcs_inverse(tmp_path, monkeypatch, cache):
    """gwcs 1.0.3 cannot fit the inverse of a distortion without an inverse: we fit AP/BP ourselves."""
    from gwcs import wcs as gwcs_wcs

    real = gwcs_wcs.WCS.to_fits_sip

    def no_inverse(self, *a, **kw):
        if kw.get("max_inv_pix_error", 0.25) is not None:
            raise NotImplementedError("no inverse")
        return real(self, *a, **kw)

    monkeypatch.setattr(gwcs_wcs.WCS, "to_fits_sip", no_inverse)
    n = 600
    p = make_l2(tmp_path / CAL, shape=(n, n), wcs=distorted_wcs(n, 0.11 * 4088 / n, amp=5.0, with_inverse=False))
    s = _conv(p, cache)
    assert s.attrs["sip_fit"]["inverse_fit"] == "least-squares"
    assert s.sip_max_error_px < 0.05


def test_fake_data_wcs_and_l3(tmp_path, cache):
    s = _conv(make_l3(tmp_path / "mosaic_coadd.asdf"), cache)
    assert s.level == 3 and {"data", "err", "context", "weight"} <= set(s.arrays)
    assert s.attrs["lineage"]["members"] == ["a_cal.asdf", "b_cal.asdf", "c_cal.asdf"]
    assert s.sip_max_error_px < 0.05 and s.fits_wcs is not None


def test_l1_layout(tmp_path, cache):
    s = _conv(make_l1(tmp_path / UNCAL, shape=(3, 136, 136)), cache)
    assert s.level == 1 and s.fits_wcs is None and s.levels == []
    d = s.arrays["data"]
    assert d.shape == (3, 136, 136) and d.chunks == (3, 128, 128) and d.dtype == np.uint16
    want = [FRAME_TIME * np.mean(g) for g in READ_PATTERN]
    assert s.attrs["resultant_times"] == pytest.approx(want)
    np.testing.assert_allclose(s.arrays["resultant_times"][...], want)
    r = _conv(make_l1(tmp_path / "ramp_uncal.asdf", ramp=True), cache)
    assert r.arrays["groupdq"].chunks == (3, 128, 128)


def test_reuse_and_rebuild_when_file_changes(tmp_path, cache):
    p = make_l2(tmp_path / CAL)
    before = sconvert.CONVERSIONS["count"]
    s1 = _conv(p, cache)
    s2 = _conv(p, cache)
    assert s1.path == s2.path and sconvert.CONVERSIONS["count"] == before + 1
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched
    s3 = _conv(p, cache)
    assert s3.path != s1.path and sconvert.CONVERSIONS["count"] == before + 2


def test_incomplete_stores_are_ignored_and_rebuilt(tmp_path, cache):
    p = make_l2(tmp_path / CAL)
    st = os.stat(os.path.realpath(p))
    sid = scache.store_id(os.path.realpath(p), st.st_size, st.st_mtime_ns)
    # a leftover temp folder of a killed conversion, and a half store under the final name
    tmp = cache / f".tmp-{sid}-999-deadbeef"
    (tmp / "data").mkdir(parents=True)
    (tmp / "zarr.json").write_text("{")
    final = cache / sid
    final.mkdir()
    (final / "zarr.json").write_text(json.dumps(
        {"zarr_format": 3, "node_type": "group",
         "attributes": {"roman_lab": {"format_version": scache.FORMAT_VERSION, "complete": False}}}))
    with pytest.raises(RomanFileError):
        Store(final)
    before = sconvert.CONVERSIONS["count"]
    s = _conv(p, cache)
    assert s.complete and sconvert.CONVERSIONS["count"] == before + 1
    assert not tmp.exists()
    assert not [e for e in os.listdir(cache) if e.startswith((".tmp-", ".trash-"))]


def test_two_threads_share_one_conversion(tmp_path, cache, monkeypatch):
    p = make_l2(tmp_path / CAL, shape=(128, 128))
    real = sconvert.write_first_stage
    calls = []

    def slow(*a, **kw):
        calls.append(1)
        time.sleep(0.3)
        return real(*a, **kw)

    monkeypatch.setattr(sconvert, "write_first_stage", slow)
    progress = {0: [], 1: []}
    results, errors = [None, None], []
    barrier = threading.Barrier(2)

    def run(i):
        try:
            barrier.wait()
            results[i] = _conv(p, cache, on_progress=lambda f, m: progress[i].append(f))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(calls) == 1
    assert results[0].path == results[1].path
    assert progress[0][-1] == 1.0 and progress[1][-1] == 1.0
    assert len(progress[0]) > 2 and len(progress[1]) > 2  # the waiter saw the progress too


def test_lru_eviction_respects_limit(tmp_path, cache):
    paths = [make_l2(tmp_path / f"r{VISIT}_{i:04d}_wfi01_f158_cal.asdf", seed=i) for i, VISIT in
             enumerate(["0004201001001001001"] * 4)]
    stores = []
    for p in paths[:3]:
        stores.append(_conv(p, cache, max_cache_bytes=float("inf")))
        time.sleep(0.02)
    size = max(s.attrs["store_bytes"] for s in stores)
    # use the first again: the second is now the least recently used
    os.utime(stores[0].path, (time.time() + 5, time.time() + 5))
    s4 = _conv(paths[3], cache, max_cache_bytes=int(size * 3.5))
    left = {sid for sid, *_ in scache.list_stores(cache)}
    assert s4.id in left and stores[0].id in left and stores[2].id in left
    assert stores[1].id not in left
    assert sum(s[3] for s in scache.list_stores(cache)) <= size * 3.5
    # a limit below one store never evicts the store just returned
    s5 = _conv(paths[3], cache, max_cache_bytes=1)
    assert s5.path.exists() and [sid for sid, *_ in scache.list_stores(cache)] == [s5.id]


def test_full_disk_gives_507_and_leaves_nothing(tmp_path, cache, monkeypatch):
    p = make_l2(tmp_path / CAL, shape=(128, 128))
    real = sconvert._write_array
    n = {"i": 0}

    def full(group, key, *a, **kw):
        n["i"] += 1
        if n["i"] >= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(group, key, *a, **kw)

    monkeypatch.setattr(sconvert, "_write_array", full)
    with pytest.raises(RomanFileError) as e:
        _conv(p, cache)
    assert e.value.status == 507 and "no space left" in str(e.value)
    assert [x for x in os.listdir(cache) if x != ".locks"] == []


def test_bad_inputs_through_convert(tmp_path, cache):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = bad_files(tmp_path)
    for name, (path, status, msg) in cases.items():
        with pytest.raises(RomanFileError) as e:
            _conv(path, cache)
        assert e.value.status == status and msg in str(e.value), (name, str(e.value))
    assert [x for x in os.listdir(cache) if x != ".locks"] == []


def test_statistics_subsample_close_to_exact(monkeypatch):
    from roman_lab.store import imaging

    a = np.random.default_rng(2).gamma(2.0, 1.0, size=(900, 900)).astype(np.float32)
    monkeypatch.setattr(imaging, "STATS_SAMPLE", 100_000)
    st = statistics(a)
    assert st["subsample_step"] == 3
    for q in (1, 50, 99):
        # within 0.1 percentile rank of the exact value
        lo, hi = np.percentile(a, [q - 0.1, q + 0.1])
        assert lo <= st["percentiles"][str(q)] <= hi


@pytest.mark.parametrize("shape, bad", [((1000, 1000), False), ((777, 1301), True), ((20, 30), True)])
def test_statistics_zscale_is_astropys_on_the_whole_image(shape, bad):
    """The zscale limits come from the pixels astropy samples (not its copy of every finite
    pixel): the same numbers as `ZScaleInterval().get_limits` of the image, NaN and inf included."""
    from astropy.visualization import ZScaleInterval

    rng = np.random.default_rng(3)
    a = rng.gamma(2.0, 10.0, shape).astype(np.float32)
    if bad:
        a[rng.random(shape) < 0.1] = np.nan
        a[0, :7] = np.inf
    assert statistics(a)["zscale"] == [float(v) for v in ZScaleInterval().get_limits(a)]


def test_ranked_histogram_is_numpys():
    """The statistics' histograms from the sorted subsample: numpy's counts and edges exactly,
    values on the edges, outside the range and on the last edge included."""
    from roman_lab.store.imaging import ranked_histogram

    rng = np.random.default_rng(5)
    values = np.concatenate([rng.normal(0, 3, 50_000), np.linspace(-2, 2, 257), [-9.0, 9.0, 2.0, 2.0]])
    ranked = np.sort(values.astype(np.float32))
    for lo, hi in ((-2.0, 2.0), (float(ranked[0]), float(ranked[-1])), (0.1, 0.30000001)):
        counts, edges = ranked_histogram(ranked, lo, hi, bins=256)
        expected, expected_edges = np.histogram(ranked.astype(np.float64), bins=256, range=(lo, hi))
        np.testing.assert_array_equal(counts, expected)
        np.testing.assert_array_equal(edges, expected_edges)


@pytest.mark.parametrize("shape, bad", [((1024, 1536), None), ((1024, 1536), np.nan), ((1024, 1536), np.inf),
                                        ((1024, 1536), -np.inf), ((1030, 1100), None), ((300, 200), None)])
def test_the_coarsest_level_in_one_pass_is_the_chains(shape, bad):
    """Stage 1's coarsest level (one block mean where every pixel is finite and the sides divide)
    is the 2x2 chain's last level within float32 rounding, and the chain's own otherwise."""
    from roman_lab.store.imaging import coarsest_level, pyramid, pyramid_shapes

    a = np.random.default_rng(7).normal(100, 30, shape).astype(np.float32)
    if bad is not None:
        a[5:9, 17] = bad
    chain = [a] + pyramid(a, 512)
    assert [lv.shape for lv in chain] == pyramid_shapes(shape, 512)
    got = coarsest_level(a, 512)
    assert got.dtype == np.float32 and got.shape == chain[-1].shape
    np.testing.assert_allclose(got, chain[-1], rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("bad", [None, np.nan, np.inf, -np.inf, "int"])
def test_statistics_count_and_bound_the_finite_pixels(bad):
    """min, max and the counts are those of the finite pixels, whether every pixel is finite
    (then read from min and max alone) or not, for floats and integers."""
    a = np.random.default_rng(3).normal(0, 1, (300, 400)).astype(np.float32)
    if bad == "int":
        a = (a * 100 + 1000).astype(np.uint16)
    elif bad is not None:
        a[7, 9] = a[100, 3] = bad
    got = statistics(a)
    finite = a[np.isfinite(a)]
    assert (got["count"], got["finite"], got["nan"]) == (a.size, finite.size, int(np.isnan(a).sum()))
    assert (got["min"], got["max"]) == (float(finite.min()), float(finite.max()))


def test_convert_in_one_call_opens_the_file_once(tmp_path, cache, monkeypatch):
    """`convert` runs both stages on one open file;
    only the server's `convert_in_stages` opens it again for stage 2."""
    from roman_lab import io

    opened, real_open = [], io.open
    monkeypatch.setattr(io, "open", lambda path: opened.append(path) or real_open(path))
    s = _conv(make_l2(tmp_path / CAL, shape=(1100, 1100)), cache)
    assert s.complete and len(opened) == 1

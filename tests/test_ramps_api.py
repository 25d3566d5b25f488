"""roman_lab.ramps on the small demo: the faint cosmic ray the pipeline missed, the flagged
ones, times, the RampSet's table/plot/JSON, and bad input."""

import json
import shutil

import astropy.units as u
import numpy as np
import pytest
import roman_datamodels as rdm
from astropy.coordinates import SkyCoord
from regions import CircleSkyRegion

import roman_lab
from roman_lab.archive import Exposure
from roman_lab.demo import field

JUMP_DET, SATURATED = 4, 2


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("ramp-api-stores")


@pytest.fixture(scope="module")
def faint(small_demo):
    return small_demo["faint_cosmic_ray"]


@pytest.fixture(scope="module")
def region(small_demo, faint):
    return CircleSkyRegion(SkyCoord(faint["ra"], faint["dec"], unit="deg"), 3 * small_demo["pixel_scale_arcsec"] * u.arcsec)


@pytest.fixture(scope="module")
def rampset(small_demo, faint, region, cache):
    return roman_lab.ramps(small_demo.path(faint["exposure"]), region, cache_dir=cache)


def _sky(path, x, y):
    with roman_lab.open(path) as rf:
        ra, dec = rf.wcs(float(x), float(y), with_bounding_box=False)
    return SkyCoord(float(ra), float(dec), unit="deg")


def test_the_faint_cosmic_ray_is_found_unflagged(rampset, faint):
    assert isinstance(rampset, roman_lab.RampSet)
    brightest = faint["pixels"][0]
    jumps = rampset.jumps
    assert len(jumps) >= 1
    top = jumps[0]  # strongest first
    assert (top["x"], top["y"]) == (brightest["x"], brightest["y"])
    assert top["resultant"] == faint["resultant"]
    assert not top["pipeline_flagged"] and not top["saturated"]
    assert top["significance"] > 3.5
    assert top["amplitude_dn"] == pytest.approx(faint["amplitude_dn"], rel=0.3)
    assert rampset.significance[top["pixel"], faint["resultant"] - 1] == top["significance"]


def test_only_that_exposure_has_it(small_demo, faint, region, cache):
    """The same sky circle in the other exposures that cover it: no unflagged jump of that size."""
    others = 0
    for name in (e["cal"] for e in small_demo["exposures"] if e["cal"] != faint["exposure"]):
        try:
            other = roman_lab.ramps(small_demo.path(name), region, cache_dir=cache, threshold=4.5)
        except roman_lab.RomanFileError as err:
            assert err.status == 400 and "off the detector" in err.message
            continue
        others += 1
        assert not any(not j["pipeline_flagged"] for j in other.jumps), name
    assert others >= 2


def test_pipeline_flagged_jumps_are_marked(small_demo, faint, cache):
    path = small_demo.path(faint["exposure"])
    with rdm.open(path) as l2:
        dq = np.asarray(l2.dq)
    with rdm.open(small_demo.path(faint["uncal"])) as l1:
        data = np.asarray(l1.data)[:, 4:-4, 4:-4].astype(float)
    n = dq.shape[0]
    ys, xs = np.nonzero(((dq & JUMP_DET) != 0) & ((dq & SATURATED) == 0))
    inner = (xs > 4) & (xs < n - 5) & (ys > 4) & (ys < n - 5)
    ys, xs = ys[inner], xs[inner]
    step = np.diff(data[:, ys, xs], axis=0).max(axis=0)
    x, y = int(xs[np.argmax(step)]), int(ys[np.argmax(step)])  # the strongest pipeline-flagged hit
    found = roman_lab.ramps(path, (_sky(path, x, y), 3 * small_demo["pixel_scale_arcsec"] * u.arcsec), cache_dir=cache)
    jumps = found.jumps
    hit = jumps[(jumps["x"] == x) & (jumps["y"] == y)]
    assert len(hit) >= 1 and hit["pipeline_flagged"].all() and hit["significance"].max() > 10
    for row in jumps:  # the flag is the L2 DQ's, pixel by pixel
        assert row["pipeline_flagged"] == bool(dq[row["y"], row["x"]] & JUMP_DET)


def test_times_follow_the_read_pattern(rampset, small_demo, faint):
    with rdm.open(small_demo.path(faint["uncal"])) as l1:
        pattern = [[int(r) for r in g] for g in l1.meta.exposure.read_pattern]
        frame_time = float(l1.meta.exposure.frame_time)
    np.testing.assert_allclose(rampset.times, [frame_time * np.mean(g) for g in pattern], rtol=0, atol=1e-12)
    assert rampset.read_pattern == pattern
    np.testing.assert_allclose(rampset.rates, rampset.diffs / np.diff(rampset.times))
    assert rampset.diffs.shape == rampset.significance.shape == (len(rampset), len(pattern) - 1)


def test_read_noise_is_estimated_from_the_data(rampset):
    assert rampset.read_noise == pytest.approx(field.READ_NOISE, rel=0.05)
    assert rampset.gain == field.GAIN
    assert "estimated" in rampset.noise_source


def test_table_repr_plot(rampset, faint, tmp_path):
    table = rampset.to_table()
    assert len(table) == len(rampset)
    assert table["counts"].shape == rampset.counts.shape
    assert table["n_jumps"].sum() == len(rampset.jumps)
    text = repr(rampset)
    assert faint["exposure"] in text and "1 jump" in text and "0 flagged by the pipeline" in text
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    figure = rampset.plot()
    figure.savefig(tmp_path / "ramps.png")
    assert (tmp_path / "ramps.png").stat().st_size > 10_000


def test_json_payload(rampset, small_demo, faint):
    payload = json.loads(json.dumps(rampset.to_json(root=small_demo.folder)))
    assert set(payload) == {"l2_path", "l1_path", "times", "read_pattern", "pixels", "counts", "significance",
                            "inside_significance", "threshold", "read_noise", "gain", "note", "jumps", "pipeline_jumps",
                            "saturated"}
    assert payload["l2_path"] == faint["exposure"] and payload["l1_path"] == faint["uncal"]
    assert len(payload["counts"]) == len(payload["pixels"]) == len(rampset)
    assert all(len(row) == len(payload["times"]) - 1 for row in payload["significance"])
    jump = payload["jumps"][0]
    assert set(jump) == {"pixel", "x", "y", "resultant", "differences", "significance", "pipeline_flagged", "saturated"}
    assert (jump["x"], jump["y"], jump["resultant"]) == (faint["pixels"][0]["x"], faint["pixels"][0]["y"],
                                                         faint["resultant"])
    assert payload["counts"][jump["pixel"]] == rampset.counts[jump["pixel"]].tolist()


def test_sources_l1_path_and_exposure(rampset, small_demo, faint, region, cache):
    from_l1 = roman_lab.ramps(small_demo.path(faint["uncal"]), region, cache_dir=cache)
    np.testing.assert_array_equal(from_l1.counts, rampset.counts)
    exposure = Exposure(name=faint["exposure"], source="local", path=str(small_demo.path(faint["exposure"])))
    from_exposure = roman_lab.ramps(exposure, (region.center, region.radius), cache_dir=cache)
    np.testing.assert_array_equal(from_exposure.significance, rampset.significance)
    with roman_lab.open(small_demo.path(faint["exposure"])) as rf:
        np.testing.assert_array_equal(roman_lab.ramps(rf, region, cache_dir=cache).pixels, rampset.pixels)


def test_mast_exposure_not_here_offers_the_download(region):
    remote = Exposure(name="r0004201001001001001_0001_wfi02_f158_cal.asdf", source="mast", uri="mast:ROMAN/x_cal.asdf")
    with pytest.raises(roman_lab.RomanFileError, match="download_to") as info:
        roman_lab.ramps(remote, region)
    assert info.value.status == 404 and "MAST" in info.value.message


def test_no_level1(small_demo, faint, region, tmp_path, cache):
    lonely = tmp_path / faint["exposure"]
    shutil.copy(small_demo.path(faint["exposure"]), lonely)
    with pytest.raises(roman_lab.RomanFileError, match=faint["uncal"]) as info:
        roman_lab.ramps(lonely, region, cache_dir=cache)
    assert info.value.status == 404 and str(tmp_path) in info.value.message  # where it looked
    l1_alone = tmp_path / faint["uncal"]
    shutil.copy(small_demo.path(faint["uncal"]), l1_alone)
    lonely.unlink()
    with pytest.raises(roman_lab.RomanFileError, match="need its L2") as info:
        roman_lab.ramps(l1_alone, region, cache_dir=cache)


def test_read_pattern_mismatch(small_demo, faint, region, tmp_path, cache):
    l2 = tmp_path / faint["exposure"]
    shutil.copy(small_demo.path(faint["exposure"]), l2)
    with rdm.open(small_demo.path(faint["uncal"])) as m:
        m.meta.exposure.read_pattern = [[1], [2, 3], [4, 5, 6, 7], list(range(8, 16)), list(range(16, 28)),
                                        list(range(28, 41))]
        m.save(tmp_path / faint["uncal"])
    with pytest.raises(roman_lab.RomanFileError, match="not the same exposure") as info:
        roman_lab.ramps(l2, region, cache_dir=cache)
    assert info.value.status == 422


def test_circle_at_the_edge_keeps_the_inside(small_demo, faint, cache):
    path = small_demo.path(faint["exposure"])
    edge = roman_lab.ramps(path, (_sky(path, 0, 100), 4 * small_demo["pixel_scale_arcsec"] * u.arcsec), cache_dir=cache)
    assert (edge.pixels[:, 0] >= 0).all() and "off the detector" in edge.note
    assert np.isfinite(edge.significance).mean() > 0.9


def test_huge_circle_is_capped(small_demo, faint, region, cache):
    path = small_demo.path(faint["exposure"])
    with pytest.raises(roman_lab.RomanFileError, match="cap") as info:
        roman_lab.ramps(path, (region.center, 60 * small_demo["pixel_scale_arcsec"] * u.arcsec), cache_dir=cache,
                        max_pixels=5000)
    assert info.value.status == 413 and "5000" in info.value.message


@pytest.mark.parametrize("recorded_at", ["the event's resultant", "another resultant"])
def test_recorded_jump_indices_decide_what_the_pipeline_flagged(small_demo, faint, region, tmp_path, cache, recorded_at):
    """Where an L2 records its jumps (romancal's `jump_indices`: resultant, y, x), an event is
    pipeline-flagged when the pipeline recorded a jump at that pixel *and resultant*; the DQ
    JUMP_DET bit, which cannot say which resultant, is then not what decides."""
    x, y = faint["pixels"][0]["x"], faint["pixels"][0]["y"]
    resultant = faint["resultant"] if recorded_at == "the event's resultant" else faint["resultant"] - 1
    l2 = tmp_path / faint["exposure"]
    with rdm.open(small_demo.path(faint["exposure"])) as m:
        m.jump_indices = np.array([[resultant, y, x]], dtype=np.int16)
        dq = np.asarray(m.dq).copy()
        dq[y, x] |= JUMP_DET  # the pixel's DQ says "a jump somewhere in this ramp" either way
        m.dq = dq
        m.save(l2)
    shutil.copy(small_demo.path(faint["uncal"]), tmp_path / faint["uncal"])
    found = roman_lab.ramps(l2, region, cache_dir=cache)
    event = found.jumps[(found.jumps["x"] == x) & (found.jumps["y"] == y)]
    assert list(event["resultant"]) == [faint["resultant"]]
    assert bool(event["pipeline_flagged"][0]) is (recorded_at == "the event's resultant")
    assert found.to_json()["pipeline_jumps"] == [[int(np.flatnonzero((found.pixels == (x, y)).all(axis=1))[0]), resultant]]

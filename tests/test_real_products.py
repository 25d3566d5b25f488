"""The science case on real Roman products: L1 ramps made by STScI's romanisim, L2 exposures and
an L3 mosaic made by romancal, with romanisim's own record of every cosmic ray (`make real-data`,
real_data/build.py). Skipped, saying how to build the corpus, when it is absent."""

import json
import os
import warnings
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.visualization import PercentileInterval

import roman_lab
from roman_lab.display import percentile_limits


def _corpus():
    root = Path(os.environ.get("ROMAN_LAB_REAL_DATA", "~/.cache/roman-lab/real-data")).expanduser()
    for size in ("ci", "full"):
        if (root / f"corpus-{size}" / "STAMP").is_file():
            return root / f"corpus-{size}"
    return None


CORPUS = _corpus()
pytestmark = pytest.mark.skipif(CORPUS is None, reason="no real-products corpus: `make real-data` (or REAL_DATA_SIZE=ci) builds it")


@pytest.fixture(scope="module")
def truth():
    return json.loads((CORPUS / "truth.json").read_text())


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("real-stores")


def _of_level(truth, level):
    return [name for name, f in truth["files"].items() if f["level"] == level]


@pytest.fixture(scope="module")
def exposure(truth):
    """The first L2 and its truth."""
    name = _of_level(truth, 2)[0]
    return CORPUS / name, truth["files"][name]


def test_every_product_opens_with_the_metadata_the_ui_lists(truth):
    for name, expected in truth["files"].items():
        with roman_lab.open(CORPUS / name) as rf:
            assert (rf.level, rf.model_type, list(rf.arrays["data"]["shape"])) == (
                expected["level"], expected["model_type"], expected["shape"])
            if rf.level == 3:
                assert rf.lineage["members"] == expected["members"]
                continue
            summary = rf.summary
            assert summary["detector"] == expected["detector"] and summary["optical_element"] == truth["recipe"]["bandpass"]
            assert summary["start_time"].startswith(expected["exposure"]["start_time"][:19])
            assert len(summary["read_pattern"]) == rf.model.meta.exposure.nresultants == 5 and summary["exposure_time"] > 0
            if rf.level == 2:
                assert Path(rf.lineage["l1_path"]).name == expected["l1"]


def test_a_real_l2_converts_bit_for_bit_with_a_sip_fit_under_the_goal(exposure, cache):
    path, _ = exposure
    store = roman_lab.convert(path, cache_dir=cache, progress=False)
    with roman_lab.open(path) as rf:
        data = rf.read("data")
    assert np.array_equal(store.arrays["data"][:], data, equal_nan=True)  # copied: bit for bit
    assert store.sip_max_error_px < 0.05  # the design's goal for the browser's WCS


def test_the_mosaic_lineage_finds_what_covers_each_point(truth):
    mosaic = _of_level(truth, 3)[0]
    expected = truth["files"][mosaic]
    points = [(expected["centre_radec"], expected["covered_by"])]
    points += [(probe["radec"], probe["covered_by"]) for probe in expected["probes"]]
    for (ra, dec), covered_by in points:
        found = roman_lab.find_exposures((SkyCoord(ra * u.deg, dec * u.deg), 0.1 * u.arcsec), source="lineage",
                                         mosaic=CORPUS / mosaic)
        assert sorted(e.name for e in found) == sorted(covered_by), (ra, dec)


def _ramp_events(path, x, y, cache):
    """The jump events of one pixel of an L2 (a circle of 0.05 arcsec on its centre)."""
    with roman_lab.open(path) as rf:
        ra, dec = rf.wcs(x, y)
    found = roman_lab.ramps(path, (SkyCoord(ra * u.deg, dec * u.deg), 0.05 * u.arcsec), cache_dir=cache)
    assert [tuple(int(v) for v in p) for p in found.pixels] == [(x, y)]
    assert found.cube.pipeline_jumps is not None  # romancal recorded its jumps: they decide "flagged"
    return [(int(j["x"]), int(j["y"]), int(j["resultant"]), bool(j["pipeline_flagged"]), float(j["significance"]))
            for j in found.jumps if not j["saturated"]]


def test_ramps_show_each_cosmic_ray_once_flagged_or_not(exposure, cache):
    """romanisim's hits: each the pipeline flagged (in its `jump_indices`) comes out as one flagged
    event at the resultant of the hit (also inside a multi-read resultant); those it missed, as unflagged events there
    when they are above our threshold (most are: a missed hit can be as faint as any); pixels
    without a hit have no event (one false event allowed: 0.005 per ramp)."""
    path, expected = exposure
    rays = expected["cosmic_rays"]
    for hit in rays["flagged"][:5]:
        events = _ramp_events(path, hit["x"], hit["y"], cache)
        assert [e[:4] for e in events] == [(hit["x"], hit["y"], hit["resultant"], True)], (hit, events)
    found = 0
    for hit in rays["missed"][:5]:
        events = _ramp_events(path, hit["x"], hit["y"], cache)
        assert [e[:4] for e in events] in ([], [(hit["x"], hit["y"], hit["resultant"], False)]), (hit, events)
        found += bool(events)
    assert found >= 3, f"only {found} of 5 hits the pipeline missed are found"
    false = sum(len(_ramp_events(path, p["x"], p["y"], cache)) for p in rays["clean"])
    assert false <= 1


@pytest.mark.parametrize("percentile", [99.5, 99, 95, 90, 99.73])
def test_display_limits_equal_astropys_on_a_real_l2(exposure, cache, percentile):
    """Within 0.1 percentile rank of astropy's PercentileInterval on the same (heavy-tailed) array."""
    path, _ = exposure
    store = roman_lab.convert(path, cache_dir=cache, progress=False)
    with roman_lab.open(path) as rf, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = rf.read("data")
    finite = np.sort(data[np.isfinite(data)].astype(np.float64))
    lower = (100 - percentile) / 2
    ours = percentile_limits(store.statistics, lower, 100 - lower)
    theirs = PercentileInterval(percentile).get_limits(data)
    for value, target, reference in zip(ours, (lower, 100 - lower), theirs, strict=True):
        rank = 100 * np.searchsorted(finite, value) / finite.size
        assert abs(rank - target) <= 0.1, (percentile, value, reference, rank)

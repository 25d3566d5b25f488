"""Paths as users write them, through the kernel API: file names with '#', '?', '%20', spaces,
'&' and non-ASCII letters (asdf reads a path string as a URL), and `~` in every path a user
gives (files, the store cache, the archive root and index, state files)."""

import shutil
import warnings

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

import roman_lab
from roman_lab.demo import photon_torpedo

ODD_NAMES = ["h#1", "a?b", "x%20y", "Données & co", "two  spaces"]


@pytest.fixture
def faint(small_demo):
    return small_demo["faint_cosmic_ray"]


def circle(faint, small_demo, radius_px=2.0):
    return SkyCoord(faint["ra"] * u.deg, faint["dec"] * u.deg), radius_px * small_demo["pixel_scale_arcsec"] * u.arcsec


@pytest.mark.parametrize("stem", ODD_NAMES)
def test_odd_file_names_open_convert_and_give_ramps(tmp_path, small_demo, faint, stem):
    folder = tmp_path / f"{stem} folder"
    folder.mkdir()
    cal, uncal = folder / f"{stem}_cal.asdf", folder / f"{stem}_uncal.asdf"
    shutil.copy(small_demo.path(faint["exposure"]), cal)
    shutil.copy(small_demo.path(faint["uncal"]), uncal)

    with roman_lab.open(str(cal)) as rf:
        assert rf.level == 2 and rf.to_json()["name"] == cal.name
        data = rf.read("data")
    store = roman_lab.convert(str(cal), cache_dir=tmp_path / "cache", progress=False)
    assert np.array_equal(store.arrays["data"][:], data, equal_nan=True)  # copied: bit for bit

    found = roman_lab.ramps(str(cal), circle(faint, small_demo), cache_dir=tmp_path / "cache")
    assert found.l1_path == uncal and len(found) > 0


def test_a_missing_odd_name_is_missing_not_corrupt(tmp_path):
    with pytest.raises(roman_lab.RomanFileError) as info:
        roman_lab.open(tmp_path / "h#1_cal.asdf")
    assert info.value.status == 404 and info.value.message == "h#1_cal.asdf does not exist"


def test_the_example_algorithm_takes_odd_names(tmp_path, small_demo, faint):
    exposure = tmp_path / "mine #2 ?_cal.asdf"
    shutil.copy(small_demo.path(faint["exposure"]), exposure)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _model, residual = photon_torpedo.torpedo(exposure)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [exposure.name, "mine #2 ?_cal_model.asdf", "mine #2 ?_cal_residual.asdf"])
    with roman_lab.open(residual) as rf:
        assert rf.level == 2 and rf.summary["filename"] == residual.name


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A HOME of the test's own, holding the small demo's faint exposure, its L1 and the mosaic."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("ROMAN_LAB_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    return home


def test_tilde_means_home_in_every_path(home, small_demo, faint, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # a folder literally named '~' would appear here
    data = home / "data"
    data.mkdir()
    for name in (faint["exposure"], faint["uncal"]):
        shutil.copy(small_demo.path(name), data / name)
    shutil.copy(small_demo.mosaic_file, data / small_demo.mosaic_file.name)
    cal = f"~/data/{faint['exposure']}"

    with roman_lab.open(cal) as rf:
        assert rf.path == data / faint["exposure"]
    store = roman_lab.convert(cal, cache_dir="~/stores", progress=False)
    assert store.path.parent == home / "stores"
    assert roman_lab.convert(cal, progress=False).path.parent == home / ".cache" / "roman-lab" / "stores"
    monkeypatch.setenv("ROMAN_LAB_CACHE", "~/env-cache")
    assert roman_lab.convert(cal, progress=False).path.parent == home / "env-cache"

    region = circle(faint, small_demo, radius_px=0.5)
    by_lineage = roman_lab.find_exposures(region, source="lineage", mosaic=f"~/data/{small_demo.mosaic_file.name}", root="~")
    by_index = roman_lab.find_exposures(region, source="local", root="~/data", db="~/index.sqlite")
    for found in (by_lineage, by_index):
        assert str(data / faint["exposure"]) in [e.path for e in found]
    assert (home / "index.sqlite").is_file()

    assert len(roman_lab.ramps(cal, circle(faint, small_demo), cache_dir="~/stores")) > 0
    assert not (tmp_path / "~").exists()


def test_a_lab_state_with_a_root_inside_home_restores(home, small_demo, faint, tmp_path):
    """The lab writes `absolute_path` from the root as jupyter_server shows it: `~/project/...`."""
    from roman_lab import state

    (home / "project").mkdir()
    shutil.copy(small_demo.path(faint["exposure"]), home / "project" / faint["exposure"])
    document = {"format": state.FORMAT, "version": state.VERSION, "images": [{
        "id": "1", "name": "exposure", "kind": "exposure", "path": f"moved/{faint['exposure']}",
        "absolute_path": f"~/project/{faint['exposure']}"}]}
    values, missing = state.from_document(document, tmp_path)
    assert missing == [] and values["images"][0]["path"] == str(home / "project" / faint["exposure"])

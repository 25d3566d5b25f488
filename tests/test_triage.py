"""`roman_lab.triage`: the ramps of every exposure behind a circle at once, on a stack of 24 demo
exposures where three hide a faint unflagged jump in the circle and three carry a flagged one
(roman_lab.demo.triage_stack)."""

import shutil

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord

import roman_lab
from roman_lab.demo.triage_stack import make_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("triage-stack")
    truth = make_stack(folder)
    region = (SkyCoord(*truth["target"], unit="deg"), truth["radius_arcsec"] * u.arcsec)
    cache = tmp_path_factory.mktemp("triage-stores")
    table = roman_lab.triage(region, source="local", root=folder, cache_dir=cache, progress=False)
    return folder, truth, region, cache, table


def test_the_exposures_hiding_an_unflagged_jump_come_first(stack):
    _, truth, _, _, table = stack
    assert len(table) == len(truth["exposures"]) == 24
    hidden = {h["name"]: h for h in truth["hidden"]}
    top = table[: len(hidden)]
    assert sorted(top["name"]) == sorted(hidden)
    for row in top:
        h = hidden[row["name"]]
        assert (row["max_x"], row["max_y"], row["max_resultant"]) == (h["x"], h["y"], h["resultant"])
        assert row["max_unflagged_significance"] >= 4
    rest = table[len(hidden):]["max_unflagged_significance"]
    assert np.all(np.isnan(rest) | (rest < top["max_unflagged_significance"].min()))


def test_flagged_jumps_are_counted_apart(stack):
    _, truth, _, _, table = stack
    rows = {row["name"]: row for row in table}
    for f in truth["flagged"]:
        row = rows[f["name"]]
        assert row["flagged_jumps"] >= 1
        assert (row["max_x"], row["max_y"]) != (f["x"], f["y"])  # never reported as unflagged


def test_the_false_alarm_rate_stays_at_the_ramps_default(stack):
    """0.005 false jumps per ramp by default: the exposures without a hidden jump have about that
    many unflagged jumps per pixel ramp (a Poisson count; 4x is far beyond chance here)."""
    _, truth, _, _, table = stack
    hidden = {h["name"] for h in truth["hidden"]}
    clean = table[[name not in hidden for name in table["name"]]]
    ramps = clean["pixels"].sum()
    assert ramps > 500
    assert clean["unflagged_jumps"].sum() <= 4 * 0.005 * ramps + 3


def test_an_exposure_without_its_l1_gets_a_note_and_goes_last(stack, tmp_path):
    folder, truth, region, cache, _ = stack
    lonely = tmp_path / "r99999999999999999999_0001_wfi01_f158_cal.asdf"
    shutil.copyfile(folder / truth["hidden"][0]["name"], lonely)
    first = folder / truth["hidden"][1]["name"]
    table = roman_lab.triage(region, [lonely, first], cache_dir=cache, progress=False)
    assert list(table["name"]) == [first.name, lonely.name]
    assert table["note"][0] == ""
    assert "_uncal.asdf" in table["note"][1]  # the L1 it looked for
    assert table["pixels"][1] == 0 and np.isnan(table["max_unflagged_significance"][1])


def test_a_bare_number_radius_is_arcsec_as_everywhere(stack):
    folder, truth, region, cache, table = stack
    again = roman_lab.triage((region[0], truth["radius_arcsec"]), source="local", root=folder, cache_dir=cache,
                             progress=False)
    assert list(again["name"]) == list(table["name"]) and list(again["pixels"]) == list(table["pixels"])


def test_one_thread_and_several_give_the_same_table(stack):
    folder, _, region, cache, table = stack
    serial = roman_lab.triage(region, source="local", root=folder, cache_dir=cache, progress=False, workers=1)
    assert serial.pformat() == table.pformat()


def test_not_a_circle_says_so():
    with pytest.raises(TypeError, match="circle"):
        roman_lab.triage("M87", exposures=[], progress=False)


def test_the_viewer_triages_its_stack_on_its_last_circle(small_demo, tmp_path, monkeypatch):
    """On the demo: the mosaic and its exposures in the stack, a circle on the faint cosmic ray the
    pipeline missed; the exposure that holds it comes first, the mosaic is not triaged."""
    monkeypatch.setenv("ROMAN_LAB_CACHE", str(tmp_path / "stores"))
    faint = small_demo["faint_cosmic_ray"]
    viewer = roman_lab.Viewer()
    with pytest.raises(ValueError, match="no exposures to triage"):
        viewer.triage((SkyCoord(faint["ra"], faint["dec"], unit="deg"), 2.5))
    viewer.load(small_demo.mosaic_file)
    viewer.load(small_demo.cal_files)
    viewer.add_region((SkyCoord(faint["ra"], faint["dec"], unit="deg"), 2.5 * u.arcsec))
    table = viewer.triage(progress=False)
    assert len(table) == len(small_demo.cal_files)
    assert table["name"][0] == faint["exposure"]
    assert (table["max_x"][0], table["max_y"][0]) in {(p["x"], p["y"]) for p in faint["pixels"]}

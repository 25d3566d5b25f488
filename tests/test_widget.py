"""roman_lab.Viewer without a browser: every method on the small demo's real Roman files.

The browser's side of the traits is exercised through `set_state` / `get_state`, which is
what the widget's comm messages call."""

from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
import traitlets
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.nddata import NDData
from astropy.table import Table
from astropy.visualization import (
    AsinhStretch,
    LogStretch,
    ManualInterval,
    PercentileInterval,
    ZScaleInterval,
)
from astropy.wcs import WCS
from PIL import Image
from regions import CircleSkyRegion

import roman_lab
from roman_lab.archive import find_exposures
from roman_lab.display import DEFAULT_DISPLAY


@pytest.fixture(autouse=True)
def _kernel_folder(tmp_path, monkeypatch):
    """A kernel working directory (arrays go under it) and a store cache per test."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROMAN_LAB_CACHE", str(tmp_path / "stores"))


@pytest.fixture(scope="module")
def demo(small_demo):
    cals = [small_demo.path(e["cal"]) for e in small_demo["exposures"]]
    return {
        "manifest": small_demo,
        "cals": cals,
        "mosaic": small_demo.path(small_demo["mosaic"]["file"]),
        "galaxy": SkyCoord(small_demo["galaxy"]["ra"], small_demo["galaxy"]["dec"], unit="deg"),
    }


@pytest.fixture
def viewer(demo):
    v = roman_lab.Viewer()
    v.load(demo["cals"])
    return v


def _wcs_of(path):
    with roman_lab.open(path) as rf:
        return rf.wcs, rf.shape


# ------------------------------------------------------------------------------- loading
def test_load_paths_fills_the_stack(viewer, demo):
    assert [e["path"] for e in viewer.images] == [str(p.resolve()) for p in demo["cals"]]
    first = viewer.images[0]
    assert first["kind"] == "exposure" and first["meta"]["level"] == 2
    assert first["name"] == demo["cals"][0].name.removesuffix(".asdf")
    assert first["meta"]["detector"] == demo["manifest"]["exposures"][0]["detector"]
    assert viewer.reference == first["id"] and viewer.current == 0
    assert viewer.image_labels == tuple(e["name"] for e in viewer.images)
    viewer.load(demo["cals"][0])  # already there: not added twice
    assert len(viewer.images) == len(demo["cals"])


def test_a_mosaic_loaded_first_is_the_reference(demo):
    v = roman_lab.Viewer()
    v.load([demo["mosaic"], *demo["cals"][:2], demo["cals"][0].with_name(demo["manifest"]["exposures"][0]["uncal"])])
    assert [e["kind"] for e in v.images] == ["mosaic", "exposure", "exposure", "ramp"]
    assert v.reference == v.images[0]["id"]
    assert [e["meta"]["level"] for e in v.images] == [3, 2, 2, 1]


def test_load_exposure_list_keeps_its_metadata(demo):
    region = CircleSkyRegion(demo["galaxy"], 2 * u.arcsec)
    exposures = find_exposures(region, mosaic=demo["mosaic"])
    assert len(exposures) >= 2
    v = roman_lab.Viewer()
    v.load(exposures)
    assert [e["meta"]["time"] for e in v.images] == [e.start_time for e in exposures]
    assert [e["meta"]["detector"] for e in v.images] == [e.detector for e in exposures]
    assert {e["kind"] for e in v.images} == {"exposure"}


def test_load_roman_file_and_errors(demo):
    v = roman_lab.Viewer()
    with roman_lab.open(demo["cals"][1]) as rf:
        v.load(rf, name="second")
        start = rf.summary["start_time"]
    assert v.images[0]["name"] == "second" and v.images[0]["meta"]["time"] == start
    with pytest.raises(FileNotFoundError):
        v.load(demo["cals"][0].with_name("nope_cal.asdf"))
    with pytest.raises(TypeError, match="cannot load a dict"):
        v.load({"a": 1})
    with pytest.raises(ValueError, match="name= names one image"):
        v.load(demo["cals"], name="x")


def test_array_borrowing_an_exposure_wcs_is_written_once_as_fits(viewer, demo, tmp_path):
    gwcs, shape = _wcs_of(demo["cals"][2])
    model = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    viewer.load(model, name="model", wcs=viewer.images[2]["name"])
    viewer.load(model, name="model", wcs=2)  # the same data again: the same file
    assert viewer.images[-1]["name"] == "model (2)"
    user = viewer.images[-2]
    assert user["kind"] == "user" and user["wcs_from"] == viewer.images[2]["id"]
    files = list((tmp_path / ".roman-lab" / "arrays").glob("*.fits"))
    assert [str(f) for f in files] == [user["path"]] == [viewer.images[-1]["path"]]
    with fits.open(files[0]) as hdul:
        np.testing.assert_array_equal(hdul[0].data, model)
        header_wcs = WCS(hdul[0].header)
    # the TAN-SIP header WCS agrees with the exposure's gwcs well within the viewer's 0.05 px goal
    x, y = np.meshgrid(np.linspace(0, shape[1] - 1, 9), np.linspace(0, shape[0] - 1, 9))
    ra, dec = gwcs(x, y)
    px, py = header_wcs.world_to_pixel(SkyCoord(ra, dec, unit="deg"))
    assert np.max(np.hypot(px - x, py - y)) < 0.05
    assert viewer.get_image("model").shape == shape  # an array comes back as an array
    with pytest.raises(ValueError, match="shape"):
        viewer.load(np.zeros((3, 3)), wcs=2)
    with pytest.raises(ValueError, match="neither a WCS nor an image of this viewer"):
        viewer.load(model, wcs="not an image")


def test_hdu_and_nddata_keep_their_wcs(tmp_path):
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [187.3, 12.4]
    w.wcs.crpix = [5, 5]
    w.wcs.cdelt = [-1e-4, 1e-4]
    data = np.arange(80.0).reshape(8, 10)
    v = roman_lab.Viewer()
    v.load(fits.PrimaryHDU(data, header=w.to_header()), name="hdu")
    v.load(NDData(data * 2, wcs=w, unit="adu"), name="nd")
    assert [e["kind"] for e in v.images] == ["user", "user"]
    nd = v.get_image("nd")
    assert isinstance(nd, NDData) and nd.wcs.wcs.crval[0] == pytest.approx(187.3)
    np.testing.assert_array_equal(nd.data, data * 2)
    assert fits.getheader(v.images[1]["path"])["BUNIT"] == "adu"
    center = v.get_viewport(image_label="hdu")["center"]
    assert center.separation(w.pixel_to_world(4.5, 3.5)) < 1e-6 * u.arcsec


# ------------------------------------------------------------------------------- the stack
def test_current_next_previous(viewer):
    n = len(viewer.images)
    viewer.current = viewer.images[2]["name"]
    assert viewer.current == 2 and viewer.current_image is viewer.images[2]
    viewer.current = viewer.images[1]["id"]
    assert viewer.current == 1
    viewer.current = -1
    assert viewer.current == n - 1
    viewer.next()
    assert viewer.current == 0
    viewer.previous()
    assert viewer.current == n - 1
    with pytest.raises(traitlets.TraitError, match="out of range"):
        viewer.current = n
    with pytest.raises(ValueError, match="no image 'nope'"):
        viewer.current = "nope"


def test_remove_move_mark_keep_the_image_on_screen(viewer):
    names = [e["name"] for e in viewer.images]
    viewer.current = 2
    viewer.move(2, 0)
    assert viewer.images[0]["name"] == names[2] and viewer.current == 0
    viewer.remove(names[1])
    assert names[1] not in viewer.image_labels and viewer.current_image["name"] == names[2]
    viewer.remove(viewer.current)
    assert viewer.current_image["name"] == names[0]
    viewer.mark(names[0])
    assert viewer.images[viewer.current]["mark"] == "suspicious"
    viewer.mark(names[0], None)
    assert viewer.images[viewer.current]["mark"] is None
    with pytest.raises(ValueError, match="mark must be"):
        viewer.mark(0, "odd")
    reference = viewer.reference
    viewer.remove(reference)
    assert viewer.reference == viewer.images[0]["id"]


def test_blink_and_stop(viewer):
    viewer.blink(0.25)
    assert viewer.blinking and viewer.blink_interval == 0.25
    viewer.stop()
    assert not viewer.blinking
    with pytest.raises(traitlets.TraitError, match="positive"):
        viewer.blink(0)
    single = roman_lab.Viewer()
    with pytest.raises(ValueError, match="two images"):
        single.blink()


# ------------------------------------------------------------------------------- display
def test_one_display_for_all(viewer):
    viewer.stretch = "asinh"
    viewer.cuts = (1.0, 20.0)
    viewer.colormap = "viridis"
    assert viewer.display == {
        "stretch": {"name": "asinh"},
        "interval": {"kind": "manual", "vmin": 1.0, "vmax": 20.0},
        "colormap": "viridis",
    }
    viewer.next()
    assert isinstance(viewer.stretch, AsinhStretch) and isinstance(viewer.cuts, ManualInterval)
    viewer.cuts = 99.0
    assert isinstance(viewer.cuts, PercentileInterval) and viewer.display["interval"] == {"kind": "percentile", "percentile": 99.0}
    viewer.cuts = "zscale"
    assert isinstance(viewer.cuts, ZScaleInterval)
    viewer.cuts = ZScaleInterval(contrast=0.1)
    assert viewer.display["interval"] == {"kind": "zscale", "contrast": 0.1}
    assert viewer.cuts.contrast == 0.1
    viewer.stretch = LogStretch(a=500)
    assert viewer.display["stretch"] == {"name": "log", "a": 500.0}
    with pytest.raises(ValueError, match="power stretch needs its exponent"):
        viewer.stretch = "power"
    with pytest.raises(ValueError, match="not a valid colormap"):
        viewer.colormap = "jet"
    with pytest.raises(traitlets.TraitError, match="stretch"):
        viewer.display = {"stretch": {"name": "cubic"}}


def test_per_image_display_and_apply_to_all(viewer):
    viewer.sync_stretch = False
    viewer.current = 0
    viewer.stretch = "sqrt"
    viewer.current = 1
    assert viewer.display["stretch"] == DEFAULT_DISPLAY["stretch"]  # the lab's default
    assert isinstance(viewer.get_stretch(viewer.images[1]["name"]), type(viewer.stretch))
    assert viewer.image_display[viewer.images[0]["id"]]["stretch"] == {"name": "sqrt"}
    viewer.set_cuts((2, 3), image_label=viewer.images[2]["name"])
    assert viewer.get_cuts(viewer.images[2]["name"]).get_limits([0]) == (2, 3)
    viewer.current = 0
    viewer.apply_stretch_to_all()
    assert all(d["stretch"] == {"name": "sqrt"} for d in viewer.image_display.values())
    assert len(viewer.image_display) == len(viewer.images)
    viewer.current = 2
    viewer.sync_stretch = True  # adopts the display of the image on screen
    assert viewer.display["stretch"] == {"name": "sqrt"}


# ------------------------------------------------------------------------------- the view
def test_center_on_and_zoom(viewer, demo):
    viewer.center_on(demo["galaxy"])
    assert viewer.center["ra"] == pytest.approx(demo["galaxy"].ra.deg)
    view = viewer.get_viewport(image_label=viewer.images[0]["name"], sky_or_pixel="pixel")
    expected = demo["manifest"]["exposures"][0]["galaxy_pixel"]
    assert view["center"] == pytest.approx(tuple(expected), abs=0.01)
    viewer.current = 1
    viewer.center_on((10.0, 20.0))  # pixels of the image on screen
    gwcs, _ = _wcs_of(demo["cals"][1])
    ra, dec = gwcs(10.0, 20.0)
    assert (viewer.center["ra"], viewer.center["dec"]) == pytest.approx((ra, dec), abs=1e-9)
    viewer.zoom_level = 4.0
    view = viewer.get_viewport(image_label=viewer.images[0]["name"], sky_or_pixel="pixel")
    assert view["fov"] == pytest.approx(800 / 4.0, rel=1e-3)  # same pixel scale as the reference
    viewer.set_state({"view_size": {"width": 600, "height": 400}})  # the browser reports its size
    view = viewer.get_viewport(image_label=viewer.images[0]["name"], sky_or_pixel="pixel")
    assert view["fov"] == pytest.approx(400 / 4.0, rel=1e-3)
    with pytest.raises(TypeError, match="center_on takes"):
        viewer.center_on("M31")


def test_a_pan_in_the_browser_replaces_the_viewport_set_in_python(viewer):
    label = viewer.images[0]["name"]
    viewer.set_viewport(center=(30, 40), fov=50, image_label=label)
    assert viewer.get_viewport(image_label=label, sky_or_pixel="pixel")["center"] == (30, 40)
    sky = viewer.get_viewport(image_label=label)["center"]
    moved = sky.directional_offset_by(0 * u.deg, 2 * 0.11 * u.arcsec * 16)
    viewer.set_state({"center": {"ra": moved.ra.deg, "dec": moved.dec.deg}, "zoom_level": 32.0})
    view = viewer.get_viewport(image_label=label)
    assert view["center"].separation(moved) < 1e-6 * u.arcsec
    assert view["fov"].to_value(u.deg) == pytest.approx(800 / 32.0 * viewer._geometry(0).pixel_scale())


# ------------------------------------------------------------------------------- circles
def test_regions_in_python_and_from_the_browser(viewer, demo):
    assert viewer.regions == []
    with pytest.raises(ValueError, match="no circle yet"):
        viewer.get_region()
    mine = CircleSkyRegion(demo["galaxy"], 3 * u.arcsec)
    added = viewer.add_region(mine)
    assert "name" not in mine.meta  # the caller's region is not modified
    assert viewer.get_region() == added and added.meta["name"]
    wire = viewer.get_state()["regions"]
    assert wire == [{"ra": pytest.approx(demo["galaxy"].ra.deg), "dec": pytest.approx(demo["galaxy"].dec.deg),
                     "radius_arcsec": pytest.approx(3.0), "id": added.meta["name"]}]
    drawn = {"ra": 187.3, "dec": 12.39, "radius_arcsec": 1.5, "id": "7"}
    viewer.set_state({"regions": [*wire, drawn]})
    region = viewer.get_region()
    assert isinstance(region, CircleSkyRegion) and region.meta["name"] == "7"
    assert region.radius.to_value(u.arcsec) == pytest.approx(1.5)
    assert viewer.get_region("7") == region and viewer.get_region(0) == added
    viewer.remove_region("7")
    assert viewer.regions == [added]
    viewer.regions = [(demo["galaxy"], 2 * u.arcsec)]
    assert viewer.get_region().radius == 2 * u.arcsec
    with pytest.raises(traitlets.TraitError, match="radius_arcsec"):
        viewer.set_state({"regions": [{"ra": 1, "dec": 2, "radius_arcsec": -1}]})


def test_catalog_markers_reach_the_browser(viewer, demo):
    table = Table({"coord": SkyCoord([187.30, 187.31], [12.39, 12.40], unit="deg")})
    viewer.load_catalog(table, catalog_label="stars", catalog_style={"shape": "plus", "color": "cyan", "size": 8})
    value = viewer.catalogs["stars"]
    assert value["points"][1] == {"ra": pytest.approx(187.31), "dec": pytest.approx(12.40)}
    assert value["style"] == {"marker": "plus", "color": "cyan", "size": 8.0}
    pixels = viewer.get_catalog(catalog_label="stars")
    gwcs, _ = _wcs_of(demo["cals"][0])
    x, y = gwcs.invert(187.30, 12.39, with_bounding_box=False)
    assert (pixels["x"][0], pixels["y"][0]) == pytest.approx((x, y), abs=1e-6)
    viewer.set_catalog_style("stars", shape="diamond", color="red", size=3)
    assert viewer.catalogs["stars"]["style"]["marker"] == "diamond"
    viewer.set_state({"catalogs": {}})  # removed in the browser
    assert viewer.catalog_labels == () and viewer.get_catalog_style()["catalog_label"] is None


# ------------------------------------------------------------------------------- ramps
def test_ramps_of_the_circle_on_the_image_on_screen(demo, tmp_path):
    faint = demo["manifest"]["faint_cosmic_ray"]
    v = roman_lab.Viewer()
    v.load(demo["cals"])
    v.current = faint["exposure"].removesuffix(".asdf")
    with pytest.raises(ValueError, match="no circle yet"):
        v.ramps()
    v.add_region(CircleSkyRegion(SkyCoord(faint["ra"], faint["dec"], unit="deg"), 2.5 * u.arcsec))
    ramps = v.ramps()
    pixels = {tuple(p) for p in np.asarray(ramps.pixels).tolist()}
    assert {(p["x"], p["y"]) for p in faint["pixels"]} <= pixels
    v.show_ramps()
    assert v.ramp_selection == {"image": v.current_image["id"], "region": v.get_region().meta["name"]}


# ------------------------------------------------------------------------------- PNG, text
def test_save_renders_the_image_on_screen_with_its_circles(viewer, demo, tmp_path):
    viewer.center_on(demo["galaxy"])
    viewer.zoom_level = 4.0
    viewer.add_region(CircleSkyRegion(demo["galaxy"], 20 * u.arcsec))
    viewer.colormap = "viridis"
    viewer.save(tmp_path / "view.png")
    rgb = np.asarray(Image.open(tmp_path / "view.png").convert("RGB"))
    assert rgb.shape == (800, 800, 3)
    assert (rgb == [0, 255, 0]).all(axis=2).sum() > 100  # the circle
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 50  # the galaxy field, coloured
    with pytest.raises(FileExistsError):
        viewer.save(tmp_path / "view.png")


def test_repr_says_what_is_shown(viewer, demo):
    assert repr(roman_lab.Viewer()) == "<roman_lab.Viewer: empty>"
    viewer.center_on(demo["galaxy"])
    viewer.mark(0)
    viewer.blink()
    text = repr(viewer)
    assert f"{len(viewer.images)} images" in text and viewer.images[0]["name"] in text
    assert "suspicious" in text and "blinking every 0.5 s" in text and "RA 187.3" in text
    bundle = viewer._repr_mimebundle_()[0]
    assert bundle["text/plain"] == text


def test_images_from_the_browser_are_validated(viewer):
    entry = dict(viewer.images[0])
    with pytest.raises(traitlets.TraitError, match=r"images\[0\]\.kind"):
        viewer.set_state({"images": [{**entry, "kind": "spectrum"}]})
    with pytest.raises(traitlets.TraitError, match="used twice"):
        viewer.set_state({"images": [entry, {**entry, "id": "other"}]})
    viewer.set_state({"images": [viewer.images[1]]})  # the browser removed all others
    assert len(viewer.images) == 1 and viewer.reference == viewer.images[0]["id"] and viewer.current == 0


def test_remote_exposures_are_downloaded_then_loaded(small_demo, tmp_path, capsys):
    """MAST through astroquery against the loopback replay of tests/mast_replay."""
    from mast_replay.server import ReplayServer

    from roman_lab.archive.mast import MastArchive

    with ReplayServer(files=small_demo.path(".")) as server:
        ra, dec, radius = server.cones["faint_cosmic_ray"]
        region = CircleSkyRegion(SkyCoord(ra * u.deg, dec * u.deg), radius * u.deg)
        found = MastArchive(timeout=10, base_url=server.url).find(region)
        assert found and not any(e.local for e in found)
        v = roman_lab.Viewer()
        v.load(found)
    downloads = tmp_path / ".roman-lab" / "downloads"
    assert [e["path"] for e in v.images] == [str(downloads / e.name) for e in found]
    assert all(Path(e["path"]).stat().st_size == small_demo.path(e["name"] + ".asdf").stat().st_size for e in v.images)
    assert [e["meta"]["time"] for e in v.images] == [e.start_time for e in found]
    assert "MAST download" in capsys.readouterr().err  # the progress bar

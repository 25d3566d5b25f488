"""The TypeScript viewer math is tested (vitest) against JSON made by tests/viewer_fixtures.py.

These tests keep that JSON honest: regenerated from astropy, regions, matplotlib and the demo
it must equal the committed files (so it cannot go stale), and the DS9 text and Python
snippets the TypeScript writes (spelled out in the fixture, asserted byte for byte by vitest)
must give back the circles in the real astropy-regions package.
"""

import json
import math

import pytest
import viewer_fixtures as vf

FIX = vf.FIXTURE_DIR
REGENERATE = "regenerate with: .venv/bin/python tests/viewer_fixtures.py"


def _assert_same(new, old, where="$"):
    """Equal structure and strings; numbers within 1e-9 relative (libm differs across machines)."""
    if isinstance(old, dict):
        assert isinstance(new, dict) and sorted(new) == sorted(old), f"{where}: keys differ; {REGENERATE}"
        for key in old:
            _assert_same(new[key], old[key], f"{where}.{key}")
    elif isinstance(old, list):
        assert isinstance(new, list) and len(new) == len(old), f"{where}: lengths differ; {REGENERATE}"
        for i, (n, o) in enumerate(zip(new, old)):
            _assert_same(n, o, f"{where}[{i}]")
    elif isinstance(old, float) and isinstance(new, (int, float)):
        assert math.isclose(new, old, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {new} != {old}; {REGENERATE}"
    else:
        assert new == old, f"{where}: {new!r} != {old!r}; {REGENERATE}"


def test_committed_fixtures_are_current(small_demo, tmp_path):
    pytest.importorskip("matplotlib", reason="ImageNormalize and the colormaps need matplotlib (test extra)")
    written = vf.generate(tmp_path / "fixtures", tmp_path / vf.COLORMAP_TS, demo_dir=small_demo.folder)
    for path in written:
        if path.suffix == ".json":
            committed = FIX / path.name
            assert committed.is_file(), f"{committed} is missing; {REGENERATE}"
            _assert_same(json.loads(path.read_text()), json.loads(committed.read_text()), path.name)
        else:
            assert path.read_text() == (vf.MATH_DIR / path.name).read_text(), f"{path.name} differs; {REGENERATE}"
    assert sorted(p.name for p in FIX.glob("*.json")) == sorted(p.name for p in written if p.suffix == ".json")


def test_generation_is_deterministic():
    """Seeds, not clocks: two runs write the same bytes (everything else is compared above)."""
    for make in (vf.coords_fixture, vf.regions_fixture):
        assert vf.dumps(make()) == vf.dumps(make())


def _separation_arcsec(region, circle):
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    expected = SkyCoord(circle["ra"] * u.deg, circle["dec"] * u.deg, frame=circle["frame"])
    return region.center.separation(expected).to_value(u.arcsec)


def _written():
    return json.loads((FIX / "regions.json").read_text())["write"]


def test_ds9_text_written_by_the_viewer_reads_back_in_regions():
    import astropy.units as u
    from regions import CircleSkyRegion, Regions

    written = _written()
    regions = Regions.parse(written["ds9"], format="ds9")
    assert len(regions) == len(written["circles"])
    for region, circle in zip(regions, written["circles"]):
        assert isinstance(region, CircleSkyRegion)
        assert region.center.frame.name == circle["frame"]
        assert _separation_arcsec(region, circle) < 0.01
        assert abs(region.radius.to_value(u.arcsec) - circle["radius_arcsec"]) < 0.01
        assert region.meta.get("text") == circle.get("text")


def test_python_snippets_of_the_viewer_evaluate_to_the_circles():
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from regions import CircleSkyRegion

    written = _written()
    namespace = {"u": u, "SkyCoord": SkyCoord, "CircleSkyRegion": CircleSkyRegion}
    for snippet, circle in zip(written["python"], written["circles"]):
        region = eval(snippet, namespace)  # the text "Copy as Python" puts on the clipboard
        assert isinstance(region, CircleSkyRegion)
        assert _separation_arcsec(region, circle) < 0.01
        assert abs(region.radius.to_value(u.arcsec) - circle["radius_arcsec"]) < 0.01

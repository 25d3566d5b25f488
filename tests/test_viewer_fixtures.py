"""The TypeScript viewer math is tested (vitest) against JSON made by tests/viewer_fixtures.py.

These tests keep that JSON honest: regenerated from astropy, regions, matplotlib and the demo
it must match the committed files (so it cannot go stale), and the DS9 text and Python
snippets the TypeScript writes (spelled out in the fixture, asserted byte for byte by vitest)
must give back the circles in the real astropy-regions package.
"""

import json
import math
import re

import numpy as np
import pytest
import viewer_fixtures as vf

FIX = vf.FIXTURE_DIR
REGENERATE = "regenerate with: .venv/bin/python tests/viewer_fixtures.py"

# A regeneration may run on another machine, where libm, numpy's SIMD loops, BLAS and the SIP
# fits of the demo's stores differ in the last bits. What is copied into a fixture (inputs,
# the seeded pixel positions, the synthetic WCS headers, integers, strings, colormap bytes) must
# be equal; each computed number must come within a tolerance in its own unit:
PX = 1e-4  # pixels, SIP errors, and sky positions as a fraction of a pixel (the SIP goal is 0.05 px)
PARSED_ARCSEC = 1e-6  # positions and radii read from text (arithmetic, no fit): 1 micro-arcsec
DATA_REL = 1e-6  # image values and display intervals, relative (a float32 carries 6e-8)
DISPLAY = 1e-6  # normalised display values in [0, 1], absolute (one colour level is 1/256)


def _differ(where, what):
    return f"{where}: {what}; {REGENERATE}"


def _assert_keys(new, old, where):
    assert isinstance(new, dict) and sorted(new) == sorted(old), _differ(where, "keys differ")


def _assert_exact(new, old, where):
    """Equal structure, strings and numbers: for what is copied into a fixture."""
    if isinstance(old, dict):
        _assert_keys(new, old, where)
        for key in old:
            _assert_exact(new[key], old[key], f"{where}.{key}")
    elif isinstance(old, list):
        assert isinstance(new, list) and len(new) == len(old), _differ(where, "lengths differ")
        for i, (n, o) in enumerate(zip(new, old)):
            _assert_exact(n, o, f"{where}[{i}]")
    else:
        assert new == old, _differ(where, f"{new!r} != {old!r}")


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _assert_close(new, old, where, rel=0.0, abs_=0.0):
    """Numbers (in dicts and lists) within abs_ + rel * |old|; the rest ("nan" tags, null) equal."""
    if isinstance(old, dict):
        _assert_keys(new, old, where)
        for key in old:
            _assert_close(new[key], old[key], f"{where}.{key}", rel, abs_)
    elif isinstance(old, list):
        assert isinstance(new, list) and len(new) == len(old), _differ(where, "lengths differ")
        for i, (n, o) in enumerate(zip(new, old)):
            _assert_close(n, o, f"{where}[{i}]", rel, abs_)
    elif _is_number(old) and _is_number(new):
        limit = abs_ + rel * abs(old)
        assert abs(new - old) <= limit, _differ(where, f"{new!r} is {abs(new - old):.3g} from {old!r} (> {limit:.3g})")
    else:
        _assert_exact(new, old, where)


def _arcsec_between(ra1, dec1, ra2, dec2):
    """Angular separation (haversine: precise for tiny angles), degrees in, arcsec out."""
    ra1, dec1, ra2, dec2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (ra1, dec1, ra2, dec2))
    s = np.sin((dec2 - dec1) / 2) ** 2 + np.cos(dec1) * np.cos(dec2) * np.sin((ra2 - ra1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(s, 0.0, 1.0)))) * 3600.0


def _assert_sky(new, old, ra, dec, arcsec, where):
    """(new[ra], new[dec]) within `arcsec` of (old[ra], old[dec]) on the sky: scalars or lists."""
    for d in (new, old):
        assert ra in d and dec in d, _differ(where, f"{ra}/{dec} missing")
    shapes = {np.shape(new[ra]), np.shape(new[dec]), np.shape(old[ra]), np.shape(old[dec])}
    assert len(shapes) == 1, _differ(where, f"{ra}/{dec} lengths differ")
    values = [np.atleast_1d(np.asarray(d[k], dtype=np.float64)) for d in (new, old) for k in (ra, dec)]
    missing = [np.isnan(v) for v in values]  # null: not finite (no sky position there)
    assert all(np.array_equal(m, missing[0]) for m in missing), _differ(where, f"{ra}/{dec} null elsewhere")
    sep = np.where(missing[0], 0.0, _arcsec_between(*values))
    worst = int(np.argmax(sep))
    assert sep[worst] <= arcsec, _differ(
        f"{where}.{ra}/{dec}" + (f"[{worst}]" if np.ndim(old[ra]) else ""),
        f"{sep[worst]:.3g} arcsec from the committed position (> {arcsec:.3g})")


def _without(d, *keys):
    return {k: v for k, v in d.items() if k not in keys}


def _check_stretch(new, old, where):
    """The test images, astropy's interval limits and the normalised probe values."""
    _assert_keys(new, old, where)
    _assert_keys(new["arrays"], old["arrays"], f"{where}.arrays")
    for name, o in old["arrays"].items():
        n, w = new["arrays"][name], f"{where}.arrays.{name}"
        _assert_keys(n, o, w)
        # float32 images made with exp() and a normal generator: one float32 rounding may differ
        _assert_close(n["values"], o["values"], f"{w}.values", rel=DATA_REL, abs_=1e-12)
        _assert_close(n["limits"], o["limits"], f"{w}.limits", rel=DATA_REL, abs_=1e-12)  # data units
        _assert_close(n["normalized"], o["normalized"], f"{w}.normalized", abs_=DISPLAY)
        _assert_exact(_without(n, "values", "limits", "normalized"), _without(o, "values", "limits", "normalized"), w)
    _assert_exact(_without(new, "arrays"), _without(old, "arrays"), where)


_SIP = re.compile(r"(?:A|B|AP|BP)_(\d+)_(\d+)")


def _check_fitted_header(new, old, size, scale_arcsec, where):
    """A store's TAN-SIP header, fitted to a demo gwcs: each number within what moves a pixel
    of the image (at most `size` px from CRPIX) by PX on the sky or in the detector."""
    _assert_keys(new, old, where)
    _assert_sky(new, old, "CRVAL1", "CRVAL2", PX * scale_arcsec, where)
    for key, o in _without(old, "CRVAL1", "CRVAL2").items():
        n, w, sip = new[key], f"{where}.{key}", _SIP.fullmatch(key)
        if sip:  # px per px^(p+q): the term moves no pixel by more than PX
            _assert_close(n, o, w, abs_=PX / size ** (int(sip[1]) + int(sip[2])))
        elif re.fullmatch(r"CD\d_\d", key):  # deg per px
            _assert_close(n, o, w, abs_=PX * scale_arcsec / 3600 / size)
        elif re.fullmatch(r"CRPIX\d|SIPMXERR|SIPIVERR", key):  # px
            _assert_close(n, o, w, abs_=PX)
        elif key == "LATPOLE":  # deg, CRVAL2's twin
            _assert_close(n, o, w, abs_=PX * scale_arcsec / 3600)
        elif key == "LONPOLE":  # deg, a rotation about CRVAL
            _assert_close(n, o, w, abs_=math.degrees(PX / size))
        else:  # CTYPE, the orders, NAXIS, MJDREF, ...: copied
            _assert_exact(n, o, w)


def _check_wcs(new, old, where):
    """Per case: the pixels and synthetic headers are inputs; astropy's and the gwcs's sky
    positions, the pixel scale, and the demo stores' fitted headers and SIP errors are computed."""
    _assert_keys(new, old, where)
    assert len(new["cases"]) == len(old["cases"]), _differ(f"{where}.cases", "lengths differ")
    for i, (n, o) in enumerate(zip(new["cases"], old["cases"])):
        w = f"{where}.cases[{i}]"
        _assert_keys(n, o, w)
        size, scale = max(o["shape"]), o["pixel_scale_arcsec"]
        # relative: moves the far edge of the image by less than PX
        _assert_close(n["pixel_scale_arcsec"], scale, f"{w}.pixel_scale_arcsec", rel=PX / size)
        _assert_sky(n, o, "ra", "dec", PX * scale, w)
        computed = ["pixel_scale_arcsec", "ra", "dec"]
        if "gwcs_ra" in o:  # a demo store
            _assert_sky(n, o, "gwcs_ra", "gwcs_dec", PX * scale, w)
            _assert_close(n["sip_max_error_px"], o["sip_max_error_px"], f"{w}.sip_max_error_px", abs_=PX)
            _check_fitted_header(n["header"], o["header"], size, scale, f"{w}.header")
            computed += ["gwcs_ra", "gwcs_dec", "sip_max_error_px", "header"]
        _assert_exact(_without(n, *computed), _without(o, *computed), w)
    _assert_exact(_without(new, "cases"), _without(old, "cases"), where)


def _check_circles(new, old, where):
    """Circles read from text by astropy-regions: centres and radii in arcsec, the rest equal."""
    assert isinstance(new, list) and len(new) == len(old), _differ(where, "lengths differ")
    for i, (n, o) in enumerate(zip(new, old)):
        w = f"{where}[{i}]"
        _assert_sky(n, o, "ra", "dec", PARSED_ARCSEC, w)
        _assert_close(n["radius_arcsec"], o["radius_arcsec"], f"{w}.radius_arcsec", abs_=PARSED_ARCSEC)
        _assert_exact(_without(n, "ra", "dec", "radius_arcsec"), _without(o, "ra", "dec", "radius_arcsec"), w)


def _check_coords(new, old, where):
    """The formatted positions are inputs (strings exact); the parsed ones are computed."""
    _assert_keys(new, old, where)
    assert len(new["parse"]) == len(old["parse"]), _differ(f"{where}.parse", "lengths differ")
    for i, (n, o) in enumerate(zip(new["parse"], old["parse"])):
        _assert_sky(n, o, "ra", "dec", PARSED_ARCSEC, f"{where}.parse[{i}]")
        _assert_exact(_without(n, "ra", "dec"), _without(o, "ra", "dec"), f"{where}.parse[{i}]")
    _assert_exact(_without(new, "parse"), _without(old, "parse"), where)


def _check_regions(new, old, where):
    """What astropy-regions reads is computed; what the viewer must write is spelled out (exact)."""
    _assert_keys(new, old, where)
    assert len(new["inputs"]) == len(old["inputs"]), _differ(f"{where}.inputs", "lengths differ")
    for i, (n, o) in enumerate(zip(new["inputs"], old["inputs"])):
        _assert_keys(n, o, f"{where}.inputs[{i}]")
        _check_circles(n["circles"], o["circles"], f"{where}.inputs[{i}].circles")
        _assert_exact(_without(n, "circles"), _without(o, "circles"), f"{where}.inputs[{i}]")
    _assert_exact(_without(new, "inputs"), _without(old, "inputs"), where)


# colormaps_r.json (matplotlib's bytes) has no tolerance: it is compared exactly
CHECKS = {"stretch.json": _check_stretch, "wcs.json": _check_wcs, "coords.json": _check_coords,
          "regions.json": _check_regions}


def assert_current(name, new, old):
    """The regenerated fixture `name` matches the committed one (see the tolerances above)."""
    CHECKS.get(name, _assert_exact)(new, old, name)


def test_committed_fixtures_are_current(small_demo, tmp_path):
    pytest.importorskip("matplotlib", reason="ImageNormalize and the colormaps need matplotlib (test extra)")
    written = vf.generate(tmp_path / "fixtures", tmp_path / vf.COLORMAP_TS, demo_dir=small_demo.folder)
    for path in written:
        if path.suffix == ".json":
            committed = FIX / path.name
            assert committed.is_file(), f"{committed} is missing; {REGENERATE}"
            assert_current(path.name, json.loads(path.read_text()), json.loads(committed.read_text()))
        else:
            assert path.read_text() == (vf.MATH_DIR / path.name).read_text(), f"{path.name} differs; {REGENERATE}"
    assert sorted(p.name for p in FIX.glob("*.json")) == sorted(p.name for p in written if p.suffix == ".json")


def _committed(name):
    return json.loads((FIX / name).read_text())


def _edited(name, path, how):
    """The committed fixture `name` with the number at `path` replaced by how(number)."""
    data = _committed(name)
    *parents, last = path
    target = data
    for key in parents:
        target = target[key]
    target[last] = how(target[last])
    return data


def test_the_tolerances_pass_rounding_and_catch_real_changes():
    """What another machine does (last-bit differences; issue 14: a SIP error 7e-9 relative
    away) passes; a change that means something, or any change of a copied input, fails."""
    cases = _committed("wcs.json")["cases"]
    demo = next(i for i, c in enumerate(cases) if "gwcs_ra" in c)
    synthetic = next(i for i, c in enumerate(cases) if "gwcs_ra" not in c)
    pixel_deg = cases[demo]["pixel_scale_arcsec"] / 3600
    rounding = [
        ("wcs.json", ("cases", demo, "sip_max_error_px"), lambda v: v * (1 + 7e-9)),
        ("wcs.json", ("cases", demo, "header", "A_2_0"), lambda v: v * (1 + 1e-9)),
        ("wcs.json", ("cases", demo, "header", "A_0_3"), lambda v: v + 1e-17),  # a fitted zero
        ("wcs.json", ("cases", demo, "ra", 3), lambda v: v * (1 + 1e-15)),
        ("wcs.json", ("cases", demo, "gwcs_dec", 0), lambda v: v + 1e-12),
        ("wcs.json", ("cases", synthetic, "dec", 0), lambda v: v + 1e-13),  # libm
        ("stretch.json", ("arrays", "galaxy", "limits", "zscale", 0), lambda v: v * (1 + 1e-12)),
        ("stretch.json", ("arrays", "galaxy", "normalized", "zscale", "log", 0), lambda v: v + 1e-12),
        ("coords.json", ("parse", 3, "dec"), lambda v: v + 1e-13),
        ("regions.json", ("inputs", 0, "circles", 0, "radius_arcsec"), lambda v: v + 1e-12),
    ]
    for name, path, how in rounding:
        assert_current(name, _edited(name, path, how), _committed(name))
    meaningful = [
        ("wcs.json", ("cases", demo, "sip_max_error_px"), lambda v: v + 1e-3),
        ("wcs.json", ("cases", demo, "dec", 3), lambda v: v + 0.01 * pixel_deg),
        ("wcs.json", ("cases", demo, "header", "CRVAL1"), lambda v: v + 0.01 * pixel_deg),
        ("wcs.json", ("cases", demo, "header", "A_2_0"), lambda v: v * 1.001),
        ("wcs.json", ("cases", demo, "x", 0), lambda v: v + 1e-9),  # inputs are exact
        ("wcs.json", ("cases", synthetic, "header", "CRVAL1"), lambda v: v + 1e-12),
        ("stretch.json", ("arrays", "galaxy", "limits", "zscale", 0), lambda v: v * 1.0001),
        ("stretch.json", ("arrays", "galaxy", "normalized", "zscale", "log", 0), lambda v: v + 1e-4),
        ("coords.json", ("format", 5, "ra"), lambda v: v + 1e-12),
        ("coords.json", ("parse", 3, "dec"), lambda v: v + 1e-3 / 3600),
        ("regions.json", ("write", "circles", 0, "ra"), lambda v: v + 1e-12),
    ]
    for name, path, how in meaningful:
        with pytest.raises(AssertionError, match=re.escape(REGENERATE)):
            assert_current(name, _edited(name, path, how), _committed(name))


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

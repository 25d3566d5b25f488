"""Generate the reference numbers the TypeScript viewer math is tested against.

The browser reimplements astropy.visualization (stretches, intervals), the FITS TAN-SIP WCS,
sexagesimal coordinates, DS9 circles and matplotlib's colormaps; vitest compares it with the
JSON written here, so "matches astropy" is a test and not a claim. tests/test_viewer_fixtures.py
regenerates everything into a temporary folder and compares it with the committed files (inputs
exactly, computed numbers within tolerances in their own units, as another machine's libm, numpy
and SIP fits differ in the last bits), so the fixtures cannot go stale when astropy, regions or
the demo change.

    .venv/bin/python tests/viewer_fixtures.py            # writes src/viewer/math/fixtures/*.json
                                                         # and src/viewer/math/colormapData.ts
    .venv/bin/python tests/viewer_fixtures.py --out DIR  # somewhere else (the pytest does this)

Deterministic: seeded random numbers, sorted keys, no timestamps. Needs astropy, regions,
roman_lab (the small demo is generated in a temporary folder unless --demo gives one) and
matplotlib (ImageNormalize and the colormap tables).
"""

import argparse
import json
import math
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MATH_DIR = ROOT / "src" / "viewer" / "math"
FIXTURE_DIR = MATH_DIR / "fixtures"
COLORMAP_TS = "colormapData.ts"
SEED = 20240611

# ---------------------------------------------------------------------------- JSON helpers


def _clean(value):
    """JSON has no NaN/inf: non-finite floats become null, numpy scalars plain Python numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.str_):
        return str(value)
    return value


_FLAT_ARRAY = re.compile(r'\[(?:\s*(?:[-+0-9.eE]+|null|"-?(?:nan|inf)"),?)*\s*\]')


def dumps(obj):
    """Stable JSON: sorted keys, one key per line, arrays of numbers on one line (short diffs)."""
    text = json.dumps(_clean(obj), indent=1, sort_keys=True, allow_nan=False)
    return _FLAT_ARRAY.sub(lambda m: re.sub(r"\s+", "", m.group(0)), text) + "\n"


def _finite_or_tag(values):
    """Array values for JSON: finite numbers as is, NaN/inf as the strings "nan", "inf", "-inf"."""
    out = []
    for v in np.asarray(values, dtype=np.float64):
        out.append(float(v) if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")))
    return out


# ---------------------------------------------------------------------------- stretches


def _galaxy_image():
    """64x64 float32 sky: noise, an exponential galaxy, stars, cosmic rays, a NaN column."""
    rng = np.random.default_rng([SEED, 1])
    y, x = np.mgrid[0:64, 0:64].astype(np.float64)
    image = 0.1 + rng.normal(0.0, 0.02, (64, 64))
    image += 5.0 * np.exp(-np.hypot((x - 30.3) / 1.0, (y - 33.1) / 0.6) / 4.0)
    for sx, sy, peak in [(10.2, 50.7, 50.0), (52.6, 12.1, 8.0), (45.0, 47.5, 1.5)]:
        image += peak * np.exp(-((x - sx) ** 2 + (y - sy) ** 2) / (2 * 1.1**2))
    image[[5, 40, 60], [20, 8, 33]] = [200.0, 150.0, -30.0]  # cosmic rays and a cold pixel
    image[:, 62] = np.nan
    return image.astype(np.float32)


def stretch_arrays():
    """Named float32 test arrays and the indices at which the normalised output is compared."""
    mixed = np.r_[np.linspace(-3.0, 10.0, 41), [np.nan, np.inf, -np.inf, np.nan]]
    mixed = mixed[np.random.default_rng([SEED, 2]).permutation(mixed.size)].astype(np.float32)
    galaxy = _galaxy_image().ravel()
    rng = np.random.default_rng([SEED, 3])
    probe = np.r_[rng.choice(galaxy.size, 90, replace=False), np.nanargmax(galaxy), np.nanargmin(galaxy), 62]
    return {
        "mixed": (mixed, np.arange(mixed.size), (-1.0, 5.0)),
        "galaxy": (galaxy, np.sort(probe), (0.0, 1.0)),
        "constant": (np.r_[np.full(10, 2.5), np.nan].astype(np.float32), np.arange(11), (2.0, 3.0)),
        "tiny": (np.array([1.0, 2.0, np.nan, 4.0], dtype=np.float32), np.arange(4), (0.0, 2.0)),
    }


def _intervals(manual):
    from astropy.visualization import (
        AsymmetricPercentileInterval,
        ManualInterval,
        MinMaxInterval,
        PercentileInterval,
        ZScaleInterval,
    )

    return {
        "minmax": ({"kind": "minmax"}, MinMaxInterval()),
        "percentile99.5": ({"kind": "percentile", "percentile": 99.5}, PercentileInterval(99.5)),
        "percentile90": ({"kind": "percentile", "percentile": 90.0}, PercentileInterval(90.0)),
        "asymmetric5-99.9": ({"kind": "asymmetric", "lower": 5.0, "upper": 99.9},
                             AsymmetricPercentileInterval(5.0, 99.9)),
        "zscale": ({"kind": "zscale"}, ZScaleInterval()),
        "manual": ({"kind": "manual", "vmin": manual[0], "vmax": manual[1]}, ManualInterval(*manual)),
        "manual-vmax": ({"kind": "manual", "vmax": manual[1]}, ManualInterval(vmax=manual[1])),
    }


def _stretches(data):
    from astropy.visualization import (
        AsinhStretch,
        HistEqStretch,
        LinearStretch,
        LogStretch,
        PowerStretch,
        SinhStretch,
        SqrtStretch,
    )

    return {
        "linear": ({"name": "linear"}, LinearStretch()),
        "sqrt": ({"name": "sqrt"}, SqrtStretch()),
        "log": ({"name": "log"}, LogStretch()),
        "log10": ({"name": "log", "a": 10.0}, LogStretch(10.0)),
        "asinh": ({"name": "asinh"}, AsinhStretch()),
        "asinh0.5": ({"name": "asinh", "a": 0.5}, AsinhStretch(0.5)),
        "sinh": ({"name": "sinh"}, SinhStretch()),
        "power2": ({"name": "power", "a": 2.0}, PowerStretch(2.0)),
        "power0.3": ({"name": "power", "a": 0.3}, PowerStretch(0.3)),
        "histeq": ({"name": "histeq"}, HistEqStretch(data)),
    }


def stretch_fixture():
    """astropy's ImageNormalize(data, interval, stretch, clip=True) for every pair.

    Computed on the float64 values of float32 arrays: the TypeScript twin reads float32 chunks
    and computes in float64, so both sides see the same numbers.
    """
    from astropy.visualization import ImageNormalize

    out = {"arrays": {}, "stretches": {}}
    for name, (values32, probe, manual) in stretch_arrays().items():
        data = values32.astype(np.float64)
        entry = {"values": _finite_or_tag(data), "probe": probe.tolist(), "intervals": {}, "limits": {},
                 "normalized": {}}
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # HistEqStretch of a constant array divides 0 by 0
            stretches = _stretches(data)
            for ikey, (ispec, interval) in _intervals(manual).items():
                entry["intervals"][ikey] = ispec
                entry["limits"][ikey] = [float(v) for v in interval.get_limits(data)]
                entry["normalized"][ikey] = {}
                for skey, (sspec, stretch) in stretches.items():
                    out["stretches"][skey] = sspec
                    norm = ImageNormalize(data, interval=interval, stretch=stretch, clip=True)
                    entry["normalized"][ikey][skey] = _finite_or_tag(np.ma.getdata(norm(data[probe])))
        out["arrays"][name] = entry
    return out


# ---------------------------------------------------------------------------- WCS


def _strong_distortion_header():
    """A Roman-sized detector with a cubic distortion of ~25 px at the corners, PC + CDELT,
    and deliberately crude inverse polynomials (first order only): the TypeScript inverse must
    still be exact because it refines AP/BP with Newton steps on the forward A/B."""
    # cos and sin of 30 degrees written out: an input must not hang on the machine's libm
    cos30, sin30 = 0.8660254037844387, 0.49999999999999994
    scale = 0.11 / 3600.0
    header = {
        "NAXIS": 2, "NAXIS1": 4088, "NAXIS2": 4088,
        "CTYPE1": "RA---TAN-SIP", "CTYPE2": "DEC--TAN-SIP",
        "CRPIX1": 2044.5, "CRPIX2": 2040.25, "CRVAL1": 10.5, "CRVAL2": -45.2,
        "CDELT1": -scale, "CDELT2": scale,
        "PC1_1": cos30, "PC1_2": -sin30, "PC2_1": sin30, "PC2_2": cos30,
        "A_ORDER": 3, "B_ORDER": 3,
        "A_2_0": 2.1e-6, "A_1_1": -1.3e-6, "A_0_2": 0.9e-6, "A_3_0": 1.1e-9, "A_1_2": -0.6e-9,
        "B_2_0": -0.8e-6, "B_1_1": 1.7e-6, "B_0_2": 2.4e-6, "B_0_3": 0.9e-9, "B_2_1": 0.5e-9,
        "AP_ORDER": 1, "BP_ORDER": 1, "AP_1_0": 0.0, "BP_0_1": 0.0,
    }
    return header


def _pole_header():
    """Pure TAN next to the north celestial pole, described with CDELT + CROTA2 and LONPOLE."""
    return {
        "NAXIS": 2, "NAXIS1": 1000, "NAXIS2": 800,
        "CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CRPIX1": 500.5, "CRPIX2": 400.5,
        "CRVAL1": 250.0, "CRVAL2": 89.95, "CDELT1": -1e-4, "CDELT2": 1e-4, "CROTA2": 12.5,
    }


def _lonpole_header():
    """Pure TAN with CD and an explicit LONPOLE (a rotation of the native frame)."""
    return {
        "NAXIS": 2, "NAXIS1": 300, "NAXIS2": 300, "CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN",
        "CRPIX1": 150.0, "CRPIX2": 151.0, "CRVAL1": 359.99, "CRVAL2": -30.0,
        "CD1_1": -2e-4, "CD1_2": 1e-5, "CD2_1": 2e-5, "CD2_2": 2e-4, "LONPOLE": 170.0,
    }


def _pixels(shape, n, rng, crpix):
    """n random pixels over the whole image (edges included), its corners and the reference pixel."""
    ny, nx = shape
    x = np.r_[rng.uniform(-0.5, nx - 0.5, n), -0.5, nx - 0.5, -0.5, nx - 0.5, crpix[0] - 1]
    y = np.r_[rng.uniform(-0.5, ny - 0.5, n), -0.5, -0.5, ny - 0.5, ny - 0.5, crpix[1] - 1]
    return x, y


def _wcs_case(name, header, shape, rng, gwcs=None, sip_max_error_px=None):
    from astropy.io import fits
    from astropy.wcs import WCS
    from astropy.wcs.utils import proj_plane_pixel_area

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wcs = WCS(fits.Header(header))
    x, y = _pixels(shape, 40, rng, wcs.wcs.crpix)
    ra, dec = wcs.all_pix2world(x, y, 0)
    case = {
        "name": name, "header": header, "shape": list(shape),
        "pixel_scale_arcsec": math.sqrt(proj_plane_pixel_area(wcs.celestial)) * 3600.0,
        "x": x, "y": y, "ra": ra, "dec": dec,
    }
    if gwcs is not None:
        gra, gdec = gwcs(x, y)
        case.update(gwcs_ra=gra, gwcs_dec=gdec, sip_max_error_px=sip_max_error_px)
    return case


def wcs_fixture(demo_dir=None):
    """astropy's all_pix2world(x, y, 0) of the stores' TAN-SIP headers, and the gwcs values."""
    import roman_lab
    from roman_lab import demo

    rng = np.random.default_rng([SEED, 4])
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        manifest = demo.make(demo_dir or Path(tmp) / "demo", small=True, progress=False)
        for path in [*manifest.cal_files, manifest.mosaic_file]:
            store = roman_lab.convert(path, cache_dir=Path(tmp) / "stores", progress=False)
            header = dict(store.attrs["fits_wcs"])
            gwcs = roman_lab.open(path).wcs
            cases.append(_wcs_case(Path(path).name, header, store.attrs["shape"], rng, gwcs,
                                   store.attrs["sip_max_error_px"]))
    cases.append(_wcs_case("strong-distortion", _strong_distortion_header(), (4088, 4088), rng))
    cases.append(_wcs_case("pole-crota2", _pole_header(), (800, 1000), rng))
    cases.append(_wcs_case("lonpole", _lonpole_header(), (300, 300), rng))
    return {"cases": cases}


# ---------------------------------------------------------------------------- coordinates

# (text, astropy units) for strings the viewer's "centre on" box must read like SkyCoord does
PARSE_CASES = [
    ("187.3 12.4", "deg"),
    ("187.3, -12.4", "deg"),
    ("  0.000001   -89.9999 ", "deg"),
    ("12:29:12.3 +12:24:00", "hourangle"),
    ("12:29:12.3 -00:24:00", "hourangle"),
    ("12:29:12.3, -0:24:00.25", "hourangle"),
    ("12h29m12.3s +12d24m00s", "hourangle"),
    ("12h29m12.3s -0d24m00.5s", "hourangle"),
    ("00h00m00.5s +89d59m59.9s", "hourangle"),
    ("12 29 12.3 +12 24 00", "hourangle"),
    ("23 59 59.999 -00 00 00.1", "hourangle"),
]
# look like coordinates but are not valid: the viewer says why instead of asking a name resolver
INVALID_COORDINATES = ["12:61:00 +12:00:00", "187.3 95", "12:29:12.3 +12:60:00", "400 10", "25:00:00 +10:00:00"]
# not coordinates at all: names for the resolver
NAMES = ["M31", "NGC 4486", "Abell 1689", ""]


def coords_fixture():
    """Sexagesimal strings from astropy's Angle.to_string and positions from SkyCoord(text)."""
    import astropy.units as u
    from astropy.coordinates import Angle, SkyCoord

    rng = np.random.default_rng([SEED, 5])
    ras = np.r_[0.0, 187.29442148945, 359.9, 15.0 - 1e-12, 0.0041666666, rng.uniform(0, 360, 20)]
    decs = np.r_[0.0, 12.387247648028, -89.99999, -1e-9, 89.999999999, rng.uniform(-90, 90, 20)]
    formats = []
    for ra, dec in zip(ras, decs):
        entry = {"ra": ra, "dec": dec}
        for p in (0, 1, 2, 3):
            entry[f"ra{p}"] = Angle(ra, u.deg).to_string(unit=u.hour, sep=":", precision=p, pad=True)
            entry[f"dec{p}"] = Angle(dec, u.deg).to_string(unit=u.deg, sep=":", precision=p, pad=True,
                                                          alwayssign=True)
        formats.append(entry)
    parse = []
    for text, unit in PARSE_CASES:
        # the viewer also takes a comma between RA and Dec; SkyCoord wants a space
        c = SkyCoord(text.replace(",", " "), unit=(getattr(u, unit), u.deg), frame="icrs")
        parse.append({"text": text, "ra": c.ra.deg, "dec": c.dec.deg})
    return {"format": formats, "parse": parse, "invalid": INVALID_COORDINATES, "names": NAMES}


# ---------------------------------------------------------------------------- DS9 regions

DS9_SAMPLE = """# Region file format: DS9 version 4.1
global color=green dashlist=8 3 width=1 font="helvetica 10 normal roman" select=1 highlite=1 dash=0 fixed=0 edit=1 move=1 delete=1 include=1 source=1
fk5
circle(12:29:10.661,+12:23:14.09,1.5") # text={core}
circle(187.3,12.4,0.01d)
circle(187.31,12.41,0.002) # color=red
box(187.3,12.4,2",3",0)
-circle(187.3,12.4,3')
# circle(187.3,12.4,9")
icrs;circle(12h29m10.661s,-0d23m14.09s,2") # text={a faint, "odd" one}
circle(187.25 12.35 0.5')
point(187.3,12.4) # point=circle
image
circle(100,100,5)
"""

# circles the TypeScript writer must write exactly as DS9_WRITTEN (and Python as PYTHON_SNIPPETS)
WRITE_CIRCLES = [
    {"ra": 187.29442148945, "dec": 12.387247648028, "radius_arcsec": 1.5, "frame": "icrs"},
    {"ra": 0.0123456789012, "dec": -0.5, "radius_arcsec": 0.123456789, "frame": "icrs", "text": "faint CR"},
    {"ra": 359.999999, "dec": -89.123456789123, "radius_arcsec": 3600.25, "frame": "fk5"},
]


def _circle_dict(region):
    import astropy.units as u

    frame = region.center.frame.name
    return {"ra": region.center.ra.deg, "dec": region.center.dec.deg,
            "radius_arcsec": region.radius.to_value(u.arcsec), "frame": frame,
            **({"text": region.meta["text"]} if "text" in region.meta else {})}


def parse_ds9(text):
    """What astropy-regions reads from DS9 text: the included sky circles and the rest's count."""
    from regions import CircleSkyRegion, Regions

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = Regions.parse(text, format="ds9")
    circles = [r for r in parsed if isinstance(r, CircleSkyRegion) and r.meta.get("include", 1)]
    return [_circle_dict(r) for r in circles], len(parsed) - len(circles)


def ds9_text(circles):
    """The DS9 file the TypeScript writer (regions.ts writeDs9) produces: ds9's own layout, one
    coordinate-system line per frame change, RA/Dec to 1e-8 deg, radius to 1e-4 arcsec."""
    lines = ["# Region file format: DS9 version 4.1", "# written by roman-lab"]
    frame = None
    for c in circles:
        if c["frame"] != frame:
            frame = c["frame"]
            lines.append(frame)
        line = f'circle({c["ra"]:.8f},{c["dec"]:.8f},{c["radius_arcsec"]:.4f}")'
        if c.get("text"):
            line += " # text={" + c["text"] + "}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def python_snippet(c):
    """The "Copy as Python" text of regions.ts circleToPython: exact digits (10 decimals in
    degrees is 0.4 micro-arcsec), so Python rebuilds the circle the viewer shows."""
    return ("CircleSkyRegion(center=SkyCoord("
            f'{c["ra"]:.10f} * u.deg, {c["dec"]:.10f} * u.deg, frame="{c["frame"]}"), '
            f'radius={c["radius_arcsec"]:.6f} * u.arcsec)')


def regions_fixture():
    """DS9 texts with what astropy-regions reads from them, and what the viewer must write.

    The writer cannot be checked by running TypeScript from Python; instead the expected DS9
    text and Python snippets are spelled out here, vitest asserts the TypeScript output equals
    them byte for byte, and test_viewer_fixtures.py parses/evaluates them with the real
    regions package and checks they give back the circles within 0.01 arcsec.
    """
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from regions import CircleSkyRegion, Regions

    written_by_regions = Regions([
        CircleSkyRegion(SkyCoord(c["ra"] * u.deg, c["dec"] * u.deg, frame=c["frame"]), c["radius_arcsec"] * u.arcsec,
                        meta={"text": c["text"]} if "text" in c else {})
        for c in WRITE_CIRCLES
    ]).serialize(format="ds9")
    inputs = []
    for name, text in [("ds9-sample", DS9_SAMPLE), ("regions-writer", written_by_regions)]:
        circles, skipped = parse_ds9(text)
        inputs.append({"name": name, "text": text, "circles": circles, "skipped": skipped})
    return {
        "inputs": inputs,
        "write": {"circles": WRITE_CIRCLES, "ds9": ds9_text(WRITE_CIRCLES),
                  "python": [python_snippet(c) for c in WRITE_CIRCLES]},
    }


# ---------------------------------------------------------------------------- colormaps

COLORMAPS = {"grey": "gray", "viridis": "viridis", "inferno": "inferno", "magma": "magma",
             "plasma": "plasma", "cividis": "cividis"}


def colormap_module():
    """colormapData.ts: matplotlib's 256-entry tables as bytes (`cmap(i, bytes=True)`), in hex."""
    from matplotlib import colormaps

    lines = [
        "/**",
        " * matplotlib's 256-entry colormap tables (RGB bytes, `cmap(range(256), bytes=True)`), in hex.",
        " * Generated by tests/viewer_fixtures.py from matplotlib; do not edit.",
        " * Committed so the browser needs no matplotlib; tests/test_viewer_fixtures.py keeps it current.",
        " */",
        "export const COLORMAP_HEX = {",
    ]
    for name, mpl_name in COLORMAPS.items():
        rgb = colormaps[mpl_name](np.arange(256), bytes=True)[:, :3]
        lines.append(f"  {name}: '{rgb.tobytes().hex()}',")
    lines += ["} as const;", ""]
    return "\n".join(lines)


def colormap_fixture():
    """The reversed tables as matplotlib makes them (`name_r`), to check the TypeScript reversal."""
    from matplotlib import colormaps

    return {name: colormaps[mpl_name + "_r"](np.arange(256), bytes=True)[:, :3].tobytes().hex()
            for name, mpl_name in COLORMAPS.items()}


# ---------------------------------------------------------------------------- main


def generate(out_dir=FIXTURE_DIR, colormap_ts=MATH_DIR / COLORMAP_TS, demo_dir=None):
    """Write every fixture into out_dir and the colormap tables to colormap_ts; returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "stretch.json": dumps(stretch_fixture()),
        "wcs.json": dumps(wcs_fixture(demo_dir)),
        "coords.json": dumps(coords_fixture()),
        "regions.json": dumps(regions_fixture()),
        "colormaps_r.json": dumps(colormap_fixture()),
    }
    written = []
    for name, text in files.items():
        (out_dir / name).write_text(text)
        written.append(out_dir / name)
    Path(colormap_ts).write_text(colormap_module())
    written.append(Path(colormap_ts))
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=FIXTURE_DIR, help="folder of the JSON fixtures")
    parser.add_argument("--colormap-ts", type=Path, default=None,
                        help=f"where to write {COLORMAP_TS} (default: beside the fixtures' parent, "
                             f"i.e. {MATH_DIR / COLORMAP_TS} for the default --out)")
    parser.add_argument("--demo", type=Path, default=None, help="an existing small demo folder to reuse")
    args = parser.parse_args()
    colormap_ts = args.colormap_ts or (args.out.parent / COLORMAP_TS)
    for path in generate(args.out, colormap_ts, args.demo):
        print(path)


if __name__ == "__main__":
    main()

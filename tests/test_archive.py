"""The archive: footprints and spherical geometry, the lineage and local sources on the demo
field, the incremental SQLite index, and the public find_exposures / level1_for / index."""

import math
import os
import shutil
import sys
import types

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from regions import CircleSkyRegion
from roman_datamodels.dqflags import pixel as dqflags

import roman_lab
from roman_lab import archive
from roman_lab.archive import Exposure, ExposureList, find_exposures, level1_for
from roman_lab.archive.footprint import (
    Footprint,
    on_detector,
    pixel_of,
    radec,
    unit,
)
from roman_lab.archive.lineage import LineageArchive
from roman_lab.archive.local import LocalArchive, cap_cells


# -- geometry ---------------------------------------------------------------------------------
def _tangent_square(ra0, dec0, half_deg, rot_deg=0.0, per_side=8):
    """A square of straight sides in the gnomonic plane at (ra0, dec0), i.e. great-circle
    sides on the sky, plus a function that says exactly which points are inside it."""
    c = unit(ra0, dec0)
    ref = np.array([0.0, 0.0, 1.0]) if abs(c[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    e1 = np.cross(ref, c)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(c, e1)
    t = math.radians(rot_deg)
    e1, e2 = math.cos(t) * e1 + math.sin(t) * e2, -math.sin(t) * e1 + math.cos(t) * e2
    h = math.tan(math.radians(half_deg))
    s = np.linspace(-h, h, per_side, endpoint=False)
    pts = np.concatenate([np.c_[s, np.full_like(s, -h)], np.c_[np.full_like(s, h), s],
                          np.c_[-s, np.full_like(s, h)], np.c_[np.full_like(s, -h), -s]])
    v = c + pts[:, :1] * e1 + pts[:, 1:] * e2
    ra, dec = radec(v / np.linalg.norm(v, axis=1)[:, None])

    def inside(pra, pdec):
        p = unit(pra, pdec)
        z = p @ c
        return (z > 0) & (np.abs((p @ e1) / z) < h) & (np.abs((p @ e2) / z) < h)

    return Footprint(ra, dec), inside


@pytest.mark.parametrize(
    "ra0, dec0, rot",
    [(0.0, 0.0, 0.0), (359.98, -10.0, 30.0), (0.01, 89.97, 20.0), (180.0, -89.99, 45.0), (123.4, 45.6, 60.0)],
)
def test_point_in_polygon_is_exact_across_ra0_and_at_the_poles(ra0, dec0, rot):
    fp, inside = _tangent_square(ra0, dec0, 0.1, rot)
    rng = np.random.default_rng(1)
    # random points around the square, in a cap of 0.2 deg
    v = unit(ra0, dec0) + rng.normal(scale=math.radians(0.12), size=(4000, 3))
    ra, dec = radec(v / np.linalg.norm(v, axis=1)[:, None])
    got, want = fp.contains(ra, dec), inside(ra, dec)
    assert want.sum() > 500 and (~want).sum() > 500
    np.testing.assert_array_equal(got, want)


def test_polygon_around_a_pole_and_across_ra0():
    ring = np.arange(0.0, 360.0, 30.0)
    polar = Footprint(ring, np.full(ring.size, 89.9))
    assert polar.contains(0.0, 90.0) and polar.contains(200.0, 89.95)
    assert not polar.contains(200.0, 89.8) and not polar.contains(10.0, -89.95)
    assert polar.overlap(0.0, 90.0, 0.05) == "full"
    assert polar.overlap(0.0, 90.0, 0.2) == "partial"
    assert polar.overlap(45.0, 89.7, 0.05) is None
    square = Footprint([359.9, 0.1, 0.1, 359.9], [-0.1, -0.1, 0.1, 0.1])
    assert square.contains(0.0, 0.0) and square.contains(359.95, 0.05) and square.contains(0.05, -0.05)
    assert not square.contains(0.2, 0.0) and not square.contains(180.0, 0.0)
    assert square.overlap(0.0, 0.0, 0.05) == "full"
    assert square.overlap(359.99, 0.0, 0.15) == "partial"  # bigger than the square
    assert square.overlap(0.15, 0.0, 0.1) == "partial"
    assert square.overlap(359.75, 0.0, 0.1) is None
    assert math.degrees(square.distance_to_edge(0.0, 0.0)) == pytest.approx(0.1, rel=1e-3)
    again = Footprint.from_json(square.to_json())
    assert again.contains(359.95, 0.05)


def test_sky_index_cells_cover_every_point_of_a_cap():
    rng = np.random.default_rng(2)
    centres = [(0.05, 0.0), (359.95, 30.0), (10.0, 89.9), (200.0, -89.95), (90.0, 75.0), (0.0, 90.0), (0.0, -90.0)]
    for ra0, dec0 in centres:
        for radius in (0.0, 0.01, 0.1, 0.3):
            cells = set(cap_cells(ra0, dec0, radius))
            v = unit(ra0, dec0) + rng.normal(size=(300, 3)) * math.radians(radius)
            v /= np.linalg.norm(v, axis=1)[:, None]
            c = unit(ra0, dec0)
            keep = np.degrees(np.arccos(np.clip(v @ c, -1, 1))) <= radius
            for ra, dec in zip(*radec(v[keep])):
                assert set(cap_cells(ra, dec, 0.0)) <= cells, (ra0, dec0, radius, ra, dec)


# -- the demo field -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Cache (stores and archive.sqlite) in a temporary folder for this module."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ROMAN_LAB_CACHE", str(cache / "stores"))
        yield cache


@pytest.fixture(scope="module")
def l2s(small_demo):
    """Every L2 of the demo: name -> (wcs, shape, start_time, path), read once."""
    out = {}
    for e in small_demo["exposures"]:
        with roman_lab.open(small_demo.path(e["cal"])) as rf:
            out[e["cal"]] = (rf.wcs, rf.shape, rf.summary["start_time"], small_demo.path(e["cal"]))
    return out


@pytest.fixture(scope="module")
def lineage(small_demo, env):
    return LineageArchive(small_demo.path(small_demo["mosaic"]["file"]), cache_dir=env / "stores")


@pytest.fixture(scope="module")
def local(small_demo, env):
    a = LocalArchive(small_demo.path("demo.json").parent, db=env / "demo.sqlite")
    a.index(progress=False)
    return a


def _brute_force(l2s, ra, dec):
    """Names of the L2s with (ra, dec) on the detector through their gwcs, by start time."""
    hits = []
    for name, (wcs, shape, start, _) in l2s.items():
        x, y = pixel_of(wcs, ra, dec)
        if on_detector(x, y, shape):
            hits.append((start, name, x, y))
    return [(n, x, y) for _, n, x, y in sorted(hits)]


def _positions(small_demo, l2s):
    """The faint cosmic ray, plus points near detector edges that only some exposures cover."""
    cr = small_demo["faint_cosmic_ray"]
    out = [("faint CR", cr["ra"], cr["dec"])]
    wcs, _shape, _, _ = l2s[small_demo["exposures"][0]["cal"]]
    for x, y in ((3.0, 3.0), (250.0, 128.0), (128.0, 1.0)):
        ra, dec = wcs(x, y)
        out.append((f"edge {x},{y}", float(ra), float(dec)))
    return out


@pytest.mark.parametrize("source", ["lineage", "local"])
def test_sources_return_exactly_the_covering_exposures(small_demo, l2s, lineage, local, source):
    arch = lineage if source == "lineage" else local
    counts = set()
    for label, ra, dec in _positions(small_demo, l2s):
        want = _brute_force(l2s, ra, dec)
        got = arch.find((SkyCoord(ra, dec, unit="deg"), 0 * u.arcsec))
        assert isinstance(got, ExposureList)
        assert [e.name for e in got] == [n for n, _, _ in want], label
        for e, (_, x, y) in zip(got, want):
            assert e.source == source and e.local and e.coverage == "full"
            assert abs(e.x - x) < 0.01 and abs(e.y - y) < 0.01
            assert e.start_time and e.detector and e.optical_element == "F158" and e.exposure_time > 0
        assert [e.start_time for e in got] == sorted(e.start_time for e in got)
        counts.add(len(got))
    assert len(counts) > 1  # the edge points are not covered by every exposure

    cr = small_demo["faint_cosmic_ray"]
    got = arch.find(CircleSkyRegion(SkyCoord(cr["ra"], cr["dec"], unit="deg"), 0.5 * u.arcsec))
    (hit,) = [e for e in got if e.name == cr["exposure"]]
    assert abs(hit.x - cr["pixels"][0]["x"]) < 0.01 and abs(hit.y - cr["pixels"][0]["y"]) < 0.01
    assert hit.detector == next(e["detector"] for e in small_demo["exposures"] if e["cal"] == cr["exposure"])


@pytest.mark.parametrize("source", ["lineage", "local"])
def test_partial_coverage_of_a_circle_on_a_detector_edge(small_demo, l2s, lineage, local, source):
    arch = lineage if source == "lineage" else local
    name = small_demo["exposures"][0]["cal"]
    wcs, _shape, _, _ = l2s[name]
    ra, dec = (float(v) for v in wcs(1.0, 128.0))
    got = {e.name: e for e in arch.find((SkyCoord(ra, dec, unit="deg"), 10 * u.arcsec))}
    assert got[name].coverage == "partial"
    ra, dec = (float(v) for v in wcs(128.0, 128.0))
    got = {e.name: e for e in arch.find((SkyCoord(ra, dec, unit="deg"), 10 * u.arcsec))}
    assert got[name].coverage == "full"
    ra, dec = (float(v) for v in wcs(-8.0, 128.0, with_bounding_box=False))  # 8.5 px off the edge, circle of ~5.7 px
    got = {e.name: e for e in arch.find((SkyCoord(ra, dec, unit="deg"), 10 * u.arcsec))}
    assert name not in got


def _context_bits(small_demo, mx, my):
    with roman_lab.open(small_demo.path(small_demo["mosaic"]["file"])) as rf:
        ctx = rf.read("context")
    return {32 * j + i for j in range(ctx.shape[0]) for i in range(32) if int(ctx[j, my, mx]) >> i & 1}


def test_lineage_contributing_follows_the_context_bits(small_demo, l2s, lineage):
    mosaic = lineage
    members = mosaic.members_names
    # the faint cosmic ray is not flagged: every covering member contributed there
    cr = small_demo["faint_cosmic_ray"]
    mx, my = (round(v) for v in pixel_of(mosaic.wcs, cr["ra"], cr["dec"]))
    bits = _context_bits(small_demo, mx, my)
    got = mosaic.find((SkyCoord(cr["ra"], cr["dec"], unit="deg"), 0 * u.arcsec))
    assert {e.name for e in got if e.contributing} == {members[i] for i in bits}

    # a pipeline-flagged cosmic ray (JUMP_DET): covering, but not contributing, at its mosaic pixel
    found = None
    for k, name in enumerate(members):
        wcs, _shape, _, path = l2s[name]
        with roman_lab.open(path) as rf:
            dq = rf.read("dq")
        for ye, xe in zip(*np.nonzero(dq & dqflags.JUMP_DET)):
            ra, dec = wcs(float(xe), float(ye))
            cx, cy = pixel_of(mosaic.wcs, float(ra), float(dec))
            for mx in (math.floor(cx), math.ceil(cx)):
                for my in (math.floor(cy), math.ceil(cy)):
                    if not (0 <= mx < mosaic.shape[1] and 0 <= my < mosaic.shape[0]):
                        continue
                    back = pixel_of(wcs, *(float(v) for v in mosaic.wcs(mx, my)))
                    if (int(np.rint(back[0])), int(np.rint(back[1]))) == (xe, ye):
                        found = (k, name, mx, my)
                        break
                if found:
                    break
            if found:
                break
        if found:
            break
    assert found, "no JUMP_DET pixel of the demo maps onto a mosaic pixel"
    k, name, mx, my = found
    ra, dec = (float(v) for v in mosaic.wcs(mx, my))
    bits = _context_bits(small_demo, mx, my)
    assert k not in bits
    got = {e.name: e for e in mosaic.find((SkyCoord(ra, dec, unit="deg"), 0 * u.arcsec))}
    assert got[name].contributing is False and got[name].coverage == "full"
    for i, member in enumerate(members):
        if member in got:
            assert got[member].contributing == (i in bits), member
        else:
            assert i not in bits


def test_a_region_off_every_exposure_is_empty_with_a_message(lineage, local):
    for arch in (lineage, local):
        got = arch.find((SkyCoord(10.0, -40.0, unit="deg"), 5 * u.arcsec))
        assert got == [] and got.message and "covers" in got.message
        assert "No exposures" in got._repr_html_() and got.message in repr(got)
        assert len(got.to_table()) == 0


def test_exposure_list_table(lineage, small_demo):
    cr = small_demo["faint_cosmic_ray"]
    got = lineage.find((SkyCoord(cr["ra"], cr["dec"], unit="deg"), 1 * u.arcsec))
    t = got.to_table()
    assert len(t) == len(got) and list(t["name"]) == [e.name for e in got]
    assert "<table" in got._repr_html_()
    assert got.download("/nonexistent") == [roman_lab.archive.base.Path(e.path) for e in got]


# -- the incremental index ----------------------------------------------------------------------
def test_incremental_index(small_demo, env, tmp_path):
    names = [e["cal"] for e in small_demo["exposures"][:3]]
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    shutil.copy(small_demo.path(names[0]), root / names[0])
    shutil.copy(small_demo.path(names[1]), root / "sub" / names[1])
    (root / "junk.asdf").write_bytes(b"not an asdf file")
    (root / ".hidden").mkdir()
    shutil.copy(small_demo.path(names[2]), root / ".hidden" / names[2])
    db = tmp_path / "a.sqlite"
    a = LocalArchive(root, db=db)
    stats = a.index(progress=False)
    assert (stats["added"], stats["updated"], stats["removed"], stats["errors"]) == (3, 0, 0, 1)
    assert a.index(progress=False)["unchanged"] == 3

    cr = small_demo["faint_cosmic_ray"]
    region = (SkyCoord(cr["ra"], cr["dec"], unit="deg"), 0 * u.arcsec)
    assert [e.name for e in a.find(region)] == names[:2]

    st = os.stat(root / names[0])
    os.utime(root / names[0], ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    os.remove(root / "sub" / names[1])
    shutil.copy(small_demo.path(names[2]), root / "sub" / names[2])
    stats = a.index(progress=False)
    assert (stats["added"], stats["updated"], stats["removed"], stats["unchanged"]) == (1, 1, 1, 1)
    got = a.find(region)
    assert [e.name for e in got] == [names[0], names[2]]
    assert got[1].path == str((root / "sub" / names[2]).resolve())

    # another root in the same database is kept apart
    other = LocalArchive(root / "sub", db=db)
    assert other.find(region) == [] and "run roman_lab.index" in other.find(region).message
    assert LocalArchive(root, db=db).count() == 3


def test_index_on_dask(small_demo, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    root = tmp_path / "root"
    root.mkdir()
    for e in small_demo["exposures"][:2]:
        shutil.copy(small_demo.path(e["cal"]), root / e["cal"])
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as cluster:
        stats = archive.index(root, scheduler=cluster.scheduler_address, db=tmp_path / "d.sqlite")  # an address
        assert stats["added"] == 2 and stats["errors"] == 0
        shutil.copy(small_demo.path(small_demo["exposures"][2]["cal"]), root / "new_cal.asdf")
        with distributed.Client(cluster) as client:  # or a Client
            stats = archive.index(root, scheduler=client, db=tmp_path / "d.sqlite")
        assert (stats["added"], stats["unchanged"]) == (1, 2)


# -- the public API ------------------------------------------------------------------------------
def test_find_exposures_sources(small_demo, l2s, env, tmp_path):
    cr = small_demo["faint_cosmic_ray"]
    c = SkyCoord(cr["ra"], cr["dec"], unit="deg")
    want = [n for n, _, _ in _brute_force(l2s, cr["ra"], cr["dec"])]
    mosaic = small_demo.path(small_demo["mosaic"]["file"])
    by_lineage = find_exposures(CircleSkyRegion(c, 0.1 * u.arcsec), mosaic=mosaic)
    assert [e.name for e in by_lineage] == want and {e.source for e in by_lineage} == {"lineage"}
    assert archive._lineage(mosaic, None) is archive._lineage(mosaic, None)  # kept between queries
    root = mosaic.parent
    by_local = find_exposures((c, 0.1 * u.arcsec), root=root)  # indexed on first use
    assert [e.name for e in by_local] == want and {e.source for e in by_local} == {"local"}
    assert (env / "archive.sqlite").exists()
    # a new file under root is found on the next call (the index is updated incrementally)
    extra = tmp_path / "more"
    extra.mkdir()
    shutil.copy(small_demo.path(want[0]), extra / "copy_cal.asdf")
    shutil.copy(small_demo.path(want[0]), extra / want[0])
    got = find_exposures((c, 0.1 * u.arcsec), root=extra)
    assert sorted(e.name for e in got) == sorted(["copy_cal.asdf", want[0]])
    os.remove(extra / "copy_cal.asdf")
    assert [e.name for e in find_exposures((c, 0.1 * u.arcsec), root=extra)] == [want[0]]
    assert [e.name for e in find_exposures((c, 0.1 * u.arcsec), root=extra, update=False)] == [want[0]]
    with pytest.raises(ValueError, match="source"):
        find_exposures((c, 1 * u.arcsec), source="nope")
    with pytest.raises(ValueError, match="mosaic"):
        find_exposures((c, 1 * u.arcsec), source="lineage")


def test_find_exposures_mast_is_lazy(monkeypatch, tmp_path):
    calls = []

    class FakeMast:
        def __init__(self, **kw):
            calls.append(kw)

        def find(self, region):
            assert isinstance(region, CircleSkyRegion)  # MastArchive takes a CircleSkyRegion
            return ExposureList([Exposure(name="x_cal.asdf", source="mast", uri="mast:x")])

        def fetch_level1(self, exposure, directory, progress=False):
            return directory / exposure.name.replace("_cal", "_uncal")

    monkeypatch.setitem(sys.modules, "roman_lab.archive.mast", types.SimpleNamespace(MastArchive=FakeMast))
    got = find_exposures((SkyCoord(1, 2, unit="deg"), 1 * u.arcsec), source="mast", mast={"timeout": 5})
    assert [e.uri for e in got] == ["mast:x"] and calls == [{"timeout": 5}]
    assert level1_for(got[0], directory=tmp_path) == tmp_path / "x_uncal.asdf"
    monkeypatch.setitem(sys.modules, "roman_lab.archive.mast", None)  # import fails
    with pytest.raises(RuntimeError, match="MAST source is not available"):
        find_exposures((SkyCoord(1, 2, unit="deg"), 1 * u.arcsec), source="mast")


def test_level1_for(small_demo, lineage, tmp_path):
    cr = small_demo["faint_cosmic_ray"]
    got = lineage.find((SkyCoord(cr["ra"], cr["dec"], unit="deg"), 0 * u.arcsec))
    hit = next(e for e in got if e.name == cr["exposure"])
    assert level1_for(hit) == small_demo.path(cr["uncal"])
    assert level1_for(str(small_demo.path(cr["exposure"]))) == small_demo.path(cr["uncal"])
    # an L2 alone in a folder: found through root, else a clear error naming where it looked
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(small_demo.path(cr["exposure"]), alone / cr["exposure"])
    with pytest.raises(FileNotFoundError) as err:
        level1_for(alone / cr["exposure"])
    assert cr["uncal"] in str(err.value) and str(alone) in str(err.value)
    assert level1_for(alone / cr["exposure"], root=small_demo.path("demo.json").parent) == small_demo.path(cr["uncal"])
    with pytest.raises(FileNotFoundError, match="not an L2"):
        level1_for("mosaic_coadd.asdf")


def test_sky_index_query_equals_a_full_scan(tmp_path):
    """Synthetic footprints inserted directly (across RA 0 and around the north pole): the
    cell index + cap filter returns exactly what testing every footprint returns."""
    rng = np.random.default_rng(3)
    a = LocalArchive(tmp_path / "synthetic", db=tmp_path / "s.sqlite")
    fps = []
    centres = [(rng.uniform(-0.5, 0.5) % 360, rng.uniform(-0.5, 0.5)) for _ in range(150)]
    centres += [(rng.uniform(0, 360), rng.uniform(89.8, 90.0)) for _ in range(100)]
    with a._connect() as con:
        for i, (ra, dec) in enumerate(centres):
            fp, _ = _tangent_square(ra, dec, 0.0625, rng.uniform(0, 90), per_side=16)
            fps.append(fp)
            a._store(con, {"path": f"{a.root}/f{i}_cal.asdf", "name": f"f{i}_cal.asdf", "size": 1, "mtime_ns": 1,
                           "level": 2, "model_type": "ImageModel", "footprint": fp.to_json()})
    queries = [(0.0, 0.0, 0.0), (359.9, 0.2, 0.01), (0.3, -0.3, 0.05), (0.0, 90.0, 0.0), (77.0, 89.9, 0.02),
               (250.0, 89.97, 0.001), (5.0, 5.0, 0.1)]
    queries += [(rng.uniform(-0.6, 0.6) % 360, rng.uniform(-0.6, 0.6), rng.uniform(0, 0.05)) for _ in range(30)]
    for ra, dec, r in queries:
        got = {row["name"]: cov for row, _, cov in a.candidates(ra, dec, r) if cov is not None}
        want = {f"f{i}_cal.asdf": fp.overlap(ra, dec, r) for i, fp in enumerate(fps)}
        assert got == {k: v for k, v in want.items() if v is not None}, (ra, dec, r)
    assert len(a.candidates(0.0, 90.0, 0.0)) > 10


def test_lineage_without_the_members_on_disk(small_demo, tmp_path):
    """A mosaic alone: its context bits still say which members went into the region."""
    mosaic = tmp_path / small_demo["mosaic"]["file"]
    shutil.copy(small_demo.path(small_demo["mosaic"]["file"]), mosaic)
    arch = LineageArchive(mosaic, cache_dir=tmp_path / "stores")
    cr = small_demo["faint_cosmic_ray"]
    got = arch.find((SkyCoord(cr["ra"], cr["dec"], unit="deg"), 0 * u.arcsec))
    mx, my = (round(v) for v in pixel_of(arch.wcs, cr["ra"], cr["dec"]))
    bits = _context_bits(small_demo, mx, my)
    assert sorted(e.name for e in got) == sorted(arch.members_names[i] for i in bits)
    assert all(e.path is None and not e.local and e.contributing for e in got)
    assert "not found under" in got.message


def test_derived_images_are_not_exposures(small_demo, tmp_path):
    """A user's model or residual of an exposure is an ImageModel too, but not an exposure."""
    cr = small_demo["faint_cosmic_ray"]
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(small_demo.path(cr["exposure"]), root / cr["exposure"])
    shutil.copy(small_demo.path(cr["exposure"]), root / cr["exposure"].replace("_cal.asdf", "_cal_model.asdf"))
    archive = LocalArchive(root, db=tmp_path / "a.sqlite")
    archive.index(progress=False)
    found = archive.find((SkyCoord(cr["ra"], cr["dec"], unit="deg"), 0 * u.arcsec))
    assert [e.name for e in found] == [cr["exposure"]]

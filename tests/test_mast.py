"""MastArchive through the real astroquery.mast code, against MAST responses replayed from a
loopback server (tests/mast_replay/): the machine running the tests has no internet."""

import socket
import time

import astropy.units as u
import pytest
import roman_datamodels as rdm
from astropy.coordinates import SkyCoord
from mast_replay.server import ReplayServer
from regions import CircleSkyRegion

from roman_lab.archive.base import Exposure, ExposureList
from roman_lab.archive.mast import MastArchive, MastError, MastUnavailableError


@pytest.fixture
def mast(small_demo):
    with ReplayServer(files=small_demo.path(".")) as server:
        yield server


def cone(server, name):
    ra, dec, radius = server.cones[name]
    return CircleSkyRegion(SkyCoord(ra * u.deg, dec * u.deg), radius * u.deg)


def covering(demo, region):
    """Brute force: the demo's L2 files whose pixel grid holds the region's centre."""
    names = []
    for e in demo["exposures"]:
        with rdm.open(demo.path(e["cal"])) as m:
            x, y = m.meta.wcs.world_to_pixel_values(region.center.ra.deg, region.center.dec.deg)
            ny, nx = m.data.shape
            if -0.5 <= x < nx - 0.5 and -0.5 <= y < ny - 0.5:
                names.append((e["start_time"], e["cal"]))
    return [n for _, n in sorted(names)]


@pytest.mark.parametrize("where", ["faint_cosmic_ray", "field_edge"])
def test_find_returns_the_demo_exposures_covering_the_region(mast, small_demo, where):
    region = cone(mast, where)
    found = MastArchive(timeout=10, base_url=mast.url).find(region)

    assert isinstance(found, ExposureList)
    assert [e.name for e in found] == covering(small_demo, region)  # same files, by start time
    assert 0 < len(found) <= len(small_demo["exposures"])
    # it went through astroquery's portal API: columns config, the position search, the products
    invoked = [body for method, path, body in mast.requests if path == "/api/v0/invoke"]
    assert any("Mast.Caom.Filtered.Position" in b for b in invoked)
    assert any("Mast.Caom.Products" in b for b in invoked)
    assert any(path.endswith("/columnsconfig") for _, path, _ in mast.requests)

    by_name = {e["cal"]: e for e in small_demo["exposures"]}
    for e in found:
        demo = by_name[e.name]
        assert e.source == "mast" and e.path is None and not e.local
        assert e.uri == f"mast:ROMAN/product/{e.name}"
        assert e.start_time.startswith(demo["start_time"][:19])
        assert e.exposure_time == pytest.approx(demo["exposure_time_s"])
        assert e.detector == demo["detector"]
        assert e.optical_element == "F158"
        assert e.program == "00042"
        assert e.visit == e.name[1:20]
        assert e.exposure_id == e.name.removesuffix("_cal.asdf")
        assert e.coverage == "full"  # a 2" circle well inside each detector
    assert found.archive is not None
    assert len(found.to_table()) == len(found)


def test_find_off_the_field_is_empty_with_a_message(mast):
    found = MastArchive(timeout=10, base_url=mast.url).find(cone(mast, "off_field"))
    assert found == [] and "no Roman" in found.message


def test_an_unrecorded_query_is_a_mast_error_not_a_hang(mast):
    region = CircleSkyRegion(SkyCoord(10 * u.deg, -5 * u.deg), 3 * u.arcsec)
    with pytest.raises(MastError, match="replay: no recording"):
        MastArchive(timeout=10, base_url=mast.url).find(region)


def test_download_writes_files_roman_datamodels_opens(mast, small_demo, tmp_path):
    found = MastArchive(timeout=10, base_url=mast.url).find(cone(mast, "field_edge"))
    paths = found.download(tmp_path / "dl", progress=True)  # ExposureList -> MastArchive.download
    assert [p.name for p in paths] == [e.name for e in found]
    for p in paths:
        assert p.read_bytes() == small_demo.path(p.name).read_bytes()
        with rdm.open(p) as m:
            assert type(m).__name__ == "ImageModel"
            assert m.meta.instrument.detector in ("WFI01", "WFI02", "WFI03")
    # again: already there with the right size, nothing is fetched
    before = len(mast.requests)
    assert found.download(tmp_path / "dl", progress=False) == paths
    assert not [r for r in mast.requests[before:] if r[0] == "GET"]


def test_level1_for_gives_the_uncal_product(mast, small_demo, tmp_path):
    archive = MastArchive(timeout=10, base_url=mast.url)
    cal = archive.find(cone(mast, "faint_cosmic_ray"))[0]
    l1 = archive.level1_for(cal)
    assert l1.name == cal.name.replace("_cal.asdf", "_uncal.asdf")
    assert l1.uri == f"mast:ROMAN/product/{l1.name}" and l1.source == "mast" and not l1.local
    assert l1.detector == cal.detector and l1.start_time == cal.start_time

    # from an Exposure the archive has not seen (looked up by its obs_id), and fetched
    fresh = MastArchive(timeout=10, base_url=mast.url)
    assert fresh.level1_for(cal) == l1
    assert any("Mast.Caom.Filtered" in b and "obs_id" in b for _, p, b in mast.requests if p == "/api/v0/invoke")
    (path,) = fresh.download([l1], tmp_path, progress=False)
    with rdm.open(path) as m:
        assert type(m).__name__ == "ScienceRawModel"
    assert fresh.fetch_level1(cal, tmp_path) == path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_connection_is_mast_unavailable(mast):
    region = cone(mast, "faint_cosmic_ray")
    t0 = time.monotonic()
    with pytest.raises(MastUnavailableError, match=r"MAST .*timeout 2 s"):
        MastArchive(timeout=2, base_url=f"http://127.0.0.1:{free_port()}").find(region)
    assert time.monotonic() - t0 < 2.5
    assert issubclass(MastUnavailableError, ConnectionError)


def test_stopped_server_is_mast_unavailable(small_demo):
    server = ReplayServer(files=small_demo.path(".")).start()
    region = cone(server, "faint_cosmic_ray")
    archive = MastArchive(timeout=2, base_url=server.url)
    assert len(archive.find(region)) > 0
    server.stop()
    with pytest.raises(MastUnavailableError, match="MAST"):
        MastArchive(timeout=2, base_url=server.url).find(region)
    unseen = Exposure(name="r00042010010010010011101_0009_wfi02_f158_cal.asdf", source="mast")
    with pytest.raises(MastUnavailableError, match="MAST"):
        archive.level1_for(unseen)


@pytest.mark.parametrize("slow", [{"delay": 4.0}, {"drip": 0.3}], ids=["silent", "dripping"])
def test_slow_mast_is_unavailable_after_the_timeout(small_demo, slow):
    with ReplayServer(files=small_demo.path("."), **slow) as server:
        t0 = time.monotonic()
        with pytest.raises(MastUnavailableError, match=r"MAST .*within the 1 s timeout"):
            MastArchive(timeout=1, base_url=server.url).find(cone(server, "faint_cosmic_ray"))
        assert time.monotonic() - t0 < 3.0  # timeout 1 s + 0.5 s grace, with room for a busy machine


def test_coverage_from_the_footprint_polygon_at_ra_0_and_near_the_pole():
    from roman_lab.archive.mast import _coverage

    square = "POLYGON ICRS 359.9 -0.1 0.1 -0.1 0.1 0.1 359.9 0.1"  # across RA=0
    assert _coverage(square, 0.0, 0.0, 10 / 3600) == "full"
    assert _coverage(square, 0.095, 0.0, 36 / 3600) == "partial"  # reaches over the edge
    assert _coverage(square, 359.901, 0.0, 10 / 3600) == "partial"
    assert _coverage(square, 359.91, 0.0, 10 / 3600) == "full"
    polar = "POLYGON 0 89.9 90 89.9 180 89.9 270 89.9"  # round the north pole
    assert _coverage(polar, 45.0, 89.99, 10 / 3600) == "full"
    assert _coverage(polar, 45.0, 89.92, 60 / 3600) == "partial"
    assert _coverage("CIRCLE ICRS 0 0 1", 0.0, 0.0, 1 / 3600) == "partial"  # not a polygon

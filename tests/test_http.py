"""The store service over HTTP, through a real jupyter_server: info, conversions, chunk serving,
and every kind of bad input answered with a clear 4xx JSON error while the server keeps serving."""

import asyncio
import json
import os

import pytest
import zarr
from romanfiles import CAL, UNCAL, bad_files, make_l1, make_l2, make_l3
from tornado.httpclient import HTTPClientError


@pytest.fixture
def jp_server_config(tmp_path):
    return {
        "ServerApp": {"jpserver_extensions": {"roman_lab": True}},
        "RomanLab": {"cache_dir": str(tmp_path / "store-cache")},
    }


async def fetch_json(jp_fetch, *parts, **kw):
    response = await jp_fetch("roman-lab", *parts, **kw)
    return response.code, json.loads(response.body)


async def fetch_error(jp_fetch, *parts, **kw):
    """The status and JSON body of a request that must fail."""
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("roman-lab", *parts, **kw)
    body = info.value.response.body
    return info.value.code, json.loads(body)


def post_path(rel):
    return {"method": "POST", "body": json.dumps({"path": rel})}


async def wait_ready(jp_fetch, store_id, timeout=60):
    for _ in range(int(timeout / 0.05)):
        _, job = await fetch_json(jp_fetch, "api", "stores", store_id)
        if job["status"] in ("ready", "error"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"conversion {store_id} did not finish: {job}")


async def test_info_describes_without_converting(jp_fetch, jp_root_dir):
    (jp_root_dir / "field").mkdir()
    make_l2(jp_root_dir / "field" / CAL)
    make_l1(jp_root_dir / "field" / UNCAL)
    code, info = await fetch_json(jp_fetch, "api", "info", params={"path": f"field/{CAL}"})
    assert code == 200
    assert info["level"] == 2 and info["model_type"] == "ImageModel"
    assert info["arrays"]["data"]["shape"] == [64, 64]
    assert info["path"] == f"field/{CAL}"
    assert info["lineage"]["l1_path"] == f"field/{UNCAL}"
    assert str(jp_root_dir) not in json.dumps(info)


async def test_convert_then_serve_chunks(jp_fetch, jp_root_dir, tmp_path):
    (jp_root_dir / "field").mkdir()
    make_l2(jp_root_dir / "field" / CAL)
    code, job = await fetch_json(jp_fetch, "api", "stores", **post_path(f"field/{CAL}"))
    assert code in (200, 202) and job["path"] == f"field/{CAL}"
    assert job["url"].endswith(f"/roman-lab/stores/{job['id']}/")
    assert job["info"]["level"] == 2
    done = await wait_ready(jp_fetch, job["id"])
    assert done["status"] == "ready" and done["progress"] == 1.0

    # the second request joins the finished store
    code, again = await fetch_json(jp_fetch, "api", "stores", **post_path(f"field/{CAL}"))
    assert code == 200 and again["id"] == job["id"] and again["status"] == "ready"

    response = await jp_fetch("roman-lab", "stores", job["id"], "zarr.json")
    root = json.loads(response.body)
    assert root["attributes"]["roman_lab"]["level"] == 2
    assert str(jp_root_dir) not in response.body.decode() and str(tmp_path) not in response.body.decode()
    assert "immutable" in response.headers["Cache-Control"]
    etag = response.headers["Etag"]
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("roman-lab", "stores", job["id"], "zarr.json", headers={"If-None-Match": etag})
    assert info.value.code == 304

    # a chunk over HTTP is byte for byte the chunk in the cache, and decodes to the file's pixels
    store_dir = tmp_path / "store-cache" / job["id"]
    array = zarr.open_array(store_dir / "data" / "0", mode="r")
    chunk_key = "data/0/c/0/0"
    response = await jp_fetch("roman-lab", "stores", job["id"], *chunk_key.split("/"))
    assert response.body == (store_dir / chunk_key).read_bytes()
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert array.shape == (64, 64)


async def test_wait_s_answers_at_the_first_pixels_and_published_counts_what_follows(jp_fetch, jp_root_dir):
    """With `wait_s` the POST answers once the coarsest level can be read (no polling); each
    array added after is counted in `published`, and the root zarr.json lists it at once."""
    make_l2(jp_root_dir / CAL, shape=(1100, 1100))
    body = json.dumps({"path": CAL, "wait_s": 5})
    code, job = await fetch_json(jp_fetch, "api", "stores", method="POST", body=body)
    assert job["display_ready"], job
    root = json.loads((await jp_fetch("roman-lab", "stores", job["id"], "zarr.json")).body)
    attrs = root["attributes"]["roman_lab"]
    assert attrs["complete"] or "data/2" not in attrs["arrays_pending"]
    assert set([] if attrs["complete"] else attrs["arrays_pending"]) <= {"data/1", "data/0", "err", "dq"}
    done = await wait_ready(jp_fetch, job["id"])
    assert done["status"] == "ready" and done["published"] == 4  # data/1, data/0, err, dq
    # GET waits too, and a wait it cannot honour is a 400 with words
    code, again = await fetch_json(jp_fetch, "api", "stores", job["id"], params={"wait_s": "0.5"})
    assert code == 200 and again["status"] == "ready"
    for bad in ("-1", "6", "soon"):
        code, err = await fetch_error(jp_fetch, "api", "stores", job["id"], params={"wait_s": bad})
        assert code == 400 and "wait_s must be a number of seconds from 0 to 5" in err["message"]
    code, err = await fetch_error(jp_fetch, "api", "stores", method="POST", body=json.dumps({"path": CAL, "wait_s": "x"}))
    assert code == 400 and "wait_s" in err["message"]


async def test_the_first_pixels_answer_carries_the_metadata_the_viewer_opens(jp_fetch, jp_root_dir, tmp_path,
                                                                             jp_serverapp):
    """Once display-ready, the answer to a caller that waited holds the zarr.json documents the
    viewer opens the store with (root, written levels, dq), equal to the served keys, so the
    browser's next request is its first chunk; polling without `wait_s` gets none. Every answer
    says how long the server took (Server-Timing), the POST also its parts."""
    make_l2(jp_root_dir / CAL, shape=(1100, 1100))
    response = await jp_fetch("roman-lab", "api", "stores", method="POST", body=json.dumps({"path": CAL, "wait_s": 5}))
    timing = dict(part.split(";dur=") for part in response.headers["Server-Timing"].split(", "))
    assert list(timing) == ["app", "described", "waited", "first-stage"], timing
    assert float(timing["app"]) >= float(timing["described"]) + float(timing["waited"]) > 0
    job = json.loads(response.body)
    assert job["display_ready"] and "zarr.json" in job["metadata"], job
    attrs = job["metadata"]["zarr.json"]["attributes"]["roman_lab"]
    pending = set([] if attrs["complete"] else attrs["arrays_pending"])
    written = {f"data/{i}/zarr.json" for i in range(attrs["pyramid_levels"]) if f"data/{i}" not in pending}
    assert "data/2/zarr.json" in written and set(job["metadata"]) - {"zarr.json", "dq/zarr.json"} == written
    assert str(tmp_path) not in json.dumps(job["metadata"])  # no server folders, like the served root
    for key, document in job["metadata"].items():
        if key != "zarr.json":  # the root changes while levels land
            assert json.loads((await jp_fetch("roman-lab", "stores", job["id"], *key.split("/"))).body) == document
    # a viewer waited for it: the rest of the conversion waits for its first chunk (VIEWER_GRACE_S)
    running = jp_serverapp.web_app.settings["roman_lab_context"].conversions.get(job["id"])
    assert running.viewed and not running._chunk_served.is_set()
    coarsest = attrs["pyramid_levels"] - 1
    await jp_fetch("roman-lab", "stores", job["id"], "data", str(coarsest), "c", "0", "0")
    assert running._chunk_served.is_set()
    done = await wait_ready(jp_fetch, job["id"])
    assert "metadata" not in done
    code, again = await fetch_json(jp_fetch, "api", "stores", job["id"], params={"wait_s": "0.5"})
    assert {"zarr.json", "data/0/zarr.json", "dq/zarr.json"} <= set(again["metadata"])
    served = json.loads((await jp_fetch("roman-lab", "stores", job["id"], "zarr.json")).body)
    assert again["metadata"]["zarr.json"] == served


async def test_l1_and_l3_convert_over_http(jp_fetch, jp_root_dir):
    make_l1(jp_root_dir / "r_uncal.asdf")
    make_l3(jp_root_dir / "m_coadd.asdf")
    for rel, level in (("r_uncal.asdf", 1), ("m_coadd.asdf", 3)):
        _, job = await fetch_json(jp_fetch, "api", "stores", **post_path(rel))
        done = await wait_ready(jp_fetch, job["id"])
        assert done["status"] == "ready", done
        response = await jp_fetch("roman-lab", "stores", job["id"], "zarr.json")
        assert json.loads(response.body)["attributes"]["roman_lab"]["level"] == level


async def test_a_file_rewritten_in_place_is_described_anew(jp_fetch, jp_root_dir):
    """What a file is, is kept per file version (size, mtime): a rewrite is read again."""
    path = jp_root_dir / CAL
    make_l2(path)
    code, _ = await fetch_json(jp_fetch, "api", "info", params={"path": CAL})
    assert code == 200
    before = path.stat()
    path.write_bytes(b"#ASDF 1.0.0\nnot a tree any more\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    code, body = await fetch_error(jp_fetch, "api", "info", params={"path": CAL})
    assert 400 <= code < 500 and body["message"].startswith(CAL)


async def test_bad_files_get_clear_4xx(jp_fetch, jp_root_dir):
    cases = bad_files(jp_root_dir)
    assert len(cases) >= 20
    for name, (_path, status, words) in cases.items():
        for request in (
            lambda name=name: fetch_error(jp_fetch, "api", "info", params={"path": name}),
            lambda name=name: fetch_error(jp_fetch, "api", "stores", **post_path(name)),
        ):
            code, body = await request()
            assert code == status, (name, body)
            assert 400 <= code < 500 or code == 507
            assert words in body["message"] and body["message"].startswith(name), (name, body)
            assert "Traceback" not in body["message"]
    code, health = await fetch_json(jp_fetch, "api", "health")
    assert code == 200 and health["status"] == "ok"


async def test_corrupt_block_fails_the_job_not_the_server(jp_fetch, jp_root_dir):
    path = make_l2(jp_root_dir / CAL, shape=(128, 128))
    raw = bytearray(path.read_bytes())
    # garble the first compressed block's lz4 frame: the tree still reads, the array does not
    start = raw.index(b"\xd3BLK") + 6 + int.from_bytes(raw[raw.index(b"\xd3BLK") + 4 : raw.index(b"\xd3BLK") + 6], "big")
    raw[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(raw))
    code, job = await fetch_json(jp_fetch, "api", "stores", **post_path(CAL))
    assert code == 202
    done = await wait_ready(jp_fetch, job["id"])
    assert done["status"] == "error" and done["error_status"] == 422, done
    assert "corrupt" in done["message"]
    code, body = await fetch_error(jp_fetch, "stores", job["id"], "zarr.json")
    assert code == 404 and "not ready" in body["message"]


@pytest.mark.parametrize(
    ("rel", "status", "words"),
    [
        ("../outside_cal.asdf", 403, "may not contain '..'"),
        ("/etc/passwd", 403, "points outside the Jupyter root"),
        ("{outside}", 403, "points outside the Jupyter root"),
        ("{root}/../outside/outside_cal.asdf", 403, "may not contain '..'"),
        ("escape.asdf", 403, "outside the Jupyter root"),
        ("{root}/escape.asdf", 403, "outside the Jupyter root"),
        ("", 400, "is required"),
        ("nothing_here.asdf", 404, "does not exist"),
        ("{root}/nothing_here.asdf", 404, "does not exist"),
        ("folder.asdf", 400, "is a folder"),
    ],
)
async def test_paths_stay_inside_the_root(jp_fetch, jp_root_dir, tmp_path, rel, status, words):
    (tmp_path / "outside").mkdir()
    outside = make_l2(tmp_path / "outside" / "outside_cal.asdf")
    os.symlink(outside, jp_root_dir / "escape.asdf")
    (jp_root_dir / "folder.asdf").mkdir()
    given = rel.format(root=jp_root_dir, outside=outside)
    code, body = await fetch_error(jp_fetch, "api", "stores", **post_path(given))
    assert code == status and words in body["message"], body
    assert body["message"].startswith(given)  # the path as the user gave it, nothing the server resolved
    if "{outside}" not in rel:
        assert str(outside) not in body["message"]


async def test_absolute_paths_inside_the_root_are_accepted(jp_fetch, jp_root_dir):
    """The notebook widget knows only absolute paths; the job still names the file root-relative."""
    (jp_root_dir / "field").mkdir()
    make_l2(jp_root_dir / "field" / CAL)
    os.symlink(jp_root_dir / "field", jp_root_dir / "alias")
    for given in (str(jp_root_dir / "field" / CAL), str(jp_root_dir / "alias" / CAL)):
        code, info = await fetch_json(jp_fetch, "api", "info", params={"path": given})
        assert code == 200 and info["path"] == f"field/{CAL}"
        code, job = await fetch_json(jp_fetch, "api", "stores", **post_path(given))
        assert code in (200, 202) and job["path"] == f"field/{CAL}"
        assert (await wait_ready(jp_fetch, job["id"]))["status"] == "ready"


def test_resolve_follows_a_symlinked_root(tmp_path):
    """A root reached through a symlink: absolute paths through either name are inside it."""
    from types import SimpleNamespace

    from roman_lab.server.errors import RomanHTTPError
    from roman_lab.server.paths import jupyter_root, resolve_in_root

    real_root = tmp_path / "real"
    real_root.mkdir()
    (real_root / "a.fits").write_bytes(b"x")
    (tmp_path / "link").symlink_to(real_root)
    for configured in (real_root, tmp_path / "link"):
        root = jupyter_root(SimpleNamespace(contents_manager=SimpleNamespace(root_dir=str(configured))))
        for given in ("a.fits", str(real_root / "a.fits"), str(tmp_path / "link" / "a.fits")):
            assert resolve_in_root(root, given) == real_root / "a.fits"
        with pytest.raises(RomanHTTPError) as info:
            resolve_in_root(root, str(tmp_path / "elsewhere.fits"))
        assert info.value.status_code == 403 and "points outside the Jupyter root" in info.value.message


async def test_bad_requests(jp_fetch):
    code, body = await fetch_error(jp_fetch, "api", "stores", method="POST", body="{not json")
    assert code == 400 and "must be JSON" in body["message"]
    code, body = await fetch_error(jp_fetch, "api", "stores", method="POST", body=json.dumps(["x"]))
    assert code == 400
    code, body = await fetch_error(jp_fetch, "api", "stores", "no-such-store-0123456789abcdef")
    assert code == 404 and "POST the path again" in body["message"]
    code, body = await fetch_error(jp_fetch, "stores", "no-such-store-0123456789abcdef", "zarr.json")
    assert code == 404
    code, body = await fetch_error(jp_fetch, "stores", "..", "..", "etc", "passwd")
    assert code in (403, 404)


@pytest.mark.parametrize(
    ("method", "parts"),
    [
        ("GET", ("api", "info")),
        ("POST", ("api", "stores")),
        ("GET", ("api", "stores", "x")),
        ("GET", ("stores", "x", "zarr.json")),
    ],
)
async def test_every_endpoint_needs_authentication(jp_fetch, method, parts):
    body = json.dumps({"path": CAL}) if method == "POST" else None
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("roman-lab", *parts, method=method, body=body, headers={"Authorization": ""})
    assert info.value.code == 403


async def test_name_resolver_answers_clearly_when_offline(jp_fetch):
    """These machines reach no name resolver: the answer is a clear 503 in bounded time, not a hang."""
    import time

    t0 = time.monotonic()
    try:
        code, body = await fetch_json(jp_fetch, "api", "resolve", params={"name": "M87"}, request_timeout=30)
    except HTTPClientError as err:
        code, body = err.code, json.loads(err.response.body)
    assert time.monotonic() - t0 < 20
    if code == 200:  # a machine with internet
        assert abs(body["ra"] - 187.7059) < 0.01
    else:
        assert code == 503 and "cannot be reached" in body["message"] and "type RA and Dec" in body["message"]
    code, body = await fetch_error(jp_fetch, "api", "resolve")
    assert code == 400


async def test_dq_flag_names_come_from_roman_datamodels(jp_fetch):
    from roman_datamodels.dqflags import pixel

    code, body = await fetch_json(jp_fetch, "api", "dqflags")
    assert code == 200
    assert body["flags"]["JUMP_DET"] == int(pixel.JUMP_DET) == 4
    assert body["flags"]["SATURATED"] == 2 and "GOOD" not in body["flags"]


@pytest.fixture
def demo_in_root(small_demo, jp_root_dir):
    """The small demo field copied under the Jupyter root (as a user's workspace holds it)."""
    import shutil

    shutil.copytree(small_demo.folder, jp_root_dir / "demo")
    return jp_root_dir / "demo"


async def test_exposures_for_a_circle_from_lineage_and_local(jp_fetch, demo_in_root, small_demo):
    cr = small_demo["faint_cosmic_ray"]
    params = {"ra": cr["ra"], "dec": cr["dec"], "radius_arcsec": 0.5}
    mosaic = f"demo/{small_demo['mosaic']['file']}"
    code, lineage = await fetch_json(jp_fetch, "api", "exposures", params={**params, "source": "lineage", "mosaic": mosaic})
    assert code == 200 and lineage["exposures"], lineage
    names = [e["name"] for e in lineage["exposures"]]
    assert cr["exposure"] in names
    assert all(e["path"].startswith("demo/") for e in lineage["exposures"])
    times = [e["start_time"] for e in lineage["exposures"]]
    assert times == sorted(times)
    code, local = await fetch_json(jp_fetch, "api", "exposures", params={**params, "source": "local"})
    assert code == 200 and sorted(e["name"] for e in local["exposures"]) == sorted(names)


async def test_exposures_refuses_bad_circles_clearly(jp_fetch, demo_in_root):
    code, body = await fetch_error(jp_fetch, "api", "exposures", params={"ra": "x", "dec": "1"})
    assert code == 400 and "ra and dec in degrees" in body["message"]
    code, body = await fetch_error(jp_fetch, "api", "exposures", params={"ra": 1, "dec": 95, "radius_arcsec": 1})
    assert code == 400 and "within +-90" in body["message"]
    code, body = await fetch_error(jp_fetch, "api", "exposures", params={"ra": 1, "dec": 1, "source": "web"})
    assert code == 400 and "Unknown source" in body["message"]
    code, body = await fetch_error(jp_fetch, "api", "exposures", params={"ra": 1, "dec": 1, "mosaic": "../x_coadd.asdf"})
    assert code == 403
    code, body = await fetch_json(jp_fetch, "api", "exposures", params={"ra": 10, "dec": -60, "radius_arcsec": 1, "source": "local"})
    assert code == 200 and body["exposures"] == [] and body["message"]


async def test_exposures_radius_is_arcsec_as_in_python(jp_fetch, demo_in_root, small_demo):
    """The one circle rule: radius_arcsec over HTTP finds what a bare number finds in Python, and a
    bad circle is refused with the Python words."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    import roman_lab

    cr = small_demo["faint_cosmic_ray"]
    mosaic = f"demo/{small_demo['mosaic']['file']}"
    off = SkyCoord(cr["ra"], cr["dec"], unit="deg").directional_offset_by(0 * u.deg, 1 * u.deg)
    for radius in (2, 2 * 3600):
        params = {"ra": off.ra.deg, "dec": off.dec.deg, "radius_arcsec": radius, "source": "lineage", "mosaic": mosaic}
        code, body = await fetch_json(jp_fetch, "api", "exposures", params=params)
        python = roman_lab.find_exposures((off, radius), mosaic=demo_in_root / small_demo["mosaic"]["file"])
        assert code == 200 and sorted(e["name"] for e in body["exposures"]) == sorted(e.name for e in python)
        assert bool(python) == (radius > 2)
    code, body = await fetch_error(jp_fetch, "api", "exposures", params={"ra": 1, "dec": 1, "radius_arcsec": -1})
    with pytest.raises(ValueError) as python:
        roman_lab.find_exposures((SkyCoord(1, 1, unit="deg"), -1), mosaic=demo_in_root / small_demo["mosaic"]["file"])
    assert code == 400 and body["message"].lower().startswith(str(python.value).lower())


class TestMastOverHttp:
    """The MAST source behind GET /api/exposures, through astroquery against the loopback replay."""

    @pytest.fixture
    def mast(self, small_demo):
        from mast_replay.server import ReplayServer

        with ReplayServer(files=small_demo.path(".")) as server:
            yield server

    @pytest.fixture
    def jp_server_config(self, tmp_path, mast):
        return {
            "ServerApp": {"jpserver_extensions": {"roman_lab": True}},
            "RomanLab": {"cache_dir": str(tmp_path / "store-cache"), "mast": {"base_url": mast.url, "timeout": 5}},
        }

    async def test_mast_exposures(self, jp_fetch, mast, small_demo):
        ra, dec, radius = mast.cones["faint_cosmic_ray"]
        params = {"ra": ra, "dec": dec, "radius_arcsec": radius * 3600, "source": "mast"}
        code, body = await fetch_json(jp_fetch, "api", "exposures", params=params)
        assert code == 200
        assert small_demo["faint_cosmic_ray"]["exposure"] in [e["name"] for e in body["exposures"]]
        assert all(e["source"] == "mast" and e["uri"] and e["path"] is None for e in body["exposures"])

    async def test_mast_down_is_a_clear_503(self, jp_fetch, mast):
        ra, dec, radius = mast.cones["faint_cosmic_ray"]
        mast.stop()
        code, body = await fetch_error(jp_fetch, "api", "exposures", params={"ra": ra, "dec": dec, "source": "mast"})
        assert code == 503 and "MAST" in body["message"]


async def test_an_evicted_store_is_converted_again(jp_fetch, jp_root_dir, tmp_path):
    import shutil

    make_l2(jp_root_dir / CAL)
    _, job = await fetch_json(jp_fetch, "api", "stores", **post_path(CAL))
    assert (await wait_ready(jp_fetch, job["id"]))["status"] == "ready"
    shutil.rmtree(tmp_path / "store-cache" / job["id"])  # what LRU eviction does to a store
    code, again = await fetch_json(jp_fetch, "api", "stores", **post_path(CAL))
    assert code == 202 and again["id"] == job["id"]
    assert (await wait_ready(jp_fetch, job["id"]))["status"] == "ready"
    response = await jp_fetch("roman-lab", "stores", job["id"], "zarr.json")
    assert response.code == 200

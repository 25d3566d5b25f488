"""`POST /roman-lab/api/triage` through a real jupyter_server: the demo's exposures behind its
faint cosmic ray, the one hiding it first; bad requests as clear 4xx JSON."""

import json
import shutil

import pytest
from tornado.httpclient import HTTPClientError

import roman_lab


@pytest.fixture
def jp_server_config(tmp_path):
    return {
        "ServerApp": {"jpserver_extensions": {"roman_lab": True}},
        "RomanLab": {"cache_dir": str(tmp_path / "store-cache")},
    }


@pytest.fixture
def demo_in_root(small_demo, jp_root_dir):
    shutil.copytree(small_demo.folder, jp_root_dir / "demo")
    return jp_root_dir / "demo"


async def post(jp_fetch, body, **kw):
    response = await jp_fetch("roman-lab", "api", "triage", method="POST", body=json.dumps(body), **kw)
    return json.loads(response.body)


async def post_error(jp_fetch, body):
    with pytest.raises(HTTPClientError) as info:
        await post(jp_fetch, body)
    return info.value.code, json.loads(info.value.response.body)["message"]


async def test_the_exposure_hiding_the_faint_cosmic_ray_comes_first(jp_fetch, demo_in_root, small_demo):
    cr = small_demo["faint_cosmic_ray"]
    paths = [f"demo/{e['cal']}" for e in small_demo["exposures"]]
    circle = {"ra": cr["ra"], "dec": cr["dec"], "radius_arcsec": 3}
    body = await post(jp_fetch, {"paths": paths, **circle})
    rows = body["rows"]
    assert [r["path"] for r in rows] == paths  # in the order sent
    assert all(not r["l2_path"].startswith("/") for r in rows)  # root-relative
    covering = [r for r in rows if not r["note"] and r["pixels"]]
    best = max(covering, key=lambda r: r["max_unflagged_significance"] or 0)
    assert best["name"] == cr["exposure"]
    # the same rows as in Python, for the same circle (a bare number: arcsec)
    from astropy.coordinates import SkyCoord

    python = roman_lab.triage((SkyCoord(cr["ra"], cr["dec"], unit="deg"), 3), [demo_in_root / p[5:] for p in paths],
                              progress=False)
    assert python["name"][0] == cr["exposure"]
    assert python["unflagged_jumps"][0] == best["unflagged_jumps"]


async def test_an_exposure_off_the_circle_or_without_l1_has_a_note(jp_fetch, demo_in_root, small_demo):
    cr = small_demo["faint_cosmic_ray"]
    lonely = demo_in_root / "lonely" / small_demo["exposures"][0]["cal"]
    lonely.parent.mkdir()
    shutil.copyfile(demo_in_root / small_demo["exposures"][0]["cal"], lonely)
    body = await post(jp_fetch, {"paths": [f"demo/lonely/{lonely.name}"], "ra": cr["ra"], "dec": cr["dec"],
                                 "radius_arcsec": 3})
    note = body["rows"][0]["note"]
    assert "_uncal.asdf" in note and str(demo_in_root) not in note


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"paths": "x_cal.asdf", "ra": 1, "dec": 1, "radius_arcsec": 1}, 400, "must be JSON like"),
        ({"paths": [], "ra": 1, "dec": 1, "radius_arcsec": 1}, 400, "Give 1 to 200"),
        ({"paths": ["a_cal.asdf"], "ra": "x", "dec": 1, "radius_arcsec": 1}, 400, "must be JSON like"),
        ({"paths": ["a_cal.asdf"], "ra": 1, "dec": 95, "radius_arcsec": 1}, 400, "within +-90"),
        ({"paths": ["a_cal.asdf"], "ra": 1, "dec": 1, "radius_arcsec": 1, "threshold": -2}, 400, "positive number"),
        ({"paths": ["../outside_cal.asdf"], "ra": 1, "dec": 1, "radius_arcsec": 1}, 403, ""),
        ({"paths": ["demo"], "ra": 1, "dec": 1, "radius_arcsec": 1}, 400, "is a folder"),
    ],
)
async def test_bad_requests_are_refused_clearly(jp_fetch, demo_in_root, body, status, words):
    code, message = await post_error(jp_fetch, body)
    assert code == status and words in message


async def test_triage_needs_authentication(jp_fetch):
    with pytest.raises(HTTPClientError) as info:
        await post(jp_fetch, {"paths": ["a"], "ra": 1, "dec": 1, "radius_arcsec": 1}, headers={"Authorization": ""})
    assert info.value.code == 403

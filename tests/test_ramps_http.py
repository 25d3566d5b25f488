"""GET /roman-lab/api/ramps through a real jupyter_server, on the small demo's faint cosmic ray."""

import json
import shutil

import pytest
from tornado.httpclient import HTTPClientError

MAX_PIXELS = 400


@pytest.fixture
def jp_server_config(tmp_path):
    return {
        "ServerApp": {"jpserver_extensions": {"roman_lab": True}},
        "RomanLab": {"cache_dir": str(tmp_path / "store-cache"), "ramps_max_pixels": MAX_PIXELS},
    }


@pytest.fixture
def field(jp_root_dir, small_demo):
    """The faint cosmic ray's L2 and L1 under the Jupyter root, and a lone L2 without its L1."""
    faint = small_demo["faint_cosmic_ray"]
    (jp_root_dir / "field").mkdir()
    (jp_root_dir / "lonely").mkdir()
    for name in (faint["exposure"], faint["uncal"]):
        shutil.copy(small_demo.path(name), jp_root_dir / "field" / name)
    shutil.copy(small_demo.path(faint["exposure"]), jp_root_dir / "lonely" / faint["exposure"])
    return faint


def circle(faint, small_demo, radius_px=3.0, **extra):
    return {"path": f"field/{faint['exposure']}", "ra": str(faint["ra"]), "dec": str(faint["dec"]),
            "radius_arcsec": str(radius_px * small_demo["pixel_scale_arcsec"]), **extra}


async def get_error(jp_fetch, params, **kw):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("roman-lab", "api", "ramps", params=params, **kw)
    return info.value.code, json.loads(info.value.response.body)["message"]


async def test_ramps_of_the_faint_cosmic_ray(jp_fetch, jp_root_dir, field, small_demo):
    response = await jp_fetch("roman-lab", "api", "ramps", params=circle(field, small_demo))
    assert response.code == 200
    payload = json.loads(response.body)
    assert set(payload) == {"l2_path", "l1_path", "times", "read_pattern", "pixels", "counts", "significance",
                            "inside_significance", "threshold", "read_noise", "gain", "note", "jumps", "pipeline_jumps",
                            "saturated"}
    assert payload["l2_path"] == f"field/{field['exposure']}" and payload["l1_path"] == f"field/{field['uncal']}"
    assert str(jp_root_dir) not in response.body.decode()
    assert b" " not in response.body  # compact
    n = len(payload["times"])
    assert len(payload["read_pattern"]) == n and len(payload["counts"]) == len(payload["pixels"]) == 25
    top = payload["jumps"][0]
    brightest = field["pixels"][0]
    assert (top["x"], top["y"], top["resultant"]) == (brightest["x"], brightest["y"], field["resultant"])
    assert top["pipeline_flagged"] is False and top["saturated"] is False
    assert top["significance"] == payload["significance"][top["pixel"]][top["resultant"] - 1]
    assert all(j["significance"] >= payload["threshold"] for j in payload["jumps"])


async def test_threshold_is_the_callers(jp_fetch, field, small_demo):
    response = await jp_fetch("roman-lab", "api", "ramps", params=circle(field, small_demo, threshold="9"))
    payload = json.loads(response.body)
    assert payload["threshold"] == 9 and payload["jumps"] == []  # the faint one is below 9 sigma


async def test_l1_path_is_accepted(jp_fetch, field, small_demo):
    params = circle(field, small_demo, path=f"field/{field['uncal']}")
    payload = json.loads((await jp_fetch("roman-lab", "api", "ramps", params=params)).body)
    assert payload["l2_path"] == f"field/{field['exposure']}"


@pytest.mark.parametrize(
    "change, status, words",
    [
        ({"ra": None}, 400, "ra and dec"),
        ({"radius_arcsec": "0"}, 400, "radius must be finite and positive"),
        ({"dec": "91"}, 400, "Dec must be within"),
        ({"threshold": "-1"}, 400, "positive number of sigma"),
        ({"path": "field/nothing_cal.asdf"}, 404, "does not exist"),
        ({"path": "../x_cal.asdf"}, 403, "'..'"),
        ({"path": "field"}, 400, "is a folder"),
        ({"ra": "10", "dec": "-40"}, 400, "off the detector"),
        ({"radius_arcsec": "30"}, 413, f"cap of {MAX_PIXELS}"),
    ],
)
async def test_bad_input_is_a_4xx_with_a_message(jp_fetch, field, small_demo, change, status, words):
    params = {k: v for k, v in {**circle(field, small_demo), **change}.items() if v is not None}
    if change.get("radius_arcsec") == "30":
        params["radius_arcsec"] = str(15 * small_demo["pixel_scale_arcsec"])  # ~700 pixels
    code, message = await get_error(jp_fetch, params)
    assert code == status and words in message


async def test_no_level1_names_where_it_looked(jp_fetch, jp_root_dir, field, small_demo):
    code, message = await get_error(jp_fetch, circle(field, small_demo, path=f"lonely/{field['exposure']}"))
    assert code == 404 and field["uncal"] in message and "lonely/" in message
    assert str(jp_root_dir) not in message


async def test_needs_authentication(jp_fetch, field, small_demo):
    code, _ = await get_error(jp_fetch, circle(field, small_demo), headers={"Authorization": ""})
    assert code == 403

"""The server extension loads into a real jupyter_server and guards its endpoints."""

import json

import pytest
import roman_datamodels
from tornado.httpclient import HTTPClientError

import roman_lab


async def test_health_answers_authenticated(jp_fetch):
    response = await jp_fetch("roman-lab", "api", "health")
    assert response.code == 200
    body = json.loads(response.body)
    assert body["status"] == "ok"
    assert body["version"] == roman_lab.__version__
    assert body["roman_datamodels"] == roman_datamodels.__version__


@pytest.mark.parametrize("auth", ["", "token not-the-token"])
async def test_health_refuses_unauthenticated(jp_fetch, auth):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("roman-lab", "api", "health", headers={"Authorization": auth})
    assert info.value.code == 403


def test_extension_points_name_the_package():
    assert roman_lab._jupyter_server_extension_points() == [{"module": "roman_lab"}]
    assert roman_lab._jupyter_labextension_paths() == [{"src": "labextension", "dest": "roman-lab"}]


def test_labextension_is_built_into_the_package():
    from pathlib import Path

    built = Path(roman_lab.__file__).parent / "labextension"
    meta = json.loads((built / "package.json").read_text())
    assert meta["name"] == "roman-lab"
    assert (built / "static" / "style.js").exists()
    assert (built / "schemas" / "roman-lab" / "plugin.json").exists()

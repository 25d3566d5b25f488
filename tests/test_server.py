"""The server extension loads into a real jupyter_server and guards its endpoints."""

import json
import re
import subprocess
import sys
from pathlib import Path

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
    built = Path(roman_lab.__file__).parent / "labextension"
    meta = json.loads((built / "package.json").read_text())
    assert meta["name"] == "roman-lab"
    assert (built / "static" / "style.js").exists()
    assert (built / "schemas" / "roman-lab" / "plugin.json").exists()


def test_install_enables_both_extensions():
    """What a user's `pip install` gives: the server extension enabled, the labextension found."""
    jupyter = str(Path(sys.executable).parent / "jupyter")
    server = subprocess.run([jupyter, "server", "extension", "list"], capture_output=True, text=True)
    assert re.search(r"roman_lab\s+(\x1b\[\d+m)?enabled", server.stdout + server.stderr)
    lab = subprocess.run([jupyter, "labextension", "list"], capture_output=True, text=True)
    assert re.search(r"roman-lab v\S+\s+(\x1b\[\d+m)?enabled(\x1b\[\d+m)?\s+(\x1b\[\d+m)?OK", lab.stdout + lab.stderr)


def test_warmup_pays_the_first_conversion_and_leaves_nothing(tmp_path):
    """At start the server converts a tiny throw-away file, so the libraries a conversion loads
    (zarr and its codec, the TAN-SIP fit) are loaded before the first user's file arrives."""
    code = (
        "import sys, tempfile; tempfile.tempdir = sys.argv[1]\n"
        "from roman_lab.server.api import warmup\n"
        "assert 'zarr' not in sys.modules and 'roman_lab.store.wcsfit' not in sys.modules\n"
        "warmup()\n"
        "print(all(m in sys.modules for m in ('zarr', 'roman_lab.store.wcsfit', 'roman_datamodels.datamodels')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
    assert list(tmp_path.iterdir()) == []  # its file and its store are gone


def test_the_server_asks_numpy_for_no_huge_pages(monkeypatch):
    """The server process's arrays get no transparent huge pages (a conversion's stage 1 took
    ~2x as long with them here), unless NUMPY_MADVISE_HUGEPAGE says otherwise."""
    import logging

    from numpy._core.multiarray import _set_madvise_hugepage

    from roman_lab.server import no_huge_pages_for_arrays

    before = _set_madvise_hugepage(True)
    try:
        monkeypatch.setenv("NUMPY_MADVISE_HUGEPAGE", "1")
        no_huge_pages_for_arrays(logging.getLogger("test"))
        assert _set_madvise_hugepage(True) is True  # the user's setting decides
        monkeypatch.delenv("NUMPY_MADVISE_HUGEPAGE")
        no_huge_pages_for_arrays(logging.getLogger("test"))
        assert _set_madvise_hugepage(True) is False
    finally:
        _set_madvise_hugepage(before)

"""The setups users really have, through a real jupyter_server: a root inside HOME (which
jupyter_server hands extensions as `~/...`), the root == HOME of a science platform, a root
reached through a symlink, a JupyterHub base_url, file names with spaces, non-ASCII letters,
'#', '%', '?' and '&', a read-only data folder, and a store cache that cannot be created or is
full. Every request a user's viewer makes must work in each, and nothing is written in the root."""

import asyncio
import errno
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

ODD_FOLDER = "Données Roman #1 ?&%20"
ODD_MOSAIC = "field #1 ?&%20 ü_i2d.asdf"
ODD_STEM = "renamed #2/h#1 %20?&é"  # an L2 and its L1 renamed by the user, in a folder of their own

SETUPS = {
    # name: (root relative to the fixtures' tmp_path, how the server is given it, base_url)
    "root inside HOME": ("home/project", "home/project", "/"),
    "root is HOME": ("home", "home", "/"),
    "root through a symlink": ("real-root", "home/link-to-root", "/"),
    "JupyterHub base_url": ("home/project", "home/project", "/user/astro/"),
}


@pytest.fixture(params=list(SETUPS))
def setup(request):
    return request.param


@pytest.fixture
def jp_home_dir(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def jp_root_dir(tmp_path, setup, jp_home_dir):
    """The root as the server is given it (a symlink for one setup): what `jupyter lab` started in."""
    real, given, _ = SETUPS[setup]
    (tmp_path / real).mkdir(exist_ok=True)
    if given != real:
        (tmp_path / given).symlink_to(tmp_path / real)
    return tmp_path / given


@pytest.fixture
def jp_base_url(setup):
    return SETUPS[setup][2]


@pytest.fixture
def jp_server_config(monkeypatch):
    """The extension as installed, with the user's default cache (~/.cache/roman-lab/stores)."""
    for name in ("ROMAN_LAB_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    return {"ServerApp": {"jpserver_extensions": {"roman_lab": True}}}


@pytest.fixture
def field(jp_root_dir, small_demo):
    """The small demo's faint cosmic ray under the root: its L2 and L1 in a folder with an odd
    name, the mosaic under an odd name, and an L2/L1 pair with odd names; all read-only."""
    faint = small_demo["faint_cosmic_ray"]
    folder = jp_root_dir / ODD_FOLDER
    folder.mkdir()
    for name in (faint["exposure"], faint["uncal"]):
        shutil.copy(small_demo.path(name), folder / name)
    shutil.copy(small_demo.mosaic_file, folder / ODD_MOSAIC)
    (folder / ODD_STEM).parent.mkdir()
    shutil.copy(small_demo.path(faint["exposure"]), folder / f"{ODD_STEM}_cal.asdf")
    shutil.copy(small_demo.path(faint["uncal"]), folder / f"{ODD_STEM}_uncal.asdf")
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    yield faint
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def tree(root):
    """Every file and folder under `root` with its size and mtime: what the user has there
    (but the default store cache, which is inside the root when the root is HOME)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == Path(os.path.expanduser("~")) and ".cache" in dirnames:
            dirnames.remove(".cache")
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            out[os.path.relpath(os.path.join(dirpath, name), root)] = (st.st_size, st.st_mtime_ns)
    return out


async def api(jp_fetch, *parts, **kw):
    response = await jp_fetch("roman-lab", *parts, **kw)
    return json.loads(response.body)


async def converted(jp_fetch, path):
    """POST the path, wait for its store; the job as it ended."""
    job = await api(jp_fetch, "api", "stores", method="POST", body=json.dumps({"path": path}))
    for _ in range(1200):
        if job["status"] in ("ready", "error"):
            return job
        await asyncio.sleep(0.05)
        job = await api(jp_fetch, "api", "stores", job["id"])
    raise AssertionError(f"{path} is still converting: {job}")


async def test_every_request_of_the_workflow_works(jp_fetch, jp_serverapp, jp_root_dir, jp_home_dir, field, small_demo, setup):
    settings = jp_serverapp.web_app.settings
    if setup != "root is HOME" and jp_root_dir.is_relative_to(jp_home_dir):
        assert settings["server_root_dir"].startswith("~/")  # the form that used to break everything
    before = tree(jp_root_dir)
    l2 = f"{ODD_FOLDER}/{field['exposure']}"

    info = await api(jp_fetch, "api", "info", params={"path": l2})
    assert info["path"] == l2 and info["lineage"]["l1_path"] == f"{ODD_FOLDER}/{field['uncal']}"
    absolute = await api(jp_fetch, "api", "info", params={"path": str(jp_root_dir / l2)})  # the widget's form
    assert absolute["path"] == l2

    for path in (f"{ODD_FOLDER}/{ODD_MOSAIC}", f"{ODD_FOLDER}/{ODD_STEM}_cal.asdf"):
        job = await converted(jp_fetch, path)
        assert job["status"] == "ready" and job["path"] == path, job
        response = await jp_fetch("roman-lab", "stores", job["id"], "zarr.json")
        assert json.loads(response.body)["attributes"]["roman_lab"]["level"] in (2, 3)

    found = await api(jp_fetch, "api", "exposures", params={
        "ra": str(field["ra"]), "dec": str(field["dec"]), "radius_arcsec": "0.5", "source": "lineage",
        "mosaic": f"{ODD_FOLDER}/{ODD_MOSAIC}"})
    assert l2 in [e["path"] for e in found["exposures"]], found

    radius = str(2 * small_demo["pixel_scale_arcsec"])
    for cal, uncal in ((l2, field["uncal"]), (f"{ODD_FOLDER}/{ODD_STEM}_cal.asdf", f"{ODD_STEM}_uncal.asdf")):
        ramps = await api(jp_fetch, "api", "ramps", params={
            "path": cal, "ra": str(field["ra"]), "dec": str(field["dec"]), "radius_arcsec": radius})
        assert ramps["l1_path"] == f"{ODD_FOLDER}/{uncal}" and len(ramps["pixels"]) > 0

    assert tree(jp_root_dir) == before  # stores went to the cache; nothing beside the data
    stores = jp_home_dir / ".cache" / "roman-lab" / "stores"
    assert len([p for p in stores.iterdir() if not p.name.startswith(".")]) >= 3


class OneSetup:
    """Tests that need the server in one setup only: the commonest, a root inside HOME."""

    @pytest.fixture
    def setup(self):
        return "root inside HOME"


class TestSymlinksFromOutside(OneSetup):
    async def test_are_refused(self, jp_fetch, jp_root_dir, tmp_path, small_demo):
        """The rule (README): symlinks are followed only to targets inside the root."""
        outside = tmp_path / "elsewhere"
        outside.mkdir()
        shutil.copy(small_demo.mosaic_file, outside / "m_i2d.asdf")
        (jp_root_dir / "linked folder").symlink_to(outside)
        (jp_root_dir / "linked_i2d.asdf").symlink_to(outside / "m_i2d.asdf")
        for given in ("linked folder/m_i2d.asdf", "linked_i2d.asdf"):
            with pytest.raises(HTTPClientError) as info:
                await jp_fetch("roman-lab", "api", "info", params={"path": given})
            body = json.loads(info.value.response.body)
            assert info.value.code == 403 and body["message"] == f"{given} points outside the Jupyter root.", body


class TestCacheGivenWithATilde(OneSetup):
    @pytest.fixture
    def jp_server_config(self):
        return {"ServerApp": {"jpserver_extensions": {"roman_lab": True}}, "RomanLab": {"cache_dir": "~/roman-cache"}}

    async def test_is_in_home(self, jp_fetch, jp_root_dir, jp_home_dir, small_demo):
        """`c.RomanLab.cache_dir = "~/roman-cache"` means HOME's, not a folder named '~' in the cwd."""
        shutil.copy(small_demo.mosaic_file, jp_root_dir / "m_i2d.asdf")
        job = await converted(jp_fetch, "m_i2d.asdf")
        assert job["status"] == "ready"
        assert (jp_home_dir / "roman-cache" / job["id"] / "zarr.json").is_file()
        assert not (Path.cwd() / "~").exists()


async def _conversion_error(jp_fetch, jp_root_dir, small_demo):
    shutil.copy(small_demo.mosaic_file, jp_root_dir / "m_i2d.asdf")
    job = await converted(jp_fetch, "m_i2d.asdf")
    assert job["status"] == "error", job
    return job


class TestCacheThatCannotBeCreated(OneSetup):
    @pytest.fixture
    def jp_server_config(self, tmp_path):
        (tmp_path / "a-file").write_text("not a folder")
        return {"ServerApp": {"jpserver_extensions": {"roman_lab": True}},
                "RomanLab": {"cache_dir": str(tmp_path / "a-file" / "stores")}}

    async def test_cannot_be_created(self, jp_fetch, jp_root_dir, small_demo):
        job = await _conversion_error(jp_fetch, jp_root_dir, small_demo)
        assert job["error_status"] == 500 and "store cache" in job["message"] and "cannot be created" in job["message"]
        health = await api(jp_fetch, "api", "health")  # the server keeps serving
        assert health["status"] == "ok"


class TestFullDisk(OneSetup):
    @pytest.fixture
    def jp_server_config(self, tmp_path, monkeypatch):
        from roman_lab.store import converter

        real = converter._write_array
        calls = {"n": 0}

        def fills_up(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] >= 2:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(*args, **kwargs)

        monkeypatch.setattr(converter, "_write_array", fills_up)
        return {"ServerApp": {"jpserver_extensions": {"roman_lab": True}},
                "RomanLab": {"cache_dir": str(tmp_path / "stores")}}

    async def test_is_a_507_with_nothing_left(self, jp_fetch, jp_root_dir, small_demo, tmp_path):
        job = await _conversion_error(jp_fetch, jp_root_dir, small_demo)
        assert job["error_status"] == 507 and "no space left" in job["message"], job
        assert [p.name for p in (tmp_path / "stores").iterdir() if p.name != ".locks"] == []


class TestRootIsHomeWithTheCacheElsewhere:
    """An admin moves the cache out of a HOME root: the archive index follows it, and the local
    archive lists neither what a symlink leads to outside nor the root's own path."""

    @pytest.fixture
    def setup(self):
        return "root is HOME"

    @pytest.fixture
    def jp_server_config(self, tmp_path, monkeypatch):
        for name in ("ROMAN_LAB_CACHE", "XDG_CACHE_HOME"):
            monkeypatch.delenv(name, raising=False)
        return {"ServerApp": {"jpserver_extensions": {"roman_lab": True}},
                "RomanLab": {"cache_dir": str(tmp_path / "elsewhere-cache")}}

    async def test_nothing_is_written_in_home(self, jp_fetch, jp_root_dir, tmp_path, field, small_demo):
        outside = tmp_path / "outside"
        outside.mkdir()
        shutil.copy(small_demo.path(field["exposure"]), outside / "escape_cal.asdf")
        (jp_root_dir / "escape_cal.asdf").symlink_to(outside / "escape_cal.asdf")
        before = tree(jp_root_dir)
        found = await api(jp_fetch, "api", "exposures", params={
            "ra": str(field["ra"]), "dec": str(field["dec"]), "radius_arcsec": "0.5", "source": "local"})
        inside = [f"{ODD_FOLDER}/{field['exposure']}", f"{ODD_FOLDER}/{ODD_STEM}_cal.asdf"]
        assert sorted(e["path"] for e in found["exposures"]) == sorted(inside)
        empty = await api(jp_fetch, "api", "exposures", params={"ra": "10", "dec": "-40", "radius_arcsec": "1", "source": "local"})
        assert empty["exposures"] == [] and str(jp_root_dir) not in empty["message"], empty
        assert tree(jp_root_dir) == before and not (jp_root_dir / ".cache").exists()
        assert (tmp_path / "elsewhere-cache" / ".archive.sqlite").is_file()

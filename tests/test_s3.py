"""The store cache and source files on S3: a real moto server on loopback, real s3fs and zarr's
FsspecStore, a real jupyter_server serving chunks from the bucket, and a second user's server
(its own process) sharing the cache."""

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from romanfiles import CAL, UNCAL, make_l1, make_l2
from tornado.httpclient import HTTPClientError

from roman_lab.io import RomanFileError
from roman_lab.store import RemoteStore, convert
from roman_lab.store.converter import CONVERSIONS
from roman_lab.store.remote import MARKER, RemoteCache

moto_server = pytest.importorskip("moto.server")
s3fs = pytest.importorskip("s3fs")

KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def endpoint():
    """A moto S3 server on 127.0.0.1; the AWS SDK finds it through AWS_ENDPOINT_URL, as a
    deployment would name its S3-compatible store."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as mp:
        for key, value in {**KEYS, "AWS_ENDPOINT_URL": url}.items():
            mp.setenv(key, value)
        yield url
    server.stop()


@pytest.fixture
def bucket(endpoint):
    """A new bucket for each test (s3fs talks to the endpoint of AWS_ENDPOINT_URL)."""
    name = f"roman-{uuid.uuid4().hex[:12]}"
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    fs.mkdir(name)
    return name, fs


def objects(fs, prefix):
    fs.invalidate_cache()
    return sorted(fs.find(prefix))


def writes(bucket_name):
    """Every object version and delete marker ever made in a versioned bucket: a store uploaded
    and then removed again still counts."""
    import boto3

    listed = boto3.client("s3").list_object_versions(Bucket=bucket_name)
    return len(listed.get("Versions", [])) + len(listed.get("DeleteMarkers", []))


def test_a_store_converted_into_s3_reads_back_and_is_not_converted_twice(bucket, tmp_path):
    name, fs = bucket
    source = make_l2(tmp_path / CAL, seed=3)
    local = convert(source, cache_dir=tmp_path / "local", progress=False)
    before = CONVERSIONS["count"]
    store = convert(source, cache_dir=f"s3://{name}/stores", progress=False)
    assert isinstance(store, RemoteStore) and store.id == local.id and store.complete
    assert CONVERSIONS["count"] == before + 1
    for key in ("data", "err", "dq"):
        np.testing.assert_array_equal(store.arrays[key][...], local.arrays[key][...])
    assert store.attrs["statistics"] == local.attrs["statistics"]
    assert fs.cat_file(f"{name}/stores/{store.id}/{MARKER}")  # published
    listed = objects(fs, name)

    again = convert(source, cache_dir=f"s3://{name}/stores/", progress=False)
    assert again.path == store.path and CONVERSIONS["count"] == before + 1
    assert objects(fs, name) == listed


def test_roman_lab_cache_may_name_a_bucket(bucket, tmp_path, monkeypatch):
    from roman_lab.store import default_cache_dir

    name, _fs = bucket
    monkeypatch.setenv("ROMAN_LAB_CACHE", f"s3://{name}/from-env/")
    assert default_cache_dir() == f"s3://{name}/from-env"
    store = convert(make_l2(tmp_path / CAL), progress=False)
    assert store.path.startswith(f"s3://{name}/from-env/{store.id}/")


def test_a_store_without_its_marker_is_absent_and_converted_again(bucket, tmp_path):
    name, fs = bucket
    source = make_l2(tmp_path / CAL)
    first = convert(source, cache_dir=f"s3://{name}/c", progress=False)
    fs.rm(f"{name}/c/{first.id}/{MARKER}")  # an upload cut short before its marker
    cache = RemoteCache(f"s3://{name}/c")
    assert cache.marker(first.id) is None and cache.store(first.id) is None
    before = CONVERSIONS["count"]
    second = convert(source, cache_dir=f"s3://{name}/c", progress=False)
    assert CONVERSIONS["count"] == before + 1 and second.path != first.path
    assert second.arrays["data"].shape == (64, 64)


def test_a_conversion_that_loses_the_race_keeps_the_published_store(bucket, tmp_path):
    """Two users converting the same file: the one whose upload ends second finds the marker and
    removes its own attempt; the published store is whole."""
    name, fs = bucket
    source = make_l2(tmp_path / CAL)
    first = convert(source, cache_dir=f"s3://{name}/c", progress=False)
    late = convert(source, cache_dir=tmp_path / "other-user", progress=False)  # the same store, built elsewhere
    cache = RemoteCache(f"s3://{name}/c")
    kept = cache.publish(late.path, late.id, lambda fraction, message: None)
    assert kept.path == first.path
    attempts = {key.split("/")[3] for key in objects(fs, f"{name}/c/{first.id}") if key.count("/") > 3}
    assert attempts == {first.path.rsplit("/", 1)[1]}


def test_a_source_on_s3_converts_with_its_lineage(bucket, tmp_path):
    name, fs = bucket
    make_l2(tmp_path / CAL, seed=5)
    make_l1(tmp_path / UNCAL)
    fs.put(str(tmp_path / CAL), f"{name}/mast/{CAL}")
    fs.put(str(tmp_path / UNCAL), f"{name}/mast/{UNCAL}")
    url = f"s3://{name}/mast/{CAL}"
    for cache in (tmp_path / "local", f"s3://{name}/stores"):
        store = convert(url, cache_dir=cache, progress=False)
        assert store.level == 2 and store.attrs["source"]["path"] == url
        assert store.attrs["lineage"] == {"l1": UNCAL, "l1_path": f"s3://{name}/mast/{UNCAL}"}
        local = convert(tmp_path / CAL, cache_dir=tmp_path / "plain", progress=False)
        np.testing.assert_array_equal(store.arrays["data"][...], local.arrays["data"][...])


def test_batch_conversion_on_a_scheduler_into_s3(bucket, tmp_path):
    from dask.distributed import LocalCluster

    from roman_lab.batch import convert_many

    name, fs = bucket
    make_l2(tmp_path / CAL)
    fs.put(str(tmp_path / CAL), f"{name}/mast/{CAL}")
    sources = [str(tmp_path / CAL), f"s3://{name}/mast/{CAL}", f"s3://{name}/mast/missing_cal.asdf"]
    with LocalCluster(n_workers=2, processes=False, protocol="tcp://", host="127.0.0.1", dashboard_address=None) as cluster:
        results = convert_many(sources, cache_dir=f"s3://{name}/stores", scheduler=cluster.scheduler_address,
                               progress=False)
    assert [r["ok"] for r in results] == [True, True, False]
    assert results[2]["status"] == 404 and "does not exist" in results[2]["message"]
    for result in results[:2]:
        assert result["store"].startswith(f"s3://{name}/stores/{result['id']}/")
        assert RemoteCache(f"s3://{name}/stores").marker(result["id"]) is not None


def test_ramps_read_their_stores_from_s3(bucket, small_demo, tmp_path):
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from regions import CircleSkyRegion

    import roman_lab

    faint = small_demo["faint_cosmic_ray"]
    region = CircleSkyRegion(SkyCoord(faint["ra"], faint["dec"], unit="deg"), 3 * small_demo["pixel_scale_arcsec"] * u.arcsec)
    exposure = small_demo.path(faint["exposure"])
    on_s3 = roman_lab.ramps(exposure, region, cache_dir=f"s3://{bucket[0]}/stores")
    local = roman_lab.ramps(exposure, region, cache_dir=tmp_path / "c")
    assert on_s3.to_json(small_demo.folder) == local.to_json(small_demo.folder)
    assert len(on_s3.pixels) > 0


def test_bad_s3_locations_are_clear_errors(bucket, tmp_path):
    name, _fs = bucket
    with pytest.raises(RomanFileError, match="does not exist") as info:
        convert(f"s3://{name}/nothing/{CAL}", cache_dir=tmp_path / "c", progress=False)
    assert info.value.status == 404
    with pytest.raises(RomanFileError, match="create its bucket first") as info:
        convert(make_l2(tmp_path / CAL), cache_dir=f"s3://no-such-{name}/c", progress=False)
    assert info.value.status == 404


# -- through the server ---------------------------------------------------------------------


@pytest.fixture
def s3_cache(bucket):
    return f"s3://{bucket[0]}/stores"


@pytest.fixture
def jp_server_config(s3_cache):
    return {"ServerApp": {"jpserver_extensions": {"roman_lab": True}}, "RomanLab": {"cache_dir": s3_cache}}


async def post_and_wait(jp_fetch, rel):
    response = await jp_fetch("roman-lab", "api", "stores", method="POST", body=json.dumps({"path": rel}))
    job = json.loads(response.body)
    for _ in range(1200):
        done = json.loads((await jp_fetch("roman-lab", "api", "stores", job["id"])).body)
        if done["status"] in ("ready", "error"):
            return done
        assert not done["display_ready"]  # on S3 a store is served only once published whole
        await asyncio.sleep(0.05)
    raise AssertionError(done)


async def http_error(jp_fetch, *parts, **kw):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("roman-lab", *parts, **kw)
    return info.value.code, json.loads(info.value.response.body)


async def test_the_server_converts_into_s3_and_serves_its_chunks(jp_fetch, jp_root_dir, bucket, s3_cache):
    name, fs = bucket
    make_l2(jp_root_dir / CAL)
    job = await post_and_wait(jp_fetch, CAL)
    assert job["status"] == "ready", job
    store = RemoteCache(s3_cache).store(job["id"])
    prefix = store.path.removeprefix("s3://")

    response = await jp_fetch("roman-lab", "stores", job["id"], "zarr.json")
    root = json.loads(response.body)
    assert root["attributes"]["roman_lab"]["complete"] is True
    assert "path" not in root["attributes"]["roman_lab"]["source"]  # the server's own folders stay home
    assert "immutable" in response.headers["Cache-Control"] and response.headers["Content-Type"] == "application/json"
    response = await jp_fetch("roman-lab", "stores", job["id"], "data/0/c/0/0")
    assert response.body == fs.cat_file(f"{prefix}/data/0/c/0/0")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert "immutable" in response.headers["Cache-Control"]
    etag = response.headers["Etag"]
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("roman-lab", "stores", job["id"], "data/0/c/0/0", headers={"If-None-Match": etag})
    assert info.value.code == 304
    head = await jp_fetch("roman-lab", "stores", job["id"], "data/0/c/0/0", method="HEAD")
    assert head.code == 200 and int(head.headers["Content-Length"]) == len(response.body)

    fs.pipe_file(f"{name}/secret.txt", b"not a store key")
    for key in ("data/0/c/9/9", "../../secret.txt", "data/../../../secret.txt", "complete.json/../x"):
        code, body = await http_error(jp_fetch, "stores", job["id"], key)
        assert code == 404 and "has no key" in body["message"], key


async def test_a_store_without_its_marker_is_not_served(jp_fetch, jp_root_dir, bucket, s3_cache):
    name, fs = bucket
    make_l2(jp_root_dir / CAL)
    store = convert(jp_root_dir / CAL, cache_dir=s3_cache, progress=False)
    fs.rm(f"{name}/stores/{store.id}/{MARKER}")
    code, body = await http_error(jp_fetch, "stores", store.id, "zarr.json")
    assert code == 404 and "not ready" in body["message"]


def test_the_widget_channel_reads_store_keys_from_s3(bucket, tmp_path, s3_cache):
    """What a notebook viewer's kernel answers for a store key (server/api.py: store_key)."""
    from roman_lab.server.api import Context, make_conversions, store_key
    from roman_lab.server.openstores import RemoteOpenStores

    name, fs = bucket
    store = convert(make_l2(tmp_path / CAL), cache_dir=s3_cache, progress=False)
    ctx = Context(root=tmp_path, conversions=make_conversions(s3_cache, None), cache_dir=s3_cache,
                  open_stores=RemoteOpenStores(s3_cache, None))
    prefix = store.path.removeprefix("s3://")
    assert store_key(ctx, store.id, "data/0/c/0/0") == fs.cat_file(f"{prefix}/data/0/c/0/0")
    assert "path" not in json.loads(store_key(ctx, store.id, "zarr.json"))["attributes"]["roman_lab"]["source"]
    assert store_key(ctx, store.id, "../complete.json") is None
    assert store_key(ctx, "not-a-store-0123456789abcdef", "zarr.json") is None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def second_user(jp_root_dir, s3_cache, tmp_path):
    """Another user's jupyter server, in its own process, on the same S3 cache and files."""
    port, token = free_port(), secrets.token_hex(8)
    jupyter = Path(sys.executable).with_name("jupyter")
    proc = subprocess.Popen(
        [str(jupyter), "server", f"--ServerApp.root_dir={jp_root_dir}", f"--port={port}", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False", "--allow-root",
         f"--RomanLab.cache_dir={s3_cache}"],
        env={**os.environ, "HOME": str(tmp_path)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import httpx

    client = httpx.Client(base_url=f"http://127.0.0.1:{port}/roman-lab", headers={"Authorization": f"token {token}"},
                          timeout=30)
    try:
        for _ in range(300):
            try:
                if client.get("/api/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield client
    finally:
        client.close()
        proc.terminate()
        proc.wait(20)


async def test_a_second_users_server_gets_the_store_without_converting(jp_fetch, jp_root_dir, bucket, second_user):
    import boto3

    name, _fs = bucket
    boto3.client("s3").put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    make_l2(jp_root_dir / CAL, seed=8)
    job = await post_and_wait(jp_fetch, CAL)
    assert job["status"] == "ready", job
    written = writes(name)

    started = time.monotonic()
    other = second_user.post("/api/stores", json={"path": CAL}).json()
    assert other["id"] == job["id"]
    while other["status"] not in ("ready", "error"):
        assert time.monotonic() - started < 60, other
        time.sleep(0.05)
        other = second_user.get(f"/api/stores/{job['id']}").json()
    assert other["status"] == "ready", other
    assert writes(name) == written  # nothing written: the published store was found
    mine = await jp_fetch("roman-lab", "stores", job["id"], "data/0/c/0/0")
    theirs = second_user.get(f"/stores/{job['id']}/data/0/c/0/0")
    assert theirs.status_code == 200 and theirs.content == mine.body

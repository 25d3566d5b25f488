"""The chunk handler's per-store lookup: opened once, never stale after eviction or re-conversion."""

import asyncio
import json
import os
import shutil

import pytest
from romanfiles import CAL, make_l2
from tornado.httpclient import HTTPClientError

import roman_lab
from roman_lab.server import openstores
from roman_lab.server.openstores import OpenStores
from roman_lab.store import cache as scache


@pytest.fixture
def converted(tmp_path):
    cache = tmp_path / "cache"
    store = roman_lab.convert(make_l2(tmp_path / CAL), cache_dir=cache, progress=False)
    return cache, store


def _count_opens(monkeypatch):
    import roman_lab.store as rstore

    calls = []
    real = rstore.open_store
    monkeypatch.setattr(rstore, "open_store", lambda *a, **k: calls.append(a) or real(*a, **k))
    return calls


def test_a_complete_store_is_opened_once(converted, monkeypatch):
    cache, store = converted
    calls = _count_opens(monkeypatch)
    stores = OpenStores(cache)
    assert [stores.path(store.id) for _ in range(5)] == [store.path] * 5
    assert len(calls) == 1


def test_eviction_and_reconversion_are_seen(converted, tmp_path):
    cache, store = converted
    stores = OpenStores(cache)

    def sanitise(meta):
        return meta

    assert json.loads(stores.root_json(store.id, sanitise))["attributes"]["roman_lab"]["complete"] is True
    scache.remove_tree(store.path)  # evicted (by this process or any other sharing the cache)
    assert stores.path(store.id) is None and stores.root_json(store.id, sanitise) is None
    # converted again under the same id, into a new folder whose root differs
    copy = tmp_path / "copy"
    shutil.copytree(_fresh(tmp_path), copy)
    attrs = scache.read_root_attrs(copy)
    attrs["summary"]["filename"] = "reconverted"
    scache.write_root_attrs(copy, attrs)
    os.rename(copy, store.path)
    assert stores.path(store.id) == store.path
    assert json.loads(stores.root_json(store.id, sanitise))["attributes"]["roman_lab"]["summary"]["filename"] == "reconverted"


def _fresh(tmp_path):
    (tmp_path / "other").mkdir()
    other = roman_lab.convert(make_l2(tmp_path / "other" / CAL), cache_dir=tmp_path / "cache2", progress=False)
    return other.path


def test_incomplete_or_unknown_stores_are_not_remembered(converted):
    cache, store = converted
    attrs = scache.read_root_attrs(store.path)
    scache.write_root_attrs(store.path, {**attrs, "complete": False, "stage": "display"})
    stores = OpenStores(cache)
    assert stores.path(store.id) is None
    assert stores.path("no-such-store-0123456789abcdef") is None and stores.path("..") is None
    scache.write_root_attrs(store.path, attrs)  # stage 2 finished
    assert stores.path(store.id) == store.path


def test_lookups_keep_the_lru_clock_at_most_once_a_minute(converted, monkeypatch):
    cache, store = converted
    os.utime(store.path, (1, 1))
    stores = OpenStores(cache)
    stores.path(store.id)
    first = store.path.stat().st_mtime
    assert first > 1
    os.utime(store.path, (1, 1))
    stores.path(store.id)
    assert store.path.stat().st_mtime == 1  # within the minute: not touched again
    monkeypatch.setattr(openstores, "TOUCH_EVERY_S", 0.0)
    stores.path(store.id)
    assert store.path.stat().st_mtime > 1


# ---- over HTTP


@pytest.fixture
def jp_server_config(tmp_path):
    return {
        "ServerApp": {"jpserver_extensions": {"roman_lab": True}},
        "RomanLab": {"cache_dir": str(tmp_path / "store-cache")},
    }


async def _ready(jp_fetch, rel):
    response = await jp_fetch("roman-lab", "api", "stores", method="POST", body=json.dumps({"path": rel}))
    job = json.loads(response.body)
    while job["status"] not in ("ready", "error"):
        await asyncio.sleep(0.05)
        job = json.loads((await jp_fetch("roman-lab", "api", "stores", job["id"])).body)
    assert job["status"] == "ready", job
    return job["id"]


async def test_an_evicted_store_is_not_served_until_converted_again(jp_fetch, jp_root_dir, tmp_path):
    make_l2(jp_root_dir / CAL)
    sid = await _ready(jp_fetch, CAL)
    chunk = ("roman-lab", "stores", sid, "data", "0", "c", "0", "0")
    first = (await jp_fetch(*chunk)).body
    root = json.loads((await jp_fetch("roman-lab", "stores", sid, "zarr.json")).body)
    scache.remove_tree(tmp_path / "store-cache" / sid)
    for parts in (chunk, ("roman-lab", "stores", sid, "zarr.json")):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch(*parts)
        assert info.value.code == 404
    assert await _ready(jp_fetch, CAL) == sid  # the job sees the eviction and converts again
    assert (await jp_fetch(*chunk)).body == first
    again = json.loads((await jp_fetch("roman-lab", "stores", sid, "zarr.json")).body)
    assert again["attributes"]["roman_lab"]["created"] >= root["attributes"]["roman_lab"]["created"]
    assert "path" not in again["attributes"]["roman_lab"]["source"]

"""The notebook viewer's channel: the browser's requests answered by the kernel over anywidget
custom messages, with the REST server's endpoint functions, on real demo files and stores."""

import json
import os
import time
from pathlib import Path

import pytest

import roman_lab
from roman_lab.server.api import TRIAGE_USAGE


@pytest.fixture(autouse=True)
def _kernel_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROMAN_LAB_CACHE", str(tmp_path / "stores"))


class Browser:
    """The browser half as the kernel sees it: sends messages to the viewer's handler and
    collects what the viewer sends back (its `send`, captured)."""

    def __init__(self, viewer):
        self.viewer = viewer
        self.answers = {}
        viewer.send = lambda content, buffers=None: self.answers.__setitem__(content["id"], (content, buffers))
        self.next_id = 0

    def ask(self, message, timeout=60):
        self.next_id += 1
        self.viewer._channel.handle(self.viewer, {**message, "id": self.next_id}, [])
        deadline = time.monotonic() + timeout
        while self.next_id not in self.answers:
            assert time.monotonic() < deadline, f"no answer to {message}"
            time.sleep(0.01)
        content, buffers = self.answers.pop(self.next_id)
        assert content["roman_lab"] == "answer"
        return content, buffers

    def request(self, path, method="GET", query=None, body=None):
        content, buffers = self.ask({"roman_lab": "request", "method": method, "path": path, "query": query or {}, "body": body})
        if content["status"] != 200:
            return content["status"], content["message"]
        assert len(buffers) == 1
        return 200, json.loads(bytes(buffers[0]))

    def key(self, store, key):
        content, buffers = self.ask({"roman_lab": "store", "store": store, "key": key})
        return (content["status"], bytes(buffers[0])) if content["status"] == 200 else (content["status"], None)


@pytest.fixture
def browser(small_demo):
    viewer = roman_lab.Viewer()
    viewer.load(small_demo.path(small_demo["exposures"][0]["cal"]))
    return Browser(viewer)


def test_health_and_flags_are_the_servers(browser):
    status, body = browser.request(["health"])
    assert status == 200 and body["status"] == "ok" and body["version"] == roman_lab.__version__
    status, body = browser.request(["dqflags"])
    assert body["flags"]["JUMP_DET"] == 4


def test_a_stack_file_converts_and_its_store_is_read_key_by_key(browser, tmp_path):
    path = browser.viewer.images[0]["path"]
    status, job = browser.request(["stores"], "POST", body={"path": path, "wait_s": 5})  # answered at the first pixels
    assert status == 200 and job["display_ready"], job
    assert job["info"]["path"] == Path(path).name  # outside the cwd: its name only
    assert browser.request(["stores", job["id"]], query={"wait_s": "9"}) == (400, "wait_s must be a number of seconds from 0 to 5, not '9'.")
    status, root = browser.key(job["id"], "zarr.json")
    attrs = json.loads(root)["attributes"]["roman_lab"]
    assert status == 200 and "path" not in attrs.get("source", {})  # the server's folders never leave it
    while browser.request(["stores", job["id"]])[1]["status"] != "ready":
        time.sleep(0.05)
    on_disk = tmp_path / "stores" / job["id"] / "data" / "0" / "c" / "0" / "0"
    assert browser.key(job["id"], "data/0/c/0/0") == (200, on_disk.read_bytes())
    assert browser.key(job["id"], "data/99/zarr.json") == (404, None)
    assert browser.key(job["id"], "../" + job["id"] + "/zarr.json") == (404, None)
    assert browser.key("no-such-store", "zarr.json") == (404, None)


def test_paths_outside_the_kernel_folder_are_refused_as_the_server_refuses_them(browser, small_demo, tmp_path):
    other = small_demo.path(small_demo["exposures"][1]["cal"])  # a real file, not in the stack
    status, message = browser.request(["info"], query={"path": str(other)})
    assert (status, message) == (403, f"{other} points outside the Jupyter root.")
    assert browser.request(["info"], query={"path": "../x.asdf"}) == (403, "../x.asdf: paths may not contain '..'.")
    assert browser.request(["info"], query={"path": "absent.asdf"}) == (404, "absent.asdf does not exist.")
    os.symlink(other, tmp_path / "here_cal.asdf")  # a symlink out of the folder is still outside
    assert browser.request(["info"], query={"path": "here_cal.asdf"})[0] == 403
    status, body = browser.request(["info"], query={"path": browser.viewer.images[0]["path"]})
    assert status == 200 and body["level"] == 2


def test_bad_requests_get_the_servers_words(browser):
    assert browser.request(["triage"], "POST", body={"paths": "x"}) == (400, TRIAGE_USAGE)
    status, message = browser.request(["ramps"], query={"path": "x", "ra": "1"})
    assert status == 400 and message.startswith("Give the circle as ra and dec")
    assert browser.request(["nothing"])[0] == 404
    assert browser.request(["health"], "POST")[0] == 405
    assert browser.request("health")[0] == 400


def test_ramps_of_a_stack_file(browser, small_demo):
    galaxy = small_demo["galaxy"]
    status, body = browser.request(["ramps"], query={"path": browser.viewer.images[0]["path"], "ra": str(galaxy["ra"]),
                                                     "dec": str(galaxy["dec"]), "radius_arcsec": "1"})
    assert status == 200, body
    assert len(body["pixels"]) > 0 and body["l2_path"] == Path(browser.viewer.images[0]["path"]).name

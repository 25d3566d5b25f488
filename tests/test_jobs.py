"""The server's conversion jobs, on real conversions: every file of a stack reaches its first
pixels before any file's second stage starts (roman_lab.server.jobs.Conversions), a job waiting
between its stages holds no thread, and a waiting request wakes when its job settles."""

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest
from romanfiles import make_l2

from roman_lab.server.api import make_conversions
from roman_lab.server.jobs import Conversions
from roman_lab.store import convert_in_stages

N_FILES = 8  # more than the 2 working + 4 paused conversions the server used to allow


def stack(tmp_path, n, shape=(1100, 1100)):
    return [make_l2(tmp_path / f"r000{i:02d}_cal.asdf", shape=shape, seed=i) for i in range(n)]


def wait_done(jobs, timeout=120):
    deadline = time.monotonic() + timeout
    while any(job.status not in ("ready", "error") for job in jobs) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [job.status for job in jobs] == ["ready"] * len(jobs), [job.message for job in jobs]


def test_every_file_of_a_stack_is_display_ready_before_any_second_stage(tmp_path):
    files = stack(tmp_path, N_FILES)
    conversions = make_conversions(tmp_path / "cache", max_bytes=float("inf"), workers=2)
    jobs = [conversions.start(path, path.name) for path in files]
    wait_done(jobs)
    shown = [job.display_ready_at for job in jobs]
    second = [job.second_stage_at for job in jobs]
    assert max(shown) < min(second), (shown, second)
    assert all(job.published == 4 for job in jobs)  # data/1, data/0, err, dq: each renamed in


def test_a_job_between_its_stages_holds_no_thread(tmp_path):
    """With one worker, all 8 files are display-ready while 7 second stages still wait: only
    the one worker thread exists (a paused conversion used to block a thread of its own)."""
    files = stack(tmp_path, N_FILES)
    before = set(threading.enumerate())  # other tests' pools may still have idle threads
    conversions = make_conversions(tmp_path / "cache", max_bytes=float("inf"), workers=1)
    jobs = [conversions.start(path, path.name) for path in files]
    deadline = time.monotonic() + 120
    while not all(job.display_ready for job in jobs) and time.monotonic() < deadline:
        time.sleep(0.005)
    waiting = sum(job.second_stage_at is None for job in jobs)
    workers = [t for t in set(threading.enumerate()) - before if t.name.startswith("roman-lab-convert")]
    assert waiting >= N_FILES - 2 and len(workers) == 1, (waiting, workers)
    paused = next(job for job in jobs if job.second_stage_at is None)
    assert conversions.start(files[jobs.index(paused)], "again") is paused  # a second request joins it
    wait_done(jobs)


def test_a_second_caller_of_a_file_between_its_stages_joins_it(tmp_path):
    """Between the stages the store is display-ready under its id and a second `convert` of
    the file waits for the first's stage 2, then gets the same complete store."""
    from roman_lab.store import convert
    from roman_lab.store.converter import CONVERSIONS

    path = stack(tmp_path, 1)[0]
    cache = tmp_path / "cache"
    before = CONVERSIONS["count"]
    finish = convert_in_stages(path, cache_dir=cache, max_cache_bytes=float("inf"))
    (store_dir,) = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert (store_dir / "data" / "2" / "zarr.json").exists() and not (store_dir / "err").exists()
    joined = []
    second = threading.Thread(target=lambda: joined.append(convert(path, cache_dir=cache, progress=False)))
    second.start()
    second.join(0.3)
    assert second.is_alive()  # waits for the first conversion's stage 2
    store = finish()
    second.join(30)
    assert store.complete and joined[0].path == store.path and CONVERSIONS["count"] == before + 1


def test_a_failed_second_stage_leaves_no_store(tmp_path):
    """The file changed between the stages: stage 2 fails with 409 and the display-ready store is
    removed (a store under its id always is what its attributes claim); the next call converts."""
    import os

    import pytest

    from roman_lab.io import RomanFileError

    path = stack(tmp_path, 1)[0]
    cache = tmp_path / "cache"
    finish = convert_in_stages(path, cache_dir=cache, max_cache_bytes=float("inf"))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(RomanFileError) as info:
        finish()
    assert info.value.status == 409
    assert [p.name for p in cache.iterdir() if p.name != ".locks"] == []
    assert convert_in_stages(path, cache_dir=cache, max_cache_bytes=float("inf"))().complete


def test_a_file_opened_while_another_completes_goes_first(tmp_path):
    """A second stage waits between its arrays while a first stage runs: a file opened while
    another is being completed does not share the cores with it for its first pixels."""
    from roman_lab.store import cache

    small, large = make_l2(tmp_path / "r00001_cal.asdf", shape=(1100, 1100)), make_l2(
        tmp_path / "r00002_cal.asdf", shape=(3000, 3000), seed=1)
    arrays_started = []  # when each array of a second stage began

    def convert(path, on_progress=None):
        finish = convert_in_stages(path, cache_dir=tmp_path / "cache", max_cache_bytes=float("inf"),
                                   on_progress=on_progress)

        def timed(between_arrays=None):
            def between():
                between_arrays()
                arrays_started.append(time.monotonic())
            return finish(between_arrays=between)
        return timed

    conversions = Conversions(convert, lambda real: cache.file_identity(real)[2], workers=2)
    first = conversions.start(small, small.name)
    deadline = time.monotonic() + 60
    while first.second_stage_at is None and time.monotonic() < deadline:
        time.sleep(0.001)
    second = conversions.start(large, large.name)
    wait_done([first, second])
    during = [t for t in arrays_started if second.started < t < second.display_ready_at]
    assert during == [], (len(during), second.display_ready_at - second.started)
    assert len(arrays_started) == 4 + 5  # data/1, data/0, err, dq; data/2 too for the large one


def test_a_waiting_request_wakes_when_its_job_is_display_ready(tmp_path):
    """`wait_s` waits on an event, not a poll: the answer comes at display-ready, in a thread
    (the kernel's channel) as on the event loop (the HTTP handlers)."""
    files = stack(tmp_path, 2, shape=(2048, 2048))
    conversions = make_conversions(tmp_path / "cache", max_bytes=float("inf"), workers=1)
    threaded = conversions.start(files[0], files[0].name)
    threaded.wait_settled(30)
    woke = time.monotonic()
    assert threaded.display_ready and woke - threaded.display_ready_at < 0.25

    async def on_the_loop():
        job = conversions.start(files[1], files[1].name)
        await job.settled(30)
        return job, time.monotonic()

    job, woke = asyncio.run(on_the_loop())
    assert job.display_ready and woke - job.display_ready_at < 0.25
    wait_done([threaded, job])


@pytest.fixture
def jp_server_config(tmp_path):
    return {"ServerApp": {"jpserver_extensions": {"roman_lab": True}},
            "RomanLab": {"cache_dir": str(tmp_path / "store-cache"), "conversion_workers": 1}}


async def test_requests_waiting_for_first_pixels_hold_no_server_thread(jp_fetch, jp_root_dir, jp_serverapp):
    """More requests wait (`wait_s`) for a file queued behind others than the server's default
    executor has threads (6 on 2 cores): the server still answers other requests at once."""
    conversions = jp_serverapp.web_app.settings["roman_lab_context"].conversions
    files = stack(jp_root_dir, N_FILES)
    await jp_fetch("roman-lab", "api", "health")  # the server up and its first answer given
    jobs = [conversions.start(path, path.name) for path in files]  # a stack posted at once
    waiting = [asyncio.ensure_future(jp_fetch("roman-lab", "api", "stores", jobs[-1].id, params={"wait_s": "5"}))
               for _ in range(8)]  # (the test's HTTP client sends 10 at once)
    await asyncio.sleep(0.05)
    health = json.loads((await jp_fetch("roman-lab", "api", "health")).body)  # in the executor: a thread is free
    assert health["status"] == "ok" and not jobs[-1].display_ready and not any(task.done() for task in waiting)
    answers = [json.loads((await task).body) for task in waiting]
    assert all(job["display_ready"] for job in answers), answers
    while any(job.status not in ("ready", "error") for job in jobs):  # no conversion left for the next test
        await asyncio.sleep(0.05)


def test_the_file_opened_to_describe_it_is_the_one_its_first_stage_reads(tmp_path, monkeypatch):
    """A job that can start at once takes the caller's open file for its first stage (one open
    less on the first pixels' path; stage 2 opens it again); a job that must wait behind
    others, or joins one, closes it at once, so no waiting job holds an open file."""
    import roman_lab.io as rio

    files = stack(tmp_path, 3)
    opens = []
    real_open = rio.open
    monkeypatch.setattr(rio, "open", lambda path: opens.append(Path(path).name) or real_open(path))
    conversions = make_conversions(tmp_path / "cache", max_bytes=float("inf"), workers=1)
    first = real_open(files[0])
    first.opened_stat = files[0].stat()
    job = conversions.start(files[0], files[0].name, opened=first)
    job.wait_settled(60)
    assert job.display_ready
    queued = []
    for path in files[1:]:  # the worker is busy with the first job's stage 2 or the second's stage 1
        opened = real_open(path)
        opened.opened_stat = path.stat()
        closes = []
        monkeypatch.setattr(opened, "close", lambda c=closes, f=opened: c.append(1) or type(f).close(f))
        queued.append((conversions.start(path, path.name, opened=opened), closes))
    assert queued[1][1] == [1]  # the third waited behind the second: its file closed at once
    wait_done([job] + [j for j, _ in queued])
    assert opens.count(files[0].name) == 1  # its stage 2 only: stage 1 read the file it was given
    assert opens.count(files[2].name) == 2  # stages 1 and 2


def test_a_viewed_file_s_second_stage_waits_for_its_first_chunk_to_be_served(tmp_path, monkeypatch):
    """The stage 2 of a file a viewer waits for starts once a chunk of its store was served (or
    after `VIEWER_GRACE_S`): the viewer's first chunk, decode and draw get the cores first. A
    file nobody views (a kernel's batch, `find_exposures`) goes on at once."""
    from roman_lab.server import jobs

    monkeypatch.setattr(jobs, "VIEWER_GRACE_S", 30.0)
    viewed, batch = stack(tmp_path, 2)
    conversions = make_conversions(tmp_path / "cache", max_bytes=float("inf"), workers=2)
    job = conversions.start(viewed, viewed.name, viewed=True)
    other = conversions.start(batch, batch.name)
    wait_done([other])
    assert job.display_ready and job.second_stage_at is None  # waits, while the other completed
    served = time.monotonic()
    conversions.chunk_served(job.id)
    wait_done([job])
    assert served <= job.second_stage_at < served + 10

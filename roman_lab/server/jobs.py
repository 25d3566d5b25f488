"""Conversions the server runs in the background: one job per source file version.

The HTTP handlers only start, join and read jobs; the work is `roman_lab.store.convert_in_stages`
in a thread pool, so the event loop keeps serving while an ASDF file is converted.
"""

import asyncio
import functools
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..store.converter import DISPLAY_READY, PUBLISHED

MAX_WAIT_S = 5.0  # the longest `wait_s` a request may ask for
FIRST, REST = 0, 1  # the stages of a conversion: up to display-ready, then the rest


# A viewer told "display-ready" then fetches the store's metadata and first chunk, decodes and
# draws it: ~50-100 ms. The file's stage 2 starting at once takes both cores of a small machine
# from it (and from the browser, when it shares them), so it waits until a chunk of the store
# has been served, at most this long (performance.md, "First pixels").
VIEWER_GRACE_S = 0.3


@dataclass
class Job:
    """One conversion, as the browser sees it through `/roman-lab/api/stores/ID`."""

    id: str
    rel: str
    status: str = "pending"  # pending -> running -> ready | error
    progress: float = 0.0
    message: str = "Waiting to start"
    error_status: int | None = None
    display_ready: bool = False  # the coarsest pyramid level can be served before the store is complete
    published: int = 0  # arrays renamed into the display-ready store since (finer levels, err, dq, ...)
    store: object = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    display_ready_at: float | None = None  # time.monotonic() of display-ready, and of stage 2's start
    second_stage_at: float | None = None
    viewed: bool = False  # a viewer waits for the first pixels: its stage 2 lets it fetch them first
    _chunk_served: threading.Event = field(default_factory=threading.Event, repr=False)
    _settled: threading.Event = field(default_factory=threading.Event, repr=False)
    _wakers: list = field(default_factory=list, repr=False)
    _wake_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def to_json(self):
        return {
            "id": self.id,
            "path": self.rel,
            "status": self.status,
            "progress": round(self.progress, 4),
            "message": self.message,
            "error_status": self.error_status,
            "display_ready": self.display_ready or self.status == "ready",
            "published": self.published,
            "elapsed_s": round((self.finished or time.monotonic()) - self.started, 3),
        }

    def first_stage_s(self):
        """Seconds from the job's start (queued) to display-ready, None before."""
        return None if self.display_ready_at is None else self.display_ready_at - self.started

    def chunk_served(self):
        """A chunk of the display-ready store reached a browser: stage 2 may take the cores."""
        self._chunk_served.set()

    def let_viewer_draw(self):
        """(Before stage 2.) A viewed job waits until a chunk of its store was served, at most
        `VIEWER_GRACE_S` after display-ready."""
        if self.viewed and self.display_ready_at is not None:
            self._chunk_served.wait(max(0.0, self.display_ready_at + VIEWER_GRACE_S - time.monotonic()))

    def settle(self):
        """The job is display-ready, ready or failed: every request waiting for it answers now."""
        with self._wake_lock:
            self._settled.set()
            wakers, self._wakers = self._wakers, []
        for wake in wakers:
            wake()

    def wait_settled(self, wait_s):
        """Blocks the calling thread until `settle` or for `wait_s` seconds (the kernel's
        channel); whether the job is settled."""
        return self._settled.wait(wait_s)

    async def settled(self, wait_s):
        """Waits on the event loop, holding no thread, until `settle` or for `wait_s` seconds (the
        HTTP handlers): an answer as soon as the first pixels can be read, without polling."""
        loop = asyncio.get_running_loop()
        woken = loop.create_future()

        def wake():
            try:
                loop.call_soon_threadsafe(lambda: woken.done() or woken.set_result(None))
            except RuntimeError:  # the loop closed meanwhile: nobody waits
                pass

        with self._wake_lock:
            if self._settled.is_set():
                return
            self._wakers.append(wake)
        try:
            await asyncio.wait_for(woken, wait_s)
        except TimeoutError:
            with self._wake_lock:
                if wake in self._wakers:
                    self._wakers.remove(wake)


class Conversions:
    """Starts or joins conversions; a failed job is retried on the next request.

    A conversion runs in two stages (`convert_in_stages`): its first stage (up to display-ready:
    a file's first pixels) and its second (the finer levels, err, dq, ...). `workers` threads
    run stages, a second stage only when no first stage waits or runs, so every file of a stack
    loaded at once is shown before any file is completed. Between its stages a job holds no
    thread and none of its file's arrays (the second stage reads the file again), so any
    number of them may wait."""

    def __init__(self, convert, key_of, workers=2, cached=None):
        self._convert = convert  # (real path, on_progress=) -> finish() -> store: `convert_in_stages`
        self._key_of = key_of
        self._cached = cached  # real path -> its complete store already in the cache, or None
        self._jobs = {}
        self._lock = threading.Lock()
        self._stages = (deque(), deque())  # by stage: the work waiting for a worker
        self._stages_lock = threading.Lock()
        self._first_stages_done = threading.Condition(self._stages_lock)  # notified as first stages end
        self._free = workers
        self._first_running = 0
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="roman-lab-convert")

    def start(self, real_path, rel, opened=None, viewed=False):
        """The job for this version of the file, started if it is new, failed before, or its
        store has since been evicted from the cache. `opened`: the file, opened by the caller
        (`roman_lab.io.open`), which this takes: the first stage reads it when it can start at
        once; otherwise (queued, joined) it is closed, so no waiting job holds an open file.
        `viewed`: a viewer waits for this file's first pixels (`VIEWER_GRACE_S`)."""
        key = self._key_of(real_path)
        with self._lock:
            job = self._jobs.get(key)
            if job is not None:
                job.viewed = job.viewed or viewed
            evicted = job is not None and job.status == "ready" and not job.store.exists()
            if job is None or job.status == "error" or evicted:
                job = self._jobs[key] = Job(id=key, rel=rel, viewed=viewed)
                store = self._cached(real_path) if self._cached is not None else None
                if store is None:
                    handed, opened = (opened, None) if self._starts_at_once() else (None, opened)
                    self._queue(FIRST, lambda: self._first_stage(job, real_path, handed))
                else:  # converted before (by another server, kernel or session): ready at once, no poll
                    job.store, job.status, job.progress, job.message = store, "ready", 1.0, "Ready"
                    job.finished = job.started
                    job.settle()
        if opened is not None:
            opened.close()
        return job

    def _starts_at_once(self):
        """Whether a first stage queued now gets a worker at once."""
        with self._stages_lock:
            return self._free > 0 and not self._stages[FIRST]

    def get(self, key):
        with self._lock:
            return self._jobs.get(key)

    def chunk_served(self, key):
        """A chunk of store `key` was served (`Job.chunk_served`)."""
        job = self.get(key)
        if job is not None:
            job.chunk_served()

    def _queue(self, stage, work):
        """`work` (one stage of a job) runs when `_dispatch` gives it a free worker."""
        with self._stages_lock:
            self._stages[stage].append(work)
            self._dispatch()

    def _dispatch(self):
        """(Under `_stages_lock`.) Hands waiting stages to free workers: first stages in the
        order started; a second stage only when no first stage waits or runs (the last files'
        first pixels do not share the cores with another file's second stage)."""
        while self._free:
            if self._stages[FIRST]:
                stage = FIRST
            elif self._stages[REST] and not self._first_running:
                stage = REST
            else:
                return
            self._free -= 1
            self._first_running += stage == FIRST
            self._pool.submit(self._run, stage, self._stages[stage].popleft())

    def _run(self, stage, work):
        try:
            work()
        finally:
            with self._stages_lock:
                self._free += 1
                self._first_running -= stage == FIRST
                self._dispatch()
                self._first_stages_done.notify_all()

    def _after_first_stages(self):
        """(A second stage, between two of its arrays.) Waits while any first stage runs: a file
        opened while another is being completed gets the cores for its first pixels. Only
        running first stages are waited for, and they always end, so no worker waits for a
        queued one."""
        with self._first_stages_done:
            self._first_stages_done.wait_for(lambda: self._first_running == 0)

    def _first_stage(self, job, real_path, opened=None):
        job.status, job.message = "running", "Converting"

        def on_progress(fraction, message):
            job.progress, job.message = float(fraction), message
            job.published += message.startswith(PUBLISHED)
            if message == DISPLAY_READY:
                job.display_ready, job.display_ready_at = True, time.monotonic()
                job.settle()

        convert = self._convert if opened is None else functools.partial(self._convert, opened=opened)
        finish = self._guarded(job, lambda: convert(real_path, on_progress=on_progress))
        if finish is None:
            return
        if job.display_ready:  # the rest waits behind every waiting first stage
            self._queue(REST, lambda: self._second_stage(job, finish))
        else:  # complete already (an L1, found in the cache, or on object storage)
            self._second_stage(job, finish)

    def _second_stage(self, job, finish):
        job.let_viewer_draw()
        job.second_stage_at = time.monotonic()
        job.store = self._guarded(job, lambda: finish(between_arrays=self._after_first_stages))
        if job.store is not None:
            job.status, job.progress, job.message = "ready", 1.0, "Ready"
            self._end(job)

    def _guarded(self, job, stage):
        """stage(), or None with the job failed: a RomanFileError with its status, anything else
        a bug (500) with a message, and the server keeps serving."""
        from ..io import RomanFileError

        try:
            return stage()
        except RomanFileError as err:
            job.status, job.message, job.error_status = "error", str(err), err.status
        except Exception as err:
            job.status, job.error_status = "error", 500
            job.message = f"Converting {job.rel} failed unexpectedly: {type(err).__name__}: {err}"
        self._end(job)
        return None

    @staticmethod
    def _end(job):
        job.finished = time.monotonic()
        job.settle()

"""Conversions the server runs in the background: one job per source file version.

The HTTP handlers only start, join and read jobs; the work is `roman_lab.store.convert`
in a thread pool, so the event loop keeps serving while an ASDF file is converted.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..store.converter import DISPLAY_READY, PUBLISHED

SETTLE_POLL_S = 0.005  # how often a waiting request looks at its job (a few attribute reads)
MAX_WAIT_S = 5.0  # the longest `wait_s` a request may ask for
# conversions that may wait between their two stages, each holding its file's pyramid
# (~90 MB for a full-size L2) while other files reach their first pixels
PAUSED_MAX = 4
FIRST, REST = 0, 1  # the stages of a conversion: up to display-ready, then the rest


class StageGate:
    """At most `slots` conversions work at once, and a first stage (what a file's first pixels
    need) goes before any waiting second stage: a stack of files loaded at once shows each
    file in about the time of its first stage, not of the whole conversions before it."""

    def __init__(self, slots):
        self._cond = threading.Condition()
        self._free = slots
        self._waiting = [0, 0]  # by stage

    def acquire(self, stage):
        with self._cond:
            self._waiting[stage] += 1
            while self._free == 0 or (stage == REST and self._waiting[FIRST] > 0):
                self._cond.wait()
            self._waiting[stage] -= 1
            self._free -= 1

    def release(self):
        with self._cond:
            self._free += 1
            self._cond.notify_all()


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


class Conversions:
    """Starts or joins conversions; a failed job is retried on the next request."""

    def __init__(self, convert, key_of, workers=2, cached=None):
        self._convert = convert
        self._key_of = key_of
        self._cached = cached  # real path -> its complete store already in the cache, or None
        self._jobs = {}
        self._lock = threading.Lock()
        self._gate = StageGate(workers)
        self._pool = ThreadPoolExecutor(max_workers=workers + PAUSED_MAX, thread_name_prefix="roman-lab-convert")

    def start(self, real_path, rel):
        """The job for this version of the file, started if it is new, failed before, or its
        store has since been evicted from the cache."""
        key = self._key_of(real_path)
        with self._lock:
            job = self._jobs.get(key)
            evicted = job is not None and job.status == "ready" and not job.store.exists()
            if job is None or job.status == "error" or evicted:
                job = self._jobs[key] = Job(id=key, rel=rel)
                store = self._cached(real_path) if self._cached is not None else None
                if store is None:
                    self._pool.submit(self._run, job, real_path)
                else:  # converted before (by another server, kernel or session): ready at once, no poll
                    job.store, job.status, job.progress, job.message = store, "ready", 1.0, "Ready"
                    job.finished = job.started
            return job

    def get(self, key):
        with self._lock:
            return self._jobs.get(key)

    @staticmethod
    def settled(job, wait_s):
        """Waits (in the caller's worker thread) up to `wait_s` seconds for the job to be
        display-ready, ready or failed: an answer as soon as the first pixels can be read,
        without the browser polling for them."""
        deadline = time.monotonic() + wait_s
        while not (job.display_ready or job.status in ("ready", "error")) and time.monotonic() < deadline:
            time.sleep(SETTLE_POLL_S)

    def _run(self, job, real_path):
        from ..io import RomanFileError

        holding = [True]

        def on_progress(fraction, message):
            job.progress, job.message = float(fraction), message
            job.display_ready = job.display_ready or message == DISPLAY_READY
            job.published += message.startswith(PUBLISHED)
            if message == DISPLAY_READY:
                # the converter calls this in its own thread, outside any lock, between its
                # stages: the rest waits while other files still need their first pixels
                self._gate.release()
                holding[0] = False
                self._gate.acquire(REST)
                holding[0] = True

        self._gate.acquire(FIRST)
        job.status, job.message = "running", "Converting"
        try:
            job.store = self._convert(real_path, on_progress=on_progress)
        except RomanFileError as err:
            job.status, job.message, job.error_status = "error", str(err), err.status
        except Exception as err:  # a bug, not bad input: still a message, and the server keeps serving
            job.status, job.error_status = "error", 500
            job.message = f"Converting {job.rel} failed unexpectedly: {type(err).__name__}: {err}"
        else:
            job.status, job.progress, job.message = "ready", 1.0, "Ready"
        finally:
            job.finished = time.monotonic()
            if holding[0]:
                self._gate.release()

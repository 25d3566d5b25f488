"""The server's conversion jobs: every file of a stack reaches its first pixels before any
file's second stage takes the workers (roman_lab.server.jobs.StageGate), on real conversions."""

import threading
import time

from romanfiles import make_l2

from roman_lab.server.api import make_conversions
from roman_lab.server.jobs import FIRST, REST, StageGate


def test_a_stack_reaches_display_ready_before_any_file_completes(tmp_path):
    files = [make_l2(tmp_path / f"r000{i}_cal.asdf", shape=(1100, 1100), seed=i) for i in range(4)]
    conversions = make_conversions(tmp_path / "cache", max_bytes=float("inf"), workers=1)
    jobs = [conversions.start(path, path.name) for path in files]
    shown, done = {}, {}
    deadline = time.monotonic() + 120
    while len(done) < len(jobs) and time.monotonic() < deadline:
        for job in jobs:
            if job.display_ready and job.id not in shown:
                shown[job.id] = time.monotonic()
            if job.status in ("ready", "error") and job.id not in done:
                done[job.id] = time.monotonic()
        time.sleep(0.002)
    assert [job.status for job in jobs] == ["ready"] * 4, [job.message for job in jobs]
    assert max(shown.values()) < min(done.values()), (shown, done)


def test_the_gate_lets_first_stages_pass_waiting_second_stages():
    gate, order = StageGate(1), []
    gate.acquire(FIRST)  # one conversion working

    def stage(name, which):
        gate.acquire(which)
        order.append(name)
        gate.release()

    rest = threading.Thread(target=stage, args=("rest", REST))
    rest.start()
    time.sleep(0.05)
    first = threading.Thread(target=stage, args=("first", FIRST))
    first.start()
    time.sleep(0.05)
    gate.release()
    rest.join(5)
    first.join(5)
    assert order == ["first", "rest"]

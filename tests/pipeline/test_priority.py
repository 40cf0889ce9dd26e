"""Transcription jobs yield the CPU to web requests on a shared machine (WORKER_NICE)."""

from __future__ import annotations

import os
import threading

import pytest

from enable.pipeline import yield_cpu_to_requests

pytestmark = pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread priorities on this system")


def _priorities(niceness: int) -> tuple[int, int, int]:
    seen: list[int] = []

    def job() -> None:
        tid = threading.get_native_id()
        seen.append(os.getpriority(os.PRIO_PROCESS, tid))
        yield_cpu_to_requests(niceness)
        yield_cpu_to_requests(niceness)  # a second job on the same worker thread lowers it no further
        seen.append(os.getpriority(os.PRIO_PROCESS, tid))

    worker = threading.Thread(target=job)
    worker.start()
    worker.join()
    return seen[0], seen[1], os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_a_job_thread_runs_at_lower_priority_and_the_rest_of_the_process_does_not():
    before, after, this_thread = _priorities(10)
    assert after == min(19, before + 10)
    assert this_thread == before  # the web threads keep their priority


def test_zero_leaves_the_priority_alone():
    before, after, _ = _priorities(0)
    assert after == before

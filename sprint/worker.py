"""Work on an untrusted file that must not hold the server: parsing a workbook is pure Python
(openpyxl: about 2 MB of sheet XML a second), and in the server's process it would hold the GIL,
and so every other visitor's page, for as long as the file makes it last.

One worker process, started on first use and kept, does that work under a memory ceiling and
behind the server for the cores (nice 10, so a workbook waits rather than a page); past
MAX_WORKBOOK_SECONDS it is killed (and started again for the next file). Its answer, or the
ValidationError it raised, comes back as if the call had been made here. It is spawned, not
forked, so it imports the main module again: `python -m sprint` runs its command only as main.
"""
from __future__ import annotations

import multiprocessing
import os
import resource
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

from .limits import MAX_WORKBOOK_SECONDS, MAX_WORKER_MEMORY

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


class WorkerTimeout(Exception):
    """The worker did not answer within its time; it was stopped."""


class WorkerFailed(Exception):
    """The work needed more memory than the worker may have, or the worker died."""


def _limit() -> None:
    """The worker's ceiling, and its place behind the server for the cores (nice 10)."""
    resource.setrlimit(resource.RLIMIT_AS, (MAX_WORKER_MEMORY, MAX_WORKER_MEMORY))
    os.nice(10)


def _worker() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        # spawn, not fork: the server has DuckDB's and uvicorn's threads, which a fork would copy mid-step
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_limit)
    return _pool


def _stop() -> None:
    global _pool
    if _pool is not None:
        for process in list(getattr(_pool, "_processes", {}).values()):
            process.kill()
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def run(function, *args, timeout: float = MAX_WORKBOOK_SECONDS):
    """function(*args) in the worker process; raises WorkerTimeout past `timeout` seconds,
    WorkerFailed if the worker died. One file at a time: a second caller waits its turn."""
    with _lock:
        future = _worker().submit(function, *args)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            _stop()
            raise WorkerTimeout() from None
        except MemoryError:
            raise WorkerFailed() from None
        except BrokenProcessPool:
            _stop()
            raise WorkerFailed() from None

"""Work on an untrusted file that must not hold the server: parsing a workbook is pure Python
(openpyxl: about 2 MB of sheet XML a second), and in the server's process it would hold the GIL,
and so every other visitor's page, for as long as the file makes it last.

One worker process (`sprint.worker.serve`), started on first use and kept, does that work
under a memory ceiling and behind the server for the cores (nice 10, so a workbook waits rather
than a page); past MAX_WORKBOOK_SECONDS it is killed by its PID, and started again for the next
file. A call and its answer (or the exception it raised) cross its standard input and output,
pickled. It is a process of its own, not multiprocessing's: that one imports the parent's main
module again, which in Streamlit is the page being run.
"""
from __future__ import annotations

import os
import pickle
import resource
import select
import subprocess
import sys
import threading
from pathlib import Path

from .limits import MAX_WORKBOOK_SECONDS, MAX_WORKER_MEMORY

_lock = threading.Lock()
_process: subprocess.Popen | None = None


class WorkerTimeout(Exception):
    """The worker did not answer within its time; it was stopped."""


class WorkerFailed(Exception):
    """The work needed more memory than the worker may have, or the worker died."""


def _start() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from sprint.worker import serve; serve()"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=Path(__file__).resolve().parents[1])


def _stop() -> None:
    global _process
    if _process is not None:
        _process.kill()
        _process.wait()
        _process.stdin.close()
        _process.stdout.close()
        _process = None


def run(function, *args, timeout: float = MAX_WORKBOOK_SECONDS):
    """function(*args) in the worker process (a module-level function); raises WorkerTimeout past
    `timeout` seconds, WorkerFailed if it ran out of memory or the worker died. One call at a
    time: a second caller waits its turn."""
    global _process
    with _lock:
        if _process is None or _process.poll() is not None:
            _process = _start()
        try:
            pickle.dump((function, args), _process.stdin)
            _process.stdin.flush()
            if not select.select([_process.stdout], [], [], timeout)[0]:
                _stop()
                raise WorkerTimeout()
            ok, value = pickle.load(_process.stdout)
        except (OSError, EOFError, pickle.UnpicklingError):
            _stop()
            raise WorkerFailed() from None
    if ok:
        return value
    if isinstance(value, MemoryError):
        raise WorkerFailed()
    raise value


def serve() -> None:
    """The worker's loop: read a call, answer it, until its parent closes the pipe."""
    resource.setrlimit(resource.RLIMIT_AS, (MAX_WORKER_MEMORY, MAX_WORKER_MEMORY))
    os.nice(10)
    calls, answers = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever the work prints goes to the log, not into the answers
    while True:
        try:
            function, args = pickle.load(calls)
        except EOFError:
            return
        try:
            answer = (True, function(*args))
        except Exception as exc:  # noqa: BLE001 - every exception goes back to the caller
            answer = (False, exc)
        pickle.dump(answer, answers)
        answers.flush()

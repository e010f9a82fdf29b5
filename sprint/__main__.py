"""`python -m sprint`: the command line (sprint.cli).

A command's figures are printed by the time it returns; what is left is the interpreter's own
teardown, which frees pandas', numpy's and DuckDB's modules object by object: 90 ms of a 0.7 s
command on this machine. So the process runs its exit handlers, flushes its output and ends
there. The store needs no more: its connection closed when the command returned, and whatever a
command wrote was committed (DuckDB's log is on disk at each commit).
"""
import atexit
import os
import sys

from .cli import cli


def exit_code(code) -> int:
    """The process's exit code for SystemExit(code), as the interpreter would give it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def main() -> None:
    try:
        cli()
        code = 0
    except SystemExit as exc:
        code = exit_code(exc.code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the stream closed (`>&-`): nothing to flush
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader stopped reading (head, say), or the stream is gone
            code = code or 1
    os._exit(code)


if __name__ == "__main__":  # the command runs only as the main module, never on an import
    main()

"""A full year of national history (365 days from 2025-01-01) in one `ingest` command. Prints
each command's time and the peak resident memory of the process.

    python benchmarks/year.py [--days 365]
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the files are written by a process of their own: a child forked from a process holding them
# would count that memory as its own peak
WRITE = """
import sys
from datetime import date
from pathlib import Path
from sprint import national
national.write_national(Path(sys.argv[1]), days=int(sys.argv[2]), first_day=date(2025, 1, 1))
"""


def run(*arguments: str) -> None:
    """One CLI command in its own process: its time and its peak memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sprint", *arguments], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    memory = f"{peak / 1024:,.0f} MB" if peak > before else f"at most {before / 1024:,.0f} MB"
    shown = " ".join([arguments[0], *(Path(a).name for a in arguments[1:2])])
    print(f"  {shown:<40} exit {done.returncode}  "
          f"{elapsed:6.1f} s  peak {memory}")
    print("   ", (done.stdout or done.stderr).strip().splitlines()[-1][:150])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365)
    days = parser.parse_args().days
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", WRITE, folder, str(days)], cwd=ROOT, check=True)
        paths = {kind: Path(folder) / f"national-{kind}.csv" for kind in ("units", "targets", "counts")}
        size = paths["counts"].stat().st_size / 1e6
        print(f"  files written in {time.perf_counter() - started:.1f} s; counts file {size:,.0f} MB")
        store = str(Path(folder) / "year.duckdb")
        run("init", "--db", store)
        run("load-units", str(paths["units"]), "--db", store)
        run("load-targets", str(paths["targets"]), "--db", store)
        run("ingest", str(paths["counts"]), "--db", store)


if __name__ == "__main__":
    main()

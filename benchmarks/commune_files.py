"""One commune's file of the national reporting day: the validated ingest of each of N communes'
6-row files for the day after the store's last, into a copy of the store. Prints numbers.

    python benchmarks/commune_files.py --store NATIONAL_STORE [--files 60]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sprint  # noqa: E402
from sprint import national  # noqa: E402

WARM_UP = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--files", type=int, default=60)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "copy.duckdb"
        shutil.copy(options.store, copy)
        con = sprint.connect(copy)
        day = sprint.latest_date(con) + timedelta(days=1)
        frame = national.national_day_file(con, day)
        times = []
        for unit, rows in list(frame.groupby("unit_code"))[:options.files]:
            data = rows.to_csv(index=False).encode()
            started = time.perf_counter()
            sprint.ingest(con, data, name=f"{unit}.csv", today=day)
            times.append(1000 * (time.perf_counter() - started))
        timed = sorted(times[WARM_UP:])
        print(f"{len(timed)} commune files after {WARM_UP} to warm up: median {statistics.median(timed):.1f} ms, "
              f"p90 {timed[int(0.9 * len(timed))]:.1f} ms")


if __name__ == "__main__":
    main()

"""Speed of the engine on the demo store. Prints numbers; asserts nothing.

    python benchmarks/run.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sprint  # noqa: E402
from sprint import demo  # noqa: E402

AS_OF = date(2025, 11, 20)


def timed(label: str, function, repeat: int = 5) -> None:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    print(f"{label:<58} median {1000 * statistics.median(runs):8.1f} ms   min {1000 * min(runs):8.1f} ms")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.duckdb"
        started = time.perf_counter()
        con = sprint.connect(path)
        sprint.init_store(con)
        demo.build_demo(con)
        print(f"{'demo store built (375 units, 122k counts)':<58} {time.perf_counter() - started:8.2f} s")
        print(f"{'store file size':<58} {path.stat().st_size / 1e6:8.1f} MB")
        timed("data_version (polled by every open page)", lambda: sprint.data_version(con), 20)
        rows = len(sprint.progress(con, as_of=AS_OF))
        timed(f"progress, every unit and metric ({rows:,} rows)", lambda: sprint.progress(con, as_of=AS_OF))
        timed("progress, one province", lambda: sprint.progress(con, as_of=AS_OF, unit="66"))
        timed("leaderboard, provinces, all metrics", lambda: sprint.leaderboard(con, as_of=AS_OF))
        timed("leaderboard, 340 grassroots units, one metric",
              lambda: sprint.leaderboard(con, as_of=AS_OF, metric="health", level="grassroots"))
        timed("series, national, 112 days", lambda: sprint.series(
            con, unit="VN", metric="health", start=date(2025, 8, 31), end=AS_OF))
        timed("trend, 34 provinces x 112 days", lambda: sprint.trend(
            con, parent="VN", metric="health", start=date(2025, 8, 31), end=AS_OF))
        days = demo.days_after(AS_OF)
        day_files = [frame.to_csv(index=False).encode() for _, frame in days[:5]]
        day_rows = sum(len(frame) for _, frame in days[:5])
        runs = []
        for index, data in enumerate(day_files):
            started = time.perf_counter()
            sprint.ingest(con, data, name=f"day-{index}.csv")
            runs.append(time.perf_counter() - started)
        print(f"{f'ingest one day (~{day_rows // 5:,} rows), validate + commit':<58} median "
              f"{1000 * statistics.median(runs):8.1f} ms")
        bad = day_files[0].replace(b"\n2025-11-21,", b"\n2025-13-21,", 1)
        started = time.perf_counter()
        try:
            sprint.ingest(con, bad, name="bad.csv")
        except sprint.ValidationError:
            pass
        print(f"{'reject a day file with one bad row':<58} {1000 * (time.perf_counter() - started):8.1f} ms")
        con.close()


if __name__ == "__main__":
    main()

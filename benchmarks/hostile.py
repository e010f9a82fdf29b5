"""What a hostile file costs everyone else. Prints numbers.

    python benchmarks/hostile.py [--seconds 20] [--store PATH]

One process, as the dashboard is: a reader thread asks the figures a page asks (the provinces'
progress and the leaderboard, each a fresh query) again and again and times each ask, first with
nothing else running, then while another thread sends the hostile corpus
(tests/data/hostile/make_corpus.py) and a large honest workbook (30,000 rows, 10 MB of sheet
XML, just under every limit) again and again, as the inbox or an upload would. It prints each
phase's read latency (median, p95, max), the extra wait (max under attack minus the quiet
median), and what each file cost its sender (median seconds to refusal or commit).
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "data" / "hostile"))

import make_corpus  # noqa: E402
import sprint  # noqa: E402
from sprint import demo  # noqa: E402


def honest_workbook(rows: int) -> bytes:
    """A wide report of `rows` rows (unknown units: it is checked in full, then refused)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["date", "unit_code", "compulsory_si", "voluntary_si", "unemployment", "health", "revenue", "late_debt"])
    for i in range(rows):
        sheet.append(["2025-11-20", f"X{i}", 1234, 2345, 3456, 123456, 7890, 12])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def read_loop(con, as_of: date, stop: threading.Event, times: list[float]) -> None:
    cursor = con.cursor()
    while not stop.is_set():
        started = time.perf_counter()
        sprint.progress(cursor, as_of=as_of, level="province")
        sprint.leaderboard(cursor, as_of=as_of, metric="all", level="province")
        times.append(time.perf_counter() - started)


def send_loop(con, files: dict[str, bytes], stop: threading.Event, costs: dict[str, list[float]]) -> None:
    cursor = con.cursor()
    while not stop.is_set():
        for name, data in files.items():
            if stop.is_set():
                return
            started = time.perf_counter()
            try:
                sprint.ingest(cursor, data, name=name)
            except sprint.SprintError:
                pass
            costs.setdefault(name, []).append(time.perf_counter() - started)


def phase(con, as_of, seconds, files=None):
    stop, times, costs = threading.Event(), [], {}
    threads = [threading.Thread(target=read_loop, args=(con, as_of, stop, times))]
    if files:
        threads.append(threading.Thread(target=send_loop, args=(con, files, stop, costs)))
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return times, costs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--store", type=Path, default=None, help="a store to copy (default: a new demo store)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="hostile-"))
    if args.store:
        (folder / "demo.duckdb").write_bytes(args.store.read_bytes())
        con = sprint.connect(folder / "demo.duckdb")
    else:
        con = sprint.connect(folder / "demo.duckdb")
        sprint.init_store(con)
        demo.build_demo(con)
    as_of = demo.LAST_LOADED_DAY
    files = {name: path.read_bytes() for name, (path, _) in make_corpus.make(folder / "corpus").items()}
    files["honest-30000-rows.xlsx"] = honest_workbook(30_000)
    quiet, _ = phase(con, as_of, args.seconds)
    attacked, costs = phase(con, as_of, args.seconds, files)
    quiet_median = statistics.median(quiet)
    print(f"read of a page's figures (progress of the provinces + leaderboard), {args.seconds:.0f} s each phase")
    for label, times in (("quiet", quiet), ("under the corpus", attacked)):
        print(f"  {label:18} n={len(times):5}  median {statistics.median(times) * 1000:7.1f} ms  "
              f"p95 {percentile(times, 0.95) * 1000:7.1f} ms  max {max(times) * 1000:7.1f} ms")
    print(f"  extra wait (max under the corpus - quiet median): {(max(attacked) - quiet_median) * 1000:.0f} ms")
    print("what each file cost its sender (median s to refusal or commit, sends):")
    for name, spent in sorted(costs.items()):
        print(f"  {name:28} {statistics.median(spent):6.2f} s  x{len(spent)}")


if __name__ == "__main__":
    main()

"""The forecast judged on the demo store: every past day of the campaign, 7 days ahead and to the
next milestone; and its cost. Prints numbers; asserts nothing.

    python benchmarks/backtest.py [--store PATH]     # default: a fresh demo store
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sprint  # noqa: E402
from sprint import demo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = arguments.store or Path(folder) / "demo.duckdb"
        con = sprint.connect(path)
        if con.execute("SELECT count(*) FROM counts").fetchall()[0][0] == 0:
            sprint.init_store(con)
            demo.build_demo(con)
        runs, judged = [], None
        for _ in range(arguments.runs):
            started = time.perf_counter()
            judged = sprint.backtest(con)
            runs.append(time.perf_counter() - started)
        until = sprint.complete_date(con)
        print(f"backtest up to {until} ({con.execute('SELECT count(*) FROM counts').fetchall()[0][0]:,} counts): "
              f"median {statistics.median(runs):.2f} s of {arguments.runs}")
        print(judged.to_string(index=False, na_rep=""))
        con.close()


if __name__ == "__main__":
    main()

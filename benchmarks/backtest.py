"""The forecast judged on the demo store: every past day of the campaign, 7 days ahead and to the
next milestone; then the chance of all metrics (the leaderboard's) against whether every metric
made it, beside the weakest metric's chance and the mean of the chances; and their cost. Prints
numbers; asserts nothing.

    python benchmarks/backtest.py [--store PATH] [--to-the-end]   # default: a fresh demo store

--to-the-end adds to the fresh demo store its days after 20/11 up to 31/12, one day's file at a
time as `simulate` replays them, so that every milestone, revenue's 31/12 too, has an outcome:
the chance of all metrics is judged only on days whose milestones have all passed.
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
from sprint.forecast import BACKTEST_SQL, MINIMUM_RECENT_REPORTS, RECENT_DAYS, _backtest_parameters  # noqa: E402

# the milestone forecasts of units under the reporting minimum, had their chance been given: the
# backtest's own outcomes, with the minimum set to 0
WITHHELD_SQL = BACKTEST_SQL.split("judged AS")[0].rstrip().rstrip(",") + f"""
SELECT recent_report_days < {MINIMUM_RECENT_REPORTS} AS withheld, count(*) AS milestone_forecasts,
    round(avg((probability - (actual >= target)::INTEGER) ^ 2), 4) AS brier,
    round(100 * avg((actual BETWEEN low AND high)::INTEGER), 1) AS inside_pct
FROM outcomes WHERE milestone IS NOT NULL GROUP BY ALL ORDER BY ALL
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--to-the-end", action="store_true", help="Build the demo through the campaign's end.")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = arguments.store or Path(folder) / "demo.duckdb"
        con = sprint.connect(path)
        if con.execute("SELECT count(*) FROM counts").fetchall()[0][0] == 0:
            sprint.init_store(con)
            demo.build_demo(con)
            for day, frame in demo.days_after(demo.LAST_LOADED_DAY) if arguments.to_the_end else ():
                sprint.ingest(con, frame.to_csv(index=False).encode(), name=f"{day}.csv")
        runs, judged = [], None
        for _ in range(arguments.runs):
            started = time.perf_counter()
            judged = sprint.backtest(con)
            runs.append(time.perf_counter() - started)
        until = sprint.complete_date(con)
        print(f"backtest up to {until} ({con.execute('SELECT count(*) FROM counts').fetchall()[0][0]:,} counts): "
              f"median {statistics.median(runs):.2f} s of {arguments.runs}")
        print(judged.to_string(index=False, na_rep=""))
        started = time.perf_counter()
        every_metric = sprint.backtest_all_metrics(con)
        print(f"\nthe chance of all metrics, judged: {time.perf_counter() - started:.2f} s")
        print(every_metric.to_string(index=False, na_rep=""))
        parameters = _backtest_parameters(con, until=None)
        print(f"\nchances withheld (under {MINIMUM_RECENT_REPORTS} report days of {RECENT_DAYS}), "
              "had they been given:")
        print(con.execute(WITHHELD_SQL, {**parameters, "minimum_reports": 0}).df().to_string(index=False))
        con.close()


if __name__ == "__main__":
    main()

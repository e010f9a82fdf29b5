"""Where a validated day ingest spends its time, statement by statement, on a national store.
Prints numbers; asserts nothing; adds days to the store it is given (use a copy).

    python benchmarks/ingest_statements.py --store COPY_OF_NATIONAL_STORE [--days 5]
"""
from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sprint  # noqa: E402
from sprint import national  # noqa: E402


class TimedCursor:
    """A cursor that adds each statement's time to `spent`, keyed by its first words."""

    def __init__(self, cursor, spent):
        self._cursor, self._spent = cursor, spent

    def execute(self, sql, *arguments, **keywords):
        started = time.perf_counter()
        self._cursor.execute(sql, *arguments, **keywords)
        self._spent[" ".join(sql.split())[:70]] += time.perf_counter() - started
        return self

    def __getattr__(self, name):
        return getattr(self._cursor, name)


class TimedConnection:
    def __init__(self, con, spent):
        self._con, self._spent = con, spent

    def cursor(self):
        return TimedCursor(self._con.cursor(), self._spent)

    def __getattr__(self, name):
        return getattr(self._con, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--days", type=int, default=5)
    arguments = parser.parse_args()
    con, spent, totals = sprint.connect(arguments.store), collections.defaultdict(float), []
    with tempfile.TemporaryDirectory() as folder:
        for index in range(arguments.days + 1):
            day = sprint.latest_date(con) + timedelta(days=1)
            path = Path(folder) / f"day-{day}.csv"
            national.national_day_file(con, day).to_csv(path, index=False)
            if index == 0:  # the first day warms the caches and is not counted
                sprint.ingest(con, path)
                continue
            started = time.perf_counter()
            sprint.ingest(TimedConnection(con, spent), path)
            totals.append(time.perf_counter() - started)
    print(f"day ingest, {arguments.days} days: " + ", ".join(f"{1000 * total:.0f}" for total in totals) + " ms")
    for statement, seconds in sorted(spent.items(), key=lambda item: -item[1])[:15]:
        print(f"{1000 * seconds / arguments.days:7.1f} ms  {statement}")


if __name__ == "__main__":
    main()

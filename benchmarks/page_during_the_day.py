"""A leader's progress page on the latest complete day while the next day's commune files land:
how long the page's rerun takes after each file. Prints numbers.

    python benchmarks/page_during_the_day.py STORE [--files 12]

STORE is copied first (a national store: `python -m sprint init --demo --scale national --days
93 --db STORE`). The page runs under Streamlit's AppTest, signed in as the leader; each file is
one commune's health count for the day after the store's last. AppTest runs the whole script each
time, so this is what a full rerun costs; the live server reruns only its fragments for such a file.
"""
from __future__ import annotations

import argparse
import os
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path)
    parser.add_argument("--files", type=int, default=12)
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp(prefix="page-day-")) / "store.duckdb"
    shutil.copy(args.store, path)
    os.environ["SPRINT_DB"], os.environ["SPRINT_INBOX"] = str(path), "off"
    # each rerun sees the file just committed (the server publishes at the next beat; AppTest's
    # reruns follow each other at once)
    os.environ["SPRINT_PUBLISH_SECONDS"] = "0"
    con = sprint.connect(path)
    day = con.execute("SELECT max(date) FROM counts").fetchall()[0][0] + timedelta(days=1)
    communes = [unit for (unit,) in con.execute(
        "SELECT unit_code FROM unit_levels WHERE is_leaf ORDER BY unit_code LIMIT ?", [args.files]).fetchall()]
    con.close()
    from streamlit.testing.v1 import AppTest

    page = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
    page.session_state["account_name"], page.session_state["signed_in_at"] = "lanhdao", time.time()
    page.run()
    page.run()
    times = []
    for number, unit in enumerate(communes):
        con = sprint.connect(path)
        sprint.ingest(con, f"date,unit_code,metric,value\n{day},{unit},health,{1000 + number}\n".encode(),
                      name=f"commune-{number}.csv", today=day)
        con.close()
        started = time.perf_counter()
        page.run()
        times.append(time.perf_counter() - started)
    print(f"page on {page.session_state['as_of']}, {len(times)} commune files for {day}: rerun after each "
          f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()

"""Every page's full rerun through Streamlit's AppTest on a store, cold and warm. Prints numbers.

    python benchmarks/pages.py --store PATH [--runs 5]

Cold: the data cache is empty (the store is open); warm: the same rerun again, every read
served from the cache because the data version did not change.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

import sprint  # noqa: E402

PAGES = ["pages/progress.py", "pages/provinces.py", "pages/leaderboard.py", "pages/upload.py", "pages/admin.py",
         "pages/audit.py"]


def rerun(at: AppTest) -> float:
    started = time.perf_counter()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return 1000 * (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    os.environ["SPRINT_DB"] = str(arguments.store)
    os.environ["SPRINT_INBOX"] = "off"
    con = sprint.connect(arguments.store)
    if sprint.account(con, "quantri") is None:  # an administrator opens every page
        sprint.add_account(con, "quantri", role="admin", password="quantri-demo")
    con.close()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
    for key, value in {"my_unit": "66", "account_name": "quantri", "signed_in_at": time.time()}.items():
        at.session_state[key] = value
    started = time.perf_counter()
    at.run()
    print(f"  {'first run (opens the store, fills the caches)':<46} {1000 * (time.perf_counter() - started):9.0f} ms")
    for page in PAGES:
        at.switch_page(page)
        cold, warm = [], []
        for _ in range(arguments.runs):
            st.cache_data.clear()
            cold.append(rerun(at))
            warm.append(rerun(at))
        print(f"  {page:<46} cold {statistics.median(cold):7.0f} ms   warm {statistics.median(warm):7.0f} ms")


if __name__ == "__main__":
    main()

"""The read API's latency and throughput on the national store (issue 21). Prints numbers.

    python -m sprint init --demo --scale national --days 93 --db /tmp/busy/national93.duckdb
    python benchmarks/api.py --store /tmp/busy/national93.duckdb [--requests 40] [--readers 25]
        [--seconds 20] [--clients 4]

On a copy of the store, `streamlit run app.py` with an administrator's API token; then:
1. alone: `--requests` requests one after another of the national progress by province
   (`/api/v1/progress?level=province`) and of the provinces' leaderboard of every metric
   (`/api/v1/leaderboard`): p50 / p95 / max;
2. the same while `--readers` leaders keep the national page open and live (benchmarks/
   live_reader.py, as in busy_day.py, no new data coming);
3. throughput: `--clients` threads asking the leaderboard as fast as answers come, for
   `--seconds`: requests per second the one server holds, with and without the readers.
The API's reads are not cached: each request computes its figures from `sprint`, as the command
line does, so these are the costs of the figures themselves.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sprint  # noqa: E402
from benchmarks.busy_day import machine  # noqa: E402
from benchmarks.live_reader import Reader  # noqa: E402
from deploy.servers import replica  # noqa: E402
from pages.session import COOKIE  # noqa: E402
from sprint import tokens  # noqa: E402

ENDPOINTS = {"national progress by province": "progress?level=province",
             "leaderboard of the provinces, every metric": "leaderboard"}


def get(url: str, token: str) -> float:
    started = time.perf_counter()
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=300) as response:
        assert response.status == 200 and response.read()
    return time.perf_counter() - started


def latencies(url: str, token: str, requests: int, label: str) -> None:
    for name, path in ENDPOINTS.items():
        times = [get(f"{url}/api/v1/{path}", token) for _ in range(requests)]
        print(f"  {label}, {name}: p50 {np.median(times) * 1000:.0f} ms, p95 {np.percentile(times, 95) * 1000:.0f} ms, "
              f"max {max(times) * 1000:.0f} ms (n={requests})", flush=True)


def throughput(url: str, token: str, clients: int, seconds: float, label: str) -> None:
    done, stop = [], threading.Event()

    def client():
        while not stop.is_set():
            done.append(get(f"{url}/api/v1/leaderboard", token))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)  # the measuring window itself (a benchmark, not a test)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    print(f"  {label}: {len(done) / elapsed:.1f} leaderboard requests/s with {clients} clients "
          f"(p50 {np.median(done) * 1000:.0f} ms, p95 {np.percentile(done, 95) * 1000:.0f} ms)", flush=True)


async def hold_readers(url: str, cookies: list[str], ready: threading.Event, stop: threading.Event) -> None:
    readers = [Reader(url, f"{COOKIE}={cookie}") for cookie in cookies]
    await asyncio.gather(*(reader.open() for reader in readers))
    while not all(reader.loaded.is_set() for reader in readers):
        await asyncio.sleep(0.2)
    ready.set()
    while not stop.is_set():
        await asyncio.sleep(0.2)
    await asyncio.gather(*(reader.close() for reader in readers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--readers", type=int, default=25)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    print(machine())
    print(f"command: {' '.join(sys.argv)}", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="api-"))
    store = folder / "store.duckdb"
    shutil.copy(args.store, store)
    con = sprint.connect(store)
    sprint.add_account(con, "api-admin", role="admin", password="api-admin-password")
    token = tokens.create_token(con, "api-admin", "benchmark")[1]
    cookies = []
    for number in range(args.readers):
        sprint.add_account(con, f"leader-{number}", role="leader", password="leader-password")
        cookies.append(sprint.open_session(con, f"leader-{number}", hours=2))
    con.close()
    try:
        with replica(str(store), folder, env={"SPRINT_INBOX": "off", "SPRINT_API_RATE": "1000000"}) as url:
            get(f"{url}/api/v1/history?limit=1", token)
            latencies(url, token, args.requests, "alone")
            throughput(url, token, args.clients, args.seconds, "alone")
            ready, stop = threading.Event(), threading.Event()
            holder = threading.Thread(target=lambda: asyncio.run(hold_readers(url, cookies, ready, stop)))
            holder.start()
            ready.wait(timeout=300)
            latencies(url, token, args.requests, f"{args.readers} pages open")
            throughput(url, token, args.clients, args.seconds, f"{args.readers} pages open")
            stop.set()
            holder.join()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

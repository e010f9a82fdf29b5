"""Ten readers opening the progress page at once, as the server sees them: no browser.

    python benchmarks/sessions.py --store PATH [--sessions 10]

Starts `streamlit run app.py` on the store and opens the sessions over Streamlit's own websocket
protocol, as the page's script does in a browser (a session cookie, then a run of the page):
first ten province heads at once on the fresh server (each page computes its own province, nothing
cached), then one leader's page cold and warm, then ten leaders at once on that warm page. Each session is timed from its connection to the first message that carries the first
figure (the nation's compulsory SI attainment, as the page writes it). Rendering is left out:
on a reader's own device it is that device's work, and on this 2-core machine ten Chromium
renderers alone need more CPU than 5 s of both cores (see benchmarks/browser.py).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import sprint  # noqa: E402
from benchmarks.browser import cpu_seconds, first_figure, peak_memory_mb  # noqa: E402
from e2e.harness import dashboard  # noqa: E402
from pages.session import COOKIE  # noqa: E402
from sprint import i18n  # noqa: E402


def province_heads(store: Path, count: int) -> list[tuple[str, str]]:
    """The heads of the first `count` provinces: each one's first figure (its province's
    compulsory SI attainment) and a live session token. Each head's page computes its own
    province's figures, so on a fresh server none of them is served from another's cache."""
    con = sprint.connect(store)
    try:
        provinces = sprint.units(con)
        provinces = provinces.loc[provinces["depth"] == 1, "unit_code"].head(count).tolist()
        heads = []
        for code in provinces:
            figures = sprint.progress(con, as_of=sprint.latest_date(con), unit=code, metric="compulsory_si")
            name = f"bench-head-{code}"
            if sprint.account(con, name) is None:
                sprint.add_account(con, name, role="unit", unit=code, password="bench-head-password")
            heads.append((i18n.percent(figures["attainment_pct"].iloc[0], "vi"), sprint.open_session(con, name, hours=1)))
    finally:
        con.close()
    return heads


async def open_session(url: str, figure: bytes, token: str) -> float:
    """Seconds from connecting to the first message that holds the figure."""
    started = time.perf_counter()
    address = url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(address, subprotocols=["streamlit"], max_size=None,
                                  additional_headers={"Cookie": f"{COOKIE}={token}"}) as socket:
        run = BackMsg()
        run.rerun_script.query_string = ""
        run.rerun_script.page_script_hash = ""
        await socket.send(run.SerializeToString())
        async with asyncio.timeout(120):
            while figure not in await socket.recv():
                pass
        return time.perf_counter() - started  # before the closing handshake


async def measure(url, figure: str, token: str, heads: list[tuple[str, str]]) -> None:
    server_before = cpu_seconds(url.pid)
    times = await asyncio.gather(*(open_session(url, shown.encode(), own) for shown, own in heads))
    server = cpu_seconds(url.pid) - server_before
    print(f"  {len(heads)} province heads at once, fresh server (nothing cached): first figure after median "
          f"{statistics.median(times):.2f} s, slowest {max(times):.2f} s; the server's CPU for them: {server:.2f} s")
    shown = figure.encode()
    for label in ("cold page", "warm page"):
        print(f"  one session, {label:<12} first figure after {await open_session(url, shown, token):5.2f} s")
    server_before = cpu_seconds(url.pid)
    times = await asyncio.gather(*(open_session(url, shown, token) for _ in heads))
    server = cpu_seconds(url.pid) - server_before
    print(f"  {len(heads)} leaders at once, the same page warm: first figure after median {statistics.median(times):.2f} s, "
          f"slowest {max(times):.2f} s; the server's CPU for them: {server:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--sessions", type=int, default=10)
    arguments = parser.parse_args()
    figure, token = first_figure(arguments.store)
    heads = province_heads(arguments.store, arguments.sessions)
    with dashboard(arguments.store) as url:
        asyncio.run(measure(url, figure, token, heads))
        print(f"  peak resident memory of the dashboard process: {peak_memory_mb(url.pid):,.0f} MB")


if __name__ == "__main__":
    main()

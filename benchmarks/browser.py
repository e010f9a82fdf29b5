"""The dashboard in headless Chromium on a store: first paint, ten tabs at once, peak memory.

    python benchmarks/browser.py --store PATH

Starts `streamlit run app.py` on the store, then (1) opens the progress page in a fresh browser
and times it to the first figure on screen, cold (nothing cached) and warm; (2) opens ten tabs
at once and times each to its first figure; (3) prints the server's peak resident memory. Each
tab is a leader's with a live session (its cookie), as when a director opens the dashboard.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import sprint  # noqa: E402
from e2e.harness import CHROMIUM, CHROMIUM_ARGS, dashboard  # noqa: E402
from pages.session import COOKIE  # noqa: E402
from sprint import i18n  # noqa: E402


def first_figure(store: Path) -> tuple[str, str]:
    """The national compulsory SI attainment as the progress page writes it, and a leader's live
    session token (the tabs are a signed-in reader's, as every morning): read before the server
    takes the store."""
    con = sprint.connect(store)
    try:
        figures = sprint.progress(con, as_of=sprint.latest_date(con), unit="VN", metric="compulsory_si")
        if sprint.account(con, "lanhdao") is None:
            sprint.add_account(con, "lanhdao", role="leader", password="lanhdao-demo")
        token = sprint.open_session(con, "lanhdao", hours=1)
    finally:
        con.close()
    return i18n.percent(figures["attainment_pct"].iloc[0], "vi"), token


async def open_tab(browser, url: str, figure: str, token: str) -> float:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    await context.add_cookies([{"name": COOKIE, "value": token, "url": str(url)}])
    page = await context.new_page()
    started = time.perf_counter()
    await page.goto(url)
    await page.get_by_text(figure, exact=True).first.wait_for(timeout=120_000)
    elapsed = time.perf_counter() - started
    await context.close()
    return elapsed


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(url, figure: str, token: str) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        for label in ("cold server, fresh browser", "warm server, fresh browser", "warm server, fresh browser"):
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            print(f"  progress page, {label:<40} first figure after {await open_tab(browser, url, figure, token):5.2f} s")
            await browser.close()
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        server_before = cpu_seconds(url.pid)
        times = await asyncio.gather(*(open_tab(browser, url, figure, token) for _ in range(10)))
        server = cpu_seconds(url.pid) - server_before
        await browser.close()
        print(f"  ten tabs opened at once: first figure after median {statistics.median(times):.2f} s, "
              f"slowest {max(times):.2f} s; the server's own CPU for the ten: {server:.2f} s")


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, required=True)
    arguments = parser.parse_args()
    figure, token = first_figure(arguments.store)
    with dashboard(arguments.store) as url:
        asyncio.run(measure(url, figure, token))
        print(f"  peak resident memory of the dashboard process: {peak_memory_mb(url.pid):,.0f} MB")


if __name__ == "__main__":
    main()

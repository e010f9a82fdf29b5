"""Two dashboard replicas of one PostgreSQL behind nginx, in a real headless Chromium: reports
taken by both at once show on each page, a sign-in holds when the browser is routed to the other
replica, and the store holds exactly what was sent."""
from __future__ import annotations

import time
import urllib.request
from contextlib import ExitStack
from datetime import date

import pytest
from playwright.sync_api import expect, sync_playwright

import sprint
from deploy.servers import nginx, replica
from e2e.harness import CHROMIUM, CHROMIUM_ARGS, sign_in
from sprint.postgres import migrate_store

MAIN = "[data-testid='stMainBlockContainer']"
DAY = date(2025, 11, 21)


def routed(address: str, route: str) -> str:
    """The replica nginx sends a browser with this route cookie to."""
    request = urllib.request.Request(f"{address}/_stcore/health", headers={"Cookie": f"sprint_route={route}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["X-Sprint-Replica"]


def test_two_replicas_behind_nginx_show_each_others_reports(demo_store_file, postgres_url, tmp_path):
    migrate_store(sprint.connect(demo_store_file), postgres_url)
    inboxes = [tmp_path / "inbox-a", tmp_path / "inbox-b"]
    with ExitStack() as running:
        replicas = [running.enter_context(replica(postgres_url, tmp_path, env={
            "SPRINT_INBOX": str(inbox), "SPRINT_INBOX_SETTLE": "0.5", "SPRINT_REFRESH_SECONDS": "2",
            "SPRINT_PUBLISH_SECONDS": "2"})) for inbox in inboxes]
        address = running.enter_context(nginx(replicas, tmp_path / "nginx"))
        routes = {}  # a route cookie for each replica (the hash decides; try names until both are found)
        for attempt in range(64):
            routes.setdefault(routed(address, f"r{attempt}"), f"r{attempt}")
            if len(routes) == 2:
                break
        assert sorted(routes) == sorted(r.split("//")[1] for r in replicas)
        route_a, route_b = (routes[r.split("//")[1]] for r in replicas)
        playwright = running.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        running.callback(browser.close)
        pages = []
        for route in (route_a, route_b):
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN",
                                          timezone_id="Asia/Ho_Chi_Minh")
            context.add_cookies([{"name": "sprint_route", "value": route, "url": address}])
            page = context.new_page()
            sign_in(page, address, "lanhdao", "lanhdao-demo")
            expect(page.locator(MAIN).get_by_text("Số liệu đến ngày 20/11/2025")).to_be_visible(timeout=30_000)
            pages.append(page)
        # one commune's file to each replica's inbox, at once
        for inbox, unit, value in ((inboxes[0], "66-EAKAR", 6500), (inboxes[1], "66-BUONHO", 9000)):
            inbox.mkdir(exist_ok=True)
            (inbox / f"{unit}.csv").write_text(f"date,unit_code,metric,value\n{DAY},{unit},compulsory_si,{value}\n")
        for page in pages:
            expect(page.locator(MAIN).get_by_text("Ngày 21/11/2025: mới có 2/340 đơn vị báo cáo")).to_be_visible(
                timeout=10_000)
        # Ea Kar corrects its report through the other replica: the later value wins, the earlier is history
        (inboxes[1] / "66-EAKAR-fix.csv").write_text(f"date,unit_code,metric,value\n{DAY},66-EAKAR,compulsory_si,6600\n")
        # the first browser, now routed to the other replica, is still signed in
        context = pages[0].context
        context.add_cookies([{"name": "sprint_route", "value": route_b, "url": address}])
        pages[0].goto(address)
        expect(pages[0].get_by_role("button", name="Đăng xuất")).to_be_visible(timeout=30_000)
        expect(pages[0].locator(MAIN).get_by_text("Ngày 21/11/2025: mới có 2/340 đơn vị báo cáo")).to_be_visible(
            timeout=30_000)
        deadline = time.monotonic() + 30
        while not any(p.name.endswith("66-EAKAR-fix.csv") for p in (inboxes[1] / "processed").glob("*")):
            assert time.monotonic() < deadline, "the correction was not taken"
            time.sleep(0.1)
    store = sprint.connect(postgres_url)
    assert store.execute("SELECT unit_code, value FROM counts WHERE date = ? ORDER BY 1", [DAY]).fetchall() == [
        ("66-BUONHO", 9000), ("66-EAKAR", 6600)]
    assert store.execute("SELECT unit_code, value FROM count_history WHERE date = ?", [DAY]).fetchall() == [
        ("66-EAKAR", 6500)]
    assert store.execute("""SELECT count(*) FROM uploads WHERE outcome = 'committed'
                            AND file_name IN ('66-EAKAR.csv', '66-BUONHO.csv', '66-EAKAR-fix.csv')""").fetchall() == [(3,)]


pytestmark = pytest.mark.e2e

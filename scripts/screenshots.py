"""Screenshots of every page in both languages, at 1440 px and at a phone's 390 px, into
docs/screenshots/ (headless Chromium).

    python scripts/screenshots.py                      # builds a fresh demo store in a temporary folder
    python scripts/screenshots.py provinces upload     # only these pages' screenshots
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import sprint  # noqa: E402
from datetime import datetime  # noqa: E402

from sprint import alerts  # noqa: E402
from sprint.store import VIETNAM  # noqa: E402
from e2e.harness import browser_page, dashboard, sign_in  # noqa: E402
from sprint import demo  # noqa: E402

PAGES = ["progress", "provinces", "leaderboard", "results", "network", "late_payers", "upload", "admin", "audit"]
# a page's own choices in its address (pages/address.py): the network page on Thanh Hóa's (seed 003),
# the late payers on Quảng Ninh's (seed 004)
QUERIES = {"network": "scope=38&", "late_payers": "scope=22&"}


def main(wanted: set[str]) -> None:
    """Every page's screenshots, or only those of the pages named in `wanted` (sign-in is a page)."""
    def taken(name: str) -> bool:
        return not wanted or name in wanted

    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        con = sprint.connect(db)
        sprint.init_store(con)
        demo.build_demo(con)
        # a report that looks wrong, for the administrators' data-quality tab: Ea Kar sends its 19/11
        # sheet again for 20/11 (a copied sheet; every other figure stays as the demo has it)
        copied = con.execute("""
            SELECT '2025-11-20' AS date, c.unit_code, c.metric, c.value FROM counts c JOIN metrics m USING (metric)
            WHERE c.unit_code = '66-EAKAR' AND m.kind = 'people' AND c.date <= '2025-11-19'
              AND c.valid_until > '2025-11-19'""").df()
        sprint.ingest(con, copied.to_csv(index=False).encode(), name="ea-kar-20-11.csv")
        # phase 1 closed by the administrator, then a correction of its milestone day (listed, not taken)
        sprint.close_phase(con, phase=1, by="quantri")
        sprint.ingest(con, b"date,unit_code,metric,value\n2025-10-31,66-EAKAR,voluntary_si,2405\n",
                      name="ea-kar-31-10.csv")
        # the alerts of the morning after the demo's last day, for the bell
        alerts.raise_alerts(con, now=datetime(2025, 11, 21, 10, 30, tzinfo=VIETNAM))
        con.close()
        with dashboard(db, refresh_seconds=60) as url, browser_page(height=2600) as page:
            for width, suffix in ((1440, ""), (390, "-phone")) if taken("sign-in") else ():  # what a visitor sees
                page.set_viewport_size({"width": width, "height": 1000 if width > 400 else 844})
                for lang in ("vi", "en"):
                    page.goto(f"{url}/?lang={lang}")
                    page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=30_000)
                    page.wait_for_timeout(1500)
                    page.screenshot(path=str(out / f"sign-in-{lang}{suffix}.png"), full_page=True)
            sign_in(page, url, "quantri", "quantri-demo")  # an administrator sees every page
            for width, suffix in ((1440, ""), (390, "-phone")):
                page.set_viewport_size({"width": width, "height": 2600 if width > 400 else 844})
                for lang in ("vi", "en"):
                    for name in filter(taken, PAGES):
                        path = "" if name == "progress" else name  # the default page lives at /
                        page.goto(f"{url}/{path}?{QUERIES.get(name, '')}lang={lang}")
                        page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=30_000)
                        page.wait_for_timeout(2500)
                        if page.get_by_text("Page not found").count():
                            print(f"warning: {name} ({lang}) showed 'Page not found'")
                        path = out / f"{name}-{lang}{suffix}.png"
                        page.screenshot(path=str(path), full_page=True)
                        print(path)
            for width, suffix in ((1440, ""), (390, "-phone")) if taken("audit") else ():
                page.set_viewport_size({"width": width, "height": 1400 if width > 400 else 844})
                for lang, tab in (("vi", "Chất lượng số liệu"), ("en", "Data quality")):
                    page.goto(f"{url}/audit?lang={lang}")
                    page.get_by_role("tab", name=tab).click()
                    page.wait_for_timeout(2000)
                    shot(page, out / f"audit-quality-{lang}{suffix}.png")
            page.set_viewport_size({"width": 1440, "height": 2600})
            # a unit head's view, and a rejected upload
            page.context.clear_cookies()  # signed out: the next page is the sign-in screen
            sign_in(page, url, "eakar", "eakar-demo")
            if taken("leaderboard"):
                page.goto(f"{url}/leaderboard")
                page.wait_for_selector(".st-key-podium-1", timeout=30_000)
                page.wait_for_timeout(2500)
                page.screenshot(path=str(out / "leaderboard-my-unit-vi.png"), full_page=True)
            if taken("upload"):  # a wide file: a bad date and a neighbour's row are one error each, not one per metric
                page.goto(f"{url}/upload")
                page.wait_for_selector("input[type='file']", state="attached", timeout=30_000)
                bad = Path(folder) / "bao-cao-20-11.csv"
                bad.write_text("date,unit_code,compulsory_si,voluntary_si,unemployment,health,revenue,late_debt\n"
                               "20/11/2025,66-EAKAR,6115,2.480,5676,131.5,408265,14024\n"
                               "21/13/2025,66-EAKAR,6115,2480,5676,131500,408265,14024\n"
                               "20/11/2025,66-BUONHO,21842,1971,19887,237722,,\n", encoding="utf-8")
                page.locator("input[type='file']").set_input_files(str(bad))
                page.wait_for_selector("[data-testid='stAlert']", timeout=30_000)
                page.wait_for_timeout(2000)
                page.screenshot(path=str(out / "upload-errors-vi.png"), full_page=True)
            # the head's own figures: the share of the province's gap, the drill-down's split, a
            # file's flags before it is sent
            jump = Path(folder) / "bao-cao-21-11.csv"
            jump.write_text("date,unit_code,metric,value\n2025-11-21,66-EAKAR,health,180000\n", encoding="utf-8")
            for width, suffix in ((1440, ""), (390, "-phone")):
                page.set_viewport_size({"width": width, "height": 2600 if width > 400 else 844})
                for lang in ("vi", "en"):
                    for name in filter(taken, ("progress", "provinces")):
                        page.goto(f"{url}/{'' if name == 'progress' else name}?lang={lang}")
                        page.wait_for_selector(".js-plotly-plot", timeout=30_000)
                        page.wait_for_timeout(2500)
                        shot(page, out / f"{name}-my-unit-{lang}{suffix}.png")
                    if not taken("upload"):
                        continue
                    page.goto(f"{url}/upload?lang={lang}")
                    page.wait_for_selector("input[type='file']", state="attached", timeout=30_000)
                    page.locator("input[type='file']").set_input_files(str(jump))
                    page.wait_for_selector("[data-testid='stAlert']", timeout=30_000)
                    page.wait_for_timeout(2000)
                    shot(page, out / f"upload-flags-{lang}{suffix}.png")

        # the bell, open: in a browser of its own (it leaves the sidebar open)
        with dashboard(db, refresh_seconds=60) as url, browser_page(height=1400) as page:
            sign_in(page, url, "quantri", "quantri-demo")
            for width, suffix in ((1440, ""), (390, "-phone")) if taken("bell") else ():
                page.set_viewport_size({"width": width, "height": 1400 if width > 400 else 844})
                for lang, label in (("vi", "Cảnh báo"), ("en", "Alerts")):
                    page.goto(f"{url}/?lang={lang}")
                    page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=30_000)
                    page.wait_for_timeout(1500)
                    if page.get_by_test_id("stExpandSidebarButton").is_visible():  # folded away on a phone
                        page.get_by_test_id("stExpandSidebarButton").click()
                    page.get_by_role("button", name=label).first.click()
                    page.wait_for_timeout(2000)
                    shot(page, out / f"bell-{lang}{suffix}.png")


def shot(page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    print(path)


if __name__ == "__main__":
    main(set(sys.argv[1:]))

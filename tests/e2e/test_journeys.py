"""The key journeys in a real headless Chromium (Debian's), against `streamlit run app.py`."""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import date

import pytest
from playwright.sync_api import expect

import sprint
from e2e.harness import ROOT, browser_page, dashboard
from sprint import i18n

MAIN = "[data-testid='stMainBlockContainer']"


def engine(store, function, **arguments):
    """What the engine says, read before the dashboard takes the store."""
    con = sprint.connect(store)
    try:
        return function(con, **arguments)
    finally:
        con.close()


def test_progress_page_renders_cards_and_charts(live_store):
    national = engine(live_store, sprint.progress, as_of=date(2025, 11, 20), unit="VN")
    compulsory = national.set_index("metric").loc["compulsory_si"]
    with dashboard(live_store) as url, browser_page() as page:
        page.goto(url)
        main = page.locator(MAIN)
        expect(main.get_by_role("heading", name="Tiến độ toàn quốc", exact=True)).to_be_visible(timeout=30_000)
        expect(main.get_by_text(i18n.number(compulsory["value"], "vi"), exact=True)).to_be_visible(timeout=30_000)
        expect(main.get_by_text(i18n.number(compulsory["gap"], "vi"))).to_be_visible()
        expect(main.locator(".js-plotly-plot")).to_have_count(len(national), timeout=30_000)
        expect(main.get_by_text("Giai đoạn 2: 01/11/2025 – 30/11/2025")).to_be_visible()


def test_an_uploaded_file_moves_the_leaderboard(live_store, tmp_path):
    day = tmp_path / "dak-lak-2025-11-20.csv"
    leaves = [f"66-{code}" for code in ("BUONHO", "BUONMATHUOT", "CUPONG", "DAKPHOI", "EADRANG", "EAKAR",
                                          "EAKNUEC", "EARIENG", "HOAXUAN", "SONHOA")]
    day.write_text("date,unit_code,metric,value\n"
                   + "".join(f"2025-11-20,{unit},voluntary_si,40000\n" for unit in leaves))
    leader = engine(live_store, sprint.leaderboard, as_of=date(2025, 11, 20)).iloc[0]["unit_name"]
    assert leader != "Đắk Lắk"
    with dashboard(live_store) as url, browser_page() as page:
        page.goto(f"{url}/leaderboard")
        main = page.locator(MAIN)
        podium = main.locator(".st-key-podium-1")
        expect(podium).to_contain_text(leader, timeout=30_000)

        page.goto(f"{url}/upload")
        expect(main.get_by_role("heading", name="Gửi báo cáo", exact=True)).to_be_visible(timeout=30_000)
        page.locator("input[type='file']").set_input_files(str(day))
        expect(main.get_by_text("Xem trước: 10 dòng")).to_be_visible(timeout=30_000)
        main.get_by_text("Tôi đã kiểm tra, các số liệu này đúng").click()
        main.get_by_role("button", name="Lưu báo cáo").click()
        expect(main.get_by_text("Đã lưu dak-lak-2025-11-20.csv")).to_be_visible(timeout=30_000)

        page.goto(f"{url}/leaderboard")
        expect(podium).to_contain_text("Đắk Lắk", timeout=30_000)


def test_a_report_from_another_process_shows_up_without_reload(live_store, tmp_path):
    day = tmp_path / "next-day.csv"
    day.write_text("date,unit_code,metric,value\n2025-11-21,66-EAKAR,compulsory_si,6500\n")
    inbox = live_store.parent / "inbox"
    with dashboard(live_store, refresh_seconds=2, inbox=str(inbox)) as url, browser_page() as page:
        page.goto(url)
        main = page.locator(MAIN)
        expect(main.get_by_text("Số liệu đến ngày 20/11/2025")).to_be_visible(timeout=30_000)
        started = time.monotonic()
        sent = subprocess.run([sys.executable, "-m", "sprint", "ingest", str(day), "--db", str(live_store)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert sent.returncode == 0, sent.stderr
        expect(main.get_by_text("Số liệu đến ngày 21/11/2025")).to_be_visible(timeout=10_000)
        elapsed = time.monotonic() - started
        print(f"new report visible after {elapsed:.1f} s")
        assert elapsed < 15
        assert [p.name for p in (inbox / "processed").iterdir()][0].endswith("next-day.csv")


pytestmark = pytest.mark.e2e


def test_a_click_on_a_province_bar_drills_down(live_store):
    with dashboard(live_store) as url, browser_page() as page:
        page.goto(f"{url}/provinces")
        bars = page.locator(".st-key-gaps .js-plotly-plot g.point path")
        expect(bars).to_have_count(34, timeout=30_000)
        bars.last.click(force=True)  # the largest gap: the top bar
        picked = page.locator(".st-key-provinces_parent")
        expect(picked).not_to_contain_text("(tất cả các tỉnh)", timeout=15_000)
        expect(page.locator(".st-key-gaps .js-plotly-plot g.point path")).to_have_count(10, timeout=15_000)


def test_the_inbox_is_taken_from_the_start_without_a_browser(live_store, tmp_path):
    """Files dropped while the dashboard was down are taken when it starts, before anyone opens it."""
    inbox = live_store.parent / "inbox"
    inbox.mkdir()
    (inbox / "overnight.csv").write_text("date,unit_code,metric,value\n2025-11-20,66-EAKAR,health,131000\n")
    with dashboard(live_store, inbox=str(inbox)):
        deadline = time.monotonic() + 30
        while not (inbox / "processed" / "overnight.csv").exists():
            assert time.monotonic() < deadline, f"not taken: {sorted(p.name for p in inbox.iterdir())}"
            time.sleep(0.2)

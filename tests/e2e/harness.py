"""Start the dashboard on a free loopback port and drive it with Debian's Chromium."""
from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

from deploy.servers import replica
from pages.session import COOKIE

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextmanager
def dashboard(db: Path, *, refresh_seconds: float = 2.0, inbox: str | None = None):
    """Run `streamlit run app.py` on the store `db`; yield its URL; stop and reap it afterwards.
    Its log is streamlit-PORT.log beside the store."""
    with replica(str(db), db.parent, env={
            "SPRINT_REFRESH_SECONDS": str(refresh_seconds), "SPRINT_PUBLISH_SECONDS": str(refresh_seconds),
            "SPRINT_INBOX": inbox or "off", "SPRINT_INBOX_SETTLE": "0.5"}) as url:
        yield url


@contextmanager
def browser_page(width: int = 1440, height: int = 1000):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height}, locale="vi-VN",
                                    timezone_id="Asia/Ho_Chi_Minh")
            yield page
        finally:
            browser.close()


def sign_in(page, url: str, name: str, password: str) -> None:
    """Sign in through the sign-in screen, as a person would, and wait until it has taken."""
    from playwright.sync_api import expect

    page.goto(url)
    page.get_by_label("Tên tài khoản").fill(name)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible(timeout=30_000)
    # the page asks the server's route for the session cookie: a reload signs in once it is set
    deadline = time.monotonic() + 30
    while not any(cookie["name"] == COOKIE for cookie in page.context.cookies()):
        assert time.monotonic() < deadline, "the session cookie was not set"
        time.sleep(0.05)

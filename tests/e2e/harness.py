"""Start the dashboard on a free loopback port and drive it with Debian's Chromium."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served(str):
    """The dashboard's URL, which also knows the server's process id (for its memory)."""

    pid: int


@contextmanager
def dashboard(db: Path, *, refresh_seconds: float = 2.0, inbox: str | None = None):
    """Run `streamlit run app.py` on the store `db`; yield its URL; stop and reap it afterwards."""
    port = free_port()
    env = {**os.environ, "SPRINT_DB": str(db), "SPRINT_REFRESH_SECONDS": str(refresh_seconds),
           "SPRINT_PUBLISH_SECONDS": str(refresh_seconds),
           "SPRINT_INBOX": inbox or "off", "SPRINT_INBOX_SETTLE": "0.5"}
    log = open(db.parent / f"streamlit-{port}.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
         "--server.fileWatcherType=none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = Served(f"http://127.0.0.1:{port}")
    url.pid = server.pid
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"the dashboard did not start: {(db.parent / f'streamlit-{port}.log').read_text()}")
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


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

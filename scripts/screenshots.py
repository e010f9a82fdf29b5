"""Screenshots of every page in both languages, into docs/screenshots/ (headless Chromium).

    python scripts/screenshots.py            # builds a fresh demo store in a temporary folder
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import sprint  # noqa: E402
from e2e.harness import browser_page, dashboard  # noqa: E402
from sprint import demo  # noqa: E402

PAGES = ["progress", "provinces", "leaderboard", "upload", "admin"]


def main() -> None:
    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.duckdb"
        con = sprint.connect(db)
        sprint.init_store(con)
        demo.build_demo(con)
        con.close()
        with dashboard(db, refresh_seconds=60) as url, browser_page(height=2600) as page:
            for lang in ("vi", "en"):
                for name in PAGES:
                    path = "" if name == "progress" else name  # the default page lives at /
                    page.goto(f"{url}/{path}?lang={lang}")
                    page.wait_for_selector("[data-testid='stMainBlockContainer'] h1", timeout=30_000)
                    page.wait_for_timeout(2500)
                    if page.get_by_text("Page not found").count():
                        print(f"warning: {name} ({lang}) showed 'Page not found'")
                    path = out / f"{name}-{lang}.png"
                    page.screenshot(path=str(path), full_page=True)
                    print(path)


if __name__ == "__main__":
    main()

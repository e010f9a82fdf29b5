"""Every page through Streamlit's AppTest, on the demo store and on an empty one."""
from __future__ import annotations

import json
import re
import shutil
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import sprint
import sprint.tokens
from conftest import DATA, fresh_store
from sprint import i18n

APP = str(Path(__file__).resolve().parents[1] / "dashboard.py")
PAGES = ["pages/progress.py", "pages/provinces.py", "pages/leaderboard.py", "pages/upload.py", "pages/admin.py",
         "pages/audit.py", "pages/network.py", "pages/results.py", "pages/late_payers.py"]


@pytest.fixture
def demo_store(demo_store_file, tmp_path, monkeypatch):
    path = tmp_path / "app.duckdb"
    shutil.copy(demo_store_file, path)
    monkeypatch.setenv("SPRINT_DB", str(path))
    monkeypatch.setenv("SPRINT_INBOX", "off")
    return path


@pytest.fixture
def empty_store(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    con = fresh_store(path)
    sprint.add_account(con, "quantri", role="admin", password="quantri-test")
    con.close()
    monkeypatch.setenv("SPRINT_DB", str(path))
    monkeypatch.setenv("SPRINT_INBOX", "off")
    return path


def open_page(page: str, account: str | None = "quantri", **state) -> AppTest:
    """The page as `account` sees it, signed in (None: a visitor who is not)."""
    at = AppTest.from_file(APP, default_timeout=60)
    if account is not None:
        state = {"account_name": account, "signed_in_at": time.time(), **state}
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page != PAGES[0]:
        at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption]
                     + [s.value for s in at.subheader] + [i.value for i in at.info])


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_demo_store(demo_store, page):
    at = open_page(page)
    assert at.title[0].value


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_an_empty_store(empty_store, page):
    at = open_page(page)
    if page in PAGES[:3]:
        assert "Chưa có số liệu nào" in at.info[0].value


def test_progress_cards_show_the_engine_figures(demo_store):
    at = open_page(PAGES[0])
    con = sprint.connect(demo_store)
    figures = sprint.progress(con, as_of=date(2025, 11, 20), unit="VN")
    shown = texts(at)
    for row in figures.itertuples():  # the attainment big, the gap under it, target and count smaller
        assert f"## {i18n.percent(row.attainment_pct, 'vi')}" in shown
        assert i18n.number(row.target, "vi") in shown
        assert i18n.number(row.gap, "vi") in shown
        if row.metric != "revenue":
            assert f"Số người tham gia: {i18n.number(row.value, 'vi')}" in shown
    assert "Giai đoạn 2: 01/11/2025 – 30/11/2025 · còn 10 ngày đến mốc" in shown
    assert len(at.get("plotly_chart")) == len(figures)


def test_progress_in_english(demo_store):
    at = open_page(PAGES[0], lang="en")
    assert at.title[0].value == "Sprint progress"
    assert "Phase 2: Nov 1, 2025 – Nov 30, 2025 · 10 days to the milestone" in texts(at)
    assert "2025 peak emulation campaign for revenue and social and health insurance participants" in texts(at)
    assert "Đợt thi đua" not in texts(at)


def test_a_unit_heads_progress_page_opens_on_their_own_unit(demo_store):
    """Ea Kar is a grassroots unit: its head sees its own figures, titled with its name, and can
    still pick the nation or a province."""
    at = open_page(PAGES[0], account="eakar", my_unit="66-EAKAR")
    assert at.selectbox(key="progress_scope").value == "66-EAKAR"
    assert at.title[0].value.replace("\\", "") == "Tiến độ: Ea Kar (66-EAKAR)"
    con = sprint.connect(demo_store)
    own = sprint.progress(con, as_of=date(2025, 11, 20), unit="66-EAKAR")
    con.close()
    shown = texts(at)
    for row in own.itertuples():
        assert f"## {i18n.percent(row.attainment_pct, 'vi')}" in shown
    at.selectbox(key="progress_scope").set_value("66").run()
    assert at.title[0].value.replace("\\", "") == "Tiến độ: Đắk Lắk (66)"
    at.selectbox(key="progress_scope").set_value("VN").run()
    assert at.title[0].value == "Tiến độ toàn quốc"


def test_leaderboard_filters_change_the_table(demo_store):
    at = open_page(PAGES[2])
    first = at.dataframe[0].value.copy()
    at.selectbox(key="board_metric").set_value("voluntary_si").run()
    second = at.dataframe[0].value
    assert list(first.columns) != list(second.columns) or not first.equals(second)
    at.selectbox(key="board_level").set_value("grassroots_in").run()
    at.selectbox(key="board_parent").set_value("66").run()
    units = at.dataframe[0].value["unit_code"].tolist()
    assert units and all(code.startswith("66-") for code in units)


def test_leaderboard_shows_my_rank_first_then_its_neighbours(demo_store):
    """On a phone the columns stack: the reader's own rank comes before the podium."""
    con = sprint.connect(demo_store)
    board = sprint.leaderboard(con, as_of=date(2025, 11, 20)).set_index("unit_code")
    con.close()
    at = open_page(PAGES[2], my_unit="22")
    shown = texts(at)
    assert "Đơn vị của bạn" in shown
    markdowns = [m.value for m in at.markdown]
    mine = markdowns.index(f"### #{board.loc['22', 'rank']} Quảng Ninh · {i18n.percent(board.loc['22', 'score'], 'vi')}")
    podium = next(i for i, text in enumerate(markdowns) if text.startswith(f"**{board.iloc[0]['unit_name']}**"))
    assert mine < podium


def test_bad_upload_shows_every_error_and_commits_nothing(demo_store):
    at = open_page(PAGES[3])
    before = sprint.connect(demo_store).execute("SELECT count(*), sum(value) FROM counts").fetchall()
    bad = (DATA / "bad" / "negative.csv").read_bytes().replace(b",A,", b",66-EAKAR,")
    at.file_uploader(key="upload_file").upload("bad.csv", bad, "text/csv").run()
    assert not at.exception
    assert "bị từ chối" in at.error[0].value
    problems = at.table[0].value
    assert problems.iloc[0].tolist() == ["2", "value", "-5", "số liệu không được là số âm"]
    assert "upload_commit" not in [b.key for b in at.button]  # nothing to commit
    assert sprint.connect(demo_store).execute("SELECT count(*), sum(value) FROM counts").fetchall() == before


def test_good_upload_previews_then_commits(demo_store):
    at = open_page(PAGES[3])
    good = b"date,unit_code,metric,value\n2025-11-20,66-EAKAR,voluntary_si,2480\n"
    at.file_uploader(key="upload_file").upload("day.csv", good, "text/csv").run()
    assert "Xem trước: 1 dòng" in texts(at)
    at.button(key="upload_commit").click().run()
    assert "Đã lưu day.csv" in at.success[0].value
    value = sprint.connect(demo_store).execute(
        "SELECT value FROM counts WHERE unit_code = '66-EAKAR' AND date = '2025-11-20' AND metric = 'voluntary_si'"
    ).fetchall()
    assert value == [(2480,)]


def test_upload_with_a_large_jump_asks_for_confirmation(demo_store, monkeypatch):
    checks = []
    original = sprint.ingest

    def counting(*args, **kwargs):
        checks.append(kwargs.get("commit", True))
        return original(*args, **kwargs)

    monkeypatch.setattr(sprint, "ingest", counting)
    at = open_page(PAGES[3])
    jump = b"date,unit_code,metric,value\n2025-11-21,66-EAKAR,voluntary_si,9000\n"
    at.file_uploader(key="upload_file").upload("jump.csv", jump, "text/csv").run()
    assert "cảnh báo" in at.warning[0].value
    assert at.button(key="upload_commit").disabled
    at.checkbox(key="upload_confirm").check().run()
    assert not at.button(key="upload_commit").disabled
    assert checks == [False]  # the file was checked once: ticking the box showed the same preview


def test_admin_rejects_a_units_file_with_a_cycle(demo_store):
    at = open_page(PAGES[4])
    at.file_uploader(key="units_file").upload("units.csv", b"unit_code,name,parent_code\nX,X,Y\nY,Y,X\n", "text/csv").run()
    at.button(key="units_load").click().run()
    assert "bị từ chối" in at.error[0].value


def test_as_of_follows_the_latest_complete_day(demo_store):
    """The demo's next day, 21/11, is reported by 328 of 340 units: the open page moves to it."""
    from sprint import demo

    at = open_page(PAGES[0])
    assert at.session_state["as_of"] == date(2025, 11, 20)
    day, frame = demo.days_after(date(2025, 11, 20))[0]
    assert (day, frame["unit_code"].nunique()) == (date(2025, 11, 21), 328)
    con = sprint.connect(demo_store)
    sprint.ingest(con, frame.assign(date=str(day)).to_csv(index=False).encode(), name="next.csv")
    con.close()
    at.run()  # the live fragment sees a new data version and asks for a rerun
    at.run()
    assert at.session_state["as_of"] == date(2025, 11, 21)
    assert "21/11/2025" in texts(at)


def test_a_store_that_cannot_be_opened_is_a_sentence(tmp_path, monkeypatch):
    path = tmp_path / "not-a-store.duckdb"
    path.write_text("this is not a DuckDB file")
    monkeypatch.setenv("SPRINT_DB", str(path))
    monkeypatch.setenv("SPRINT_INBOX", "off")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert "not-a-store.duckdb" in at.error[0].value


@pytest.fixture
def outlook_calls(monkeypatch) -> list:
    """The unit of each progress read (sprint.outlook, the progress page's figures) a page computes."""
    calls = []
    original = sprint.outlook

    def counting(*args, **kwargs):
        calls.append(kwargs.get("unit"))
        return original(*args, **kwargs)

    monkeypatch.setattr(sprint, "outlook", counting)
    return calls


def test_a_rerun_without_new_data_runs_no_heavy_query(demo_store, monkeypatch):
    calls = []
    original = sprint.outlook  # the progress page's figures: progress and the milestone's chance

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(sprint, "outlook", counting)
    at = open_page(PAGES[0])
    first = len(calls)
    assert first > 0
    at.run()
    assert len(calls) == first  # same data version: everything came from the cache
    con = sprint.connect(demo_store)
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-11-20,66-EAKAR,health,131000\n", name="new.csv")
    con.close()
    at.run()
    at.run()
    assert len(calls) > first  # a new upload: the figures are computed again


def test_a_report_for_a_later_day_recomputes_nothing_the_page_shows(demo_store, outlook_calls):
    """On the national reporting day the pages show the latest complete day (20/11) while the
    communes send 21/11's files: those change no figure shown, so none is computed again; the
    line of how many have reported for 21/11 moves (its own fragment's read)."""
    calls = outlook_calls
    con = sprint.connect(demo_store)
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-11-21,66-EAKAR,health,131000\n", name="first.csv")
    con.close()
    at = open_page(PAGES[0])
    assert at.session_state["as_of"] == date(2025, 11, 20) and calls
    assert "1/340" in at.info[0].value
    calls.clear()
    con = sprint.connect(demo_store)
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-11-21,66-BUONHO,health,90000\n", name="second.csv")
    con.close()
    at.run()
    assert calls == [] and "2/340" in at.info[0].value
    con = sprint.connect(demo_store)
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-11-20,66-BUONHO,health,90001\n", name="fix.csv")
    con.close()
    at.run()
    assert calls  # a correction of the day shown: its figures are computed again


def test_the_first_start_builds_the_demo_store(tmp_path, monkeypatch):
    path = tmp_path / "data" / "sprint.duckdb"
    monkeypatch.setenv("SPRINT_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    assert path.exists()
    assert at.title[0].value == "Đăng nhập bảng theo dõi đợt thi đua"
    assert "lanhdao / lanhdao-demo (lãnh đạo)" in texts(at).replace("\\", "")  # the demo store says how to sign in
    at.text_input(key="sign_in_name").input("lanhdao")
    at.text_input(key="sign_in_password").input("lanhdao-demo")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["as_of"] == date(2025, 11, 20)
    assert "Giai đoạn 2" in texts(at)


def test_a_bookmark_opens_the_page_as_a_unit_head(demo_store):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["account_name"], at.session_state["signed_in_at"] = "lanhdao", time.time()
    at.query_params["unit"] = "66-EAKAR"
    at.run()
    assert at.session_state["my_unit"] == "66-EAKAR"
    plain = open_page(PAGES[0])
    assert plain.session_state["my_unit"] is None
    assert plain.sidebar.selectbox(key="my_unit").value is None


def test_user_text_is_shown_as_text_never_as_markdown(demo_store):
    """A committed file named like a link shows in every user's sidebar as its name, not a link."""
    con = sprint.connect(demo_store)
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-11-20,66-EAKAR,health,131000\n",
                  name="[Đăng nhập lại](https:evil.example).csv")
    con.close()
    at = open_page(PAGES[0])
    shown = "\n".join(c.value for c in at.sidebar.caption)
    assert r"\[Đăng nhập lại\]\(https\:evil.example\).csv" in shown
    assert "[Đăng nhập lại](https:evil.example)" not in shown


@pytest.mark.parametrize("name, written", [
    ("# Báo cáo.csv", r"\# Báo cáo.csv"),        # a heading
    ("- ngày 20.csv", r"\- ngày 20.csv"),        # a list item
    ("1. ngày 20.csv", r"1\. ngày 20.csv"),      # a numbered one
    ("a&amp;b.csv", r"a\&amp;b.csv"),           # an HTML entity
    ("17.449.773", "17.449.773"),                # a number is no list item
])
def test_a_name_that_starts_a_markdown_block_stays_text(name, written):
    from pages import ui

    assert ui.plain(name) == written


def test_the_store_publishes_to_the_pages_once_per_beat(demo_store, monkeypatch):
    """A commit reaches the pages at the next beat, not before: many files a second are one change
    per beat for every open page, and every page keys its reads on the same versions."""
    from pages import reads

    monkeypatch.setattr(reads, "PUBLISH_SECONDS", 3.0)
    now = [100.0]
    publication = reads.Publication(str(demo_store), clock=lambda: now[0])
    first = publication.current()
    assert first.latest == first.complete == date(2025, 11, 20)
    con = sprint.connect(demo_store)
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-11-21,66-EAKAR,health,131000\n", name="new.csv")
    con.close()
    now[0] += 2.9
    assert publication.current() is first  # within the beat: the pages see nothing new yet
    now[0] += 0.1
    second = publication.current()
    assert second.latest == date(2025, 11, 21) and second.complete == date(2025, 11, 20)
    assert second.upload_version > first.upload_version
    assert second.versions[None]["66-EAKAR"] > first.versions[None]["66-EAKAR"]
    assert publication.versions_as_of(second, date(2025, 11, 20))["66-EAKAR"] == first.versions[None]["66-EAKAR"]


def test_a_page_follows_new_figures_of_its_day_at_a_steady_beat(monkeypatch):
    """While late units send their files, the figures of the day a page shows change at every
    beat: the page follows them at most every FOLLOW_BEATS beats and FOLLOW_COST times its own
    last run (25 pages rerunning at every beat starved the writer and the pages switching day);
    a new complete day is followed at once."""
    from pages import reads

    monkeypatch.setattr(reads, "PUBLISH_SECONDS", 3.0)
    now = [1000.0]
    monkeypatch.setattr(reads, "clock", lambda: now[0])
    shown, today = date(2025, 12, 1), date(2025, 12, 2)
    versions = {(shown, "VN"): 7}
    monkeypatch.setattr(reads, "_version", lambda day, scope: versions[(day, scope)])
    published = reads.Published(0.0, {}, 1, pd.DataFrame(), today, shown)
    state = {"_published": published, "_days": (today, shown), "_inputs": {(shown, "VN"): 7}}
    monkeypatch.setattr(reads.st, "session_state", state)

    state["_page_run_at"] = now[0]  # as begin_page records it
    now[0] += 4.0
    reads.end_page()  # a run of 4 s: the page follows its day's figures every 12 s at most
    assert state["_page_run_took"] == 4.0
    assert not reads.page_outdated()  # nothing changed
    versions[(shown, "VN")] = 8  # a late unit's file for the day shown
    now[0] += 7.9
    assert not reads.page_outdated()
    now[0] += 0.1
    assert reads.page_outdated()
    state["_page_run_at"], state["_page_run_took"] = now[0], 0.5  # a quick page: every two beats
    now[0] += 5.9
    assert not reads.page_outdated()
    now[0] += 0.1
    assert reads.page_outdated()
    state["_page_run_at"] = now[0]
    state["_published"] = reads.Published(0.0, {}, 2, pd.DataFrame(), date(2025, 12, 3), today)
    assert reads.page_outdated()  # a new complete day: at once


def test_every_read_is_computed_in_one_of_the_stores_read_slots(demo_store, monkeypatch):
    """No more reads run at once than READ_SLOTS allows (25 pages opened at once ran DuckDB out of
    memory without it): a page's figures are each computed holding a slot."""
    from pages import reads

    class Slots:
        held, computed = 0, []

        def __enter__(self):
            self.held += 1

        def __exit__(self, *_):
            self.held -= 1

    slots = Slots()
    monkeypatch.setattr(reads, "READ_SLOTS", slots)
    original = sprint.outlook

    def outlook(*args, **kwargs):
        slots.computed.append(slots.held)
        return original(*args, **kwargs)

    monkeypatch.setattr(sprint, "outlook", outlook)
    open_page(PAGES[0])
    assert slots.computed and set(slots.computed) == {1} and slots.held == 0


def test_a_report_recomputes_only_the_pages_of_its_own_subtree(demo_store, outlook_calls):
    calls = outlook_calls
    at = open_page(PAGES[0], my_unit="22")  # Quảng Ninh's head
    assert at.selectbox(key="progress_scope").value == "22" and "22" in calls
    con = sprint.connect(demo_store)
    quang_ninh_leaf = con.execute("SELECT unit_code FROM units WHERE parent_code = '22' ORDER BY 1 LIMIT 1").fetchall()[0][0]
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-11-20,66-EAKAR,health,131000\n", name="ea-kar.csv")
    con.close()
    calls.clear()
    at.run()
    at.run()
    assert "22" not in calls  # a report from Đắk Lắk: Quảng Ninh's figures come from the cache
    con = sprint.connect(demo_store)
    sprint.ingest(con, f"date,unit_code,metric,value\n2025-11-20,{quang_ninh_leaf},health,50000\n".encode(),
                  name="quang-ninh.csv")
    con.close()
    at.run()
    at.run()
    assert "22" in calls  # a report from Quảng Ninh: its page computes again


@pytest.mark.parametrize("page", PAGES)
def test_a_visitor_sees_only_the_sign_in_screen(demo_store, page):
    at = AppTest.from_file(APP, default_timeout=60).run()
    if page != PAGES[0]:
        at.switch_page(page).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Đăng nhập bảng theo dõi đợt thi đua"]
    assert not at.get("plotly_chart") and not at.get("metric") and not at.get("arrow_data_frame")
    assert [b.label for b in at.button] == ["Đăng nhập"]


def test_a_wrong_password_is_refused_in_words(demo_store):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="sign_in_name").input("eakar")
    at.text_input(key="sign_in_password").input("guess")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Tên tài khoản hoặc mật khẩu không đúng."]
    assert "account_name" not in at.session_state


@pytest.mark.parametrize("page", ["pages/admin.py", "pages/audit.py"])
def test_a_unit_head_cannot_open_the_administrators_pages(demo_store, page):
    at = open_page(page, account="eakar")
    assert "Trang này không dành cho tài khoản thủ trưởng đơn vị" in at.warning[0].value
    assert not at.title and not at.file_uploader


def test_a_leader_reads_but_has_no_upload_page(demo_store):
    at = open_page("pages/upload.py", account="lanhdao")
    assert "Trang này không dành cho tài khoản lãnh đạo" in at.warning[0].value and not at.file_uploader


def test_a_unit_head_opens_on_their_own_unit_and_uploads_within_it(demo_store):
    at = open_page("pages/upload.py", account="eakar", my_unit="66-EAKAR")
    assert "Tài khoản của bạn gửi báo cáo cho Ea Kar (66-EAKAR)" in texts(at).replace("\\", "")
    at.file_uploader[0].upload("hai-xa.csv", b"date,unit_code,metric,value\n2025-11-20,66-EAKAR,health,131000\n"
                                             b"2025-11-20,66-BUONHO,health,90000\n", "text/csv").run()
    rejected = at.table[0].value
    assert [cell.replace("\\", "") for cell in rejected.iloc[0].tolist()[:3]] == ["3", "unit_code", "66-BUONHO"]
    assert "Ea Kar (66-EAKAR)" in rejected.iloc[0].tolist()[3].replace("\\", "")


def test_a_rejection_lists_each_problem_once_with_no_none_and_its_whole_sentence(demo_store):
    """A neighbour's row in a wide file is one error, not one per metric; a problem of the whole
    line leaves its column and value empty (not "None"); the sentences are in a table that wraps
    them rather than cutting them off."""
    at = open_page("pages/upload.py", account="eakar", my_unit="66-EAKAR")
    wide = (b"date,unit_code,compulsory_si,voluntary_si,unemployment,health\n"
            b"2025-11-20,66-EAKAR,6115,2466,5676,133674\n2025-11-20,66-BUONHO,1,2,3,4\n")
    at.file_uploader[0].upload("rong.csv", wide, "text/csv").run()
    assert "1 lỗi" in at.error[0].value
    assert at.table[0].value["Cột"].tolist() == ["unit\\_code"]  # Markdown's source of unit_code, as written
    at.file_uploader[0].upload("thua.csv", b"date,unit_code,metric,value\n2025-11-20,66-EAKAR,health,131,000\n",
                               "text/csv").run()
    [row] = at.table[0].value.to_numpy().tolist()
    assert row[:3] == ["2", "", ""] and row[3].replace("\\", "").startswith("dòng này có nhiều giá trị hơn 4 cột")


def test_the_audit_page_shows_each_action_with_its_account(demo_store):
    con = sprint.connect(demo_store)
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-11-20,66-EAKAR,health,131000\n", name="ea-kar.csv",
                  uploaded_by="eakar", scope="66-EAKAR")
    con.close()
    at = open_page("pages/audit.py")
    log = at.dataframe[0].value
    first = log.iloc[0]
    assert (first["account"], first["kind"], first["outcome"], first["file_name"]) == (
        "eakar", "sửa số liệu", "đã lưu", "ea-kar.csv")
    assert first["old_value"] != first["new_value"] and first["new_value"] == "131.000"
    assert (log.iloc[1]["account"], log.iloc[1]["kind"]) == ("eakar", "báo cáo số liệu")
    accounts = at.dataframe[1].value
    assert sorted(accounts["name"]) == ["eakar", "lanhdao", "quantri"]


def test_a_disabled_account_is_signed_out_at_its_next_page(demo_store):
    at = open_page(PAGES[0], account="eakar")
    con = sprint.connect(demo_store)
    sprint.set_disabled(con, "eakar", by="quantri")
    con.close()
    at.run()
    assert [t.value for t in at.title] == ["Đăng nhập bảng theo dõi đợt thi đua"]


def test_one_early_report_leaves_the_pages_on_the_complete_day(demo_store):
    """Ea Kar alone reports for 21/11: every page stays on 20/11 and offers 21/11 with how many
    units have reported for it; seeing it says the day is partial and offers the way back."""
    con = sprint.connect(demo_store)
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-11-21,66-EAKAR,compulsory_si,6500\n", name="early.csv")
    con.close()
    at = open_page(PAGES[2])
    assert at.session_state["as_of"] == date(2025, 11, 20)
    offered = at.info[0].value.replace("\\", "")
    assert "Ngày 21/11/2025: mới có 1/340 đơn vị báo cáo" in offered and "20/11/2025" in offered
    at.button(key="show_partial_day").click().run()
    assert at.session_state["as_of"] == date(2025, 11, 21)
    assert "Ngày 21/11/2025 mới có 1/340 đơn vị báo cáo" in at.warning[0].value.replace("\\", "")
    at.button(key="show_complete_day").click().run()
    assert at.session_state["as_of"] == date(2025, 11, 20)


def test_a_correction_shows_the_old_and_the_new_value(demo_store):
    con = sprint.connect(demo_store)
    old = sprint.series(con, unit="66-EAKAR", metric="health", start=date(2025, 11, 20), end=date(2025, 11, 20))
    con.close()
    at = open_page("pages/upload.py", account="eakar")
    at.file_uploader[0].upload("sua.csv", b"date,unit_code,metric,value\n2025-11-20,66-EAKAR,health,131000\n",
                               "text/csv").run()
    fixes = at.dataframe[1].value
    assert fixes.iloc[0].tolist() == [pd.Timestamp("2025-11-20"), "66-EAKAR", "Bảo hiểm y tế", old["value"].iloc[0],
                                      131000]


# English UI words and raw codes that must not show on a Vietnamese page (file names, unit codes
# and the demo accounts' names are data, not UI)
ENGLISH = re.compile(r"\b(None|nan|NaT|rows?|Upload|Download|Sign|Page not found|committed|rejected|unit_code|"
                     r"unit_name|campaign_id|compulsory_si|voluntary_si|unemployment|health|revenue|late_debt|"
                     r"attainment_pct|counts|targets|units|True|False)\b")


def displayed(frame) -> pd.DataFrame:
    """A table's cells as the page writes them (i18n.styled's text), not the numbers it sorts by."""
    from streamlit import dataframe_util

    return dataframe_util.convert_arrow_bytes_to_pandas_df(frame.proto.arrow_data.styler.display_values)


def shown_strings(at) -> list[str]:
    """Every string the page shows: texts, labels, table headers and table cells."""
    strings = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning",
                                    "error", "success") for e in getattr(at, kind)]
    strings += [w.label for kind in ("button", "selectbox", "text_input", "checkbox", "date_input",
                                     "segmented_control", "file_uploader") for w in at.get(kind) if hasattr(w, "label")]
    for table in at.table:
        strings += [str(v) for v in table.value.columns] + [str(v) for v in table.value.head(50).to_numpy().ravel()]
    for frame in at.dataframe:
        config = json.loads(frame.proto.columns or "{}")
        for column in frame.value.columns:
            strings.append((config.get(str(column)) or {}).get("label") or str(column))
        if frame.proto.arrow_data.HasField("styler"):
            strings += [str(v) for v in displayed(frame).head(50).to_numpy().ravel()]
            continue
        for column in frame.value.columns:
            cells = frame.value[column].head(50)
            if pd.api.types.is_numeric_dtype(cells) or pd.api.types.is_datetime64_any_dtype(cells):
                strings += ["None"] * int(cells.isna().sum())  # Streamlit writes a missing number or date so
            else:
                strings += [str(v) for v in cells]
    return strings


@pytest.mark.parametrize("page, account", [(p, "quantri") for p in PAGES] + [(PAGES[0], "eakar"), (PAGES[0], None)])
def test_a_vietnamese_page_shows_no_english_and_no_raw_codes(demo_store, page, account):
    at = open_page(page, account=account, my_unit="66-EAKAR" if account == "eakar" else None)
    found = sorted({match.group(0) for text in shown_strings(at) for match in ENGLISH.finditer(text)
                    if not re.search(r"\.(csv|xlsx)\b", text)})
    assert not found, found


# how each language writes a count, a percentage to two decimals and a whole chance, and nothing else
WRITTEN = {"vi": {"count": r"\d{1,3}(\.\d{3})*", "percent": r"\d{1,3}(\.\d{3})*,\d\d %", "chance": r"\d{1,3} %",
                  "per_day": r"\d{1,3}(\.\d{3})*|dưới 1"},
           "en": {"count": r"\d{1,3}(,\d{3})*", "percent": r"\d{1,3}(,\d{3})*\.\d\d%", "chance": r"\d{1,3}%",
                  "per_day": r"\d{1,3}(,\d{3})*|less than 1"}}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_numbers_in_tables_stay_numbers_and_read_in_the_pages_language(demo_store, lang):
    """Every figure column of the provinces page is numeric (it sorts by value) and is written in
    the page's language, one precision per column: Streamlit's own formats would follow the
    browser's locale (an English page read 45,51 % and 6,92 in a Vietnamese browser) and vary
    the chance's decimals by row (40 %, 46,7 %, 39,83 %)."""
    at = open_page(PAGES[1], lang=lang)
    kinds = {"value": "count", "target": "count", "gap": "count", "required_daily": "per_day", "pace_7d": "per_day",
             "attainment_pct": "percent", "probability": "chance", "share": "count", "share_daily": "per_day",
             "late_debt": "count", "revenue_plan": "count", "late_payment_pct": "percent"}
    checked = set()
    for frame in at.dataframe:
        config, cells = json.loads(frame.proto.columns), displayed(frame)
        for column in set(kinds) & set(frame.value.columns):
            assert pd.api.types.is_numeric_dtype(frame.value[column]), column
            assert "format" not in (config[column].get("type_config") or {}), config[column]  # the text is ours
            written = cells[column][frame.value[column].notna()]
            assert written.str.fullmatch(WRITTEN[lang][kinds[column]]).all(), (column, written.head().tolist())
            checked.add(column)
    assert checked == set(kinds)
    ceiling = {"vi": "Tỷ lệ nợ chậm đóng (cả nước: không quá 2,55 %; đơn vị có mức trần riêng thì theo mức đó)",
               "en": "Late-payment rate (the nation's ceiling 2.55%; a unit with its own is judged by its own)"}[lang]
    assert ceiling in [s.value for s in at.subheader]


def test_a_table_shows_each_status_as_a_word_every_font_has(demo_store):
    """No emoji marks (empty boxes on a machine without an emoji font): the word, on its colour's
    tint, right after the unit's name, where 1400 px and a phone both show it."""
    at = open_page(PAGES[1], lang="en")
    table = next(frame for frame in at.dataframe if "status" in frame.value.columns)
    assert list(table.value.columns[:2]) == ["unit_name", "status"]
    assert set(displayed(table)["status"]) <= {"Achieved", "On track", "Behind", "No data"}


def test_the_leaderboard_puts_rank_name_score_and_chance_where_a_phone_shows_them(demo_store):
    """390 px hold about 360 px of table: rank, name, score and chance come first, and fit."""
    at = open_page(PAGES[2], lang="en")
    table = at.dataframe[0]
    assert list(table.value.columns[:4]) == ["rank", "unit_name", "score", "probability"]
    config = json.loads(table.proto.columns)
    assert sum(config[column]["width"] for column in table.value.columns[:4]) <= 360
    cells = displayed(table)
    assert cells["score"].str.fullmatch(WRITTEN["en"]["percent"]).all()
    assert cells["probability"].str.fullmatch(WRITTEN["en"]["chance"]).all()
    at = open_page(PAGES[2])
    at.selectbox(key="board_metric").set_value("health").run()
    assert set(displayed(at.dataframe[0])["status"]) <= {vi for vi, _ in i18n.STATUS.values()}


def test_top_movers_say_1_place_not_1_places(demo_store):
    con = sprint.connect(demo_store)
    movers = sprint.top_movers(con, as_of=date(2025, 11, 20), metric="all", level="province")
    con.close()
    at = open_page(PAGES[2], lang="en")
    assert [m.proto.delta for m in at.metric] == [i18n.places_gained(n, "en") for n in movers["places_gained"]]
    assert all(re.fullmatch(r"▲ (1 place|([2-9]|\d\d+) places)", m.proto.delta) for m in at.metric)


def test_one_colour_per_status_in_the_heatmap_the_bars_and_the_badges():
    """Each status has one colour: the heatmap's cell of a status is drawn in STATUS_COLOURS of it,
    the bars of a status too, and its badge is the Streamlit colour nearest to it."""
    from sprint import charts

    statuses = pd.DataFrame({"m": ["achieved", "on_track", "behind", "no_data"]}, index=list("abcd"))
    attainment = pd.DataFrame({"m": [101.0, 99.0, 90.0, None]}, index=list("abcd"))
    trace = charts.heatmap(attainment, statuses, "vi", ",.").data[0]
    colour_of = {}  # the colour band of each z: [z_low, colour], [z_high, colour] per status
    bands = trace.colorscale
    for index, status in enumerate(i18n.STATUS_COLOURS):
        low, high = bands[2 * index], bands[2 * index + 1]
        assert low[1] == high[1]
        colour_of[status] = low[1]
    assert colour_of == i18n.STATUS_COLOURS
    assert [row[0] for row in trace.z] == [0, 1, 2, 3]  # a cell's z picks its status's band
    assert [row[0] for row in trace.text] == ["101,00 %<br>Đạt", "99,00 %<br>Kịp", "90,00 %<br>Chậm", "–<br>Chưa có"]
    bars = pd.DataFrame({"gap": [0, 5, 9], "unit_name": ["x", "y", "z"], "unit_code": ["X", "Y", "Z"],
                         "status": ["achieved", "on_track", "behind"]})
    bars["status_label"] = bars["status"].map(lambda s: i18n.status_label(s, "vi"))
    figure = charts.gap_bars(bars, {"gap": "Còn thiếu", "status": "Tình trạng", "lang": "vi"}, ",.")
    assert {trace.name: trace.marker.color for trace in figure.data} == {
        i18n.status_label(s, "vi"): i18n.STATUS_COLOURS[s] for s in ("achieved", "on_track", "behind")}
    assert i18n.STATUS_BADGES == {"achieved": "green", "on_track": "blue", "behind": "orange", "no_data": "gray",
                                  "missed": "violet"}


def refuse_writes(monkeypatch) -> None:
    """The disk refuses every commit from now on (as a full disk does)."""
    import duckdb

    from sprint import store

    def refuse(con):
        raise duckdb.IOException("No space left on device")
    monkeypatch.setattr(store, "commit", refuse)


def test_a_sign_in_the_store_cannot_record_is_a_sentence(demo_store, monkeypatch):
    at = AppTest.from_file(APP, default_timeout=60).run()
    refuse_writes(monkeypatch)
    at.text_input(key="sign_in_name").input("eakar")
    at.text_input(key="sign_in_password").input("eakar-demo")
    at.button[0].click().run()
    assert not at.exception
    assert "could not save the change" in at.error[0].value
    assert "account_name" not in at.session_state


def test_a_sign_out_the_store_cannot_record_keeps_the_session_and_says_why(demo_store, monkeypatch):
    con = sprint.connect(demo_store)
    token = sprint.open_session(con, "eakar", hours=1)
    con.close()
    at = open_page(PAGES[2], account="eakar", session_token=token)
    refuse_writes(monkeypatch)
    at.button(key="sign_out").click().run()
    assert not at.exception
    assert "could not save the change" in at.error[0].value
    assert at.session_state["account_name"] == "eakar" and at.title[0].value == "Bảng xếp hạng"


def test_progress_cards_say_how_likely_each_milestone_is(demo_store):
    at = open_page(PAGES[0])
    con = sprint.connect(demo_store)
    outlook = sprint.outlook(con, as_of=date(2025, 11, 20), unit="VN")
    con.close()
    shown = texts(at).replace("\\", "")
    for row in outlook[outlook["metric"] != "revenue"].itertuples():
        assert f"**{i18n.percent(100 * row.probability, 'vi', 0)}** khả năng đạt mốc 30/11" in shown
    assert "mức tăng bình quân mỗi tuần của 4 tuần gần nhất" in shown  # the model, in two sentences
    assert at.get("download_button")[0].proto.label.startswith("Tải bản tin sáng (PDF)")


def test_a_heads_page_says_their_share_of_the_parents_gap(demo_store):
    at = open_page(PAGES[0], account="eakar", my_unit="66-EAKAR")
    con = sprint.connect(demo_store)
    shares = sprint.allocate(con, unit="66", metric="voluntary_si", as_of=date(2025, 11, 20))
    con.close()
    mine = shares.set_index("unit_code").loc["66-EAKAR", "share_daily"]
    assert mine > 0
    assert (f"Phần của đơn vị, để chính mình và Đắk Lắk (66) đạt mốc: **+{i18n.number(mine, 'vi')}**/ngày"
            in texts(at).replace("\\", ""))
    assert mine >= shares.set_index("unit_code").loc["66-EAKAR", "gap"] / 10  # never under its own gap (10 days left)


def test_the_leaderboard_gives_the_chance_that_every_metric_makes_it_and_the_weakest(demo_store):
    """Thanh Hóa is sure of four metrics and not of health: 0 %, health beside it (the mean said 80 %)."""
    at = open_page(PAGES[2], lang="en")
    table = at.dataframe[0].value.set_index("unit_code")
    assert table.loc["38", "probability"] == 0
    assert table.loc["38", "weakest"] == "Health insurance · 0%"
    assert "The chance that every metric makes its milestone: the product" in texts(at)


def test_a_unit_that_went_quiet_shows_no_chance_and_why(demo_store):
    """Hà Nam (37-HANAM) is silent from 3/11 to 11/11: on 11/11 its card and its row on the board
    say why there is no chance, in a word, in both languages."""
    for lang, why, given in (("vi", "Không tính khả năng đạt mốc: chỉ báo cáo 3 trong 14 ngày qua", "** khả năng đạt mốc"),
                             ("en", "No chance given: reported on only 3 of the last 14 days", "** likely by")):
        at = open_page(PAGES[0], my_unit="37-HANAM", lang=lang)
        at.date_input(key="as_of").set_value(date(2025, 11, 11)).run()
        assert at.selectbox(key="progress_scope").value == "37-HANAM"
        assert why in texts(at) and given not in texts(at)
    at = open_page(PAGES[2], board_level="grassroots_in", board_parent="37")
    at.date_input(key="as_of").set_value(date(2025, 11, 11)).run()
    board = at.dataframe[0].value.set_index("unit_code")
    assert pd.isna(board.loc["37-HANAM", "probability"]) and board.loc["37-HANAM", "no_chance"] == "ít báo cáo"
    assert (board.drop(index="37-HANAM")["no_chance"] == "").all()


def test_leaderboard_shows_the_chance_of_the_milestone_as_a_number_column(demo_store):
    """The column holds the engine's numbers (0 to 1), so the table sorts it by value."""
    at = open_page(PAGES[2])
    table = at.dataframe[0].value
    assert table["probability"].dtype.kind == "f"
    con = sprint.connect(demo_store)
    board = sprint.leaderboard(con, as_of=date(2025, 11, 20), chances=True)
    con.close()
    assert table["probability"].tolist() == board["probability"].tolist()


def test_provinces_drill_down_splits_the_gap(demo_store):
    at = open_page(PAGES[1], provinces_parent="66", provinces_metric="voluntary_si")
    con = sprint.connect(demo_store)
    shares = sprint.allocate(con, unit="66", metric="voluntary_si", as_of=date(2025, 11, 20))
    figures = sprint.outlook(con, as_of=date(2025, 11, 20), parent="66", metric="voluntary_si")
    con.close()
    tables = [frame.value for frame in at.dataframe]
    split = next(table for table in tables if "share_daily" in table.columns)
    assert split["share"].tolist() == shares["share"].tolist()
    assert "Phân bổ phần còn thiếu của Đắk Lắk (66) đến mốc 30/11/2025" in texts(at).replace("\\", "")
    progress_table = next(table for table in tables if "probability" in table.columns)
    assert progress_table["probability"].tolist() == figures["probability"].tolist()


def test_upload_preview_flags_reports_that_look_wrong(demo_store):
    at = open_page(PAGES[3])
    copied = b"date,unit_code,metric,value\n2025-11-21,66-EAKAR,voluntary_si,9000\n"
    at.file_uploader(key="upload_file").upload("jump.csv", copied, "text/csv").run()
    assert "điểm cần xem lại trong tệp (vẫn có thể gửi)" in at.warning[1].value
    flags = at.dataframe[-2].value
    assert flags["unit_code"].tolist() == ["66-EAKAR"]
    assert flags["flag"].iloc[0].startswith("Tăng bất thường: ")


def test_administrators_see_the_data_quality_view(demo_store):
    con = sprint.connect(demo_store)
    day = date(2025, 11, 10)
    expected = sprint.anomalies(con, as_of=day)
    con.close()
    at = open_page(PAGES[5])
    assert "Không có báo cáo bất thường ngày 20/11/2025." in [box.value for box in at.success]
    at.date_input(key="as_of").set_value(day).run()
    shown = next(frame.value for frame in at.dataframe if "flag" in frame.value.columns)
    assert shown["unit_code"].tolist() == expected["unit_code"].tolist()
    assert shown["flag"].iloc[0] == f"Không báo cáo {expected['usual'].iloc[0]} ngày báo cáo gần nhất"


def test_a_file_with_more_problems_than_are_listed_says_how_many_in_all(demo_store):
    data = ("date,unit_code,metric,value\n"
            + "".join(f"2025-11-21,66-EAKAR,health,-{n}\n" for n in range(1, 251))).encode()  # 250 bad rows
    con = sprint.connect(demo_store)
    with pytest.raises(sprint.ValidationError) as rejected:
        sprint.ingest(con, data, name="many.csv", commit=False)
    con.close()
    assert rejected.value.count == 250 and len(rejected.value.problems) == 201
    at = open_page(PAGES[3])
    at.file_uploader(key="upload_file").upload("many.csv", data, "text/csv").run()
    assert f": {i18n.number(rejected.value.count, 'vi')} lỗi" in at.error[0].value
    assert len(at.table[0].value) == 201  # the first 200, then one that says how many more


@pytest.fixture
def finished_store(tmp_path, monkeypatch):
    """The scenario (tests/data/scenario) reported to the campaign's last day, 31/12/2025, by every leaf:
    A 205 and B 115 (P1: 320 of its 200 + 120), F 92 and L 45, the nation 457 of 460."""
    from conftest import load_scenario

    path = tmp_path / "finished.duckdb"
    con = load_scenario(fresh_store(path))
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-12-31,A,voluntary_si,205\n2025-12-31,B,voluntary_si,115\n"
                       b"2025-12-31,F,voluntary_si,92\n2025-12-31,L,voluntary_si,45\n", name="end.csv")
    sprint.add_account(con, "quantri", role="admin", password="quantri-test")
    con.close()
    monkeypatch.setenv("SPRINT_DB", str(path))
    monkeypatch.setenv("SPRINT_INBOX", "off")
    return path


def test_an_ended_campaign_says_so_with_its_final_result(finished_store):
    at = open_page(PAGES[0])
    assert at.session_state["as_of"] == date(2025, 12, 31)
    shown = texts(at).replace("\\", "")
    assert "Đợt thi đua đã kết thúc ngày 31/12/2025: kết quả cuối cùng" in shown
    assert "Giai đoạn" not in shown
    cards = [m.value for m in at.markdown if "-badge[" in m.value]
    assert cards == ["**BHXH tự nguyện**  \n:violet-badge[Không đạt]"]  # the nation: 457 of 460, never behind
    assert "### 3" in shown and "người còn thiếu · Số người tham gia: 457" in shown
    assert "Cần thêm mỗi ngày" not in shown and "tốc độ 7 ngày" not in shown  # nothing is needed or projected now
    at.selectbox(key="progress_scope").set_value("P1").run()
    assert ":green-badge[Đã đạt]" in texts(at)  # 205 + 115 = 320 of 320
    english = open_page(PAGES[0], lang="en")
    assert "Campaign ended Dec 31, 2025: final result" in texts(english)


def test_a_need_below_one_a_day_is_never_written_0(finished_store):
    """B on 17/10: 76 of 80, 4 people in 14 days (0.29 a day), at 6 a week (0.86 a day)."""
    state = {"as_of": date(2025, 10, 17), "as_of_follows_default": False, "my_unit": "B"}
    shown = texts(open_page(PAGES[0], **state))
    assert "Cần thêm mỗi ngày: **dưới 1/ngày** · Tốc độ 7 ngày qua: **dưới 1/ngày**" in shown
    assert "**0**" not in shown
    english = texts(open_page(PAGES[0], lang="en", **state))
    assert "Needed per day: **less than 1 a day** · Pace, last 7 days: **less than 1 a day**" in english


def test_a_table_writes_a_need_below_one_a_day_as_less_than_1(finished_store):
    """The provinces page's drill-down into P1 on 17/10: B's need and pace (0.29 and 0.86 a day)
    read as the cards do, in a column headed per day."""
    state = {"as_of": date(2025, 10, 17), "as_of_follows_default": False, "provinces_parent": "P1",
             "provinces_metric": "voluntary_si"}
    for lang, words in (("vi", "dưới 1"), ("en", "less than 1")):
        at = open_page(PAGES[1], lang=lang, **state)
        table = next(frame for frame in at.dataframe if "required_daily" in frame.value.columns)
        row = displayed(table)[table.value["unit_code"] == "B"].iloc[0]
        assert (row["required_daily"], row["pace_7d"]) == (words, words)


def test_the_sidebar_says_the_time_is_of_the_last_report_received(demo_store):
    con = sprint.connect(demo_store)
    received = sprint.upload_history(con, kinds=("counts",), outcome="committed", limit=1)["received_at"].iloc[0]
    con.close()
    captions = [caption.value.replace("\\", "") for caption in open_page(PAGES[0]).sidebar.caption]
    assert f":green[●] Trực tiếp · Báo cáo mới nhất nhận lúc {i18n.moment(received, 'vi')}" in captions
    assert not any("Cập nhật lúc" in caption for caption in captions)
    english = [caption.value.replace("\\", "") for caption in open_page(PAGES[0], lang="en").sidebar.caption]
    assert f":green[●] Live · Last report received {i18n.moment(received, 'en')}" in english


def test_an_ended_campaign_asks_no_one_to_add_and_shows_no_none(finished_store):
    """31/12 at P1's drill-down in P2 (F 92 of 100, L 45 of 40: P2 missed): the final result, no
    quota for a campaign that is over, and an empty chance written as –, never None."""
    state = {"provinces_parent": "P2", "provinces_metric": "voluntary_si"}
    at = open_page(PAGES[1], **state)
    assert not [s for s in at.subheader if "Phân bổ" in s.value]
    for frame in at.dataframe:
        assert "None" not in displayed(frame).to_string()
    board = open_page(PAGES[2], **{"leaderboard_level": "grassroots"})
    for frame in board.dataframe:
        assert "None" not in displayed(frame).to_string()


def test_a_rejected_preview_is_in_the_history_once(demo_store):
    at = open_page(PAGES[3])
    bad = (DATA / "bad" / "negative.csv").read_bytes().replace(b",A,", b",66-EAKAR,")
    at.file_uploader(key="upload_file").upload("bad.csv", bad, "text/csv").run()
    at.run()  # a rerun (a refresh, another widget) checks the file again
    con = sprint.connect(demo_store)
    uploads = con.execute("SELECT uploaded_by, outcome FROM uploads WHERE file_name = 'bad.csv'").fetchall()
    audited = con.execute("SELECT account, outcome FROM audit_log WHERE file_name = 'bad.csv'").fetchall()
    con.close()
    assert uploads == [("quantri", "rejected")] and audited == [("quantri", "rejected")]


def test_a_name_refused_for_its_length_is_not_repeated_whole(demo_store):
    long_name = "bao-cao-" + "x" * 230 + ".csv"
    at = open_page(PAGES[3])
    at.file_uploader(key="upload_file").upload(long_name, b"date,unit_code,metric,value\n", "text/csv").run()
    message = at.error[0].value
    assert "bị từ chối" in message and "x" * 130 not in message and "tên tệp dài 242 ký tự" in at.table[0].value.to_string()


def test_a_files_own_text_in_the_problems_table_is_shown_as_written(demo_store):
    """st.table reads its cells as Markdown: a cell or a column name of the file must not become a
    link or a colour there."""
    at = open_page(PAGES[3])
    bad = b"date,unit_code,metric,[evil](http://e.vn)\n2025-11-20,66-EAKAR,health,:red[**9**]\n"
    at.file_uploader(key="upload_file").upload("bad.csv", bad, "text/csv").run()
    cells = at.table[0].value.to_numpy().ravel().tolist()
    assert "[evil](http://e.vn)" not in " ".join(cells) and ":red[**9**]" not in cells
    assert plain_text("[evil](http://e.vn)") in " ".join(cells)


def plain_text(text: str) -> str:
    from pages import ui

    return ui.plain(text)


@pytest.fixture
def replica_store(demo_store_file, postgres_url, monkeypatch):
    """The demo store moved into PostgreSQL; the pages read a replica of it."""
    from sprint.postgres import migrate_store

    source = sprint.connect(demo_store_file)
    migrate_store(source, postgres_url)
    source.close()
    monkeypatch.setenv("SPRINT_DB", postgres_url)
    monkeypatch.setenv("SPRINT_INBOX", "off")
    return postgres_url


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_a_replica_of_postgresql(replica_store, page):
    at = open_page(page)
    assert at.title[0].value
    assert any(c.value.startswith(":green[●] Trực tiếp") for c in at.sidebar.caption)


def test_a_replica_cut_off_from_postgresql_says_so_and_keeps_its_figures(postgres, replica_store):
    at = open_page(PAGES[0])
    figures = [m.value for m in at.markdown]
    following = [r for r in sprint.store.REPLICAS.values() if r.url == replica_store and r.following]
    assert len(following) == 1  # the dashboard's replica
    postgres.stop()
    try:
        deadline = time.monotonic() + 30
        while following[0].reachable:
            assert time.monotonic() < deadline, "the replica did not notice"
            time.sleep(0.05)
        at.run()
        captions = [c.value for c in at.sidebar.caption]
        assert any(c.startswith(":orange[●] Mất kết nối với cơ sở dữ liệu trung tâm") for c in captions), captions
        assert [m.value for m in at.markdown] == figures
    finally:
        postgres.start()


def open_link(page: str, query: dict[str, str], account: str = "quantri") -> AppTest:
    """A link opened in a new browser: the page at its address, signed in."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["account_name"] = account
    at.session_state["signed_in_at"] = time.time()
    at.query_params = dict(query)
    if page != PAGES[0]:
        at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_a_link_opens_the_view_it_was_copied_from(demo_store):
    """The leaderboard of the health metric among Đắk Lắk's communes on 15/11, in English: every
    choice back from the address, and the address written back unchanged."""
    query = {"lang": "en", "as_of": "2025-11-15", "unit": "66-EAKAR", "metric": "health",
             "level": "grassroots_in", "parent": "66"}
    at = open_link(PAGES[2], query)
    assert (at.session_state["lang"], at.session_state["as_of"], at.session_state["my_unit"]) == (
        "en", date(2025, 11, 15), "66-EAKAR")
    assert [s.value for s in at.selectbox if s.key in ("board_metric", "board_level", "board_parent")] == [
        "health", "grassroots_in", "66"]
    assert at.query_params == query


def test_a_choice_goes_into_the_address(demo_store):
    at = open_link(PAGES[1], {})
    assert at.query_params["metric"] == "compulsory_si"  # the choice shown, even when it is the default
    assert "as_of" not in at.query_params  # the day not picked: the link follows the latest complete day
    at.selectbox(key="provinces_metric").set_value("health").run()
    at.date_input(key="as_of").set_value(date(2025, 11, 10)).run()
    assert at.query_params["metric"] == "health" and at.query_params["as_of"] == "2025-11-10"


def test_a_link_with_values_the_store_does_not_know_opens_on_the_defaults_and_says_so(demo_store):
    at = open_link(PAGES[0], {"unit": "99-NOWHERE", "as_of": "2031-01-01", "lang": "en"})
    assert at.session_state["my_unit"] is None and at.session_state["as_of_follows_default"]
    assert any("(as_of, unit)" in i.value.replace("\\", "") for i in at.info), [i.value for i in at.info]
    assert "unit" not in at.query_params


def test_every_page_offers_the_link_to_its_view(demo_store):
    for page in PAGES:
        at = open_link(page, {"lang": "en"})
        links = [c.value for c in at.sidebar.code]
        assert len(links) == 1 and links[0].startswith("http") and "lang=en" in links[0], (page, links)


def test_a_reader_makes_an_api_token_sees_it_once_and_revokes_it(demo_store):
    at = open_link(PAGES[0], {"lang": "en"}, account="eakar")
    at.text_input(key="token_name").input("my spreadsheet")
    at.button(key="token_create").click().run()
    shown = [c.value for c in at.sidebar.code if c.value.startswith("sprint_")]
    assert len(shown) == 1
    con = sprint.connect(demo_store)
    assert sprint.tokens.token_account(con, shown[0]).name == "eakar"
    listed = sprint.tokens.list_tokens(con, "eakar")
    con.close()
    assert listed["name"].tolist() == ["my spreadsheet"] and shown[0] not in listed.to_string()
    at.run()
    assert not [c.value for c in at.sidebar.code if c.value.startswith("sprint_")]  # shown once
    at.button(key=f"revoke_{listed['token_id'][0]}").click().run()
    con = sprint.connect(demo_store)
    assert sprint.tokens.token_account(con, shown[0]) is None
    con.close()


def test_a_link_to_a_tab_keeps_it_in_the_address(demo_store):
    """The audit page's tabs are bound to the address by Streamlit itself; the page's own choices
    are written beside that parameter without dropping it."""
    label = i18n.t("data_quality", "en")
    at = open_link(PAGES[5], {"lang": "en", "audit_tab": label, "kind": "sign_in"})
    assert at.query_params["audit_tab"] == label and at.query_params["kind"] == "sign_in"
    assert at.selectbox(key="audit_kind").value == "sign_in"


def test_progress_shows_a_year_earlier_social_insurance_all_the_groups_and_the_own_ceiling(demo_store):
    """Quảng Ninh's head on 30/09: social insurance, all 321.779, each figure against a
    year earlier, the dispatch's target groups, and its late-payment rate judged against its own
    2,10 % with the nation's 2,55 % beside it."""
    at = open_page(PAGES[0], my_unit="22", as_of=date(2025, 9, 30), as_of_follows_default=False)
    con = sprint.connect(demo_store)
    figures = sprint.progress(con, as_of=date(2025, 9, 30), unit="22").set_index("metric")
    con.close()
    shown = texts(at)
    assert "Tổng số tham gia BHXH" in shown and "Số người tham gia: 321.779" in shown
    row = figures.loc["compulsory_si"]
    assert (f"Cùng kỳ 30/09/2024: {i18n.number(row['value_year_before'], 'vi')} · "
            f"+{i18n.number(row['change_year'], 'vi')} (+{i18n.percent(row['change_year_pct'], 'vi')})") in shown
    assert "So với 31/12/2024: +16.500" in shown  # social insurance, all: seed 004
    assert "Cùng kỳ 30/09/2024: 6.139.000 · +952.000" in shown  # revenue against the same day
    assert "mức trần của đơn vị 2,10 %, của cả nước 2,55 %" in shown
    assert "Vượt giới hạn" in shown  # 2,39 % is over its own 2,10 %, though within the nation's
    assert "Nhóm đối tượng trọng tâm (Công văn 2440)" in shown
    groups = [frame.value for frame in at.dataframe if "target_group" in frame.value.columns]
    assert len(groups) == 2  # compulsory and health, four groups each
    assert "Dân quân thường trực" in groups[0]["target_group"].tolist() and len(groups[1]) == 4


def test_the_provinces_page_compares_on_a_target_group_and_never_ranks_one(demo_store):
    at = open_page(PAGES[1])
    metric = at.selectbox(key="provinces_metric")
    assert metric.options == ["BHXH bắt buộc", "BHXH tự nguyện", "Tổng số tham gia BHXH", "Bảo hiểm thất nghiệp",
                              "Bảo hiểm y tế", "Tổng thu"]  # no target group
    at.selectbox(key="provinces_metric").set_value("health").run()
    at.selectbox(key="provinces_group").set_value("health.students").run()
    assert not at.exception
    compared = [frame.value for frame in at.dataframe if "new_needed" in frame.value.columns]
    assert len(compared) == 1 and len(compared[0]) == 34


def test_an_administrator_loads_earlier_years_and_a_campaign_date_is_refused(demo_store):
    at = open_page(PAGES[4])
    at.file_uploader(key="reference_file").upload("2023.csv", b"date,unit_code,metric,value\n2023-12-31,66-EAKAR,health,120000\n",
                                                   "text/csv").run()
    at.button(key="reference_load").click().run()
    assert "2023.csv" in at.success[0].value
    at.file_uploader(key="reference_file").upload("late.csv", b"date,unit_code,metric,value\n2025-01-31,66-EAKAR,health,1\n",
                                                   "text/csv").run()
    at.button(key="reference_load").click().run()
    assert "bị từ chối" in at.error[0].value


def test_the_network_page_shows_thanh_hoa_s_network_and_its_boards(demo_store):
    """Seed 003's network, in Vietnamese numbers; the boards of points, staff and organisations."""
    at = open_page("pages/network.py", network_scope="38")
    shown = texts(at).replace("\\", "")
    summary = sprint.network_summary(sprint.connect(demo_store), as_of=date(2025, 11, 20), unit="38",
                                     metric="voluntary_si").iloc[0]
    assert "19 tổ chức dịch vụ thu · 1.109 điểm thu · 2.241 nhân viên thu" in shown
    assert f"## {i18n.number(summary.collected, 'vi')}" in shown
    assert i18n.percent(summary.share_pct, "vi") in shown and i18n.percent(summary.attainment_pct, "vi") in shown
    points = at.dataframe[0].value
    assert len(points) == 1_109 and points["rank"].iloc[0] == 1 and points["collector_code"].str.startswith("38-DT").all()
    at.segmented_control(key="network_kind").set_value("organisation").run()
    assert len(at.dataframe[0].value) == 19
    at.selectbox(key="network_grassroots").set_value("38-LUUVE").run()
    assert at.title[0].value.startswith("Mạng lưới thu của Lưu Vệ")


def test_a_unit_head_opens_the_network_of_their_unit_and_sends_its_report(demo_store):
    at = open_page("pages/network.py", account="eakar", my_unit="66-EAKAR")
    assert at.selectbox(key="network_scope").value == "66" and at.selectbox(key="network_grassroots").value == "66-EAKAR"
    con = sprint.connect(demo_store)
    mine = sprint.collectors(con, unit="66-EAKAR")
    other = sprint.collectors(con, unit="66").query("unit_code != '66-EAKAR' and kind == 'point'").iloc[0]
    con.close()
    at = open_page("pages/upload.py", account="eakar", my_unit="66-EAKAR")
    at.segmented_control(key="upload_kind").set_value("network").run()
    point = mine.query("kind == 'point'").iloc[0]
    report = (f"date,collector_code,metric,value\n2025-11-20,{point.collector_code},voluntary_si,999\n"
              f"2025-11-20,{other.collector_code},voluntary_si,5\n").encode()
    at.file_uploader[0].upload("mang-luoi.csv", report, "text/csv").run()
    assert at.table[0].value.iloc[0].tolist()[:3] == ["3", "collector\\_code", other.collector_code]
    own_row = b"".join(report.splitlines(keepends=True)[:2])  # the header and the head's own point
    at.file_uploader[0].upload("mang-luoi-2.csv", own_row, "text/csv").run()
    assert "Xem trước: 1 dòng" in texts(at)
    at.button(key="upload_commit").click().run()
    assert "Đã lưu mang-luoi-2.csv" in at.success[0].value
    con = sprint.connect(demo_store)
    assert con.execute("SELECT max_by(value, upload_id) FROM collector_reports WHERE collector_code = ? "
                       "AND date = '2025-11-20' AND metric = 'voluntary_si'", [point.collector_code]).fetchall() == [(999,)]


def test_an_administrator_loads_the_network_s_list(demo_store):
    at = open_page("pages/admin.py")
    roster = "collector_code,kind,name,unit_code,organisation\n38-DT9999,point,Điểm thu mới,38-LUUVE,38-TC01\n"
    at.file_uploader(key="network_file").upload("mang-luoi.csv", roster.encode(), "text/csv").run()
    at.button(key="network_load").click().run()
    assert "Đã nạp mang-luoi.csv: 1 dòng" in at.success[0].value.replace("\\", "")
    assert sprint.collectors(sprint.connect(demo_store), unit="38-LUUVE")["collector_code"].eq("38-DT9999").any()


def test_an_administrator_closes_a_phase_and_its_results_stay(demo_store):
    at = open_page("pages/results.py")
    assert at.selectbox(key="results_phase").value == 1  # the phase the figures have reached
    assert "tạm tính" in at.info[0].value
    provisional = at.dataframe[0].value
    at.button(key="results_close").click().run()
    assert "Đã chốt lúc" in at.success[0].value and not [b for b in at.button if b.key == "results_close"]
    con = sprint.connect(demo_store)
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-10-31,38-LUUVE,voluntary_si,1\n", name="fix.csv")
    con.close()
    at = open_page("pages/results.py")
    pd.testing.assert_frame_equal(at.dataframe[0].value, provisional)
    assert any("Số liệu sửa sau ngày chốt số (1)" in e.label for e in at.expander)
    at.segmented_control(key="results_level").set_value("grassroots").run()
    shown = texts(at).replace("\\", "")
    assert "**Cờ thi đua** (3):" in shown and "**Bằng khen** (2):" in shown


def test_a_unit_head_finds_their_unit_in_the_results(demo_store):
    at = open_page("pages/results.py", account="eakar", my_unit="66-EAKAR")
    at.segmented_control(key="results_level").set_value("grassroots").run()
    names = at.dataframe[0].value["unit_name"].tolist()
    assert "★ Ea Kar" in names and not [b for b in at.button if b.key == "results_close"]  # a head cannot close


def test_a_reader_subscribes_to_the_briefing_and_an_administrator_subscribes_accounts(demo_store):
    con = sprint.connect(demo_store)
    sprint.add_account(con, "eakar-mail", role="unit", unit="66-EAKAR", email="eakar@example.vn", password="mat-khau-dai")
    sprint.add_account(con, "lanhdao-mail", role="leader", email="lanhdao@example.vn", password="mat-khau-dai")
    con.close()
    at = open_page(PAGES[0], account="eakar-mail", my_unit="66-EAKAR")
    at.selectbox(key="subscribe_frequency").set_value("weekly").run()
    at.selectbox(key="subscribe_weekday").set_value(1).run()
    at.button(key="subscribe").click().run()
    assert "Bạn nhận bản tin của Ea Kar (66-EAKAR) hằng tuần (Thứ Hai) lúc 06:30 tại eakar@example.vn." in \
        texts(at).replace("\\", "")
    listed = sprint.subscriptions(sprint.connect(demo_store), account="eakar-mail")
    assert listed[["unit_code", "frequency", "weekday", "send_at"]].values.tolist() == [["66-EAKAR", "weekly", 1, "06:30"]]
    at = open_page("pages/audit.py")
    at.multiselect(key="subscribe_accounts").set_value(["lanhdao-mail"]).run()
    at.button(key="subscribe_many").click().run()
    assert sorted(sprint.subscriptions(sprint.connect(demo_store))["account"]) == ["eakar-mail", "lanhdao-mail"]


def test_the_late_payers_page_lists_quang_ninh_s_employers_and_their_publication(demo_store):
    at = open_page("pages/late_payers.py", late_payers_scope="22")
    shown = texts(at).replace("\\", "")
    assert at.title[0].value.startswith("Đơn vị nợ chậm đóng của Quảng Ninh")
    listed = at.dataframe[0].value
    assert listed["amount"].is_monotonic_decreasing and len(listed) > 400
    assert "### " + i18n.number(len(listed), "vi") + " đơn vị sử dụng lao động nợ" in shown
    published = at.dataframe[2].value
    assert list(published.columns) == ["employer_code", "employer_name", "amount", "months_late"]
    assert (published["months_late"] >= 3).all()


def test_the_bell_shows_a_head_their_new_alerts_with_links(demo_store):
    from datetime import datetime

    from sprint import alerts
    from sprint.store import VIETNAM

    con = sprint.connect(demo_store)
    alerts.raise_alerts(con, now=datetime(2025, 11, 21, 10, 30, tzinfo=VIETNAM))
    unit = alerts.alerts(con)["unit_code"].iloc[0]  # a head of a unit with an alert
    sprint.add_account(con, "truong-don-vi", role="unit", unit=unit, password="mat-khau-dai")
    mine = alerts.alerts(con, account="truong-don-vi")
    con.close()
    at = open_page(PAGES[0], account="truong-don-vi", my_unit=unit)
    def bell_label(at) -> str:
        [label] = [p.proto.popover.label for p in at.get("popover") if "Cảnh báo" in p.proto.popover.label]
        return label
    assert bell_label(at) == f"Cảnh báo ({len(mine)})" and len(mine)
    assert any(f"?scope={unit}&" in m.value for m in at.markdown)
    at.button(key="alerts_seen").click().run()
    assert bell_label(at) == "Cảnh báo"

"""Hostile files: each is refused by a named limit (sprint.limits) before the work it would cost,
changes nothing, and never stops the inbox for the files beside it."""
from __future__ import annotations

import io
import os
import sys
import threading
import time
import types
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import sprint
from conftest import DATA
from sprint import worker
from sprint.cli import cli
from sprint.inbox import LOG, PROCESSED, REJECTED, handoff, process_once, start_watcher
from sprint.ingest import reading
from sprint.limits import MAX_COLUMNS, MAX_FILE_BYTES, MAX_NAME_CHARS
from test_ingest import snapshot

sys.path.insert(0, str(DATA / "hostile"))
import make_corpus  # noqa: E402  (tests/data/hostile/make_corpus.py: the corpus is made, not committed)

HEADER = "date,unit_code,metric,value\n"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_corpus.make(tmp_path_factory.mktemp("hostile"))


@pytest.mark.parametrize("name", sorted(make_corpus.CORPUS))
def test_a_hostile_file_is_refused_by_its_limit_before_it_is_read(scenario_con, corpus, name):
    path, word = corpus[name]
    before = snapshot(scenario_con)
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.ingest(scenario_con, path)
    assert caught.value.count == 1 or all(p.code == "too_many_values" for p in caught.value.problems)
    assert word in str(caught.value) and "Traceback" not in str(caught.value)
    assert snapshot(scenario_con) == before
    # refused before the file was staged: the rejection in the history counts no row of it
    assert scenario_con.execute("SELECT outcome, rows FROM uploads ORDER BY upload_id DESC LIMIT 1").fetchone() \
        == ("rejected", 0)


def test_each_refusal_is_one_sentence_in_both_languages(scenario_con, corpus):
    for name, (path, _) in corpus.items():
        with pytest.raises(sprint.ValidationError) as caught:
            sprint.ingest(scenario_con, path)
        vietnamese = caught.value.problems[0].text("vi")
        assert vietnamese and vietnamese != caught.value.problems[0].text("en"), name


def test_a_file_one_byte_over_the_limit_is_refused_and_one_at_it_is_read(scenario_con):
    row = "2025-10-20,A,voluntary_si,120\n"  # the same line again and again is one report
    lines = (MAX_FILE_BYTES - len(HEADER)) // len(row)
    spaces = MAX_FILE_BYTES - len(HEADER) - lines * len(row)
    at_limit = (HEADER + row * (lines - 1) + row.replace(",120", "," + " " * spaces + "120")).encode()
    assert len(at_limit) == MAX_FILE_BYTES
    assert sprint.ingest(scenario_con, at_limit, name="full.csv").committed
    with pytest.raises(sprint.ValidationError, match="larger than 5 MB"):
        sprint.ingest(scenario_con, at_limit + b" ", name="over.csv")


def test_columns_up_to_the_limit_are_named_past_it_refused(scenario_con):
    names = ",".join(["date", "unit_code"] + [f"x{i}" for i in range(MAX_COLUMNS - 2)])
    with pytest.raises(sprint.ValidationError) as within:
        sprint.ingest(scenario_con, (names + "\n" + ",".join("1" * MAX_COLUMNS) + "\n").encode(), name="w.csv")
    assert "unknown column 'x0'" in str(within.value)
    with pytest.raises(sprint.ValidationError, match=f"more than {MAX_COLUMNS} columns"):
        sprint.ingest(scenario_con, (names + ",x\n" + ",".join("1" * (MAX_COLUMNS + 1)) + "\n").encode(), name="w.csv")


def test_quoted_rows_with_too_many_values_are_named_by_line(scenario_con):
    text = HEADER + '2025-10-20,A,voluntary_si,"1,234"\n2025-10-20,B,voluntary_si,1,2,3\n'
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.ingest(scenario_con, text.encode(), name="q.csv")
    assert [(p.line, p.code) for p in caught.value.problems] == [(3, "too_many_values")]


@pytest.mark.parametrize("name, word", [("a" * (MAX_NAME_CHARS - 4) + ".csv", None),
                                        ("a" * (MAX_NAME_CHARS - 3) + ".csv", "characters long"),
                                        ("day\n2025-01-01 taken evil.csv", "line break"),
                                        ("tab\there.csv", "line break")])
def test_a_file_name_is_short_and_plain(scenario_con, name, word):
    data = (HEADER + "2025-10-20,A,voluntary_si,120\n").encode()
    if word is None:
        assert sprint.ingest(scenario_con, data, name=name).committed
        return
    with pytest.raises(sprint.ValidationError, match=word) as caught:
        sprint.ingest(scenario_con, data, name=name)
    assert "\n" not in caught.value.file and len(caught.value.file) <= MAX_NAME_CHARS


def test_a_check_that_runs_past_the_time_limit_is_stopped(con, monkeypatch):
    monkeypatch.setattr(reading, "MAX_SECONDS", 0.3)
    cur = con.cursor()
    with pytest.raises(sprint.ValidationError, match="took longer than 0.3 seconds"):
        with reading._time_limited(cur, "slow.csv"):
            cur.execute("SELECT count(*) FROM range(1000000000000) a WHERE a.range % 7 = 3").fetchall()
    assert cur.execute("SELECT 42").fetchall() == [(42,)]  # the cursor works on


def workbook_bytes(rows, formula: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if formula:
        sheet["D3"] = formula
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_workbook_without_formulas_is_parsed_once(monkeypatch):
    loads = []
    real = openpyxl.load_workbook
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: loads.append(k) or real(*a, **k))
    rows = [["date", "unit_code", "metric", "value"], ["2025-10-20", "A", "voluntary_si", 120]]
    assert len(reading._excel_rows(workbook_bytes(rows), "day.xlsx")) == 2
    assert [k["data_only"] for k in loads] == [True]
    loads.clear()
    with pytest.raises(sprint.ValidationError, match="formula Excel has not calculated"):
        reading._excel_rows(workbook_bytes(rows + [["2025-10-21", "A", "voluntary_si"]], "=1+1"), "f.xlsx")
    assert [k["data_only"] for k in loads] == [True, False]


def test_a_sheet_that_claims_every_column_is_read_as_wide_as_its_data(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["date", "unit_code", "metric", "value"])
    sheet.append(["2025-10-20", "A", "voluntary_si", 120])
    sheet.cell(row=1, column=MAX_COLUMNS + 1, value="far")
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(sprint.ValidationError, match=f"more than {MAX_COLUMNS} columns"):
        reading._excel_rows(buffer.getvalue(), "far.xlsx")


def test_the_worker_is_stopped_past_its_time_and_serves_the_next_file():
    with pytest.raises(worker.WorkerTimeout):
        worker.run(time.sleep, 60, timeout=0.5)
    assert worker.run(sum, [1, 2, 3]) == 6


def test_the_worker_cannot_take_more_memory_than_its_ceiling():
    with pytest.raises(worker.WorkerFailed):
        worker.run(bytearray, 4 * 1024 ** 3)
    assert worker.run(len, "ok") == 2


def test_the_worker_starts_while_streamlit_runs_a_page_as_main(tmp_path, monkeypatch):
    """During a page's run Streamlit's __main__ is the page script: a worker that imported the
    main module again (multiprocessing's spawn) would run the page in the worker."""
    page = tmp_path / "page.py"
    ran = tmp_path / "ran"
    page.write_text(f"open({str(ran)!r}, 'w').close()\nraise SystemExit(3)\n")
    as_streamlit = types.ModuleType("__main__")
    as_streamlit.__file__ = str(page)
    worker._stop()  # the next call starts a new worker
    monkeypatch.setitem(sys.modules, "__main__", as_streamlit)
    assert worker.run(sum, [4, 5]) == 9
    assert not ran.exists()


def test_a_workbook_refused_in_the_worker_comes_back_as_its_problems(scenario_con):
    with pytest.raises(sprint.ValidationError) as caught:
        sprint.ingest(scenario_con, b"PK\x03\x04 not a zip", name="broken.xlsx")
    assert [(p.file, p.line, p.code) for p in caught.value.problems] == [("broken.xlsx", 1, "excel_unreadable")]


# ---------------------------------------------------------------- the inbox

def aged(path: Path, text: str) -> Path:
    path.write_bytes(text.encode())
    stamp = time.time() - 10
    os.utime(path, (stamp, stamp))
    return path


def test_a_name_too_long_to_claim_stops_no_other_file(scenario_con, tmp_path):
    long_name = "b" * 244 + ".csv"  # 248 bytes: '.' + name + '.taking' is over the file system's 255
    aged(tmp_path / long_name, HEADER + "2025-10-20,A,voluntary_si,120\n")
    aged(tmp_path / "day.csv", HEADER + "2025-10-21,A,voluntary_si,121\n")
    outcomes = {o.file: o for o in process_once(scenario_con, tmp_path, settle=1)}
    assert outcomes["day.csv"].committed
    assert not outcomes[long_name].committed and "characters long" in outcomes[long_name].message
    rejected = [p.name for p in (tmp_path / REJECTED).iterdir()]
    assert len(rejected) == 2 and all(len(name.encode()) < 255 for name in rejected)
    assert scenario_con.execute("SELECT count(*) FROM counts WHERE date = '2025-10-20'").fetchall() == [(0,)]


def test_a_name_with_a_line_break_cannot_forge_a_log_line(scenario_con, tmp_path):
    forged = "x.csv\n2026-12-06T08:00:00+07:00 taken all.csv: committed (1 row).csv"
    aged(tmp_path / forged, HEADER + "2025-10-20,A,voluntary_si,120\n")
    [outcome] = process_once(scenario_con, tmp_path, settle=1)
    assert not outcome.committed and "line break" in outcome.message
    log = (tmp_path / LOG).read_text(encoding="utf-8").splitlines()
    assert len(log) == 1 and log[0].split(" ", 1)[1].startswith("rejected x.csv?2026")
    assert ["\n" in p.name for p in (tmp_path / REJECTED).iterdir()] == [False, False]


def test_a_name_that_is_not_utf8_is_refused_and_logged(scenario_con, tmp_path):
    raw = os.fsencode(tmp_path) + b"/caf\xe9.csv"
    with open(raw, "wb") as handle:
        handle.write((HEADER + "2025-10-20,A,voluntary_si,120\n").encode())
    os.utime(raw, (time.time() - 10,) * 2)
    [outcome] = process_once(scenario_con, tmp_path, settle=1)
    assert not outcome.committed and "hidden character" in outcome.message
    assert "rejected caf?.csv" in (tmp_path / LOG).read_text(encoding="utf-8")


def test_a_hand_off_never_puts_back_the_file_the_watcher_is_taking(scenario_con, tmp_path, monkeypatch):
    """The watcher has claimed a file and is checking it; a command line hands over another file
    meanwhile. The claimed file must stay claimed: put back, it would be taken twice."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    aged(inbox / "first.csv", HEADER + "2025-10-20,A,voluntary_si,120\n")
    second = tmp_path / "second.csv"
    second.write_text(HEADER + "2025-10-21,A,voluntary_si,121\n")
    checking, handed = threading.Event(), threading.Event()
    real_ingest = sprint.inbox.ingest

    def slow_ingest(con, path, **kwargs):
        if kwargs["name"] == "first.csv":
            checking.set()
            assert handed.wait(30)
        return real_ingest(con, path, **kwargs)

    monkeypatch.setattr(sprint.inbox, "ingest", slow_ingest)
    stop = start_watcher(scenario_con, inbox, interval=0.05, settle=0.05)
    try:
        assert checking.wait(30)
        sender = threading.Thread(target=lambda: handoff(second, inbox, timeout=30))
        sender.start()
        deadline = time.time() + 30
        while not list(inbox.glob("cli-*second.csv")) and not list((inbox / PROCESSED).glob("cli-*")) \
                and time.time() < deadline:
            time.sleep(0.02)
        assert not (inbox / "first.csv").exists()  # still claimed
        handed.set()
        sender.join(60)
    finally:
        stop.set()
    taken = scenario_con.execute("SELECT file_name FROM uploads WHERE outcome = 'committed' AND kind = 'counts' "
                                 "AND file_name IN ('first.csv', 'second.csv') ORDER BY file_name").fetchall()
    assert taken == [("first.csv",), ("second.csv",)]


@pytest.mark.parametrize("as_name", ["eakar/..", "../../outside", "@x", "a/b"])
def test_the_command_line_hands_over_only_as_an_account_name(tmp_path, monkeypatch, as_name):
    """--as names an account: never a path out of its inbox folder, and never the inbox itself."""
    def busy(db):
        raise sprint.errors.StoreBusyError("held by the dashboard")

    monkeypatch.setattr(sprint.cli, "_open", busy)
    file = tmp_path / "day.csv"
    file.write_text(HEADER + "2025-10-20,A,voluntary_si,120\n")
    store = tmp_path / "data" / "sprint.duckdb"
    store.parent.mkdir()
    result = CliRunner().invoke(cli, ["ingest", str(file), "--as", as_name, "--db", str(store)])
    assert result.exit_code == 1 and "There is no account" in result.output
    assert not (tmp_path / "data" / "inbox").exists() and not (tmp_path / "outside").exists()

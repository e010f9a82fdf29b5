"""The inbox watcher: every dropped file ends in exactly one of processed/ or rejected/, once."""
from __future__ import annotations

import os
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

import sprint
from sprint.inbox import PROCESSED, REJECTED, handoff, pending, process_once, start_watcher

HEADER = "date,unit_code,metric,value\n"


def day_file(folder: Path, day: date, value: int, name: str | None = None) -> Path:
    path = folder / (name or f"{day.isoformat()}.csv")
    path.write_text(HEADER + f"{day.isoformat()},A,voluntary_si,{value}\n{day.isoformat()},B,voluntary_si,{value + 1}\n")
    return path


def age(path: Path, seconds: float = 10) -> None:
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_good_and_bad_files_end_in_their_folders(scenario_con, tmp_path):
    good = day_file(tmp_path, date(2025, 10, 20), 130)
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "2025-10-20,A,voluntary_si,-1\n")
    ignored = tmp_path / "notes.txt"
    ignored.write_text("not a report")
    for path in (good, bad, ignored):
        age(path)
    outcomes = process_once(scenario_con, tmp_path, settle=1)
    assert sorted((o.file, o.committed) for o in outcomes) == [("2025-10-20.csv", True), ("bad.csv", False)]
    assert listing(tmp_path / PROCESSED) == {"2025-10-20.csv"}
    assert listing(tmp_path / REJECTED) == {"bad.csv", "bad.csv.errors.txt"}
    reason = (tmp_path / REJECTED / "bad.csv.errors.txt").read_text()
    assert "bad.csv, line 2, column value: a count cannot be negative" in reason
    assert ignored.exists()
    assert "taken 2025-10-20.csv" in (tmp_path / "inbox.log").read_text()


def test_a_file_still_being_written_is_not_taken(scenario_con, tmp_path):
    path = tmp_path / "slow.csv"
    with open(path, "w") as handle:
        handle.write(HEADER + "2025-10-20,A,voluntary_si,")
        handle.flush()
        assert pending(tmp_path, settle=1) == []
        assert process_once(scenario_con, tmp_path, settle=1) == []
        handle.write("130\n")
    age(path)
    assert [o.committed for o in process_once(scenario_con, tmp_path, settle=1)] == [True]


def test_part_files_and_hidden_files_wait_for_their_rename(scenario_con, tmp_path):
    part = tmp_path / ".day.csv.part"
    part.write_text(HEADER + "2025-10-20,A,voluntary_si,130\n")
    age(part)
    assert process_once(scenario_con, tmp_path, settle=0) == []
    part.rename(tmp_path / "day.csv")
    assert [o.file for o in process_once(scenario_con, tmp_path, settle=0)] == ["day.csv"]


def test_many_files_at_once_each_taken_once(scenario_con, tmp_path):
    days = [date(2025, 10, 18) + timedelta(days=i) for i in range(12)]
    writers = [threading.Thread(target=day_file, args=(tmp_path, day, 120 + i)) for i, day in enumerate(days)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    stop = start_watcher(scenario_con, tmp_path, interval=0.1, settle=0.2)
    try:
        deadline = time.time() + 30
        while len(listing(tmp_path / PROCESSED)) < len(days) and time.time() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
    assert listing(tmp_path / PROCESSED) == {f"{d.isoformat()}.csv" for d in days}
    taken = scenario_con.execute("SELECT count(*) FROM uploads WHERE file_name LIKE '2025-%.csv'").fetchall()[0][0]
    assert taken == len(days)
    assert scenario_con.execute("SELECT value FROM counts WHERE unit_code = 'A' AND date = '2025-10-29'").fetchall() == [(131,)]


def test_a_restart_between_commit_and_move_takes_nothing_twice(scenario_con, tmp_path):
    path = day_file(tmp_path, date(2025, 10, 20), 130)
    sprint.ingest(scenario_con, path)  # committed, then the watcher "died" before moving it
    age(path)
    before = scenario_con.execute("SELECT count(*) FROM upload_rows").fetchall()
    outcomes = process_once(scenario_con, tmp_path, settle=1)
    assert outcomes[0].committed and "already taken" in outcomes[0].message
    assert listing(tmp_path / PROCESSED) == {"2025-10-20.csv"}
    assert scenario_con.execute("SELECT count(*) FROM upload_rows").fetchall() == before


def test_a_watcher_restarted_in_the_middle_loses_nothing(tmp_store, tmp_path):
    from conftest import fresh_store, load_scenario

    con = load_scenario(fresh_store(tmp_store))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = [day_file(inbox, date(2025, 10, 20) + timedelta(days=i), 200 + i) for i in range(3)]
    for path in first:
        age(path)
    process_once(con, inbox, settle=1)
    con.close()  # the watcher stops; more files arrive meanwhile
    later = [day_file(inbox, date(2025, 10, 23) + timedelta(days=i), 300 + i) for i in range(3)]
    for path in later:
        age(path)
    con = sprint.connect(tmp_store)
    process_once(con, inbox, settle=1)
    assert len(listing(inbox / PROCESSED)) == 6 and not list(inbox.glob("*.csv"))
    stored = con.execute("SELECT count(DISTINCT date) FROM counts WHERE date >= '2025-10-20'").fetchall()[0][0]
    assert stored == 6


def test_handoff_waits_for_the_owner_verdict(scenario_con, tmp_path):
    inbox = tmp_path / "inbox"
    stop = start_watcher(scenario_con, inbox, interval=0.1, settle=0.1)
    try:
        good = handoff(day_file(tmp_path, date(2025, 10, 20), 130), inbox, timeout=20)
        bad_file = tmp_path / "bad.csv"
        bad_file.write_text(HEADER + "2025-10-20,ZZ,voluntary_si,1\n")
        bad = handoff(bad_file, inbox, timeout=20)
    finally:
        stop.set()
    assert good.committed
    assert not bad.committed and "bad.csv, line 2, column unit_code: unknown unit code" in bad.message


def test_handoff_without_an_owner_withdraws_the_file(scenario_con, tmp_path):
    """Told "nothing was saved", the sender is right: the file is gone from the queue, and a
    watcher started later does not take it over a correction sent since."""
    inbox = tmp_path / "inbox"
    with pytest.raises(sprint.SprintError, match="it was withdrawn: nothing of it was saved"):
        handoff(day_file(tmp_path, date(2025, 10, 20), 999), inbox, timeout=0.5)
    sprint.ingest(scenario_con, day_file(tmp_path, date(2025, 10, 20), 130, name="correction.csv"))
    assert process_once(scenario_con, inbox, settle=0) == []
    assert not [p for p in inbox.iterdir() if p.is_file() and p.name != "inbox.log"]
    value = scenario_con.execute("SELECT value FROM counts WHERE unit_code = 'A' AND date = '2025-10-20'").fetchall()
    assert value == [(130,)]


def test_a_file_claimed_by_a_watcher_that_died_is_taken_on_restart(scenario_con, tmp_path):
    path = day_file(tmp_path, date(2025, 10, 20), 130)
    os.rename(path, tmp_path / f".{path.name}.taking")  # claimed, then kill -9 before the commit
    outcomes = process_once(scenario_con, tmp_path, settle=0)
    assert [o.committed for o in outcomes] == [True]
    assert listing(tmp_path / PROCESSED) == {"2025-10-20.csv"}


def test_a_withdrawn_file_is_not_taken(scenario_con, tmp_path):
    """The race: the sender withdraws between the watcher's listing and its claim."""
    from sprint.inbox import take

    path = day_file(tmp_path, date(2025, 10, 20), 130)
    os.rename(path, tmp_path / f".{path.name}.withdrawn")
    assert take(scenario_con, path) is None
    assert scenario_con.execute("SELECT count(*) FROM counts WHERE date = '2025-10-20'").fetchall() == [(0,)]


def test_writers_and_readers_together_equal_the_serial_result(tmp_store):
    """Several threads upload while others read: the final figures equal a serial ingest,
    and no reader ever sees half of a file (each file adds both of its rows or neither)."""
    from conftest import fresh_store, load_scenario

    files = {}
    for i in range(16):
        day = date(2025, 10, 20) + timedelta(days=i % 8)
        files[f"f{i}.csv"] = (HEADER + f"{day.isoformat()},A,voluntary_si,{300 + i}\n"
                              f"{day.isoformat()},B,voluntary_si,{300 + i}\n").encode()
    con = load_scenario(fresh_store(tmp_store))
    torn, errors = [], []
    done = threading.Event()

    def reader():
        cursor = con.cursor()
        while not done.is_set():
            rows = cursor.execute("SELECT date, unit_code, value FROM counts WHERE date >= '2025-10-20'").df()
            pairs = rows.pivot_table(index="date", columns="unit_code", values="value")
            if not pairs.empty and set(pairs.columns) == {"A", "B"} and (pairs["A"] != pairs["B"]).any():
                torn.append(pairs)
            sprint.progress(cursor, as_of=date(2025, 10, 27))

    def writer(names):
        cursor = con.cursor()
        for name in names:
            try:
                sprint.ingest(cursor, files[name], name=name)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    names = list(files)
    readers = [threading.Thread(target=reader) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(names[i::4],)) for i in range(4)]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    for thread in readers:
        thread.join()
    assert errors == [] and torn == []
    concurrent = sprint.progress(con, as_of=date(2025, 10, 27))
    history = con.execute("SELECT file_name FROM uploads WHERE kind = 'counts' ORDER BY upload_id").fetchall()
    serial = load_scenario(fresh_store())
    for (name,) in history:
        if name in files:
            sprint.ingest(serial, files[name], name=name)
    pd.testing.assert_frame_equal(concurrent, sprint.progress(serial, as_of=date(2025, 10, 27)))
    assert len([h for h in history if h[0] in files]) == 16


def test_a_link_in_the_inbox_is_refused_without_reading_its_target(scenario_con, tmp_path):
    outside = day_file(tmp_path, date(2025, 10, 20), 130, name="outside.csv")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "link.csv").symlink_to(outside)
    stamp = time.time() - 10
    os.utime(inbox / "link.csv", (stamp, stamp), follow_symlinks=False)
    outcomes = process_once(scenario_con, inbox, settle=1)
    assert [o.committed for o in outcomes] == [False] and "is a link to another file" in outcomes[0].message
    assert (inbox / REJECTED / "link.csv").is_symlink() and outside.exists()
    assert scenario_con.execute("SELECT count(*) FROM counts WHERE date = '2025-10-20'").fetchall() == [(0,)]

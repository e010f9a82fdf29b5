"""Faults: a full disk, a read-only inbox, kill -9 during ingest and during the watcher, a second
process. (Writers at once inside one process: tests/test_inbox.py.)

Each test asserts that the store opens afterwards, holds all or nothing of each file, and that
no file is taken twice or after its sender was told it failed. The full disk is a real one (a 16 MB
tmpfs) where this machine lets the tests mount it, else DuckDB's own commit error raised by
a stand-in for the commit; the read-only inbox likewise (a read-only tmpfs, else a refused mkdir).
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

import sprint
import sprint.store
from conftest import fresh_store, load_scenario
from sprint.cli import cli
from sprint.inbox import PROCESSED, REJECTED, process_once

ROOT = Path(__file__).resolve().parents[2]
HEADER = "date,unit_code,metric,value\n"


def mount(folder: Path, options: str) -> bool:
    """Mount a tmpfs on folder if this machine allows it (root, with the mount command)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    except FileNotFoundError:
        return False
    return done.returncode == 0


def unmount(folder: Path) -> None:
    try:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
    except FileNotFoundError:
        pass


class FullDisk:
    """A disk that can be filled and freed: a real tmpfs, or a commit that fails as DuckDB's does."""

    def __init__(self, folder: Path, monkeypatch):
        self.folder, self.monkeypatch = folder, monkeypatch
        self.real = mount(folder, "size=16m")
        self.filler = folder / "filler"

    def fill(self) -> None:
        if not self.real:
            def refused(con):
                raise duckdb.TransactionException(
                    'TransactionContext Error: Failed to commit: Could not write file "sprint.duckdb.wal": '
                    "No space left on device")
            self.monkeypatch.setattr(sprint.store, "commit", refused)
            return
        descriptor = os.open(self.filler, os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(descriptor, b"\0" * 65536)
        except OSError:
            pass
        finally:
            os.close(descriptor)

    def free(self) -> None:
        if self.real:
            self.filler.unlink(missing_ok=True)
        else:
            self.monkeypatch.undo()

    def close(self) -> None:
        if self.real:
            unmount(self.folder)


@pytest.fixture
def full_disk(tmp_path, monkeypatch):
    disk = FullDisk(tmp_path / "disk", monkeypatch)
    yield disk
    disk.close()


def scenario_store(path: Path):
    return load_scenario(fresh_store(path))


def day_csv(folder: Path, name: str, value: int, day: str = "2025-10-20") -> Path:
    path = folder / name
    path.write_text(HEADER + f"{day},A,voluntary_si,{value}\n{day},B,voluntary_si,{value + 1}\n")
    return path


def weeks_csv(folder: Path, name: str, offset: int) -> Path:
    """13 days x 2 units x 5 metrics: more than a full disk's last free blocks take."""
    path = folder / name
    path.write_text(HEADER + "".join(
        f"2025-10-{d:02d},{unit},{metric},{d * 7 + offset}\n" for d in range(18, 31) for unit in "AB"
        for metric in ("voluntary_si", "health", "compulsory_si", "unemployment", "revenue")))
    return path


def test_a_full_disk_refuses_the_file_in_one_sentence_and_the_store_writes_again(full_disk, tmp_path):
    store = full_disk.folder / "sprint.duckdb"
    scenario_store(store).close()
    day = weeks_csv(tmp_path, "day.csv", 1000)
    runner = CliRunner()
    full_disk.fill()
    refused = runner.invoke(cli, ["ingest", str(day), "--db", str(store)])
    full_disk.free()
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "could not save the change" in refused.output and "Nothing of it was kept" in refused.output
    con = sprint.connect(store)
    assert con.execute("SELECT count(*) FROM counts WHERE date = '2025-10-20'").fetchall() == [(0,)]
    con.close()
    taken = runner.invoke(cli, ["ingest", str(day), "--db", str(store)])
    assert taken.exit_code == 0, taken.output
    assert "committed (130 rows" in taken.output


def test_the_watcher_survives_a_full_disk_and_takes_the_files_afterwards(full_disk, tmp_path):
    store = full_disk.folder / "sprint.duckdb"
    con = scenario_store(store)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    full_disk.fill()
    weeks_csv(inbox, "during.csv", 1000)
    with pytest.raises(sprint.StoreError, match="could not save the change"):
        process_once(con, inbox, settle=0)  # the watcher logs this and looks again later
    # the store refused: the file waits in the inbox, not in rejected/
    assert (inbox / "during.csv").exists() and not list((inbox / REJECTED).iterdir())
    full_disk.free()
    weeks_csv(inbox, "after.csv", 1001)
    outcomes = process_once(con, inbox, settle=0)
    assert sorted(o.file for o in outcomes if o.committed) == ["after.csv", "during.csv"]
    assert {p.name for p in (inbox / PROCESSED).iterdir()} == {"during.csv", "after.csv"}
    con.close()


def test_a_read_only_inbox_is_one_sentence(tmp_path, tmp_store, monkeypatch):
    scenario_store(tmp_store).close()
    inbox = tmp_path / "inbox"
    if not mount(inbox, "ro,size=1m"):
        def refused(self, *args, **kwargs):
            raise PermissionError(30, "Read-only file system", str(self))
        monkeypatch.setattr(Path, "mkdir", refused)
    try:
        result = CliRunner().invoke(cli, ["watch", str(inbox), "--once", "--db", str(tmp_store)])
    finally:
        unmount(inbox)
    assert result.exit_code == 1
    assert "cannot be used: Read-only file system." in result.output and "Traceback" not in result.output


def run_cli(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sprint", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# the rows big.csv brought, and how many times it was committed
OF_BIG_CSV = """
SELECT (SELECT count(*) FROM upload_rows JOIN uploads USING (upload_id) WHERE file_name = 'big.csv'),
       (SELECT count(*) FROM uploads WHERE file_name = 'big.csv' AND outcome = 'committed')
"""


@pytest.mark.parametrize("seed", range(6))
def test_kill_9_during_ingest_keeps_all_or_nothing_of_the_file(tmp_path, seed):
    store = tmp_path / "sprint.duckdb"
    scenario_store(store).close()
    rows = "".join(f"2025-{m:02d}-{d:02d},{u},{metric},{m * d}\n" for m in range(1, 10) for d in range(1, 29)
                   for u in "ABFL" for metric in ("voluntary_si", "health", "compulsory_si", "unemployment"))
    big = tmp_path / "big.csv"
    big.write_text(HEADER + rows)
    expected = len(rows.splitlines())
    ingest = run_cli("ingest", str(big), "--db", str(store))
    time.sleep(random.Random(seed).uniform(0.3, 2.0))  # a random point in the command's life
    ingest.send_signal(signal.SIGKILL)
    ingest.wait()
    con = sprint.connect(store)  # the store opens
    stored, committed = con.execute(OF_BIG_CSV).fetchall()[0]
    assert (stored, committed) in ((0, 0), (expected, 1))  # all of the file, or none of it
    con.close()
    again = subprocess.run([sys.executable, "-m", "sprint", "ingest", str(big), "--db", str(store)],
                           cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    con = sprint.connect(store)
    assert con.execute(OF_BIG_CSV).fetchall() == [(expected, 1)]
    con.close()


@pytest.mark.parametrize("seed", range(3))
def test_kill_9_during_the_watcher_takes_every_file_once(tmp_path, seed):
    store = tmp_path / "sprint.duckdb"
    scenario_store(store).close()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    days = [f"2025-10-{d:02d}" for d in range(18, 31)]
    for index, day in enumerate(days):
        day_csv(inbox, f"{day}.csv", 100 + index, day=day)
    watcher = run_cli("watch", str(inbox), "--db", str(store), "--interval", "0.05", "--settle", "0")
    time.sleep(random.Random(seed).uniform(1.0, 3.0))
    watcher.send_signal(signal.SIGKILL)
    watcher.wait()
    restart = subprocess.run([sys.executable, "-m", "sprint", "watch", str(inbox), "--once", "--settle", "0",
                              "--db", str(store)], cwd=ROOT, capture_output=True, text=True)
    assert restart.returncode == 0, restart.stderr
    assert sorted(p.name for p in (inbox / PROCESSED).iterdir()) == [f"{day}.csv" for day in days]
    assert not [p for p in inbox.iterdir() if p.is_file() and p.name != "inbox.log"]  # nothing left, nothing claimed
    con = sprint.connect(store)
    taken = con.execute("""SELECT file_name, count(*) FROM uploads
                           WHERE outcome = 'committed' AND file_name LIKE '2025-10-__.csv' GROUP BY ALL""").fetchall()
    assert sorted(taken) == [(f"{day}.csv", 1) for day in days]  # each file once
    stored = con.execute("""SELECT count(*) FROM upload_rows h JOIN uploads u USING (upload_id)
                            WHERE u.file_name LIKE '2025-10-__.csv'""").fetchall()
    assert stored == [(2 * len(days),)]  # each file whole
    con.close()


def test_a_second_process_is_told_the_store_is_in_use(tmp_store):
    scenario_store(tmp_store).close()
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(60)", str(tmp_store)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        holder.stdout.close()
        reading = subprocess.run([sys.executable, "-m", "sprint", "progress", "--as-of", "2025-10-17",
                                  "--db", str(tmp_store)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert reading.returncode == 1 and "is in use by another program" in reading.stderr
    assert "Traceback" not in reading.stderr

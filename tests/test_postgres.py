"""PostgreSQL as the system of record: replicas in one process and in several, the command line,
migration, and faults (kill -9 of a writer, a restart of PostgreSQL). The engine's own tests run
on both stores through the `con` fixture (conftest.py)."""
from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import sprint
from conftest import fresh_store, load_scenario
from sprint import accounts
from sprint.cli import cli
from sprint.store import replica_of

ROOT = Path(__file__).resolve().parent.parent
FIRST_DAY = date(2025, 10, 20)


def until(condition, *, within: float = 10.0, what: str = "the condition"):
    """Wait for `condition()` to hold (a busy machine is slow, never wrong); its last value."""
    deadline = time.monotonic() + within
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {within} s")
        time.sleep(0.05)
    return value


def counts_of(con) -> list[tuple]:
    return con.execute("SELECT date, unit_code, metric, value, valid_until FROM counts ORDER BY ALL").fetchall()


def day_file(folder: Path, day: date, unit: str, value: int, tag: str = "") -> Path:
    path = folder / f"{unit}-{day}{tag}.csv"
    path.write_text(f"date,unit_code,metric,value\n{day},{unit},voluntary_si,{value}\n")
    return path


@pytest.fixture
def scenario_url(postgres_url):
    load_scenario(fresh_store(postgres_url))
    return postgres_url


def test_a_replica_equals_the_embedded_store_it_was_written_like(scenario_url):
    """The same files through PostgreSQL and into a file give the same counts, spans, history,
    uploads and figures, on a replica loaded afterwards too."""
    embedded = load_scenario(fresh_store())
    replica = sprint.connect(scenario_url)
    assert counts_of(replica) == counts_of(embedded)
    for table in ("count_history", "upload_rows"):
        query = f"SELECT upload_id, date, unit_code, metric, value FROM {table} ORDER BY ALL"
        assert len(replica.execute(query).fetchall()) == len(embedded.execute(query).fetchall()) > 0
    pd.testing.assert_frame_equal(sprint.progress(replica, as_of=date(2025, 10, 17)),
                                  sprint.progress(embedded, as_of=date(2025, 10, 17)))


def test_a_report_on_one_replica_reaches_another_within_seconds(scenario_url, tmp_path):
    writer, reader = sprint.connect(scenario_url), sprint.connect(scenario_url)
    replica_of(reader).follow()
    before = sprint.data_version(reader, unit="P1")
    result = sprint.ingest(writer, day_file(tmp_path, FIRST_DAY, "A", 140))
    until(lambda: reader.execute("SELECT value FROM counts WHERE date = ? AND unit_code = 'A'",
                                 [FIRST_DAY]).fetchall() == [(140,)], what="the report on the other replica")
    assert counts_of(reader) == counts_of(writer)
    assert sprint.data_version(reader, unit="P1") > before  # its pages' caches see the change
    assert reader.execute("SELECT upload_id FROM uploads WHERE upload_id = ?", [result.upload_id]).fetchall()


def test_a_sign_in_on_one_replica_holds_on_another(scenario_url):
    first, second = sprint.connect(scenario_url), sprint.connect(scenario_url)
    accounts.add_account(first, "head-p1", role="unit", unit="P1", password="head-password")
    token = accounts.open_session(first, "head-p1", hours=1)
    assert accounts.session_account(second, token).name == "head-p1"  # not followed: looked up on a miss
    accounts.close_session(second, token)
    replica_of(first).catch_up()
    assert accounts.session_account(first, token) is None


def test_the_later_report_wins_and_the_earlier_is_kept_whichever_replica_took_each(scenario_url, tmp_path):
    first, second = sprint.connect(scenario_url), sprint.connect(scenario_url)
    sprint.ingest(first, day_file(tmp_path, FIRST_DAY, "B", 70, "-a"))
    sprint.ingest(second, day_file(tmp_path, FIRST_DAY, "B", 75, "-b"))  # second catches up before it writes
    replica_of(first).catch_up()
    for con in (first, second):
        assert con.execute("SELECT value FROM counts WHERE date = ? AND unit_code = 'B'", [FIRST_DAY]).fetchall() == [(75,)]
        assert con.execute("SELECT value FROM count_history WHERE date = ? AND unit_code = 'B'",
                           [FIRST_DAY]).fetchall() == [(70,)]


WRITER = """
import sys
import sprint
con = sprint.connect(sys.argv[1])
for name in sys.argv[2:]:
    sprint.ingest(con, name)
"""


def test_writers_in_several_processes_lose_nothing_and_take_nothing_twice(scenario_url, tmp_path):
    """Four processes send 40 files at once, every file twice (two of them send the same files):
    each file is taken once, every value is there, the history holds each earlier value."""
    units, days = ("A", "B", "F", "L"), [FIRST_DAY + timedelta(days=i) for i in range(5)]
    files = [day_file(tmp_path, day, unit, 200 + 10 * i + j, "") for i, day in enumerate(days)
             for j, unit in enumerate(units)]
    corrections = [day_file(tmp_path, day, "A", 900 + i, "-fix") for i, day in enumerate(days)]
    batches = [files[0::2] + corrections, files[1::2], files[0::2], files[1::2]]
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, scenario_url, *map(str, batch)], cwd=ROOT)
               for batch in batches]
    assert [w.wait(timeout=300) for w in writers] == [0, 0, 0, 0]
    con = sprint.connect(scenario_url)
    taken = con.execute("SELECT count(*), count(DISTINCT sha256) FROM uploads WHERE file_name LIKE '%-2025-10-2%' "
                        "AND outcome = 'committed'").fetchall()[0]
    assert taken == (len(files) + len(corrections),) * 2
    for i, day in enumerate(days):
        for j, unit in enumerate(units):
            value = con.execute("SELECT value FROM counts WHERE date = ? AND unit_code = ?", [day, unit]).fetchall()
            fixed = unit == "A"
            assert value == [(900 + i if fixed else 200 + 10 * i + j,)]
    # each correction that came after its day's file left that file's value in the history
    history = con.execute("SELECT count(*) FROM count_history WHERE unit_code = 'A' AND date >= ?", [FIRST_DAY]).fetchall()
    arrived_first = con.execute("""SELECT count(*) FROM uploads f JOIN uploads c
        ON c.file_name = replace(f.file_name, '.csv', '-fix.csv') WHERE f.upload_id < c.upload_id
        AND f.file_name LIKE 'A-%' AND f.outcome = 'committed'""").fetchall()
    assert history == arrived_first
    assert counts_of(con) == counts_of(fresh_replica_like(con))


def fresh_replica_like(con):
    """A new replica of the same system of record as `con`."""
    return sprint.connect(replica_of(con).url)


def test_kill_9_of_a_writer_during_its_uploads_loses_nothing_and_takes_nothing_twice(scenario_url, tmp_path):
    files = [day_file(tmp_path, FIRST_DAY + timedelta(days=i), "B", 300 + i) for i in range(60)]
    writer = subprocess.Popen([sys.executable, "-c", WRITER, scenario_url, *map(str, files)], cwd=ROOT)
    con = sprint.connect(scenario_url)
    replica = replica_of(con)

    def some_taken():
        replica.catch_up()
        return con.execute("SELECT count(*) FROM uploads WHERE file_name LIKE 'B-%'").fetchall()[0][0] >= 3

    until(some_taken, within=120, what="a few uploads")
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    replica.catch_up()
    taken = con.execute("SELECT count(*) FROM uploads WHERE file_name LIKE 'B-%'").fetchall()[0][0]
    assert con.execute("SELECT count(*) FROM counts WHERE unit_code = 'B' AND date >= ?", [FIRST_DAY]).fetchall()[0][0] == taken
    for file in files:  # sent again: those taken are not taken twice, the rest are taken now
        sprint.ingest(con, file)
    assert con.execute("SELECT count(*) FROM uploads WHERE file_name LIKE 'B-%' AND outcome = 'committed'").fetchall() == [(60,)]
    assert con.execute("SELECT count(*), sum(value) FROM counts WHERE unit_code = 'B' AND date >= ?",
                       [FIRST_DAY]).fetchall() == [(60, sum(300 + i for i in range(60)))]


def test_a_restart_of_postgresql_is_said_once_and_the_replica_catches_up(postgres, scenario_url, tmp_path, caplog):
    reader = sprint.connect(scenario_url)
    replica = replica_of(reader)
    replica.follow()
    with caplog.at_level(logging.WARNING, logger="sprint"):
        postgres.stop()
        until(lambda: not replica.reachable, within=30, what="the replica noticing")
        with pytest.raises(sprint.StoreError, match="cannot be reached.*nothing was saved"):
            sprint.ingest(reader, day_file(tmp_path, FIRST_DAY, "A", 1))
        postgres.start()
        until(lambda: replica.reachable, within=30, what="the replica reconnecting")
    said = [r.getMessage() for r in caplog.records if r.name == "sprint"]
    assert len([s for s in said if "cannot be reached" in s]) == 1 and any("is back" in s for s in said)
    writer = sprint.connect(scenario_url)
    sprint.ingest(writer, day_file(tmp_path, FIRST_DAY, "A", 2, "-after"))
    until(lambda: reader.execute("SELECT value FROM counts WHERE date = ? AND unit_code = 'A'",
                                 [FIRST_DAY]).fetchall() == [(2,)], what="the report after the restart")


def test_migrate_moves_a_store_once_and_the_command_line_reads_the_same(postgres_url, tmp_path):
    path = tmp_path / "old.duckdb"
    con = load_scenario(fresh_store(path))
    accounts.add_account(con, "head-p1", role="unit", unit="P1", password="head-password")
    con.close()
    runner = CliRunner()
    first = runner.invoke(cli, ["migrate", "--from", str(path), "--to", postgres_url])
    assert first.exit_code == 0, first.output
    assert "counts: 13 rows moved" in first.output and "accounts: 1 rows moved" in first.output
    again = runner.invoke(cli, ["migrate", "--from", str(path), "--to", postgres_url])
    assert again.exit_code == 0 and "Nothing new" in again.output and "counts: 0 rows moved, 13 already there" in again.output
    for command in (["progress", "--as-of", "2025-10-17"], ["history"], ["audit"], ["user", "list"]):
        outputs = [runner.invoke(cli, [*command, "--db", db]) for db in (str(path), postgres_url)]
        assert outputs[0].exit_code == outputs[1].exit_code == 0
        assert outputs[0].output == outputs[1].output, command
    replica = sprint.connect(postgres_url)
    assert accounts.sign_in(replica, "head-p1", "head-password").scope == "P1"


def test_a_wrong_address_is_one_sentence(postgres):
    result = CliRunner().invoke(cli, ["progress", "--db", postgres.url("no_such_database")])
    assert result.exit_code == 1
    assert result.output.startswith("The system of record (PostgreSQL at 127.0.0.1:") and "Traceback" not in result.output


def test_a_system_of_record_of_an_older_release_gets_the_tables_and_columns_it_lacks(scenario_url):
    """A store written by schema 1 (before API tokens, metrics that sum metrics and the collection
    network) is brought up to date by the first replica of this release, its rows kept."""
    import psycopg

    from sprint.postgres import PG_SCHEMA_VERSION

    with psycopg.connect(scenario_url, autocommit=True) as pg:
        pg.execute("DROP TABLE api_tokens, collectors, collector_targets, collector_reports")
        pg.execute("ALTER TABLE metrics DROP COLUMN sum_of, DROP COLUMN part_of")
        pg.execute("UPDATE sprint_meta SET value = '1' WHERE key = 'schema_version'")
    replica = fresh_store(scenario_url)
    with psycopg.connect(scenario_url, autocommit=True) as pg:
        assert pg.execute("SELECT value FROM sprint_meta WHERE key = 'schema_version'").fetchone()[0] \
            == str(PG_SCHEMA_VERSION) == "8"
        assert pg.execute("SELECT sum_of FROM metrics WHERE metric = 'social_insurance'").fetchone()[0] \
            == "compulsory_si+voluntary_si"
        assert pg.execute("SELECT count(*) FROM api_tokens").fetchone()[0] == 0
        assert pg.execute("SELECT count(*) FROM collector_reports").fetchone()[0] == 0
    assert counts_of(replica) == counts_of(load_scenario(fresh_store()))

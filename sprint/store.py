"""The store: connection, schema, migrations and the data version.

A store is an embedded DuckDB file, or a replica: an in-memory DuckDB copy of a PostgreSQL system
of record (`postgresql://…`, sprint.postgres), which every write goes through. Either way the rest
of the code reads and writes one DuckDB connection with the same SQL.

One process owns an embedded store file for writing (DuckDB allows no other). Inside that process
every thread reads through its own cursor; writes go through `writing` so they are serialised and
a reader never sees half of one (each write is one transaction).
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from .errors import StoreBusyError, StoreError
from .structure import EVERY_DAY, STRUCTURE_TABLES_SQL, rebuild_structure

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_DB = DATA_DIR / "sprint.duckdb"
SCHEMA_VERSION = 15

# The current schema: what a new store is made with. An older store is brought to it by the
# migrations below, one version at a time (a test checks that a store made with the first schema
# and migrated has the same tables, columns, keys and views as a new one).
#
# counts: the current value per date, unit and metric, the upload that brought it, and
# valid_until, the date of the next report for the same unit and metric ('infinity' while it is
# the latest), so "the latest report on or before d" is a filter, date <= d < valid_until, rather
# than an aggregate over the whole history. counts has no index: ingest keeps (date, unit_code,
# metric) unique (a file's conflicting rows are rejected, and a known key is updated, never
# inserted), and an index would cost each day's ingest more than it saves any read (reads scan by
# date and span, not by key).
# count_history: what counts does not say (a value a correction replaced, with the upload that
# had brought it, and a value an upload sent again unchanged), each with the upload that put it
# there (replaced_by); upload_rows is every row each upload brought.
TABLES_SQL = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE SEQUENCE upload_id_seq START 1;
CREATE TABLE metrics (
    metric VARCHAR PRIMARY KEY,
    name_vi VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL,
    kind VARCHAR NOT NULL CHECK (kind IN ('people', 'million_vnd')),
    direction VARCHAR NOT NULL CHECK (direction IN ('higher_is_better', 'lower_is_better')),
    sort_order INTEGER NOT NULL,
    sum_of VARCHAR,  -- a metric that sums metrics: its parts, 'a+b' (none: reported itself)
    part_of VARCHAR  -- a target group (a campaign's): the metric its count is part of
);
CREATE TABLE units (
    unit_code VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    parent_code VARCHAR,
    population BIGINT,
    labour_force BIGINT
);
CREATE TABLE campaigns (
    campaign_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    dispatch VARCHAR,
    baseline DATE NOT NULL,
    ends DATE NOT NULL,
    late_payment_max_pct DOUBLE,
    complete_share DOUBLE,              -- the share of reporting units that makes a day complete
    name_en VARCHAR,
    results VARCHAR                     -- the rules of its phases' results, as JSON (sprint.results)
);
CREATE TABLE phases (
    campaign_id VARCHAR NOT NULL,
    phase INTEGER NOT NULL,
    starts DATE NOT NULL,
    milestone DATE NOT NULL,
    PRIMARY KEY (campaign_id, phase)
);
CREATE TABLE uploads (
    upload_id BIGINT PRIMARY KEY,
    kind VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    uploaded_by VARCHAR,
    rows INTEGER NOT NULL,
    outcome VARCHAR NOT NULL CHECK (outcome IN ('committed', 'rejected')),
    messages VARCHAR
);
CREATE TABLE targets (
    campaign_id VARCHAR NOT NULL,
    unit_code VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    milestone DATE NOT NULL,
    target BIGINT NOT NULL,
    upload_id BIGINT,
    PRIMARY KEY (campaign_id, unit_code, metric, milestone)
);
CREATE TABLE count_history (
    upload_id BIGINT NOT NULL,
    date DATE NOT NULL,
    unit_code VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    value BIGINT NOT NULL,
    replaced_by BIGINT
);
CREATE TABLE counts (
    date DATE NOT NULL,
    unit_code VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    value BIGINT NOT NULL,
    upload_id BIGINT NOT NULL,
    valid_until DATE NOT NULL
);
"""

# Version 2: each count knows until when it holds (valid_until), and the derived structure (tree
# closure, levels, effective targets, per-unit versions) is kept as tables.
SPANS_SQL = """
CREATE TABLE counts_v2 (
    date DATE NOT NULL,
    unit_code VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    value BIGINT NOT NULL,
    upload_id BIGINT NOT NULL,
    valid_until DATE NOT NULL
);
INSERT INTO counts_v2
SELECT date, unit_code, metric, value, upload_id,
       coalesce(lead(date) OVER (PARTITION BY unit_code, metric ORDER BY date), 'infinity'::DATE)
FROM counts ORDER BY date, unit_code, metric;
DROP TABLE counts;
ALTER TABLE counts_v2 RENAME TO counts;
"""


def _to_version_2(con) -> None:
    con.execute(SPANS_SQL)
    con.execute(STRUCTURE_TABLES_SQL)
    rebuild_structure(con)


# Version 3: accounts (who may sign in, with which role and unit), their browser sessions (a
# sign-in survives a reload until it expires) and the audit log (who did what: every upload,
# correction, reference load, account change and sign-in).
ACCOUNTS_SQL = """
CREATE TABLE accounts (
    name VARCHAR PRIMARY KEY,
    role VARCHAR NOT NULL CHECK (role IN ('leader', 'unit', 'admin')),
    unit_code VARCHAR,
    email VARCHAR UNIQUE,
    password_hash VARCHAR,
    disabled BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE sessions (
    token_sha256 VARCHAR PRIMARY KEY,
    account VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE SEQUENCE audit_id_seq START 1;
CREATE TABLE audit_log (
    audit_id BIGINT NOT NULL DEFAULT nextval('audit_id_seq'),
    logged_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    account VARCHAR,
    address VARCHAR,
    kind VARCHAR NOT NULL,
    outcome VARCHAR,
    unit_code VARCHAR,
    upload_id BIGINT,
    file_name VARCHAR,
    rows BIGINT,
    date DATE,
    metric VARCHAR,
    old_value BIGINT,
    new_value BIGINT,
    detail VARCHAR
);
"""

# Version 4: each campaign's share of reporting units that makes a day complete (the default
# as-of date is the latest complete day). Version 5: its name in English. The shipped campaigns'
# files are reloaded at every start, so both are filled in at once.
COMPLETE_SHARE_SQL = "ALTER TABLE campaigns ADD COLUMN complete_share DOUBLE"
NAME_EN_SQL = "ALTER TABLE campaigns ADD COLUMN name_en VARCHAR"

# Version 6: the history keeps what `counts` does not. A count row already says which upload
# brought its value, so count_history holds only the rest: a value a correction replaced (with
# the upload that had brought it) and a value an upload sent again unchanged. Every row each
# upload brought is the view upload_rows; a day's file of new counts writes no history at all
# (about 8 ms of a national day's 72 ms ingest; the log grows 1.29 MB a day instead of 2.2 MB).
UPLOAD_ROWS_VIEW_SQL = """
CREATE VIEW upload_rows AS
SELECT upload_id, date, unit_code, metric, value FROM counts
UNION ALL
SELECT upload_id, date, unit_code, metric, value FROM count_history;
"""
UPLOAD_ROWS_SQL = """
DELETE FROM count_history h USING counts c
WHERE h.upload_id = c.upload_id AND h.date = c.date AND h.unit_code = c.unit_code AND h.metric = c.metric
  AND h.value = c.value;
""" + UPLOAD_ROWS_VIEW_SQL

def _to_version_7(con) -> None:
    """Data versions by day (structure.unit_changes): a store's last versions become changes to
    every day; a store made new since has the table from its version 2."""
    if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'unit_versions'").fetchall()[0][0]:
        con.execute(UNIT_CHANGES_SQL)
        con.execute("INSERT INTO unit_changes SELECT unit_code, ?, version FROM unit_versions", [EVERY_DAY])
        con.execute("DROP TABLE unit_versions")


UNIT_CHANGES_SQL = STRUCTURE_TABLES_SQL[STRUCTURE_TABLES_SQL.index("CREATE TABLE unit_changes"):]

# Version 8: a value in the history says which upload put it there (corrected it, or sent it
# again): a replica ships the rows of the uploads it took (sprint.postgres). Earlier rows: unknown.
REPLACED_BY_SQL = "ALTER TABLE count_history ADD COLUMN replaced_by BIGINT"

# Version 9: API tokens (sprint.tokens): an account's keys for the read API, kept as hashes.
API_TOKENS_SQL = """
CREATE TABLE api_tokens (
    token_id VARCHAR PRIMARY KEY,       -- shown in lists, named to revoke one; not the secret
    token_sha256 VARCHAR NOT NULL UNIQUE,
    account VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    uses BIGINT NOT NULL DEFAULT 0,
    last_used_at TIMESTAMPTZ
);
"""

# Version 10: a metric may sum metrics (social insurance, all = compulsory + voluntary), and a
# campaign's target groups are metrics that are part of one (their counts never add to it).
SUM_OF_SQL = "ALTER TABLE metrics ADD COLUMN sum_of VARCHAR; ALTER TABLE metrics ADD COLUMN part_of VARCHAR"

# Version 11: the collection network (sprint.network): service organisations, collection points
# and collection staff, each contracted by a unit; their targets; and their reports, every upload's
# rows kept (the value of a day is the latest upload's). None of it is a unit's count.
NETWORK_SQL = """
CREATE TABLE collectors (
    collector_code VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL CHECK (kind IN ('organisation', 'point', 'staff')),
    name VARCHAR NOT NULL,
    unit_code VARCHAR NOT NULL,         -- the unit that contracts it
    organisation VARCHAR                -- a point's or a staff member's service organisation
);
CREATE TABLE collector_targets (
    campaign_id VARCHAR NOT NULL,
    collector_code VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    milestone DATE NOT NULL,
    target BIGINT NOT NULL,
    upload_id BIGINT,
    PRIMARY KEY (campaign_id, collector_code, metric, milestone)
);
CREATE TABLE collector_reports (
    upload_id BIGINT NOT NULL,
    date DATE NOT NULL,
    collector_code VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    value BIGINT NOT NULL
);
"""

# Version 12: each campaign's rules for its phases' results (campaigns.results: the cut-off, the
# honours), and the results of each phase an administrator closed, frozen (sprint.results): its
# standings (rank, score, every target met, the late-payment ceiling, the honour) and each unit's
# figures per metric.
RESULTS_SQL = """
ALTER TABLE campaigns ADD COLUMN results VARCHAR;
CREATE TABLE phase_closings (
    campaign_id VARCHAR NOT NULL,
    phase INTEGER NOT NULL,
    milestone DATE NOT NULL,
    cutoff TIMESTAMPTZ NOT NULL,        -- the reports received by then are the phase's
    closed_at TIMESTAMPTZ NOT NULL,
    closed_by VARCHAR,
    PRIMARY KEY (campaign_id, phase)
);
CREATE TABLE phase_standings (
    campaign_id VARCHAR NOT NULL,
    phase INTEGER NOT NULL,
    unit_code VARCHAR NOT NULL,
    unit_name VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    rank INTEGER,
    score DOUBLE,
    metrics_met INTEGER NOT NULL,
    metrics_targeted INTEGER NOT NULL,
    every_target_met BOOLEAN NOT NULL,
    late_payment_pct DOUBLE,
    limit_pct DOUBLE,
    within_ceiling BOOLEAN,
    honour VARCHAR,
    PRIMARY KEY (campaign_id, phase, unit_code)
);
CREATE TABLE phase_results (
    campaign_id VARCHAR NOT NULL,
    phase INTEGER NOT NULL,
    unit_code VARCHAR NOT NULL,
    unit_name VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    value BIGINT,
    target BIGINT,
    attainment_pct DOUBLE,
    margin BIGINT,
    met BOOLEAN NOT NULL,
    rank INTEGER,
    PRIMARY KEY (campaign_id, phase, unit_code, metric)
);
"""

# Version 13: subscriptions to the morning briefing by e-mail, and each delivery (one per
# subscription and period: never sent twice), sprint.delivery.
DELIVERY_SQL = """
CREATE TABLE subscriptions (
    subscription_id BIGINT PRIMARY KEY, -- from the upload ids' sequence (one sequence in PostgreSQL too)
    account VARCHAR NOT NULL,
    unit_code VARCHAR,                  -- none: the account's own unit (the nation for a leader)
    frequency VARCHAR NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    weekday INTEGER,                    -- weekly: 1 (Monday) to 7
    send_at VARCHAR NOT NULL,           -- HH:MM, Vietnam's time
    lang VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by VARCHAR,
    active BOOLEAN NOT NULL DEFAULT true
);
CREATE TABLE deliveries (
    subscription_id BIGINT NOT NULL,
    period VARCHAR NOT NULL,            -- the day (2025-11-20) or the ISO week (2025-W47) it is for
    status VARCHAR NOT NULL CHECK (status IN ('sending', 'sent', 'failed', 'interrupted')),
    attempts INTEGER NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    error VARCHAR,
    PRIMARY KEY (subscription_id, period)
);
"""

# Version 14: late payers by employer (sprint.late_payers): each file's rows kept, a unit's list of
# a day the latest upload's.
LATE_PAYERS_SQL = """
CREATE TABLE late_payers (
    upload_id BIGINT NOT NULL,
    date DATE NOT NULL,
    unit_code VARCHAR NOT NULL,         -- the unit that collects from the employer
    employer_code VARCHAR NOT NULL,
    employer_name VARCHAR NOT NULL,
    amount BIGINT NOT NULL,             -- VND owed
    months_late INTEGER NOT NULL
);
"""

# Version 15: alerts (sprint.alerts): each raised once per day, rule, unit and metric; each e-mailed
# once to each head it concerns; how far each account has read them (the bell).
ALERTS_SQL = """
CREATE TABLE alerts (
    alert_id BIGINT PRIMARY KEY,        -- from the upload ids' sequence
    day DATE NOT NULL,
    rule VARCHAR NOT NULL,
    unit_code VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,            -- '' where the rule is about no metric
    detail VARCHAR,
    raised_at TIMESTAMPTZ NOT NULL,
    UNIQUE (day, rule, unit_code, metric)
);
CREATE TABLE alert_mail (
    account VARCHAR NOT NULL,
    alert_id BIGINT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account, alert_id)
);
CREATE TABLE alert_seen (
    account VARCHAR PRIMARY KEY,
    seen_until BIGINT NOT NULL          -- the last alert id the account has seen in the bell
);
"""

SCHEMA_SQL = (TABLES_SQL + STRUCTURE_TABLES_SQL + ACCOUNTS_SQL + UPLOAD_ROWS_VIEW_SQL + API_TOKENS_SQL + NETWORK_SQL
              + RESULTS_SQL.replace("ALTER TABLE campaigns ADD COLUMN results VARCHAR;", "") + DELIVERY_SQL + LATE_PAYERS_SQL + ALERTS_SQL)

# version -> what brings a store from version-1 to version (version 1 is the first schema).
MIGRATIONS = {2: _to_version_2, 3: lambda con: con.execute(ACCOUNTS_SQL),
              4: lambda con: con.execute(COMPLETE_SHARE_SQL), 5: lambda con: con.execute(NAME_EN_SQL),
              6: lambda con: con.execute(UPLOAD_ROWS_SQL), 7: _to_version_7,
              8: lambda con: con.execute(REPLACED_BY_SQL), 9: lambda con: con.execute(API_TOKENS_SQL),
              10: lambda con: con.execute(SUM_OF_SQL), 11: lambda con: con.execute(NETWORK_SQL),
              12: lambda con: con.execute(RESULTS_SQL), 13: lambda con: con.execute(DELIVERY_SQL),
              14: lambda con: con.execute(LATE_PAYERS_SQL), 15: lambda con: con.execute(ALERTS_SQL)}

write_lock = threading.RLock()


# the replicas of this process, by the token each keeps in its meta table (sprint.postgres)
REPLICAS: dict[str, object] = {}


def is_url(location) -> bool:
    """Whether a store location names a PostgreSQL system of record rather than a file."""
    return str(location).startswith(("postgresql://", "postgres://"))


def default_db_path() -> Path | str:
    """$SPRINT_DB (a file, or a postgresql:// URL), else data/sprint.duckdb."""
    location = os.environ.get("SPRINT_DB") or DEFAULT_DB
    return location if is_url(location) else Path(location)


def store_folder(location) -> Path:
    """The folder beside a store file, where its inbox is (data/ for a PostgreSQL store)."""
    return DATA_DIR if is_url(location) else Path(location).parent


def replica_of(con):
    """The system of record `con` is a replica of (sprint.postgres.Replica), or None for an
    embedded store. Free when this process has no replica."""
    if not REPLICAS:
        return None
    rows = con.execute("SELECT value FROM meta WHERE key = 'replica_of'").fetchall()
    return REPLICAS.get(rows[0][0]) if rows else None


def vietnam_today() -> date:
    """Today's date in Vietnam, whatever the server's clock zone."""
    return datetime.now(VIETNAM).date()


def connect(path: str | os.PathLike = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and if needed create or migrate) a store. `:memory:` gives a throwaway store; a
    postgresql:// URL, a replica of that system of record."""
    path = str(path)
    if is_url(path):
        from .postgres import open_replica  # psycopg loads only for a PostgreSQL store

        return open_replica(path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(path, read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreBusyError(
                f"The store {path} is in use by another program (the dashboard, or "
                "`python -m sprint watch`). Files can still be sent: `python -m sprint ingest` "
                "hands them to that program's inbox, and the figures are read through the dashboard's "
                "API. For anything else, stop that program first."
            ) from exc
        raise StoreError(f"The store {path} cannot be opened: {exc}") from exc
    except duckdb.Error as exc:
        raise StoreError(f"{path} is not a sprint store: {exc}") from exc
    con.execute("SET TimeZone = 'Asia/Ho_Chi_Minh'")
    if not read_only:
        migrate(con)
    return con


def schema_version(con) -> int:
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else 0


def migrate(con) -> int:
    """Make a new store with SCHEMA_SQL, or give an older one every migration it has not had yet,
    each in its own transaction."""
    with write_lock:
        current = schema_version(con)
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"This store was written by a newer release (schema {current}); "
                f"this one reads schema {SCHEMA_VERSION} at most."
            )
        if current == 0:
            with local_transaction(con):
                con.execute(SCHEMA_SQL)
                con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
            return SCHEMA_VERSION
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with local_transaction(con):
                MIGRATIONS[version](con)
                con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)])
        return SCHEMA_VERSION


# the replica (or None) of the write this thread is making: looked up once per write
_writer = threading.local()


def _replica_writing(con):
    """The replica of the write under way in this thread, else of `con`."""
    return getattr(_writer, "replica", None) if hasattr(_writer, "replica") else replica_of(con)


@contextmanager
def writing(con):
    """Hold the right to write: this process's write lock and, for a replica, its system of
    record's, after applying what other processes wrote (so a write is worked out on the latest
    data). Held across a check and the transaction that acts on it."""
    with write_lock:
        if hasattr(_writer, "replica"):  # within a write already
            yield
            return
        _writer.replica = replica = replica_of(con)
        try:
            if replica is None:
                yield
            else:
                with replica.writing():
                    yield
        finally:
            del _writer.replica


@contextmanager
def transaction(con, *, tables=None):
    """One write: serialised with every other write, all of it or none of it.

    In a replica the write is worked out here by the same code as in a file, then shipped to the
    system of record, and kept once PostgreSQL has it; `tables` names the reference tables it may
    change (sprint.postgres.SMALL_TABLES; None: any), compared before and after.
    """
    with writing(con):
        replica = _replica_writing(con)
        if replica is None:
            with local_transaction(con):
                yield con
            return
        with local_transaction(con):
            before = replica.before(con, tables)
            yield con
            change = replica.ship(con, before)
        replica.shipped(change)


@contextmanager
def local_transaction(con):
    """All or nothing on this DuckDB connection alone (a migration, a replica applying a change).

    A write the disk refuses (full, read-only) is rolled back, so the connection can write again
    once there is room, and becomes a StoreError that says so in one sentence.
    """
    with write_lock:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
            commit(con)
        except BaseException as exc:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass  # a failed COMMIT has already ended the transaction
            if isinstance(exc, (duckdb.IOException, duckdb.TransactionException)):
                raise StoreError(f"The store could not save the change: {exc}. Nothing of it was kept; "
                                 "free some disk space (or make the store writable) and try again.") from exc
            raise


def commit(con) -> None:
    """COMMIT (a function of its own, so the fault tests can make the disk refuse it)."""
    con.execute("COMMIT")


def data_version(con, *, unit: str | None = None) -> int:
    """A number that changes whenever a figure changes: of `unit`'s subtree, or of any unit.

    A rejected upload, or a file that changes no value, leaves it as it was. Cheap enough to poll
    every few seconds; pages key their caches on it.
    """
    return con.execute("SELECT coalesce(max(version), 0) FROM unit_changes WHERE $unit IS NULL OR unit_code = $unit",
                       {"unit": unit}).fetchall()[0][0]


def data_versions(con, *, as_of: date | None = None) -> dict[str, int]:
    """Every unit's data version (see data_version), read in one query: a page reads it once
    per rerun and keys each cached read on the version of the unit it shows. With as_of, the
    version of its figures as of that day: a change that touched only later days leaves it."""
    return dict(con.execute("""SELECT unit_code, coalesce(max(version) FILTER ($as_of IS NULL OR since <= $as_of), 0)
                               FROM unit_changes GROUP BY unit_code""", {"as_of": as_of}).fetchall())


def upload_version(con) -> int:
    """The last upload's id, taken or rejected: the upload history changes with every upload."""
    return con.execute("SELECT coalesce(max(upload_id), 0) FROM uploads").fetchall()[0][0]


def next_upload_id(con) -> int:
    """A new upload id (also a data version): the system of record's, for a replica."""
    replica = _replica_writing(con)
    if replica is not None:
        return replica.next_id()
    return con.execute("SELECT nextval('upload_id_seq')").fetchall()[0][0]

"""PostgreSQL as the system of record: `SPRINT_DB=postgresql://…` (or `--db postgresql://…`).

Each process (a dashboard replica, a command, the inbox's watcher) reads its own in-memory DuckDB
copy of the store: the same schema, the same figure SQL, the same caches. The copy is loaded at
start and kept current from PostgreSQL, which announces each change (NOTIFY) and is polled as a
fallback (`follow`).

A write is worked out on the copy by the same DuckDB code as in an embedded store, inside the
system of record's one write lock after applying every earlier change, so its checks see the
latest data. Then it is shipped: the rows it changed go to PostgreSQL in one transaction under a
new change number, and the copy commits its own transaction only once PostgreSQL has. Every
other replica applies that change: it derives the spans, the tree closure, the effective targets
and the data versions from the same rows by the same rules. Every id (uploads, audit entries,
data versions) is PostgreSQL's.

What travels: the base tables. A reference table (SMALL_TABLES, a few thousand rows at most)
travels whole when a change touches it; counts, history, uploads and the audit log travel by
change number. Derived tables and columns never do.

Why not a DuckDB extension (the postgres scanner): the PyPI packages of DuckDB's extensions
exist for DuckDB 1.4.4 only, and the pinned 2.0.0 cannot load them; nothing may download at run
time. psycopg's COPY (CSV) moves whole tables at about a million rows a second, and the deltas
are a few rows.
"""
from __future__ import annotations

import io
import logging
import secrets
import threading
import time
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

from . import store
from .errors import StoreError
from .ingest.counts import SPLIT_SPANS_SQL
from .structure import mark_changed, rebuild_structure

log = logging.getLogger("sprint")

# reference tables: small, copied whole when a change touches them
SMALL_TABLES = ("metrics", "units", "campaigns", "phases", "targets", "accounts", "sessions", "api_tokens",
                "collectors", "collector_targets", "phase_closings", "phase_standings", "phase_results",
                "subscriptions", "deliveries", "alerts", "alert_mail", "alert_seen")
# the reference tables the derived structure is built from (a change to one rebuilds it)
STRUCTURE_TABLES = frozenset({"metrics", "units", "campaigns", "phases", "targets"})
# logs: copied by change number
LOG_TABLES = ("uploads", "counts", "count_history", "audit_log", "collector_reports", "late_payers")
# columns each replica derives for itself
DERIVED_COLUMNS = {"counts": ("valid_until",)}
# keys PostgreSQL has where DuckDB's table has none: a count is upserted by its key (DuckDB's
# ingest keeps it unique without an index, store.SPANS_SQL), an audit entry is PostgreSQL's by its
# id, a collector's report is one per upload and key (so a store migrated twice moves it once)
EXTRA_KEYS = {"counts": ("date", "unit_code", "metric"), "audit_log": ("audit_id",),
              "collector_reports": ("upload_id", "date", "collector_code", "metric"),
              "late_payers": ("upload_id", "date", "unit_code", "employer_code")}
PG_TYPES = {"VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "DATE": "date", "DOUBLE": "double precision",
            "BOOLEAN": "boolean", "TIMESTAMP WITH TIME ZONE": "timestamptz"}
# the key of the system of record's one write lock (pg_advisory_lock)
WRITE_LOCK = 0x5350524E54  # "SPRNT"
CHANNEL = "sprint_changes"
# a replica's own audit entries, before they are shipped, are numbered from here (PostgreSQL's
# never reach it), so the write finds them, then numbers them as PostgreSQL does
LOCAL_IDS = 1 << 62
# how often a replica looks for a change when no announcement came (a lost NOTIFY, a restart)
POLL_SECONDS = 5.0
# a following replica applies changes at most this often: the ones announced meanwhile are applied
# together (on a national reporting day, 20 a second), and pages publish every 3 s anyway
APPLY_SECONDS = 0.5
RETRY_SECONDS = 2.0
# 2: the API tokens (a table added: a store of version 1 gets the tables it lacks); 3: metrics.sum_of
# and part_of (columns added: an older store gets the columns it lacks); 4: the collection network;
# 5: the phases' results (campaigns.results, the closings, standings and results); 6: subscriptions
# and their deliveries; 7: late payers by employer; 8: alerts
PG_SCHEMA_VERSION = 8


def where(url: str) -> str:
    """host:port of a URL, for messages (never its password)."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}/{parts.path.lstrip('/')}"


def unreachable(url: str, exc: Exception) -> StoreError:
    return StoreError(f"The system of record (PostgreSQL at {where(url)}) cannot be reached ({_first_line(exc)}); "
                      "nothing was saved. Try again in a minute.")


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class Schema:
    """The replicated tables' columns, read from a DuckDB store's current schema (one schema for
    both stores), and PostgreSQL's DDL made from them."""

    def __init__(self, duck):
        self.columns: dict[str, list[str]] = {}
        self.as_read: dict[str, list[str]] = {}  # the columns as Python reads them (a moment as text)
        self.ddl: list[str] = []
        self.table_ddl: dict[str, list[str]] = {}  # each table's statements (a table added later)
        self.column_ddl: dict[str, dict[str, str]] = {}  # each table's columns' definitions (a column added later)
        for table in (*SMALL_TABLES, *LOG_TABLES):
            rows = duck.execute("""SELECT column_name, data_type, is_nullable FROM information_schema.columns
                                   WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position""",
                                [table]).fetchall()
            rows = [r for r in rows if r[0] not in DERIVED_COLUMNS.get(table, ())]
            self.columns[table] = [name for name, _, _ in rows]
            self.as_read[table] = [f"{name}::VARCHAR" if kind == "TIMESTAMP WITH TIME ZONE" else name
                                   for name, kind, _ in rows]
            keys = duck.execute("""SELECT constraint_column_names FROM duckdb_constraints()
                                   WHERE table_name = ? AND constraint_type = 'PRIMARY KEY'""", [table]).fetchall()
            key = list(keys[0][0]) if keys else list(EXTRA_KEYS.get(table, ()))
            columns = [f"{name} {PG_TYPES[kind]}{' NOT NULL' if nullable == 'NO' else ''}"
                       for name, kind, nullable in rows]
            self.column_ddl[table] = dict(zip(self.columns[table], columns))
            columns.append("change_id bigint NOT NULL DEFAULT 0")
            if key:
                columns.append(f"PRIMARY KEY ({', '.join(key)})")
            self.table_ddl[table] = [f"CREATE TABLE {table} ({', '.join(columns)})"]
            if table in LOG_TABLES:
                self.table_ddl[table].append(f"CREATE INDEX {table}_change ON {table} (change_id)")
            self.ddl += self.table_ddl[table]
        self.ddl[:0] = ["CREATE SEQUENCE upload_id_seq", "CREATE SEQUENCE audit_id_seq", "CREATE SEQUENCE change_id_seq"]
        self.ddl += ["CREATE TABLE changes (change_id bigint PRIMARY KEY, tables text[] NOT NULL, "
                     "at timestamptz NOT NULL DEFAULT now())",
                     "CREATE INDEX count_history_key ON count_history (date, unit_code, metric)"]


def pg_connect(url: str) -> psycopg.Connection:
    try:
        pg = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise unreachable(url, exc) from exc
    pg.execute("SET TimeZone = 'UTC'")
    return pg


def ensure_schema(pg: psycopg.Connection, schema: Schema) -> None:
    """Create the system of record's tables on first use (under the write lock, so two replicas
    starting together create them once)."""
    pg.execute("SELECT pg_advisory_lock(%s)", [WRITE_LOCK])
    try:
        pg.execute("CREATE TABLE IF NOT EXISTS sprint_meta (key text PRIMARY KEY, value text NOT NULL)")
        row = pg.execute("SELECT value FROM sprint_meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            with pg.transaction():
                for statement in schema.ddl:
                    pg.execute(statement)
                pg.execute("INSERT INTO sprint_meta VALUES ('schema_version', %s)", [str(PG_SCHEMA_VERSION)])
        elif int(row[0]) > PG_SCHEMA_VERSION:
            raise StoreError(f"The system of record was written by a newer release (schema {row[0]}); this "
                             f"release reads schema {PG_SCHEMA_VERSION} at most.")
        elif int(row[0]) < PG_SCHEMA_VERSION:
            present = {t for (t,) in pg.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
            columns = set(pg.execute("SELECT table_name, column_name FROM information_schema.columns "
                                     "WHERE table_schema = 'public'").fetchall())
            with pg.transaction():
                for table, statements in schema.table_ddl.items():
                    if table not in present:
                        for statement in statements:
                            pg.execute(statement)
                        continue
                    for column, definition in schema.column_ddl[table].items():
                        if (table, column) not in columns:  # added since: none in the rows already there
                            pg.execute(f"ALTER TABLE {table} ADD COLUMN {definition.replace(' NOT NULL', '')}")
                pg.execute("UPDATE sprint_meta SET value = %s WHERE key = 'schema_version'", [str(PG_SCHEMA_VERSION)])
    finally:
        pg.execute("SELECT pg_advisory_unlock(%s)", [WRITE_LOCK])


def to_csv(relation) -> bytes:
    """A DuckDB relation as CSV rows for PostgreSQL's COPY (empty text quoted, NULL empty)."""
    buffer = io.BytesIO()
    pacsv.write_csv(relation.to_arrow_table(), buffer, pacsv.WriteOptions(include_header=False))
    return buffer.getvalue()


def from_csv(data: bytes, columns: list[str]) -> pa.Table:
    """PostgreSQL's CSV as text columns (DuckDB casts them into the table's types)."""
    return pacsv.read_csv(io.BytesIO(data), read_options=pacsv.ReadOptions(column_names=columns),
                          convert_options=pacsv.ConvertOptions(
                              column_types={c: pa.string() for c in columns}, strings_can_be_null=True,
                              quoted_strings_can_be_null=False))


def copy_in(pg, table: str, columns: list[str], data: bytes) -> None:
    if data:
        with pg.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(data)


def copy_rows(pg, table: str, columns: list[str], rows: list[tuple]) -> None:
    if rows:
        with pg.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def copy_out(pg, query: str) -> bytes:
    buffer = io.BytesIO()
    with pg.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
        for chunk in copy:
            buffer.write(chunk)
    return buffer.getvalue()


class Replica:
    """One process's copy of a PostgreSQL system of record, and the way its writes go there."""

    def __init__(self, url: str, duck):
        self.url = url
        self.duck = duck.cursor()  # the copy's own cursor, for applying changes
        self.schema = Schema(duck)
        self.pg = pg_connect(url)
        ensure_schema(self.pg, self.schema)
        self.applied = 0  # the last change applied
        self.allocated: list[int] = []  # upload ids given to the write under way
        self.held = 0
        self.stopped = threading.Event()
        self.reachable = True
        self.following: threading.Thread | None = None
        self.token = secrets.token_hex(8)
        duck.execute("INSERT INTO meta VALUES ('replica_of', ?)", [self.token])
        duck.execute(f"CREATE SEQUENCE replica_audit_id START {LOCAL_IDS}")
        duck.execute("ALTER TABLE audit_log ALTER COLUMN audit_id SET DEFAULT nextval('replica_audit_id')")
        store.REPLICAS[self.token] = self

    # -- the connection ---------------------------------------------------------------------
    def _live(self) -> psycopg.Connection:
        """The connection to PostgreSQL, opened again after it was lost (a restart)."""
        if self.pg.closed or self.pg.broken:
            self.pg = pg_connect(self.url)
        return self.pg

    # -- loading and applying -------------------------------------------------------------------
    def load(self) -> None:
        """Copy the whole store, as of one snapshot, and derive the rest."""
        pg = self._live()
        with pg.transaction():
            pg.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            last = pg.execute("SELECT coalesce(max(change_id), 0) FROM changes").fetchone()[0]
            fetched = {table: copy_out(pg, f"SELECT {', '.join(cols)} FROM {table}")
                       for table, cols in self.schema.columns.items()}
        with store.local_transaction(self.duck):
            for table in (*SMALL_TABLES, *LOG_TABLES):
                self.duck.execute(f"DELETE FROM {table}")
                if table != "counts":
                    self._insert(table, fetched[table])
            self._insert_counts(fetched["counts"])
            rebuild_structure(self.duck)
            self.applied = last

    def _incoming(self, table: str, data: bytes) -> str | None:
        """Register PostgreSQL's rows as the view `incoming`; None when there are none."""
        if not data:
            return None
        self.duck.register("incoming", from_csv(data, self.schema.columns[table]))
        return ", ".join(self.schema.columns[table])

    def _insert(self, table: str, data: bytes) -> None:
        columns = self._incoming(table, data)
        if columns:
            self.duck.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming")
            self.duck.unregister("incoming")

    def _insert_counts(self, data: bytes) -> None:
        """Every count, each with the date until which it holds (store.SPANS_SQL)."""
        if self._incoming("counts", data):
            self.duck.execute("""
                INSERT INTO counts
                SELECT date, unit_code, metric, value, upload_id,
                       coalesce(lead(date) OVER (PARTITION BY unit_code, metric ORDER BY date), 'infinity'::DATE)
                FROM (SELECT date::DATE AS date, unit_code, metric, value::BIGINT AS value,
                             upload_id::BIGINT AS upload_id FROM incoming)
                ORDER BY date, unit_code, metric""")
            self.duck.unregister("incoming")

    def _apply_counts(self, data: bytes) -> None:
        """Counts new or changed since the last change applied: set them, split the spans they
        fall in, and record the change for every unit above them (as an ingest does)."""
        if not self._incoming("counts", data):
            return
        self.duck.execute("""
            CREATE OR REPLACE TEMP TABLE changed AS
            SELECT i.date::DATE AS date, i.unit_code, i.metric, i.value::BIGINT AS value,
                   i.upload_id::BIGINT AS upload_id, c.rowid AS stored_row, c.rowid IS NULL AS is_new
            FROM incoming i LEFT JOIN counts c
              ON c.date = i.date::DATE AND c.unit_code = i.unit_code AND c.metric = i.metric""")
        self.duck.unregister("incoming")
        self.duck.execute("""UPDATE counts c SET value = k.value, upload_id = k.upload_id
                             FROM changed k WHERE NOT k.is_new AND c.rowid = k.stored_row""")
        self.duck.execute("""INSERT INTO counts SELECT date, unit_code, metric, value, upload_id, 'infinity'::DATE
                             FROM changed WHERE is_new ORDER BY date, unit_code, metric""")
        self.duck.execute(SPLIT_SPANS_SQL)
        mark_changed(self.duck, self.duck.execute("SELECT max(upload_id) FROM changed").fetchall()[0][0])

    def catch_up(self) -> bool:
        """Apply every change committed since the last one applied; whether there was one."""
        with store.write_lock:
            pg = self._live()
            last = pg.execute("SELECT coalesce(max(change_id), 0) FROM changes").fetchone()[0]
            if last <= self.applied:
                return False
            since = self.applied
            with pg.transaction():
                pg.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                tables = set().union(*(set(t) for (t,) in pg.execute(
                    "SELECT tables FROM changes WHERE change_id > %s AND change_id <= %s", [since, last])))
                small = [t for t in SMALL_TABLES if t in tables]
                fetched = {t: copy_out(pg, f"SELECT {', '.join(self.schema.columns[t])} FROM {t}") for t in small}
                for table in LOG_TABLES:
                    fetched[table] = copy_out(pg, f"SELECT {', '.join(self.schema.columns[table])} FROM {table} "
                                                  f"WHERE change_id > {since} AND change_id <= {last}")
            with store.local_transaction(self.duck):
                for table in small:
                    self.duck.execute(f"DELETE FROM {table}")
                    self._insert(table, fetched[table])
                for table in ("uploads", "count_history", "audit_log", "collector_reports", "late_payers"):
                    self._insert(table, fetched[table])
                self._apply_counts(fetched["counts"])
                if STRUCTURE_TABLES & set(small):
                    rebuild_structure(self.duck)
            self.applied = last
            return True

    # -- writing --------------------------------------------------------------------------------
    @contextmanager
    def writing(self):
        """Hold the system of record's write lock (in this process's write lock), having applied
        every change before it."""
        if self.held:
            self.held += 1
            try:
                yield
            finally:
                self.held -= 1
            return
        try:
            self._live().execute("SELECT pg_advisory_lock(%s)", [WRITE_LOCK])
            self.catch_up()
        except psycopg.OperationalError as exc:
            raise unreachable(self.url, exc) from exc
        self.held = 1
        try:
            yield
        finally:
            self.held = 0
            try:
                self.pg.execute("SELECT pg_advisory_unlock(%s)", [WRITE_LOCK])
            except psycopg.Error:
                pass  # a lost connection has released it

    def next_id(self) -> int:
        """An upload id (and data version) from the system of record's sequence."""
        value = self._live().execute("SELECT nextval('upload_id_seq')").fetchone()[0]
        self.allocated.append(value)
        return value

    def before(self, duck, tables) -> dict[str, int]:
        """At a write's start: a digest of each reference table it may change."""
        self.allocated = []
        return {table: _digest(duck, table) for table in (SMALL_TABLES if tables is None else tables)}

    def ship(self, duck, before: dict[str, int]) -> int | None:
        """Send what the write under way changed to the system of record, as one change (its
        number; None when nothing changed). Its audit entries take PostgreSQL's numbers."""
        small = [t for t, digest in before.items() if _digest(duck, t) != digest]
        ids = list(self.allocated)
        local = [i for (i,) in duck.execute("SELECT audit_id FROM audit_log WHERE audit_id >= ? ORDER BY audit_id",
                                            [LOCAL_IDS]).fetchall()]
        if not small and not ids and not local:
            return None  # nothing changed (a reference file loaded again as it was)
        try:
            pg = self._live()
            with pg.transaction():
                change = pg.execute("SELECT nextval('change_id_seq')").fetchone()[0]
                if local:
                    numbers = [n for (n,) in pg.execute("SELECT nextval('audit_id_seq') FROM generate_series(1, %s)",
                                                        [len(local)])]
                    duck.execute("""UPDATE audit_log a SET audit_id = n.number
                                    FROM (SELECT unnest($local) AS local, unnest($numbers) AS number) n
                                    WHERE a.audit_id = n.local""", {"local": local, "numbers": numbers})
                listed = f"[{', '.join(map(str, ids))}]::BIGINT[]"  # whole numbers only: written in the SQL
                numbered = f"[{', '.join(map(str, numbers if local else []))}]::BIGINT[]"
                selections = {
                    **{table: f"FROM {table}" for table in small},
                    "uploads": f"FROM uploads WHERE list_contains({listed}, upload_id)",
                    "counts": f"FROM counts WHERE list_contains({listed}, upload_id)",
                    "count_history": f"FROM count_history WHERE list_contains({listed}, replaced_by)",
                    "collector_reports": f"FROM collector_reports WHERE list_contains({listed}, upload_id)",
                    "late_payers": f"FROM late_payers WHERE list_contains({listed}, upload_id)",
                    "audit_log": f"FROM audit_log WHERE list_contains({numbered}, audit_id)",
                }
                pg.execute("INSERT INTO changes (change_id, tables) VALUES (%s, %s)", [change, small])
                for table in small:
                    pg.execute(f"DELETE FROM {table}")
                for table, rows_of in selections.items():
                    columns = [*self.schema.columns[table], "change_id"]
                    if table in small:  # a whole reference table: CSV, thousands of rows
                        copy_in(pg, table, columns, to_csv(duck.sql(f"SELECT {', '.join(columns[:-1])}, {change} {rows_of}")))
                        continue
                    # a change's few rows, as Python reads them
                    rows = duck.execute(f"SELECT {', '.join(self.schema.as_read[table])}, {change} {rows_of}").fetchall()
                    if table == "counts" and rows:
                        pg.execute("CREATE TEMP TABLE IF NOT EXISTS incoming_counts "
                                   "(LIKE counts INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
                        copy_rows(pg, "incoming_counts", columns, rows)
                        pg.execute("""INSERT INTO counts SELECT * FROM incoming_counts
                                       ON CONFLICT (date, unit_code, metric) DO UPDATE
                                       SET value = EXCLUDED.value, upload_id = EXCLUDED.upload_id,
                                           change_id = EXCLUDED.change_id""")
                    else:
                        copy_rows(pg, table, columns, rows)
                pg.execute(f"NOTIFY {CHANNEL}, '{change}'")
        except psycopg.OperationalError as exc:
            raise unreachable(self.url, exc) from exc
        return change

    def shipped(self, change: int | None) -> None:
        """The write's own change is in the copy already (its transaction committed after
        PostgreSQL's); nothing came between, under the write lock."""
        if change is not None:
            self.applied = change

    # -- following --------------------------------------------------------------------------------
    def follow(self) -> threading.Thread:
        """Apply each change as PostgreSQL announces it, and look every POLL_SECONDS anyway; when
        PostgreSQL cannot be reached, say so once, keep the figures, and try again."""
        self.following = threading.Thread(target=self._follow, name="sprint-replica", daemon=True)
        self.following.start()
        return self.following

    def _follow(self) -> None:
        while not self.stopped.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as listener:
                    listener.execute(f"LISTEN {CHANNEL}")
                    self.catch_up()
                    if not self.reachable:
                        log.warning("The system of record (PostgreSQL at %s) is back; the figures are current again.",
                                    where(self.url))
                    self.reachable = True
                    while not self.stopped.is_set():
                        for _ in listener.notifies(timeout=POLL_SECONDS, stop_after=1):
                            pass
                        applied = time.monotonic()
                        self.catch_up()
                        self.stopped.wait(APPLY_SECONDS - (time.monotonic() - applied))
            except (psycopg.OperationalError, StoreError) as exc:
                if self.reachable:
                    log.warning("The system of record (PostgreSQL at %s) cannot be reached (%s); the dashboard "
                                "shows the figures it has and tries again every %.0f s.", where(self.url),
                                _first_line(exc), RETRY_SECONDS)
                self.reachable = False
                self.stopped.wait(RETRY_SECONDS)

    def close(self) -> None:
        self.stopped.set()
        store.REPLICAS.pop(self.token, None)
        self.pg.close()


def _digest(duck, table: str) -> int:
    return duck.execute(f"SELECT count(*) * 1000003 + coalesce(sum(hash(t)), 0) FROM {table} t").fetchall()[0][0]


def open_replica(url: str):
    """A new in-memory copy of the system of record at `url` (created empty on first use)."""
    duck = store.connect(":memory:")
    replica = Replica(url, duck)
    replica.load()
    return duck


def migrate_store(source, url: str) -> dict[str, tuple[int, int]]:
    """Move an embedded store (`source`, a DuckDB connection) into the system of record at
    `url`, history, uploads, accounts and audit log included: per table, (rows moved, rows that
    were there already). A row already there is kept as it is, so migrating twice changes
    nothing; the replicas running take what was moved like any other change."""
    schema = Schema(source)
    pg = pg_connect(url)
    try:
        ensure_schema(pg, schema)
        pg.execute("SELECT pg_advisory_lock(%s)", [WRITE_LOCK])
        moved: dict[str, tuple[int, int]] = {}
        with pg.transaction() as transaction:
            change = pg.execute("SELECT nextval('change_id_seq')").fetchone()[0]
            for table, columns in schema.columns.items():
                pg.execute(f"CREATE TEMP TABLE incoming_{table} (LIKE {table}) ON COMMIT DROP")
                copy_in(pg, f"incoming_{table}", [*columns, "change_id"],
                        to_csv(source.sql(f"SELECT {', '.join(columns)}, {change} FROM {table}")))
                offered = pg.execute(f"SELECT count(*) FROM incoming_{table}").fetchone()[0]
                if table == "count_history":  # no key: a value is there when its upload and key are
                    inserted = pg.execute("""INSERT INTO count_history SELECT * FROM incoming_count_history i
                        WHERE NOT EXISTS (SELECT 1 FROM count_history h WHERE h.upload_id = i.upload_id
                            AND h.date = i.date AND h.unit_code = i.unit_code AND h.metric = i.metric)""").rowcount
                else:
                    inserted = pg.execute(f"INSERT INTO {table} SELECT * FROM incoming_{table} "
                                          "ON CONFLICT DO NOTHING").rowcount
                moved[table] = (inserted, offered - inserted)
            if not any(inserted for inserted, _ in moved.values()):
                raise psycopg.Rollback(transaction)
            last_id = source.execute("""SELECT greatest((SELECT coalesce(max(upload_id), 0) FROM uploads),
                                                        (SELECT coalesce(max(version), 0) FROM unit_changes))""").fetchall()[0][0]
            pg.execute("SELECT setval('upload_id_seq', greatest((SELECT last_value FROM upload_id_seq), %s))", [last_id])
            pg.execute("SELECT setval('audit_id_seq', greatest((SELECT last_value FROM audit_id_seq), "
                       "(SELECT coalesce(max(audit_id), 1) FROM audit_log)))")
            pg.execute("INSERT INTO changes (change_id, tables) VALUES (%s, %s)",
                       [change, [t for t in SMALL_TABLES if moved[t][0]]])
            pg.execute(f"NOTIFY {CHANNEL}, '{change}'")
        return moved
    except psycopg.OperationalError as exc:
        raise unreachable(url, exc) from exc
    finally:
        pg.close()

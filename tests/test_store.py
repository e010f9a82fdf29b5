"""The store's schema: SCHEMA_SQL is what a new store is made with, and the migrations bring a
store made by the first release to exactly that."""
from __future__ import annotations

from datetime import date

import duckdb

import sprint
from conftest import DATA
from sprint.store import SCHEMA_VERSION

INFINITY = date.max  # DuckDB's 'infinity'::DATE as Python reads it


def shape(con) -> dict[str, list]:
    """Every table's columns (in order, with type, nullability and default), every key and check,
    every view and sequence."""
    return {
        "columns": con.execute("""SELECT table_name, ordinal_position, column_name, data_type, is_nullable, column_default
                                  FROM information_schema.columns WHERE table_schema = 'main'
                                  ORDER BY table_name, ordinal_position""").fetchall(),
        "constraints": con.execute("""SELECT table_name, constraint_type, constraint_column_names, expression
                                      FROM duckdb_constraints() ORDER BY ALL""").fetchall(),
        "views": con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal ORDER BY 1").fetchall(),
        "sequences": con.execute("SELECT sequence_name FROM duckdb_sequences() ORDER BY 1").fetchall(),
    }


def test_a_store_of_the_first_schema_is_migrated_to_the_schema_of_a_new_one(tmp_path):
    path = tmp_path / "first.duckdb"
    first = duckdb.connect(str(path))
    first.execute((DATA / "schema-1.sql").read_text())
    first.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    first.execute("INSERT INTO units VALUES ('VN', 'Nation', NULL, NULL, NULL), ('A', 'Leaf A', 'VN', NULL, NULL)")
    first.execute("""INSERT INTO counts VALUES ('2025-10-01', 'A', 'health', 5, 1), ('2025-10-03', 'A', 'health', 7, 2)""")
    first.close()
    migrated, new = sprint.connect(path), sprint.connect(":memory:")
    assert shape(migrated) == shape(new)
    assert migrated.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall() == [(str(SCHEMA_VERSION),)]
    assert migrated.execute("SELECT date, value, valid_until FROM counts ORDER BY date").fetchall() == [
        (date(2025, 10, 1), 5, date(2025, 10, 3)), (date(2025, 10, 3), 7, INFINITY)]
    assert migrated.execute("SELECT ancestor, descendant FROM unit_tree ORDER BY ALL").fetchall() == [
        ("A", "A"), ("VN", "A"), ("VN", "VN")]

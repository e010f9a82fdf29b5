"""Files in: read → validate (in SQL, over the whole file) → commit (one transaction).

A file with any problem changes nothing in the figures; its rejection is written to the upload
history so a unit head can see what happened. Counts, units and targets files share the reader
and the number/date rules; each kind has its own checks and its own commit.
"""
from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import os
import re
import tempfile
import threading
import unicodedata
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from . import audit, worker
from .anomalies import file_flags
from .errors import MAX_PROBLEMS, Problem, SprintError, ValidationError
from .limits import (MAX_COLUMNS, MAX_FILE_BYTES, MAX_HEADER_CHARS, MAX_NAME_CHARS, MAX_ROWS, MAX_SECONDS,
                     MAX_UNZIPPED_BYTES, MAX_WORKBOOK_SECONDS, MAX_ZIP_PARTS)
from .store import next_upload_id, transaction, vietnam_today, write_lock
from .structure import mark_changed, rebuild_structure

LONG_COLUMNS = ("date", "unit_code", "metric", "value")
# the long template's reference columns (the unit's last report): read by the clerk, never taken
LONG_REFERENCE = ("last_value", "last_date")
WIDE_KEYS = ("date", "unit_code")
UNITS_COLUMNS = ("unit_code", "name", "parent_code")
UNITS_OPTIONAL = ("population", "labour_force")
TARGETS_COLUMNS = ("unit_code", "metric", "milestone", "target")
JUMP_WARNING_PCT = 20
MAX_VALUE_DIGITS = 13
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
MAX_LINE = 2_000_000  # DuckDB's reader rejects a longer line
csv.field_size_limit(MAX_LINE + 1)  # Python's reader must follow every cell DuckDB's can


@dataclass
class IngestResult:
    """What a file did to the store (or would do, for a check)."""

    file: str
    kind: str
    committed: bool
    already_taken: bool = False
    upload_id: int | None = None
    rows: int = 0
    new: int = 0
    corrected: int = 0
    unchanged: int = 0
    warnings: list[Problem] = field(default_factory=list)
    preview: pd.DataFrame | None = None
    # each corrected count: date, unit_code, metric, old_value, new_value (the first MAX_PROBLEMS)
    corrections: pd.DataFrame | None = None
    # for a check (commit=False): the file's reports that look wrong (sprint.anomalies.file_flags)
    flags: pd.DataFrame | None = None

    def summary(self) -> str:
        if self.already_taken:
            return f"{self.file}: already taken (upload {self.upload_id}); nothing changed."
        verb = "committed" if self.committed else "checked, not committed"
        parts = f"{self.rows} row{'' if self.rows == 1 else 's'}"
        if self.kind == "counts":
            parts += f": {self.new} new, {self.corrected} corrected, {self.unchanged} unchanged"
        return f"{self.file}: {verb} ({parts})."


# ---------------------------------------------------------------- reading

def _source_bytes(source, name: str | None) -> tuple[bytes, str]:
    """The file's bytes, at most one more than MAX_FILE_BYTES (enough to refuse it: see _refuse)."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source[:MAX_FILE_BYTES + 1]), name or "upload.csv"
    path = Path(source)
    try:
        with open(path, "rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1), name or path.name
    except OSError as exc:
        raise SprintError(f"{path}: cannot be read ({exc.strerror or exc}).") from exc


def shown_name(name: str) -> str:
    """A file's name as it may be written on one line: hidden characters (a line break, a tab) as
    '?', and cut to MAX_NAME_CHARS with an ellipsis (a log line or a message cannot be forged or
    flooded by a name)."""
    plain = "".join("?" if unicodedata.category(c)[0] == "C" else c for c in name)
    return plain if len(plain) <= MAX_NAME_CHARS else plain[:MAX_NAME_CHARS - 1] + "…"


def _refuse(problem: str, name: str, *params, line: int | None = None) -> None:
    """Refuse a file for one limit of sprint.limits, before the work it would cost."""
    shown = shown_name(name)
    raise ValidationError(shown, [Problem(shown, line, None, None, problem, tuple(str(p) for p in params))])


def _check_name_and_size(data: bytes, name: str) -> None:
    if any(unicodedata.category(c)[0] == "C" for c in name):
        _refuse("file_name_control", name)
    if len(name) > MAX_NAME_CHARS:
        _refuse("file_name_too_long", name, len(name), MAX_NAME_CHARS)
    if len(data) > MAX_FILE_BYTES:
        _refuse("file_too_large", name, MAX_FILE_BYTES // (1024 * 1024))


@contextmanager
def _time_limited(cur, name: str):
    """Stop the reading and checking of one file after MAX_SECONDS: DuckDB's statement is
    interrupted (a Python loop checks the clock itself, see _excel_rows)."""
    lock, running = threading.Lock(), [True]

    def stop():
        with lock:
            if running[0]:
                cur.interrupt()

    timer = threading.Timer(MAX_SECONDS, stop)
    timer.daemon = True
    timer.start()
    try:
        yield
    except duckdb.InterruptException:
        _refuse("file_too_slow", name, MAX_SECONDS)
    finally:
        with lock:
            running[0] = False
        timer.cancel()


def _utf16_without_bom(head: bytes) -> bool:
    """Text saved as UTF-16 without its mark: a NUL beside every character, all on one side."""
    even, odd = head[0::2], head[1::2]
    return len(head) >= 8 and (odd.count(0) >= 0.9 * len(odd) or even.count(0) >= 0.9 * len(even))


def _decode(data: bytes, name: str) -> str:
    problem = None
    if not data.strip(b"\xef\xbb\xbf \r\n\t"):
        problem = "file_empty"
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff") or _utf16_without_bom(data[:4096]):
        problem = "file_utf16"
    elif b"\x00" in data[:4096]:
        problem = "file_binary"
    if problem:
        raise ValidationError(name, [Problem(name, 1, None, None, problem)])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationError(name, [Problem(name, line, None, None, "line_not_utf8")]) from exc


def _excel_cell(value) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


EXCEL_ERRORS = ("#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!")


FORMULA_TAG = re.compile(rb"<(?:[A-Za-z0-9_]+:)?f[ >/]")


def _excel_has_formulas(data: bytes, name: str) -> bool:
    """Whether any sheet of the workbook holds a formula, read from its parts' declared sizes
    first: a workbook that unpacks past MAX_UNZIPPED_BYTES (a zip bomb) is refused unread. Python's
    zipfile never unpacks a part past its declared size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            parts = book.infolist()
            unzipped = sum(part.file_size for part in parts)
            if len(parts) > MAX_ZIP_PARTS or unzipped > MAX_UNZIPPED_BYTES:
                _refuse("excel_too_large", name, f"{unzipped / 1024 / 1024:.1f}", MAX_UNZIPPED_BYTES // (1024 * 1024))
            return any(FORMULA_TAG.search(book.read(part)) for part in parts
                       if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, ValueError) as exc:
        raise ValidationError(name, [Problem(name, 1, None, None, "excel_unreadable", (str(exc),))]) from exc


def _sheet_rows(sheet, name: str) -> list[tuple]:
    """A sheet's rows as wide as its widest row of data, read at most MAX_COLUMNS + 1 cells wide
    (a sheet may claim 16,384 columns) and MAX_ROWS long."""
    rows, width = [], 0
    for row in sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True):
        rows.append(row)
        width = max(width, next((len(row) - i for i, v in enumerate(reversed(row)) if v is not None), 0))
        if width > MAX_COLUMNS:
            _refuse("too_many_columns", name, MAX_COLUMNS, line=len(rows))
        if len(rows) > MAX_ROWS:
            _refuse("too_many_rows", name, MAX_ROWS)
    return [row[:width] for row in rows]


def _excel_rows(data: bytes, name: str) -> list[tuple]:
    """The rows of the workbook's first visible sheet. An error cell (#N/A) or a formula Excel
    never calculated is a problem, not a blank, and so is data on a second visible sheet: the
    file would otherwise say less than its sender sees. A workbook without formulas is parsed once.
    Runs in sprint.worker's process (see _stage_excel)."""
    import openpyxl

    has_formulas = _excel_has_formulas(data, name)
    try:
        values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        written = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False) if has_formulas else None
    except Exception as exc:  # openpyxl raises several types for a damaged workbook
        raise ValidationError(name, [Problem(name, 1, None, None, "excel_unreadable", (str(exc),))]) from exc
    visible = [sheet.title for sheet in values.worksheets if sheet.sheet_state == "visible"]
    rows = _sheet_rows(values[visible[0]], name) if visible else []
    if not rows:
        raise ValidationError(name, [Problem(name, 1, None, None, "excel_empty")])
    problems = [Problem(name, None, None, other, "excel_second_sheet", (other, visible[0])) for other in visible[1:]
                if any(v is not None for row in _sheet_rows(values[other], name) for v in row)]
    header = [str(_excel_cell(v) or "").strip() for v in rows[0]]
    formula_rows = _sheet_rows(written[visible[0]], name) if written else [()] * len(rows)
    for line, (row, formulas) in enumerate(zip(rows, formula_rows), start=1):
        for index, (value, formula) in enumerate(itertools.zip_longest(row, formulas)):
            column = header[index] if index < len(header) and header[index] else f"#{index + 1}"
            if isinstance(value, str) and value.strip() in EXCEL_ERRORS:
                problems.append(Problem(name, line, column, value, "excel_error_cell", (value,)))
            elif value is None and isinstance(formula, str) and formula.startswith("="):
                problems.append(Problem(name, line, column, formula, "excel_formula_not_calculated"))
    if problems:
        raise ValidationError(name, _capped(name, problems, len(problems)))
    return rows


def _stage_excel(cur, data: bytes, name: str, parsed) -> list[str]:
    try:
        rows = worker.run(_excel_rows, data, name)
    except worker.WorkerTimeout:
        _refuse("file_too_slow", name, MAX_WORKBOOK_SECONDS)
    except worker.WorkerFailed:
        _refuse("excel_unreadable", name, "it takes more memory to read than a report can")
    header = [str(_excel_cell(v) or "").strip() for v in rows[0]]
    frame = pd.DataFrame(rows[1:], dtype=object).reindex(columns=range(len(header))).map(_excel_cell)
    frame.columns = [f"c{i + 1}" for i in range(len(header))]
    frame.insert(0, "line", range(2, len(frame) + 2))
    frame = frame[frame.drop(columns="line").notna().any(axis=1)]
    cur.register("excel_rows", frame)
    cur.execute(f"CREATE OR REPLACE TEMP TABLE staged AS SELECT *{parsed([h.lower() for h in header])} FROM excel_rows")
    cur.unregister("excel_rows")
    return header


# `staged` holds a file's cells as text (c1..cn, and the line each row is on), trimmed of spaces,
# NULL where empty; blank rows are left out. A reader may add columns parsed from the cells in the
# same statement (`parsed`: the lower-case header -> ", expression AS name, ..." or "").
TRIMMED_CELLS = "nullif(trim(COLUMNS('^c[0-9]+$')), '')"


def _not_blank(columns: int) -> str:
    """The filter that leaves out rows with every (trimmed) cell empty: a coalesce of the cells,
    about 6 ms cheaper on a national day file than joining them into one text."""
    return f"WHERE coalesce({', '.join(f'c{i + 1}' for i in range(columns))}) IS NOT NULL"


def _stage_csv(cur, text: str, name: str, parsed) -> list[str]:
    # one line ending, so that DuckDB's reader and the line numbers below agree (old Mac files end lines in \r)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first_line = text.split("\n", 1)[0]
    if len(first_line) > MAX_HEADER_CHARS:
        _refuse("header_too_long", name, len(first_line), MAX_HEADER_CHARS, line=1)
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    header = [h.strip().strip('"').strip() for h in first_line.split(delimiter)]
    if len(header) > MAX_COLUMNS:
        _refuse("too_many_columns", name, MAX_COLUMNS, line=1)
    lines = text.count("\n") + (not text.endswith("\n"))
    if lines > MAX_ROWS + 1:
        _refuse("too_many_rows", name, MAX_ROWS)
    # without quotes (no cell spans lines) and without blank lines (the reader skips them), row n
    # is line n + 1; otherwise the lines are counted from the text, by Python's reader
    plain = '"' not in text and "\n\n" not in text
    if plain:  # a row is a line, and its delimiters say its cells (3 ms for a national day file)
        starts = None
        wide = [line for line, row in enumerate(text.split("\n"), start=1) if row.count(delimiter) >= len(header)]
    else:
        starts, wide = _record_lines(text, delimiter, len(header))
    _refuse_wide_rows(name, len(header), wide)
    columns = {f"c{i + 1}": "VARCHAR" for i in range(len(header))}
    with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8", delete=False) as tmp:
        tmp.write(text)
    extra = parsed([h.lower() for h in header])
    try:
        cur.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE {"staged" if plain else "raw_rows"} AS
            SELECT *{extra if plain else ""} FROM (
                SELECT row_number() OVER () {"+ 1 AS line" if plain else "AS row_no"},
                       {TRIMMED_CELLS if plain else "*"}
                FROM read_csv($path, delim = $delim, quote = '"', escape = '"', header = true,
                              auto_detect = false, columns = $columns, store_rejects = true,
                              rejects_table = 'csv_rejects', rejects_scan = 'csv_reject_scans'))
            {_not_blank(len(header)) if plain else ""}
            """,
            {"path": tmp.name, "delim": delimiter, "columns": columns},
        )
        rejects = cur.execute(
            "SELECT line, column_name, error_type FROM csv_rejects ORDER BY line, column_idx"
        ).fetchall()
        if not plain:
            lines = starts
            cur.execute(f"""
            CREATE OR REPLACE TEMP TABLE staged AS
            WITH numbered AS (
                SELECT unnest(range(1, len($lines) + 1)) AS row_no, unnest($lines) AS line
            )
            SELECT *{extra} FROM (SELECT n.line, {TRIMMED_CELLS} FROM raw_rows r JOIN numbered n USING (row_no))
            {_not_blank(len(header))}
            """, {"lines": lines})
            if not rejects and cur.execute("SELECT count(*) FROM raw_rows").fetchall()[0][0] != len(lines):
                # the two readers disagree on where rows start: refuse rather than lose a row
                rejects = [(None, None, "ROWS UNCLEAR")]
    finally:
        os.unlink(tmp.name)
    if rejects:
        first_per_line = {}
        for line, column_name, error_type in rejects:
            first_per_line.setdefault(line, (column_name, error_type))
        raise ValidationError(name, [
            Problem(name, line, _longest_cell(text, line, header, delimiter), None, "line_too_long")
            if error_type == "LINE SIZE OVER MAXIMUM"
            else _structure_problem(name, header, line, column_name, error_type)
            for line, (column_name, error_type) in first_per_line.items()
        ])
    return header


def _refuse_wide_rows(name: str, columns: int, wide: list[int]) -> None:
    """Refuse rows with more values than the header (on the lines `wide`) before DuckDB reads
    them: its reader keeps one rejection per extra cell, and one line of 300,000 cells takes it
    minutes."""
    if wide:
        raise ValidationError(name, _capped(name, [Problem(name, line, None, None, "too_many_values", (str(columns),))
                                                   for line in wide[:MAX_PROBLEMS + 1]], len(wide)))


def _record_lines(text: str, delimiter: str, columns: int) -> tuple[list[int], list[int]]:
    """The line each row starts on, read as DuckDB reads the file: a quoted cell may span lines
    (the next row starts after it), and blank lines are no rows; and the lines of the rows with
    more values than `columns`."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"', doublequote=True)
    starts, wide, end = [], [], 0
    try:
        for record in reader:
            if record:
                starts.append(end + 1)
                if len(record) > columns:
                    wide.append(end + 1)
            end = reader.line_num
    except csv.Error:  # DuckDB's reader rejects the file too, naming the line
        pass
    return starts[1:], wide


def _longest_cell(text: str, line: int, header: list[str], delimiter: str) -> str | None:
    """The column of a line's longest cell (where a lost closing quote or a pasted blob is)."""
    cells = text.split("\n")[line - 1].split(delimiter)
    longest = max(range(len(cells)), key=lambda index: len(cells[index]))
    return header[longest] if longest < len(header) else None


def _structure_problem(name, header, line, column_name, error_type) -> Problem:
    if error_type == "MISSING COLUMNS":
        column = header[int(column_name[1:]) - 1] if column_name else None
        return Problem(name, line, column, None, "too_few_values", (str(len(header)),))
    if error_type == "TOO MANY COLUMNS":
        return Problem(name, line, None, None, "too_many_values", (str(len(header)),))
    return Problem(name, line, None, None, "csv_unreadable")


def _no_parsed(header: list[str]) -> str:
    return ""


def read_file(cur, source, name: str | None = None, parsed=_no_parsed) -> tuple[bytes, str, list[str]]:
    """Stage a CSV or Excel file as TEMP TABLE staged(line, c1..cn) of text, with the columns
    `parsed` adds; return its header."""
    data, name = _source_bytes(source, name)
    _check_name_and_size(data, name)
    if name.lower().endswith(EXCEL_SUFFIXES) or data[:4] == b"PK\x03\x04":
        header = _stage_excel(cur, data, name, parsed)
    else:
        header = _stage_csv(cur, _decode(data, name), name, parsed)
    if cur.execute("SELECT count(*) FROM staged").fetchall()[0][0] == 0:
        raise ValidationError(name, [Problem(name, 2, None, None, "no_rows")])
    return data, name, [h.lower() for h in header]


def _check_header(name: str, header: list[str], required: tuple, optional: tuple) -> list[Problem]:
    problems = []
    for position, column in enumerate(header, start=1):
        if not column:
            problems.append(Problem(name, 1, f"#{position}", None, "column_unnamed"))
        elif header.index(column) != position - 1:
            problems.append(Problem(name, 1, column, column, "column_twice"))
        elif column not in required and column not in optional:
            expected = ", ".join(required + optional)
            problems.append(Problem(name, 1, column, column, "column_unknown", (column, expected)))
    for column in required:
        if column not in header:
            problems.append(Problem(name, 1, column, None, "column_missing", (column,)))
    return problems


def _col(header: list[str], column: str) -> str:
    """The staged column (c1..cn) that holds a header name: identifiers come only from here."""
    return f"c{header.index(column) + 1}"


# ---------------------------------------------------------------- shared SQL rules

def whole_number_sql(expr: str) -> str:
    """SQL for the digits of a whole number written with or without thousands separators."""
    return f"""CASE
        WHEN regexp_full_match({expr}, '[0-9]+') THEN {expr}
        WHEN regexp_full_match({expr}, '[1-9][0-9]{{0,2}}(,[0-9]{{3}})+')
          OR regexp_full_match({expr}, '[1-9][0-9]{{0,2}}([.][0-9]{{3}})+')
          OR regexp_full_match({expr}, '[1-9][0-9]{{0,2}}( [0-9]{{3}})+')
        THEN regexp_replace({expr}, '[,. ]', '', 'g') END"""


def number_problem_sql(expr: str, what: str) -> str:
    """SQL for the problem code saying why a text is not an acceptable whole number (NULL if it is).
    `what` is a noun of i18n.NOUNS (count, target, population, labour_force)."""
    digits = whole_number_sql(expr)
    return f"""CASE
        WHEN {expr} IS NULL THEN 'number_missing' || chr(31) || '{what}'
        WHEN regexp_full_match({expr}, '-\\s*[0-9][0-9.,  ]*') THEN 'number_negative' || chr(31) || '{what}'
        WHEN ({digits}) IS NOT NULL AND length(ltrim({digits}, '0')) > {MAX_VALUE_DIGITS}
            THEN 'number_too_large' || chr(31) || '{what}'
        WHEN ({digits}) IS NOT NULL THEN NULL
        -- 0,500 is one half in Vietnamese, not five hundred: a group of zero is no thousands group
        WHEN regexp_full_match({expr}, '0+[.,][0-9]+')
          OR (regexp_full_match({expr}, '[0-9]+[.,][0-9]+') AND NOT regexp_full_match({expr}, '[0-9]{{1,3}}[.,][0-9]{{3}}'))
            THEN 'number_fraction' || chr(31) || '{what}'
        WHEN regexp_full_match({expr}, '[0-9][0-9,.  ]*[0-9]') THEN 'number_separators'
        ELSE 'number_invalid' END"""


def date_sql(expr: str) -> str:
    """SQL for a date written ISO (2025-11-20) or day first (20/11/2025)."""
    return (f"coalesce(try_strptime({expr}, '%Y-%m-%d'), try_strptime({expr}, '%d/%m/%Y'))::DATE")


def _capped(name: str, problems: list[Problem], total: int) -> list[Problem]:
    """The first MAX_PROBLEMS problems, then one that says how many more there are (a file of
    490,000 bad rows is not a 26 MB message)."""
    if total <= MAX_PROBLEMS:
        return problems
    more = Problem(name, None, None, None, "more_problems", (str(total - MAX_PROBLEMS), str(MAX_PROBLEMS)))
    return [*problems[:MAX_PROBLEMS], more]


def _problems(cur, sql: str, params: dict, name: str) -> list[Problem]:
    """The problems a checking statement finds, capped (see _capped)."""
    rows = cur.execute(sql, params).fetchmany(MAX_PROBLEMS + 1)
    problems = [Problem.from_sql(name, line, column, value, coded) for line, column, value, coded in rows]
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return _capped(name, problems, cur.execute(f"SELECT count(*) FROM ({sql})", params).fetchall()[0][0])


# ---------------------------------------------------------------- counts

COUNTS_CHECK_SQL = """
WITH r AS (SELECT * FROM long_cells), known AS (
    SELECT r.*, u.unit_code IS NOT NULL AS unit_known,
        NOT coalesce(l.is_leaf, true) AS unit_has_children,
        $scope IS NULL OR r.unit_raw IN (SELECT descendant FROM unit_tree WHERE ancestor = $scope) AS in_scope,
        m.metric IS NOT NULL AS metric_known
    FROM r LEFT JOIN units u ON u.unit_code = r.unit_raw LEFT JOIN unit_levels l ON l.unit_code = r.unit_raw
    LEFT JOIN metrics m ON m.metric = r.metric_raw
), problems AS (
    SELECT line, date_col AS column_name, date_raw AS value,
        CASE WHEN date_raw IS NULL THEN 'date_missing'
             WHEN day IS NULL THEN 'date_invalid'
             WHEN day > $today THEN 'date_future' || chr(31) || strftime($today, '%d/%m/%Y')
             WHEN year(day) NOT IN (SELECT year(baseline) FROM campaigns)
                 THEN 'date_outside' || chr(31) || (SELECT string_agg(DISTINCT year(baseline)::VARCHAR, ', ') FROM campaigns)
        END AS message
    FROM known
    UNION ALL
    SELECT line, unit_col, unit_raw,
        CASE WHEN unit_raw IS NULL THEN 'unit_missing'
             WHEN NOT unit_known THEN 'unit_unknown'
             WHEN NOT in_scope THEN 'unit_outside_scope' || chr(31) ||
                 (SELECT name || ' (' || unit_code || ')' FROM units WHERE unit_code = $scope)
             WHEN unit_has_children THEN 'unit_has_children'
        END
    FROM known
    UNION ALL
    SELECT line, metric_col, metric_raw,
        CASE WHEN metric_raw IS NULL THEN 'metric_missing'
             WHEN NOT metric_known THEN 'metric_unknown' || chr(31) || (SELECT string_agg(metric, ', ' ORDER BY sort_order) FROM metrics)
        END
    FROM known
    UNION ALL
    SELECT line, value_col, value_raw, {number_problem} FROM known
    UNION ALL
    SELECT line, value_col, value_raw,
        'count_conflict' || chr(31) || first_line || chr(31) || first_value
    FROM (
        SELECT *, first_value(line) OVER w AS first_line, first_value(value_raw) OVER w AS first_value,
               first_value(count) OVER w AS first_count
        FROM known WHERE day IS NOT NULL AND count IS NOT NULL AND unit_known AND metric_known
        WINDOW w AS (PARTITION BY day, unit_raw, metric_raw ORDER BY line)
    ) WHERE count <> first_count
)
-- a wide file's line is a row per metric here: its date or unit is wrong once, not once per metric
SELECT DISTINCT line, column_name, value, message FROM problems WHERE message IS NOT NULL
ORDER BY line, column_name
"""

# Most files are clean: this one pass finds whether any row breaks a rule of COUNTS_CHECK_SQL,
# which then runs only to name each problem. Every rule there fails a condition here. The
# sender's scope is joined only when there is one (the join costs a millisecond even when empty).
# It also says whether a (date, unit, metric) is on several lines (with one value: the same line
# twice), which the stored-report lookup must then fold into one row.
COUNTS_CLEAN_SQL = f"""
WITH keys AS (
    SELECT min(count) <> max(count) AS conflict, count(*) > 1 AS repeated
    FROM long_rows GROUP BY day, unit_raw, metric_raw
), broken AS (
    SELECT count(*) AS rows
    FROM long_rows r
    LEFT JOIN unit_levels l ON l.unit_code = r.unit_raw
    LEFT JOIN metrics m ON m.metric = r.metric_raw
    {{scope_join}}
    WHERE r.day IS NULL OR r.day > $today OR year(r.day) NOT IN (SELECT year(baseline) FROM campaigns)
       OR l.is_leaf IS NOT TRUE OR m.metric IS NULL
       OR r.count IS NULL OR r.count >= 10 ** {MAX_VALUE_DIGITS} {{scope_rule}}
)
SELECT (SELECT rows FROM broken) = 0 AND NOT coalesce(bool_or(conflict), false), coalesce(bool_or(repeated), false)
FROM keys
"""


def _clean_check(cur, today: date, scope: str | None) -> tuple[bool, bool]:
    """Whether the staged long rows break no rule of COUNTS_CHECK_SQL, and whether a key is on
    several lines."""
    if scope is None:
        return cur.execute(COUNTS_CLEAN_SQL.format(scope_join="", scope_rule=""), {"today": today}).fetchall()[0]
    return cur.execute(COUNTS_CLEAN_SQL.format(
        scope_join="LEFT JOIN unit_tree s ON s.ancestor = $scope AND s.descendant = r.unit_raw",
        scope_rule="OR s.descendant IS NULL"), {"today": today, "scope": scope}).fetchall()[0]


# For each row of the checked file (its date, unit, metric, count and line), the stored span that
# holds on its date (date <= d < valid_until: one per key, so no grouping): a count on the same
# date is the one the row corrects (with the upload that brought it), one from an earlier date is
# the report before it. {rows} is long_rows, or its distinct rows when a key is on several lines.
# The span filter skips old row groups. Rows are named by rowid only inside the ingest's
# transaction, where they stay put.
PREVIOUS_SQL = """
CREATE OR REPLACE TEMP TABLE previous AS
SELECT k.day AS date, k.unit_raw AS unit_code, k.metric_raw AS metric, k.count AS value, k.line,
       c.date IS NULL OR c.date < k.day AS is_new,
       CASE WHEN c.date = k.day THEN c.value END AS stored_value,
       CASE WHEN c.date = k.day THEN c.upload_id END AS stored_upload,
       CASE WHEN c.date = k.day THEN c.rowid END AS stored_row,
       CASE WHEN c.date < k.day THEN c.date END AS before_date,
       CASE WHEN c.date < k.day THEN c.value END AS before_value,
       CASE WHEN c.date < k.day THEN c.valid_until END AS before_until,
       CASE WHEN c.date < k.day THEN c.rowid END AS before_row
FROM {rows} k
LEFT JOIN counts c ON c.unit_code = k.unit_raw AND c.metric = k.metric_raw AND c.date <= k.day
    AND c.valid_until > k.day AND c.valid_until > (SELECT min(day) FROM long_rows)
"""
DISTINCT_ROWS = "(SELECT day, unit_raw, metric_raw, count, min(line) AS line FROM long_rows GROUP BY ALL)"

# A row on a stored date (a correction, or the same value again): the report before it is the span
# that ends on that date.
BEFORE_STORED_SQL = """
UPDATE previous p SET before_date = c.date, before_value = c.value, before_until = c.valid_until,
                      before_row = c.rowid
FROM counts c
WHERE NOT p.is_new AND c.unit_code = p.unit_code AND c.metric = p.metric AND c.valid_until = p.date
  AND c.date < p.date
"""

# The rows of a file that change the store: a new date for a unit and metric, or a corrected value.
CHANGED_SQL = """
CREATE OR REPLACE TEMP VIEW changed AS SELECT * FROM previous WHERE is_new OR stored_value <> value
"""

# How many rows are new and corrected; whether each new row extends an open span (then
# EXTEND_SPANS_SQL will do; a row with no span before it, a first report or one dated before the
# first, does not); and whether the file holds one date only (every day's file).
ASSESS_SQL = """
SELECT count(*), count(*) FILTER (is_new), count(*) FILTER (NOT is_new AND stored_value <> value),
       coalesce(bool_and(coalesce(before_until = 'infinity'::DATE, false)) FILTER (is_new), true),
       min(date) = max(date)
FROM previous
"""

# For a file of several dates: whether it has one date per unit and metric, and whether its new
# rows do (a span is extended once per key). A file of one date has both, with no distinct count.
KEYS_SQL = """
SELECT count(*) = count(DISTINCT (unit_code, metric)),
       count(*) FILTER (is_new) = count(DISTINCT (unit_code, metric)) FILTER (is_new)
FROM previous
"""

# The previous report of each row's unit and metric: the stored count before it when the file
# has one date per unit and metric (a day's file); otherwise the latest earlier row of the file
# itself, or the stored count before it, whichever is later.
STORED_BEFORE_SQL = """
SELECT *, before_value AS previous_value, before_date AS previous_date FROM previous
"""

FILE_OR_STORED_BEFORE_SQL = """
WITH in_file AS (
    SELECT *, lag(value) OVER w AS file_value, lag(date) OVER w AS file_date
    FROM previous WINDOW w AS (PARTITION BY unit_code, metric ORDER BY date)
)
SELECT *,
    CASE WHEN before_date > file_date OR file_date IS NULL THEN before_value ELSE file_value END AS previous_value,
    CASE WHEN before_date > file_date OR file_date IS NULL THEN before_date ELSE file_date END AS previous_date
FROM in_file
"""

# {value_col}: the file's column of a count ('value' in a long file, the metric's in a wide one)
COUNTS_WARNINGS_SQL = """
SELECT line, {value_col}, value::VARCHAR,
    CASE WHEN value > previous_value THEN 'count_jump' ELSE 'count_drop' END
    || chr(31) || round(100.0 * abs(value - previous_value) / previous_value, 1)::VARCHAR
    || chr(31) || previous_value::VARCHAR || chr(31) || strftime(previous_date, '%d/%m/%Y')
FROM ({previous_report})
WHERE previous_value > 0 AND abs(value - previous_value) > $pct / 100.0 * previous_value
ORDER BY line, 2
"""

# What upload_rows would lose (store.py, version 6): a stored value the file corrects, under the
# upload that brought it, and a value the file sends again unchanged, under the file's upload.
HISTORY_SQL = """
INSERT INTO count_history
SELECT CASE WHEN stored_value = value THEN $upload_id ELSE stored_upload END, date, unit_code, metric, stored_value
FROM previous WHERE NOT is_new
"""

NEW_COUNTS_SQL = """
INSERT INTO counts SELECT date, unit_code, metric, value, $upload_id, 'infinity'::DATE FROM changed WHERE is_new
"""

CORRECTED_COUNTS_SQL = """
UPDATE counts c SET value = k.value, upload_id = $upload_id
FROM changed k
WHERE NOT k.is_new AND c.rowid = k.stored_row
"""

# Today's file: each new row follows its key's latest stored count, which now holds until it.
EXTEND_SPANS_SQL = """
UPDATE counts c SET valid_until = n.date
FROM changed n
WHERE n.is_new AND c.rowid = n.before_row
"""

# Otherwise a new date splits a span: recompute valid_until on the tail of each key it was added
# to (the rows whose span reaches the earliest new date).
SPLIT_SPANS_SQL = """
UPDATE counts c SET valid_until = tail.next_date
FROM (
    SELECT date, unit_code, metric, valid_until,
           coalesce(lead(date) OVER (PARTITION BY unit_code, metric ORDER BY date), 'infinity'::DATE) AS next_date
    FROM counts
    SEMI JOIN (SELECT DISTINCT unit_code, metric FROM changed WHERE is_new) USING (unit_code, metric)
    WHERE valid_until >= (SELECT min(date) FROM changed WHERE is_new)
) tail
WHERE c.date = tail.date AND c.unit_code = tail.unit_code AND c.metric = tail.metric
  AND tail.next_date <> tail.valid_until
"""


# the file's column of a long row's date and unit (a problem names it)
CELL_COLUMNS = "'date' AS date_col, 'unit_code' AS unit_col"


def _is_long(header: list[str]) -> bool:
    """A long file has a row per unit and metric (date, unit_code, metric, value); a wide file, a
    column per metric."""
    return "metric" in header or "value" in header


def _long_parsed(header: list[str]) -> str:
    """A long counts file's date and count, parsed while it is staged (NULL where unreadable; the
    checks say why)."""
    if not _is_long(header) or "date" not in header or "value" not in header:
        return ""  # a wide file's counts are parsed per metric column; a header problem stops here
    return (f", {date_sql(_col(header, 'date'))} AS day,"
            f" TRY_CAST({whole_number_sql(_col(header, 'value'))} AS BIGINT) AS count")


def _stage_counts(cur, data: bytes, name: str) -> tuple[str, list[str], list[Problem]]:
    """Read a counts file into long rows (the view long_cells, and long_rows: line, unit_raw,
    metric_raw, day, count); return its name, header and the problems of its header."""
    _, name, header = read_file(cur, data, name, parsed=_long_parsed)
    if _is_long(header):
        problems = _check_header(name, header, LONG_COLUMNS, LONG_REFERENCE)
        if not problems:  # an empty value is a count not reported (as an empty cell of a wide file)
            cur.execute(f"""CREATE OR REPLACE TEMP VIEW long_cells AS
                SELECT line, {_col(header, 'date')} AS date_raw, {_col(header, 'unit_code')} AS unit_raw,
                       lower({_col(header, 'metric')}) AS metric_raw, {_col(header, 'value')} AS value_raw, day, count,
                       {CELL_COLUMNS}, 'metric' AS metric_col, 'value' AS value_col
                FROM staged WHERE {_col(header, 'value')} IS NOT NULL""")
            cur.execute("CREATE OR REPLACE TEMP VIEW long_rows AS SELECT line, unit_raw, metric_raw, day, count FROM long_cells")
        return name, header, problems
    metric_columns = tuple(c for c in header if c not in WIDE_KEYS)
    known_metrics = tuple(m for (m,) in cur.execute("SELECT metric FROM metrics ORDER BY sort_order").fetchall())
    problems = _check_header(name, header, WIDE_KEYS, known_metrics)
    if not problems and not metric_columns:
        problems.append(Problem(name, 1, None, None, "no_metric_column"))
    if not problems:  # the header's metric columns are known metrics: their names are safe as literals
        rows_sql = " UNION ALL ".join(
            f"""SELECT line, {_col(header, 'date')} AS date_raw, {_col(header, 'unit_code')} AS unit_raw,
                       '{metric.replace("'", "''")}' AS metric_raw, {_col(header, metric)} AS value_raw
                FROM staged WHERE {_col(header, metric)} IS NOT NULL"""
            for metric in metric_columns)
        cur.execute(f"""CREATE OR REPLACE TEMP VIEW long_cells AS
            SELECT *, {date_sql('date_raw')} AS day, TRY_CAST({whole_number_sql('value_raw')} AS BIGINT) AS count,
                   {CELL_COLUMNS}, metric_raw AS metric_col, metric_raw AS value_col
            FROM ({rows_sql})""")
        cur.execute("CREATE OR REPLACE TEMP TABLE long_rows AS "
                    "SELECT line, unit_raw, metric_raw, day, count FROM long_cells")
    return name, header, problems


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _record_upload(cur, *, kind, name, sha, uploaded_by, rows, outcome, problems=()) -> int:
    """One row of the upload history; returns its id (the store's new data version)."""
    upload_id = next_upload_id(cur)
    messages = json.dumps([p.as_dict() for p in problems[:200]], ensure_ascii=False) if problems else None
    cur.execute("INSERT INTO uploads VALUES (?, ?, ?, ?, now(), ?, ?, ?, ?)",
                [upload_id, kind, name, sha, uploaded_by, rows, outcome, messages])
    return upload_id


@contextmanager
def _rejections_recorded(con, cur, *, kind, name, sha, uploaded_by, record: bool = True):
    """Let a ValidationError through, after writing the rejection to the upload history; the work
    inside is stopped after MAX_SECONDS (see _time_limited)."""
    try:
        with _time_limited(cur, name):
            yield
    except ValidationError as exc:
        if record:
            rows = _staged_rows(cur)
            with transaction(con):
                upload_id = _record_upload(con, kind=kind, name=exc.file, sha=sha, uploaded_by=uploaded_by,
                                           rows=rows, outcome="rejected", problems=exc.problems)
                audit.record(con, kind, account=uploaded_by, outcome="rejected", upload_id=upload_id,
                             file_name=exc.file, rows=rows, detail=str(len(exc.problems)))
        raise


def _taken_before(cur, name: str, kind: str, upload_id: int, uploaded_by: str | None, *,
                  record: bool = True) -> IngestResult:
    """The result for a file whose bytes were committed before (upload `upload_id`): nothing
    is taken again; the attempt goes into the audit log."""
    if record:
        with transaction(cur):
            audit.record(cur, kind, account=uploaded_by, outcome="already_taken", upload_id=upload_id,
                         file_name=name)
    return IngestResult(name, kind, committed=False, already_taken=True, upload_id=upload_id)


def _already_taken(con, sha: str, kind: str) -> int | None:
    row = con.execute(
        "SELECT max(upload_id) FROM uploads WHERE sha256 = ? AND kind = ? AND outcome = 'committed'",
        [sha, kind],
    ).fetchall()[0]
    return row[0]


def ingest(con, source, *, name: str | None = None, uploaded_by: str | None = None,
           scope: str | None = None, commit: bool = True, today: date | None = None,
           record_rejection: bool | None = None) -> IngestResult:
    """Validate a counts file (long or wide; CSV or Excel) and commit it in one transaction.

    Raises ValidationError (listing every problem) when anything is wrong: then nothing of the
    file is kept. With a `scope` (a unit code: what a unit head's account may report for), a row
    for any unit outside that unit's subtree is a problem. With commit=False only checks and
    reports what would change. A file whose bytes were already committed is not taken again.
    Every outcome goes into the audit log under `uploaded_by`; a rejection found by a check only
    with record_rejection=True (an upload page's preview: the file was sent, and never committed).
    """
    today = today or vietnam_today()
    cur = con.cursor()
    try:
        return _ingest(con, cur, source, name=name, uploaded_by=uploaded_by, scope=scope, commit=commit,
                       today=today, record_rejection=commit if record_rejection is None else record_rejection)
    finally:
        cur.close()


def _ingest(con, cur, source, *, name, uploaded_by, scope, commit, today, record_rejection) -> IngestResult:
    data, name = _source_bytes(source, name)
    sha = _sha(data)
    taken = _already_taken(cur, sha, "counts")
    if taken is not None:
        return _taken_before(cur, name, "counts", taken, uploaded_by, record=commit)
    checks = {"today": today, "scope": scope}
    with _rejections_recorded(con, cur, kind="counts", name=name, sha=sha, uploaded_by=uploaded_by,
                              record=record_rejection):
        name, header, problems = _stage_counts(cur, data, name)
        if not problems:
            if not cur.execute("SELECT count(*) FROM long_rows").fetchall()[0][0]:  # a wide file of empty cells
                problems = [Problem(name, 2, None, None, "no_values")]
        clean, repeated = (False, False) if problems else _clean_check(cur, today, scope)
        if not problems and not clean:
            problems = _problems(cur, COUNTS_CHECK_SQL.format(
                number_problem=number_problem_sql("value_raw", "count")), checks, name)
        if problems:
            raise ValidationError(name, problems)
    if not commit:
        return _assess(cur, name, long=_is_long(header), repeated=repeated, preview=True)[0]
    with write_lock:  # what changes is worked out in the transaction that writes it: another writer may have just committed
        taken = _already_taken(cur, sha, "counts")
        if taken is not None:
            return _taken_before(cur, name, "counts", taken, uploaded_by)
        with transaction(cur):
            result, extends_only = _assess(cur, name, long=_is_long(header), repeated=repeated, preview=False)
            upload_id = _record_upload(cur, kind="counts", name=name, sha=sha, uploaded_by=uploaded_by,
                                       rows=result.rows, outcome="committed", problems=result.warnings)
            if result.new < result.rows:
                cur.execute(HISTORY_SQL, {"upload_id": upload_id})
            audit.record(cur, "counts", account=uploaded_by, outcome="committed", upload_id=upload_id,
                         file_name=name, rows=result.rows)
            if result.corrected:
                audit.record_corrections(cur, account=uploaded_by, upload_id=upload_id, file_name=name)
                cur.execute(CORRECTED_COUNTS_SQL, {"upload_id": upload_id})
            if result.new:
                cur.execute(NEW_COUNTS_SQL, {"upload_id": upload_id})
                cur.execute(EXTEND_SPANS_SQL if extends_only else SPLIT_SPANS_SQL)
            mark_changed(cur, upload_id)
    result.committed = True
    result.upload_id = upload_id
    return result


def _assess(cur, name: str, *, long: bool, repeated: bool, preview: bool) -> tuple[IngestResult, bool]:
    """What the checked file would change (the view `changed`: new rows and corrections), and its
    warnings (jumps and drops against each unit's previous report); and whether its new rows only
    extend open spans."""
    cur.execute(PREVIOUS_SQL.format(rows=DISTINCT_ROWS if repeated else "long_rows"))
    cur.execute(CHANGED_SQL)
    rows, new, corrected, all_open, one_date = cur.execute(ASSESS_SQL).fetchall()[0]
    if new < rows:
        cur.execute(BEFORE_STORED_SQL)
    one_date_per_key, one_new_date_per_key = (True, True) if one_date else cur.execute(KEYS_SQL).fetchall()[0]
    extends_only = all_open and one_new_date_per_key
    previous_report = STORED_BEFORE_SQL if one_date_per_key else FILE_OR_STORED_BEFORE_SQL
    warnings = _problems(cur, COUNTS_WARNINGS_SQL.format(previous_report=previous_report,
                                                         value_col="'value'" if long else "metric"),
                         {"pct": JUMP_WARNING_PCT}, name)
    shown = cur.execute("SELECT date, unit_code, metric, value FROM previous ORDER BY date, unit_code, metric "
                        "LIMIT 200").df() if preview else None
    corrections = cur.execute(
        """SELECT date, unit_code, metric, stored_value AS old_value, value AS new_value FROM changed
           WHERE NOT is_new ORDER BY date, unit_code, metric LIMIT $limit""", {"limit": MAX_PROBLEMS}
    ).df() if corrected else None
    return IngestResult(name, "counts", committed=False, rows=rows, new=new, corrected=corrected,
                        unchanged=rows - new - corrected, warnings=warnings, preview=shown,
                        corrections=corrections, flags=file_flags(cur) if preview else None), extends_only


def _staged_rows(cur) -> int:
    try:
        return cur.execute("SELECT count(*) FROM staged").fetchall()[0][0]
    except duckdb.CatalogException:  # the file was rejected before it could be staged
        return 0


# ---------------------------------------------------------------- units

UNITS_CHECK_SQL = """
WITH RECURSIVE f AS (
    SELECT line, {code} AS unit_code, {name} AS name, {parent} AS parent_code,
           {population} AS population_raw, {labour} AS labour_raw
    FROM staged
), merged AS (
    SELECT unit_code, parent_code, NULL::BIGINT AS line FROM units ANTI JOIN f USING (unit_code)
    UNION ALL
    SELECT unit_code, parent_code, line FROM f WHERE unit_code IS NOT NULL
), reachable AS (
    SELECT unit_code FROM merged WHERE unit_code = 'VN' AND parent_code IS NULL
    UNION
    SELECT m.unit_code FROM merged m JOIN reachable r ON m.parent_code = r.unit_code
), problems AS (
    SELECT line, 'unit_code' AS column_name, unit_code AS value,
        CASE WHEN unit_code IS NULL THEN 'unit_missing'
             WHEN count(*) OVER (PARTITION BY unit_code) > 1 THEN 'unit_twice' END AS message
    FROM f
    UNION ALL
    SELECT line, 'name', name, CASE WHEN name IS NULL THEN 'name_missing' END FROM f
    UNION ALL
    SELECT line, 'parent_code', parent_code,
        CASE WHEN parent_code IS NULL AND unit_code <> 'VN' THEN 'parent_needed'
             WHEN unit_code = 'VN' AND parent_code IS NOT NULL THEN 'root_has_parent'
             WHEN parent_code IS NOT NULL AND parent_code NOT IN (SELECT unit_code FROM merged)
                 THEN 'parent_unknown'
        END
    FROM f
    UNION ALL
    SELECT line, 'parent_code', parent_code,
        'parent_cycle'
    FROM merged WHERE line IS NOT NULL AND parent_code IS NOT NULL
      AND parent_code IN (SELECT unit_code FROM merged)
      AND unit_code NOT IN (SELECT unit_code FROM reachable)
    UNION ALL
    SELECT f.line, 'parent_code', f.parent_code, 'parent_has_counts' || chr(31) || f.parent_code
    FROM f JOIN unit_levels l ON l.unit_code = f.parent_code
    WHERE l.is_leaf AND EXISTS (SELECT 1 FROM counts c WHERE c.unit_code = f.parent_code)
    UNION ALL
    SELECT f.line, 'parent_code', f.parent_code,
        'unit_with_counts_moved' || chr(31) || f.parent_code || chr(31) || u.parent_code
    FROM f JOIN units u USING (unit_code)
    WHERE f.parent_code IS DISTINCT FROM u.parent_code
      AND EXISTS (SELECT 1 FROM counts c JOIN unit_tree t ON t.descendant = c.unit_code WHERE t.ancestor = f.unit_code)
    UNION ALL
    SELECT line, 'population', population_raw,
        CASE WHEN population_raw IS NOT NULL THEN {population_problem} END FROM f
    UNION ALL
    SELECT line, 'labour_force', labour_raw,
        CASE WHEN labour_raw IS NOT NULL THEN {labour_problem} END FROM f
)
SELECT DISTINCT line, column_name, value, message FROM problems WHERE message IS NOT NULL
ORDER BY line, column_name
"""


def _units_problems(cur, header: list[str], name: str) -> list[Problem]:
    problems = _check_header(name, header, UNITS_COLUMNS, UNITS_OPTIONAL)
    if problems:
        return problems
    return _problems(cur, UNITS_CHECK_SQL.format(
        code=_col(header, "unit_code"), name=_col(header, "name"), parent=_col(header, "parent_code"),
        population=_optional_text(header, "population"), labour=_optional_text(header, "labour_force"),
        population_problem=number_problem_sql("population_raw", "population"),
        labour_problem=number_problem_sql("labour_raw", "labour_force")), {}, name)


def _optional_text(header: list[str], column: str) -> str:
    return _col(header, column) if column in header else "NULL::VARCHAR"


def _commit_units(cur, header: list[str], upload_id: int) -> int:
    population, labour_force = (f"CAST({whole_number_sql(_optional_text(header, c))} AS BIGINT)"
                                for c in UNITS_OPTIONAL)
    cur.execute(f"""
        INSERT INTO units
        SELECT {_col(header, 'unit_code')}, {_col(header, 'name')}, {_col(header, 'parent_code')},
               {population}, {labour_force}
        FROM staged
        ON CONFLICT DO UPDATE SET name = EXCLUDED.name, parent_code = EXCLUDED.parent_code,
            population = coalesce(EXCLUDED.population, units.population),
            labour_force = coalesce(EXCLUDED.labour_force, units.labour_force)""")
    return cur.execute("SELECT count(*) FROM staged").fetchall()[0][0]


def _load_reference(con, source, *, kind, check, commit, name, uploaded_by) -> IngestResult:
    """Read, check and commit a units or targets file: check(cur, header, name) lists its
    problems; commit(cur, header, upload_id) writes it and returns how many rows it took."""
    cur = con.cursor()
    try:
        data, name = _source_bytes(source, name)
        sha = _sha(data)
        with _rejections_recorded(con, cur, kind=kind, name=name, sha=sha, uploaded_by=uploaded_by):
            _, name, header = read_file(cur, data, name)
            problems = check(cur, header, name)
            if problems:
                raise ValidationError(name, problems)
        with transaction(cur):
            upload_id = _record_upload(cur, kind=kind, name=name, sha=sha, uploaded_by=uploaded_by,
                                       rows=0, outcome="committed")
            rows = commit(cur, header, upload_id)
            cur.execute("UPDATE uploads SET rows = ? WHERE upload_id = ?", [rows, upload_id])
            audit.record(cur, kind, account=uploaded_by, outcome="committed", upload_id=upload_id,
                         file_name=name, rows=rows)
            rebuild_structure(cur)
        return IngestResult(name, kind, committed=True, upload_id=upload_id, rows=rows)
    finally:
        cur.close()


def load_units(con, source, *, name: str | None = None, uploaded_by: str | None = None) -> IngestResult:
    """Add new units and update the names and parents of known ones; reject cycles and orphans."""
    return _load_reference(con, source, kind="units", check=_units_problems, commit=_commit_units,
                           name=name, uploaded_by=uploaded_by)


# ---------------------------------------------------------------- targets

TARGETS_CHECK_SQL = """
WITH f AS (
    SELECT line, {code} AS unit_code, lower({metric}) AS metric,
           {milestone} AS milestone_raw, {target} AS target_raw,
           {milestone_expr} AS milestone, TRY_CAST({digits} AS BIGINT) AS target
    FROM staged
), placed AS (
    SELECT f.*, c.campaign_id FROM f LEFT JOIN campaigns c
        ON f.milestone > c.baseline AND f.milestone <= c.ends
), problems AS (
    SELECT line, 'unit_code' AS column_name, unit_code AS value,
        CASE WHEN unit_code IS NULL THEN 'unit_missing'
             WHEN unit_code NOT IN (SELECT unit_code FROM units) THEN 'target_unit_unknown' END AS message
    FROM placed
    UNION ALL
    SELECT line, 'metric', metric,
        CASE WHEN metric IS NULL THEN 'metric_missing'
             WHEN metric NOT IN (SELECT metric FROM metrics)
                 THEN 'metric_unknown' || chr(31) || (SELECT string_agg(metric, ', ' ORDER BY sort_order) FROM metrics)
        END FROM placed
    UNION ALL
    SELECT line, 'milestone', milestone_raw,
        CASE WHEN milestone_raw IS NULL THEN 'milestone_missing'
             WHEN milestone IS NULL THEN 'milestone_invalid'
             WHEN campaign_id IS NULL THEN 'milestone_outside'
             WHEN count(DISTINCT campaign_id) OVER () > 1 THEN 'milestone_other_campaign'
             WHEN milestone NOT IN (SELECT p.milestone FROM phases p WHERE p.campaign_id = placed.campaign_id)
                 THEN 'milestone_not_a_milestone' || chr(31) || (
                     SELECT string_agg(strftime(p.milestone, '%d/%m/%Y'), ', ' ORDER BY p.milestone)
                     FROM phases p WHERE p.campaign_id = placed.campaign_id)
        END FROM placed
    UNION ALL
    SELECT line, 'target', target_raw, {target_problem} FROM placed
    UNION ALL
    SELECT line, 'target', target_raw,
        'target_conflict' || chr(31) || first_line
    FROM (SELECT *, first_value(line) OVER w AS first_line, first_value(target) OVER w AS first_target
          FROM placed WHERE target IS NOT NULL AND milestone IS NOT NULL
          WINDOW w AS (PARTITION BY unit_code, metric, milestone ORDER BY line))
    WHERE target <> first_target
)
SELECT line, column_name, value, message FROM problems WHERE message IS NOT NULL ORDER BY line, column_name
"""


def _target_columns(header: list[str]) -> dict[str, str]:
    return {"code": _col(header, "unit_code"), "metric": _col(header, "metric"),
            "milestone": _col(header, "milestone"), "target": _col(header, "target")}


def _targets_problems(cur, header: list[str], name: str) -> list[Problem]:
    problems = _check_header(name, header, TARGETS_COLUMNS, ())
    if problems:
        return problems
    columns = _target_columns(header)
    return _problems(cur, TARGETS_CHECK_SQL.format(
        **columns, milestone_expr=date_sql(columns["milestone"]), digits=whole_number_sql(columns["target"]),
        target_problem=number_problem_sql("target_raw", "target")), {}, name)


# The file's rows, with the campaign their milestones belong to (the checks made sure there is one).
NEW_TARGETS_SQL = """
CREATE OR REPLACE TEMP TABLE new_targets AS
SELECT DISTINCT c.campaign_id, {code} AS unit_code, lower({metric}) AS metric,
       {milestone_expr} AS milestone, CAST({digits} AS BIGINT) AS target
FROM staged JOIN campaigns c ON {milestone_expr} > c.baseline AND {milestone_expr} <= c.ends
"""

# What the campaign has that the file does not: how many, and the first few.
DROPPED_TARGETS_SQL = """
SELECT count(*), string_agg(unit_code || ' ' || metric || ' ' || strftime(milestone, '%d/%m/%Y'), ', '
                            ORDER BY unit_code, metric, milestone) FILTER (n <= 5)
FROM (SELECT t.*, row_number() OVER (ORDER BY t.unit_code, t.metric, t.milestone) AS n
      FROM targets t ANTI JOIN new_targets USING (campaign_id, unit_code, metric, milestone)
      WHERE t.campaign_id IN (SELECT campaign_id FROM new_targets))
"""


def _stage_targets(cur, header: list[str]) -> None:
    columns = _target_columns(header)
    cur.execute(NEW_TARGETS_SQL.format(code=columns["code"], metric=columns["metric"],
                                       milestone_expr=date_sql(columns["milestone"]),
                                       digits=whole_number_sql(columns["target"])))


def _commit_targets(cur, header: list[str], upload_id: int) -> int:
    _stage_targets(cur, header)
    cur.execute("DELETE FROM targets WHERE campaign_id IN (SELECT campaign_id FROM new_targets)")
    cur.execute("INSERT INTO targets SELECT *, ? FROM new_targets", [upload_id])
    return cur.execute("SELECT count(*) FROM new_targets").fetchall()[0][0]


def _targets_checker(replace_all: bool):
    """The checks of a targets file; unless replace_all, dropping a target the campaign has is one."""
    def check(cur, header: list[str], name: str) -> list[Problem]:
        problems = _targets_problems(cur, header, name)
        if problems or replace_all:
            return problems
        _stage_targets(cur, header)
        dropped, examples = cur.execute(DROPPED_TARGETS_SQL).fetchall()[0]
        return [Problem(name, None, None, None, "targets_dropped", (str(dropped), examples))] if dropped else []
    return check


def load_targets(con, source, *, name: str | None = None, uploaded_by: str | None = None,
                 replace_all: bool = False) -> IngestResult:
    """Replace every target of the file's campaign with the file's rows. A file that leaves out
    targets the campaign has (the dispatch's national ones, say) is rejected, saying which,
    unless replace_all confirms that it is the whole table."""
    return _load_reference(con, source, kind="targets", check=_targets_checker(replace_all),
                           commit=_commit_targets, name=name, uploaded_by=uploaded_by)


def upload_history(con, *, unit: str | None = None, kinds: tuple[str, ...] | None = None,
                   outcome: str | None = None, limit: int = 50) -> pd.DataFrame:
    """The latest uploads, newest first: upload_id, received_at, kind, file_name, uploaded_by,
    rows, outcome, units (how many units the upload reported for), first_unit, messages. `unit` keeps the
    uploads that reported for it or any unit below it; `kinds` keeps counts, units or targets uploads;
    `outcome` keeps the committed or the rejected ones (the first committed counts upload is
    when the figures were last updated)."""
    return con.execute(
        """
        WITH chosen AS (
            SELECT * FROM uploads u
            WHERE ($kinds IS NULL OR list_contains($kinds, u.kind)) AND ($outcome IS NULL OR u.outcome = $outcome)
              AND ($unit IS NULL OR EXISTS (
                SELECT 1 FROM upload_rows h WHERE h.upload_id = u.upload_id AND h.unit_code IN (
                    SELECT descendant FROM unit_tree WHERE ancestor = $unit)))
            ORDER BY u.upload_id DESC LIMIT $limit
        ), reported AS (
            SELECT upload_id, count(DISTINCT unit_code) AS units, min(unit_code) AS first_unit
            FROM upload_rows
            WHERE upload_id >= (SELECT min(upload_id) FROM chosen) AND upload_id IN (SELECT upload_id FROM chosen)
            GROUP BY upload_id
        )
        SELECT c.upload_id, c.received_at, c.kind, c.file_name, c.uploaded_by, c.rows, c.outcome,
               coalesce(r.units, 0) AS units, r.first_unit, c.messages
        FROM chosen c LEFT JOIN reported r USING (upload_id)
        ORDER BY c.upload_id DESC
        """,
        {"unit": unit, "limit": limit, "kinds": list(kinds) if kinds else None, "outcome": outcome},
    ).df()

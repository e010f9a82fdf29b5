"""Reading a file: its name and size against the limits, its text (UTF-8, UTF-16, a workbook parsed in
the worker process) and its rows staged in DuckDB by DuckDB's CSV reader, each row's width checked first."""
from __future__ import annotations

import csv
import io
import itertools
import os
import re
import tempfile
import threading
import unicodedata
import zipfile
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from .. import worker
from ..errors import MAX_PROBLEMS, Problem, SprintError, ValidationError
from ..limits import (MAX_COLUMNS, MAX_FILE_BYTES, MAX_HEADER_CHARS, MAX_NAME_CHARS, MAX_ROWS, MAX_SECONDS,
                      MAX_UNZIPPED_BYTES, MAX_WORKBOOK_SECONDS, MAX_ZIP_PARTS)
from .rules import _capped

EXCEL_SUFFIXES = (".xlsx", ".xlsm")
MAX_LINE = 2_000_000  # DuckDB's reader rejects a longer line
csv.field_size_limit(MAX_LINE + 1)  # Python's reader must follow every cell DuckDB's can


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


def _staged_rows(cur) -> int:
    try:
        return cur.execute("SELECT count(*) FROM staged").fetchall()[0][0]
    except duckdb.CatalogException:  # the file was rejected before it could be staged
        return 0

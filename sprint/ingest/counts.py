"""Counts files: the checks of a day's report, what it would change (new counts, corrections,
warnings), and its commit in one transaction (history, spans, the units' changes)."""
from __future__ import annotations

from datetime import date

from .. import audit
from ..anomalies import file_flags
from ..errors import MAX_PROBLEMS, Problem, ValidationError
from ..store import transaction, vietnam_today, writing
from ..structure import mark_changed
from .history import IngestResult, _already_taken, _record_upload, _rejections_recorded, _sha, _taken_before
from .reading import _source_bytes, read_file
from .rules import (LONG_REFERENCE, MAX_VALUE_DIGITS, _check_header, _col, _problems,
                    date_sql, number_problem_sql, whole_number_sql)

JUMP_WARNING_PCT = 20

# Each target group's count (a metric part of another, metrics.part_of) against its metric's, for
# the same unit and day, where the file has either: each from the file, else the stored count as it
# stands that day (its latest report on or before it: a group reported on Fridays against a metric
# reported daily). A group above its metric is refused, on the group's line where the file has it, else
# on the metric's. Only the keys of the file's groups and grouped metrics are looked up. (Counted,
# never asked with EXISTS: DuckDB 2.0 plans EXISTS over these outer joins as nested loops, minutes
# for a file of 140,000 rows, against 0.07 s.)
GROUP_PAIRS_SQL = """
grouped AS (
    SELECT metric AS target_group, part_of AS metric FROM metrics WHERE part_of IS NOT NULL
),
group_keys AS (
    SELECT DISTINCT r.day, r.unit_raw, g.target_group, g.metric
    FROM long_rows r JOIN grouped g ON r.metric_raw IN (g.target_group, g.metric)
    WHERE r.day IS NOT NULL AND r.count IS NOT NULL
),
group_pairs AS (
    SELECT k.*, coalesce(gf.line, mf.line) AS line,
        CASE WHEN gf.line IS NOT NULL THEN k.target_group ELSE k.metric END AS cell_metric,
        coalesce(gf.count, gc.value) AS group_count, coalesce(mf.count, mc.value) AS metric_count
    FROM group_keys k
    LEFT JOIN long_rows gf ON gf.day = k.day AND gf.unit_raw = k.unit_raw AND gf.metric_raw = k.target_group
    LEFT JOIN long_rows mf ON mf.day = k.day AND mf.unit_raw = k.unit_raw AND mf.metric_raw = k.metric
    LEFT JOIN counts gc ON gc.unit_code = k.unit_raw AND gc.metric = k.target_group
        AND gc.date <= k.day AND k.day < gc.valid_until AND gc.unit_code IN (SELECT unit_raw FROM group_keys)
    LEFT JOIN counts mc ON mc.unit_code = k.unit_raw AND mc.metric = k.metric
        AND mc.date <= k.day AND k.day < mc.valid_until AND mc.unit_code IN (SELECT unit_raw FROM group_keys)
    WHERE coalesce(gf.count, gc.value) > coalesce(mf.count, mc.value)
)"""

COUNTS_CHECK_SQL = """
WITH r AS (SELECT * FROM long_cells), known AS (
    SELECT r.*, u.unit_code IS NOT NULL AS unit_known,
        NOT coalesce(l.is_leaf, true) AS unit_has_children,
        $scope IS NULL OR r.unit_raw IN (SELECT descendant FROM unit_tree WHERE ancestor = $scope) AS in_scope,
        m.metric IS NOT NULL AS metric_known, m.sum_of AS metric_sums
    FROM r LEFT JOIN units u ON u.unit_code = r.unit_raw LEFT JOIN unit_levels l ON l.unit_code = r.unit_raw
    LEFT JOIN metrics m ON m.metric = r.metric_raw
), """ + GROUP_PAIRS_SQL + """, problems AS (
    SELECT line, date_col AS column_name, date_raw AS value,
        CASE WHEN date_raw IS NULL THEN 'date_missing'
             WHEN day IS NULL THEN 'date_invalid'
             WHEN day > $today THEN 'date_future' || chr(31) || strftime($today, '%d/%m/%Y')
             WHEN $reference AND year(day) >= (SELECT min(year(baseline)) FROM campaigns)
                 THEN 'date_not_earlier' || chr(31) || (SELECT min(year(baseline))::VARCHAR FROM campaigns)
             WHEN NOT $reference AND year(day) NOT IN (SELECT year(baseline) FROM campaigns)
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
             WHEN NOT metric_known THEN 'metric_unknown' || chr(31) || (SELECT string_agg(metric, ', ' ORDER BY sort_order) FROM metrics WHERE sum_of IS NULL)
             WHEN metric_sums IS NOT NULL THEN 'metric_summed' || chr(31) || replace(metric_sums, '+', ', ')
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
    UNION ALL
    SELECT p.line, c.value_col, c.value_raw,
        'group_above_metric' || chr(31) || p.target_group || chr(31) || p.group_count || chr(31) || p.metric
            || chr(31) || p.metric_count
    FROM group_pairs p JOIN known c ON c.line = p.line AND c.metric_raw = p.cell_metric
    WHERE c.in_scope AND NOT c.unit_has_children  -- else the line's unit is its one problem
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
WITH {GROUP_PAIRS_SQL}, keys AS (
    SELECT min(count) <> max(count) AS conflict, count(*) > 1 AS repeated
    FROM long_rows GROUP BY day, unit_raw, metric_raw
), broken AS (
    SELECT count(*) AS rows
    FROM long_rows r
    LEFT JOIN unit_levels l ON l.unit_code = r.unit_raw
    LEFT JOIN metrics m ON m.metric = r.metric_raw
    {{scope_join}}
    WHERE r.day IS NULL OR r.day > $today
       OR CASE WHEN $reference THEN year(r.day) >= (SELECT min(year(baseline)) FROM campaigns)
               ELSE year(r.day) NOT IN (SELECT year(baseline) FROM campaigns) END
       OR l.is_leaf IS NOT TRUE OR m.metric IS NULL OR m.sum_of IS NOT NULL
       OR r.count IS NULL OR r.count >= 10 ** {MAX_VALUE_DIGITS} {{scope_rule}}
)
SELECT (SELECT rows FROM broken) = 0 AND NOT coalesce(bool_or(conflict), false) AND (SELECT count(*) FROM group_pairs) = 0,
       coalesce(bool_or(repeated), false)
FROM keys
"""


def _clean_check(cur, today: date, scope: str | None, reference: bool) -> tuple[bool, bool]:
    """Whether the staged long rows break no rule of COUNTS_CHECK_SQL, and whether a key is on
    several lines."""
    if scope is None:
        return cur.execute(COUNTS_CLEAN_SQL.format(scope_join="", scope_rule=""),
                           {"today": today, "reference": reference}).fetchall()[0]
    return cur.execute(COUNTS_CLEAN_SQL.format(
        scope_join="LEFT JOIN unit_tree s ON s.ancestor = $scope AND s.descendant = r.unit_raw",
        scope_rule="OR s.descendant IS NULL"), {"today": today, "scope": scope, "reference": reference}).fetchall()[0]


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
SELECT CASE WHEN stored_value = value THEN $upload_id ELSE stored_upload END, date, unit_code, metric, stored_value,
       $upload_id
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


def _stage_counts(cur, data: bytes, name: str, key: str = "unit_code",
                  reference: tuple[str, ...] = LONG_REFERENCE) -> tuple[str, list[str], list[Problem]]:
    """Read a counts file into long rows (the view long_cells, and long_rows: line, unit_raw,
    metric_raw, day, count); return its name, header and the problems of its header. `key` is
    the column that names who reports (a unit; a collector of the collection network, whose
    reports have the same forms); `reference`, the columns read by the clerk and never taken."""
    _, name, header = read_file(cur, data, name, parsed=_long_parsed)
    cell_columns = f"'date' AS date_col, '{key}' AS unit_col"  # the file's columns a problem names
    if _is_long(header):
        problems = _check_header(name, header, ("date", key, "metric", "value"), reference)
        if not problems:  # an empty value is a count not reported (as an empty cell of a wide file)
            cur.execute(f"""CREATE OR REPLACE TEMP VIEW long_cells AS
                SELECT line, {_col(header, 'date')} AS date_raw, {_col(header, key)} AS unit_raw,
                       lower({_col(header, 'metric')}) AS metric_raw, {_col(header, 'value')} AS value_raw, day, count,
                       {cell_columns}, 'metric' AS metric_col, 'value' AS value_col
                FROM staged WHERE {_col(header, 'value')} IS NOT NULL""")
            cur.execute("CREATE OR REPLACE TEMP VIEW long_rows AS SELECT line, unit_raw, metric_raw, day, count FROM long_cells")
        return name, header, problems
    keys = ("date", key)
    metric_columns = tuple(c for c in header if c not in keys and c not in reference)
    known_metrics = tuple(m for (m,) in cur.execute("SELECT metric FROM metrics ORDER BY sort_order").fetchall())
    problems = _check_header(name, header, keys, known_metrics + tuple(c for c in reference if c in header))
    if not problems and not metric_columns:
        problems.append(Problem(name, 1, None, None, "no_metric_column"))
    if not problems:  # the header's metric columns are known metrics: their names are safe as literals
        rows_sql = " UNION ALL ".join(
            f"""SELECT line, {_col(header, 'date')} AS date_raw, {_col(header, key)} AS unit_raw,
                       '{metric.replace("'", "''")}' AS metric_raw, {_col(header, metric)} AS value_raw
                FROM staged WHERE {_col(header, metric)} IS NOT NULL"""
            for metric in metric_columns)
        cur.execute(f"""CREATE OR REPLACE TEMP VIEW long_cells AS
            SELECT *, {date_sql('date_raw')} AS day, TRY_CAST({whole_number_sql('value_raw')} AS BIGINT) AS count,
                   {cell_columns}, metric_raw AS metric_col, metric_raw AS value_col
            FROM ({rows_sql})""")
        cur.execute("CREATE OR REPLACE TEMP TABLE long_rows AS "
                    "SELECT line, unit_raw, metric_raw, day, count FROM long_cells")
    return name, header, problems


def ingest(con, source, *, name: str | None = None, uploaded_by: str | None = None,
           scope: str | None = None, commit: bool = True, today: date | None = None,
           record_rejection: bool | None = None, reference: bool = False, received_at=None) -> IngestResult:
    """Validate a counts file (long or wide; CSV or Excel) and commit it in one transaction.

    Raises ValidationError (listing every problem) when anything is wrong: then nothing of the
    file is kept. With a `scope` (a unit code: what a unit head's account may report for), a row
    for any unit outside that unit's subtree is a problem. With commit=False only checks and
    reports what would change. A file whose bytes were already committed is not taken again.
    Every outcome goes into the audit log under `uploaded_by`; a rejection found by a check only
    with record_rejection=True (an upload page's preview: the file was sent, and never committed).
    With reference=True the file is reference history (kind 'reference'): counts of years before
    the first campaign's (last year's, for the change over a year), with the same checks, each
    dated before that year; a daily report's dates are in a campaign's year. `received_at` dates
    the upload (the demo's files); by default it is received now.
    """
    today = today or vietnam_today()
    cur = con.cursor()
    try:
        return _ingest(con, cur, source, name=name, uploaded_by=uploaded_by, scope=scope, commit=commit,
                       today=today, record_rejection=commit if record_rejection is None else record_rejection,
                       kind="reference" if reference else "counts", received_at=received_at)
    finally:
        cur.close()


def _ingest(con, cur, source, *, name, uploaded_by, scope, commit, today, record_rejection, kind,
            received_at) -> IngestResult:
    data, name = _source_bytes(source, name)
    sha = _sha(data)
    taken = _already_taken(cur, sha, kind)
    if taken is not None:
        return _taken_before(cur, name, kind, taken, uploaded_by, record=commit)
    reference = kind == "reference"
    checks = {"today": today, "scope": scope, "reference": reference}
    with _rejections_recorded(con, cur, kind=kind, name=name, sha=sha, uploaded_by=uploaded_by,
                              record=record_rejection):
        name, header, problems = _stage_counts(cur, data, name)
        if not problems:
            if not cur.execute("SELECT count(*) FROM long_rows").fetchall()[0][0]:  # a wide file of empty cells
                problems = [Problem(name, 2, None, None, "no_values")]
        clean, repeated = (False, False) if problems else _clean_check(cur, today, scope, reference)
        if not problems and not clean:
            problems = _problems(cur, COUNTS_CHECK_SQL.format(
                number_problem=number_problem_sql("value_raw", "count")), checks, name)
        if problems:
            raise ValidationError(name, problems)
    if not commit:
        return _assess(cur, name, kind, long=_is_long(header), repeated=repeated, preview=True)[0]
    with writing(cur):  # what changes is worked out in the transaction that writes it: another writer may have just committed
        taken = _already_taken(cur, sha, kind)
        if taken is not None:
            return _taken_before(cur, name, kind, taken, uploaded_by)
        with transaction(cur, tables=()):
            result, extends_only = _assess(cur, name, kind, long=_is_long(header), repeated=repeated, preview=False)
            upload_id = _record_upload(cur, kind=kind, name=name, sha=sha, uploaded_by=uploaded_by,
                                       rows=result.rows, outcome="committed", problems=result.warnings,
                                       received_at=received_at)
            if result.new < result.rows:
                cur.execute(HISTORY_SQL, {"upload_id": upload_id})
            audit.record(cur, kind, account=uploaded_by, outcome="committed", upload_id=upload_id,
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


def _assess(cur, name: str, kind: str, *, long: bool, repeated: bool, preview: bool) -> tuple[IngestResult, bool]:
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
    return IngestResult(name, kind, committed=False, rows=rows, new=new, corrected=corrected,
                        unchanged=rows - new - corrected, warnings=warnings, preview=shown,
                        corrections=corrections, flags=file_flags(cur) if preview else None), extends_only

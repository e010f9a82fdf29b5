"""The collection network's files: its roster (service organisations, collection points and
collection staff, each contracted by a unit), and the reports of points and staff (the new
participants each brought in since the campaign's baseline). Their targets are a targets file
keyed by collector_code (reference.COLLECTOR_TARGETS). None of it is a unit's count: the
administrative roll-up is untouched."""
from __future__ import annotations

from datetime import date

from .. import audit
from ..errors import Problem, ValidationError
from ..store import transaction, vietnam_today, writing
from .counts import _stage_counts
from .history import IngestResult, _already_taken, _record_upload, _rejections_recorded, _sha, _taken_before
from .reading import _source_bytes
from .reference import COLLECTED, _load_reference
from .rules import LONG_REFERENCE, _check_header, _col, _problems, number_problem_sql

KINDS = ("organisation", "point", "staff")
ROSTER_COLUMNS = ("collector_code", "kind", "name", "unit_code")
ROSTER_OPTIONAL = ("organisation",)
# a report's columns read by the clerk and never taken: the collector's name and last report (the template's)
REPORT_REFERENCE = ("name", *LONG_REFERENCE)

# A point or a staff member belongs to an organisation (if any) contracted by its own unit or a
# unit above it: a province's post office runs points in its communes, never in another province.
ROSTER_CHECK_SQL = """
WITH f AS (
    SELECT line, {code} AS collector_code, lower({kind}) AS kind, {name} AS name, {unit} AS unit_code,
           {organisation} AS organisation
    FROM staged
), merged AS (
    SELECT collector_code, kind, unit_code FROM collectors ANTI JOIN f USING (collector_code)
    UNION ALL SELECT collector_code, kind, unit_code FROM f WHERE collector_code IS NOT NULL
), problems AS (
    SELECT line, 'collector_code' AS column_name, collector_code AS value,
        CASE WHEN collector_code IS NULL THEN 'collector_missing'
             WHEN count(*) OVER (PARTITION BY collector_code) > 1 THEN 'collector_twice' END AS message
    FROM f
    UNION ALL
    SELECT line, 'kind', kind,
        CASE WHEN kind IS NULL OR kind NOT IN ('organisation', 'point', 'staff') THEN 'collector_kind' END FROM f
    UNION ALL
    SELECT line, 'name', name, CASE WHEN name IS NULL THEN 'collector_name_missing' END FROM f
    UNION ALL
    SELECT line, 'unit_code', unit_code,
        CASE WHEN unit_code IS NULL THEN 'unit_missing'
             WHEN unit_code NOT IN (SELECT unit_code FROM units) THEN 'target_unit_unknown' END FROM f
    UNION ALL
    SELECT f.line, 'organisation', f.organisation,
        CASE WHEN f.kind = 'organisation' THEN 'organisation_of_organisation'
             WHEN o.collector_code IS NULL OR o.kind <> 'organisation' THEN 'organisation_unknown'
             WHEN f.unit_code IN (SELECT unit_code FROM units)
                  AND NOT EXISTS (SELECT 1 FROM unit_tree t WHERE t.ancestor = o.unit_code AND t.descendant = f.unit_code)
                 THEN 'organisation_elsewhere' || chr(31) || o.unit_code END
    FROM f LEFT JOIN merged o ON o.collector_code = f.organisation
    WHERE f.organisation IS NOT NULL
)
SELECT DISTINCT line, column_name, value, message FROM problems WHERE message IS NOT NULL
ORDER BY line, column_name
"""


def _organisation(header: list[str]) -> str:
    return _col(header, "organisation") if "organisation" in header else "NULL::VARCHAR"


def _roster_problems(cur, header: list[str], name: str) -> list[Problem]:
    problems = _check_header(name, header, ROSTER_COLUMNS, ROSTER_OPTIONAL)
    if problems:
        return problems
    return _problems(cur, ROSTER_CHECK_SQL.format(
        code=_col(header, "collector_code"), kind=_col(header, "kind"), name=_col(header, "name"),
        unit=_col(header, "unit_code"), organisation=_organisation(header)), {}, name)


def _commit_roster(cur, header: list[str], upload_id: int) -> int:
    cur.execute(f"""
        INSERT INTO collectors
        SELECT {_col(header, 'collector_code')}, lower({_col(header, 'kind')}), {_col(header, 'name')},
               {_col(header, 'unit_code')}, {_organisation(header)}
        FROM staged
        ON CONFLICT DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, unit_code = EXCLUDED.unit_code,
            organisation = EXCLUDED.organisation""")
    return cur.execute("SELECT count(*) FROM staged").fetchall()[0][0]


def load_collectors(con, source, *, name: str | None = None, uploaded_by: str | None = None) -> IngestResult:
    """Add new collectors of the collection network and update known ones (collector_code, kind
    organisation|point|staff, name, unit_code: the unit that contracts it; organisation: a point's
    or a staff member's)."""
    return _load_reference(con, source, kind="collectors", check=_roster_problems, commit=_commit_roster,
                           name=name, uploaded_by=uploaded_by, rebuild=False)


# The reports of points and staff: each row, the new participants a collector has brought in
# since the campaign's baseline, as of its date. Organisations do not report (theirs is the sum of
# their members'). A sender may report for the collectors their unit's subtree contracts.
REPORTS_CHECK_SQL = f"""
WITH known AS (
    SELECT r.*, c.collector_code IS NOT NULL AS collector_known, c.kind,
        $scope IS NULL OR c.unit_code IN (SELECT descendant FROM unit_tree WHERE ancestor = $scope) AS in_scope,
        m.metric IS NOT NULL AS collected
    FROM long_cells r LEFT JOIN collectors c ON c.collector_code = r.unit_raw
    LEFT JOIN (SELECT metric FROM metrics WHERE {COLLECTED}) m ON m.metric = r.metric_raw
), problems AS (
    SELECT line, date_col AS column_name, date_raw AS value,
        CASE WHEN date_raw IS NULL THEN 'date_missing'
             WHEN day IS NULL THEN 'date_invalid'
             WHEN day > $today THEN 'date_future' || chr(31) || strftime($today, '%d/%m/%Y')
             WHEN NOT EXISTS (SELECT 1 FROM campaigns WHERE day > baseline AND day <= ends)
                 THEN 'date_outside_campaigns' END AS message
    FROM known
    UNION ALL
    SELECT line, unit_col, unit_raw,
        CASE WHEN unit_raw IS NULL THEN 'collector_missing'
             WHEN NOT collector_known THEN 'collector_unknown'
             WHEN kind = 'organisation' THEN 'collector_is_organisation'
             WHEN NOT in_scope THEN 'collector_outside_scope' || chr(31) ||
                 (SELECT name || ' (' || unit_code || ')' FROM units WHERE unit_code = $scope) END
    FROM known
    UNION ALL
    SELECT line, metric_col, metric_raw,
        CASE WHEN metric_raw IS NULL THEN 'metric_missing'
             WHEN NOT collected THEN 'metric_unknown' || chr(31) ||
                 (SELECT string_agg(metric, ', ' ORDER BY sort_order) FROM metrics WHERE {COLLECTED}) END
    FROM known
    UNION ALL
    SELECT line, value_col, value_raw, {{number_problem}} FROM known
    UNION ALL
    SELECT line, value_col, value_raw, 'collection_conflict' || chr(31) || first_line || chr(31) || first_count
    FROM (SELECT *, first_value(line) OVER w AS first_line, first_value(count) OVER w AS first_count
          FROM known WHERE day IS NOT NULL AND count IS NOT NULL
          WINDOW w AS (PARTITION BY day, unit_raw, metric_raw ORDER BY line))
    WHERE count <> first_count
)
SELECT DISTINCT line, column_name, value, message FROM problems WHERE message IS NOT NULL
ORDER BY line, column_name
"""

# each (date, collector, metric) of the file once, against the value it has now (the latest
# upload's): new, corrected or sent again unchanged
ASSESS_REPORTS_SQL = """
CREATE OR REPLACE TEMP TABLE network_rows AS
SELECT f.day AS date, f.unit_raw AS collector_code, f.metric_raw AS metric, f.count AS value, s.value AS stored
FROM (SELECT DISTINCT day, unit_raw, metric_raw, count FROM long_rows) f
LEFT JOIN (SELECT date, collector_code, metric, arg_max(value, upload_id) AS value FROM collector_reports
           WHERE collector_code IN (SELECT unit_raw FROM long_rows) GROUP BY ALL) s
  ON s.date = f.day AND s.collector_code = f.unit_raw AND s.metric = f.metric_raw
"""


def ingest_collections(con, source, *, name: str | None = None, uploaded_by: str | None = None,
                       scope: str | None = None, today: date | None = None, commit: bool = True,
                       record_rejection: bool | None = None) -> IngestResult:
    """Check and commit a report of the collection network (long: date, collector_code, metric,
    value; or wide: date, collector_code and a column per metric; CSV or Excel): each value is
    the new participants the collector has brought in since the baseline. With a `scope`, only
    collectors contracted by that unit or a unit below it. A file with any problem changes
    nothing; a file already taken is not taken again; every row of every upload is kept. With
    commit=False it is only checked, and the result says what it would change (with a preview);
    a rejection found so is recorded only with record_rejection=True (an upload page's first look)."""
    today = today or vietnam_today()
    cur = con.cursor()
    try:
        data, name = _source_bytes(source, name)
        sha = _sha(data)
        taken = _already_taken(cur, sha, "network")
        if taken is not None:
            return _taken_before(cur, name, "network", taken, uploaded_by, record=commit)
        with _rejections_recorded(con, cur, kind="network", name=name, sha=sha, uploaded_by=uploaded_by,
                                  record=commit if record_rejection is None else record_rejection):
            name, _, problems = _stage_counts(cur, data, name, key="collector_code", reference=REPORT_REFERENCE)
            if not problems and not cur.execute("SELECT count(*) FROM long_rows").fetchall()[0][0]:
                problems = [Problem(name, 2, None, None, "no_values")]
            if not problems:
                problems = _problems(cur, REPORTS_CHECK_SQL.format(
                    number_problem=number_problem_sql("value_raw", "count")), {"today": today, "scope": scope}, name)
            if problems:
                raise ValidationError(name, problems)
        if not commit:
            cur.execute(ASSESS_REPORTS_SQL)
            result = _assessed(cur, name)
            result.preview = cur.execute("SELECT date, collector_code, metric, value FROM network_rows "
                                         "ORDER BY date, collector_code, metric LIMIT 200").df()
            return result
        with writing(cur):
            taken = _already_taken(cur, sha, "network")
            if taken is not None:
                return _taken_before(cur, name, "network", taken, uploaded_by)
            with transaction(cur, tables=()):
                cur.execute(ASSESS_REPORTS_SQL)
                result = _assessed(cur, name)
                upload_id = _record_upload(cur, kind="network", name=name, sha=sha, uploaded_by=uploaded_by,
                                           rows=result.rows, outcome="committed")
                cur.execute("INSERT INTO collector_reports SELECT ?, date, collector_code, metric, value "
                            "FROM network_rows", [upload_id])
                audit.record(cur, "network", account=uploaded_by, outcome="committed", upload_id=upload_id,
                             file_name=name, rows=result.rows)
        result.committed, result.upload_id = True, upload_id
        return result
    finally:
        cur.close()


def _assessed(cur, name: str) -> IngestResult:
    """What the checked file changes: its rows, new, corrected and sent again unchanged."""
    rows, new, corrected = cur.execute(
        "SELECT count(*), count(*) FILTER (stored IS NULL), count(*) FILTER (stored <> value) FROM network_rows"
    ).fetchall()[0]
    return IngestResult(name, "network", committed=False, rows=rows, new=new, corrected=corrected,
                        unchanged=rows - new - corrected)

"""Late payers by employer (seed 004: notices to 521 late units, their names published in the
media): each unit's list to chase, what changed since its last file, a list fit for publication,
and the unit's late-payment debt checked against the sum of its employers' debts.

A file (`date,unit_code,employer_code,employer_name,amount,months_late`; CSV or Excel) is each
named unit's list of that date: every employer that owes it, the amount in VND and how many months
late. It has the checks and the history of counts: a file with any problem changes nothing and
names its line and column; a file already taken is not taken again; every upload's rows are kept,
and a unit's list of a day is the latest upload's. An employer missing from a unit's next list has
paid (it is "cleared" in the changes).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from . import audit
from .errors import Problem, ValidationError
from .ingest.history import IngestResult, _already_taken, _record_upload, _rejections_recorded, _sha, _taken_before
from .ingest.reading import _source_bytes, read_file
from .ingest.rules import _check_header, _col, _problems, date_sql, number_problem_sql, whole_number_sql
from .progress import check_filters
from .store import transaction, vietnam_today, writing

COLUMNS = ("date", "unit_code", "employer_code", "employer_name", "amount", "months_late")
MAX_MONTHS = 600
# what a province publishes of a late payer (the media, its website): the employer and its debt,
# nothing of the office's own (which unit collects, who sent the file)
PUBLISHED = ["employer_code", "employer_name", "amount", "months_late"]

CHECK_SQL = f"""
WITH f AS (
    SELECT line, {{date}} AS date_raw, {{date_expr}} AS day, {{unit}} AS unit_code, {{code}} AS employer_code,
           {{name}} AS employer_name, {{amount}} AS amount_raw, TRY_CAST({{amount_digits}} AS BIGINT) AS amount,
           {{months}} AS months_raw, TRY_CAST({{months_digits}} AS BIGINT) AS months
    FROM staged
), known AS (
    SELECT f.*, u.unit_code IS NOT NULL AS unit_known, coalesce(l.is_leaf, false) AS is_leaf,
        $scope IS NULL OR f.unit_code IN (SELECT descendant FROM unit_tree WHERE ancestor = $scope) AS in_scope
    FROM f LEFT JOIN units u USING (unit_code) LEFT JOIN unit_levels l USING (unit_code)
), problems AS (
    SELECT line, 'date' AS column_name, date_raw AS value,
        CASE WHEN date_raw IS NULL THEN 'date_missing' WHEN day IS NULL THEN 'date_invalid'
             WHEN day > $today THEN 'date_future' || chr(31) || strftime($today, '%d/%m/%Y')
             WHEN year(day) NOT IN (SELECT year(baseline) FROM campaigns)
                 THEN 'date_outside' || chr(31) || (SELECT string_agg(DISTINCT year(baseline)::VARCHAR, ', ')
                                                    FROM campaigns) END AS message
    FROM known
    UNION ALL
    SELECT line, 'unit_code', unit_code,
        CASE WHEN unit_code IS NULL THEN 'unit_missing' WHEN NOT unit_known THEN 'unit_unknown'
             WHEN NOT is_leaf THEN 'late_payer_unit_has_children'
             WHEN NOT in_scope THEN 'unit_outside_scope' || chr(31) ||
                 (SELECT name || ' (' || unit_code || ')' FROM units WHERE unit_code = $scope) END
    FROM known
    UNION ALL
    SELECT line, 'employer_code', employer_code, CASE WHEN employer_code IS NULL THEN 'employer_missing' END FROM known
    UNION ALL
    SELECT line, 'employer_name', employer_name, CASE WHEN employer_name IS NULL THEN 'employer_name_missing' END
    FROM known
    UNION ALL
    SELECT line, 'amount', amount_raw, {{amount_problem}} FROM known
    UNION ALL
    SELECT line, 'months_late', months_raw,
        coalesce({{months_problem}}, CASE WHEN months NOT BETWEEN 1 AND {MAX_MONTHS}
                                           THEN 'months_late_range' || chr(31) || '{MAX_MONTHS}' END)
    FROM known
    UNION ALL
    SELECT line, 'employer_code', employer_code, 'employer_twice' || chr(31) || first_line
    FROM (SELECT *, first_value(line) OVER (PARTITION BY day, unit_code, employer_code ORDER BY line) AS first_line
          FROM known WHERE employer_code IS NOT NULL AND day IS NOT NULL)
    WHERE line <> first_line
)
SELECT DISTINCT line, column_name, value, message FROM problems WHERE message IS NOT NULL ORDER BY line, column_name
"""


def _columns(header: list[str]) -> dict[str, str]:
    names = {column: _col(header, column) for column in COLUMNS}
    return {"date": names["date"], "date_expr": date_sql(names["date"]), "unit": names["unit_code"],
            "code": names["employer_code"], "name": names["employer_name"], "amount": names["amount"],
            "amount_digits": whole_number_sql(names["amount"]), "months": names["months_late"],
            "months_digits": whole_number_sql(names["months_late"]),
            "amount_problem": number_problem_sql("amount_raw", "amount"),
            "months_problem": number_problem_sql("months_raw", "months_late")}


def ingest_late_payers(con, source, *, name: str | None = None, uploaded_by: str | None = None,
                       scope: str | None = None, today: date | None = None, commit: bool = True,
                       record_rejection: bool | None = None) -> IngestResult:
    """Check and commit a late payers file (see the module). With a `scope`, only units of that
    subtree. Rows: how many employers it lists. With commit=False it is only checked (a preview of
    its rows); a rejection found so is recorded only with record_rejection=True."""
    today = today or vietnam_today()
    cur = con.cursor()
    try:
        data, name = _source_bytes(source, name)
        sha = _sha(data)
        taken = _already_taken(cur, sha, "late_payers")
        if taken is not None:
            return _taken_before(cur, name, "late_payers", taken, uploaded_by, record=commit)
        with _rejections_recorded(con, cur, kind="late_payers", name=name, sha=sha, uploaded_by=uploaded_by,
                                  record=commit if record_rejection is None else record_rejection):
            _, name, header = read_file(cur, data, name)
            problems = _check_header(name, header, COLUMNS, ())
            if not problems:
                problems = _problems(cur, CHECK_SQL.format(**_columns(header)), {"today": today, "scope": scope}, name)
            if problems:
                raise ValidationError(name, problems)
        columns = _columns(header)
        if not commit:
            preview = cur.execute(f"""SELECT {columns['date_expr']} AS date, {columns['unit']} AS unit_code,
                {columns['code']} AS employer_code, CAST({columns['amount_digits']} AS BIGINT) AS value
                FROM staged ORDER BY line LIMIT 200""").df()
            rows = cur.execute("SELECT count(*) FROM staged").fetchall()[0][0]
            return IngestResult(name, "late_payers", committed=False, rows=rows, new=rows, preview=preview)
        with writing(cur), transaction(cur, tables=()):
            taken = _already_taken(cur, sha, "late_payers")
            if taken is not None:
                return _taken_before(cur, name, "late_payers", taken, uploaded_by)
            rows = cur.execute("SELECT count(*) FROM staged").fetchall()[0][0]
            upload_id = _record_upload(cur, kind="late_payers", name=name, sha=sha, uploaded_by=uploaded_by,
                                       rows=rows, outcome="committed")
            cur.execute(f"""INSERT INTO late_payers
                SELECT ?, {columns['date_expr']}, {columns['unit']}, {columns['code']}, {columns['name']},
                       CAST({columns['amount_digits']} AS BIGINT), CAST({columns['months_digits']} AS INTEGER)
                FROM staged""", [upload_id])
            audit.record(cur, "late_payers", account=uploaded_by, outcome="committed", upload_id=upload_id,
                         file_name=name, rows=rows)
        return IngestResult(name, "late_payers", committed=True, upload_id=upload_id, rows=rows)
    finally:
        cur.close()


# each leaf's lists: of each date, the latest upload's; its list as of a day, the latest on or
# before it, and the one before that (for the changes)
LISTS_CTES = """
lists AS (
    SELECT unit_code, date, max(upload_id) AS upload_id FROM late_payers
    WHERE unit_code IN (SELECT descendant FROM unit_tree WHERE ancestor = $unit) AND date <= $as_of
    GROUP BY unit_code, date
),
ordered AS (
    SELECT *, row_number() OVER (PARTITION BY unit_code ORDER BY date DESC) AS recency FROM lists
),
now AS (
    SELECT p.*, o.date AS list_date FROM late_payers p JOIN ordered o USING (unit_code, date, upload_id)
    WHERE o.recency = 1
),
before AS (
    SELECT p.*, o.date AS list_date FROM late_payers p JOIN ordered o USING (unit_code, date, upload_id)
    WHERE o.recency = 2
)"""

LIST_SQL = f"""
WITH {LISTS_CTES}
SELECT n.employer_code, n.employer_name, n.unit_code, u.name AS unit_name, n.amount, n.months_late,
       n.list_date, b.amount AS previous_amount,
       CASE WHEN b.employer_code IS NULL THEN 'new' WHEN n.amount > b.amount THEN 'grew'
            WHEN n.amount < b.amount THEN 'shrank' ELSE 'same' END AS change
FROM now n JOIN units u USING (unit_code)
LEFT JOIN before b ON b.unit_code = n.unit_code AND b.employer_code = n.employer_code
ORDER BY n.amount DESC, n.months_late DESC, n.employer_code
"""

CLEARED_SQL = f"""
WITH {LISTS_CTES}
SELECT b.employer_code, b.employer_name, b.unit_code, u.name AS unit_name, 0::BIGINT AS amount,
       NULL::INTEGER AS months_late, n_dates.list_date, b.amount AS previous_amount, 'cleared' AS change
FROM before b JOIN units u USING (unit_code)
JOIN (SELECT DISTINCT unit_code, list_date FROM now) n_dates USING (unit_code)
ANTI JOIN now n ON n.unit_code = b.unit_code AND n.employer_code = b.employer_code
ORDER BY b.amount DESC, b.employer_code
"""

CHECK_RATE_SQL = f"""
WITH {LISTS_CTES}
SELECT $unit AS unit_code, (SELECT name FROM units WHERE unit_code = $unit) AS unit_name,
       count(*) AS employers, round(sum(amount) / 1e6, 1) AS employers_debt
FROM now
"""


def late_payers(con, *, as_of: date, unit: str | None = None) -> pd.DataFrame:
    """The late payers to chase in `unit`'s subtree (default: the nation) as of as_of, the largest
    debt first, then the oldest: employer_code, employer_name, unit_code, unit_name (the unit that
    collects), amount (VND), months_late, list_date (the unit's list it is on), previous_amount
    (on the unit's list before) and change (new | grew | shrank | same)."""
    unit = unit or "VN"
    check_filters(con, unit=unit)
    return con.cursor().execute(LIST_SQL, {"unit": unit, "as_of": as_of}).df()


def late_payer_changes(con, *, as_of: date, unit: str | None = None) -> pd.DataFrame:
    """What changed since each unit's list before: the list's new, grown and shrunk debts, and the
    employers no longer on it (cleared: amount 0); the columns of late_payers."""
    unit = unit or "VN"
    check_filters(con, unit=unit)
    parameters = {"unit": unit, "as_of": as_of}
    listed = con.cursor().execute(LIST_SQL, parameters).df()
    cleared = con.cursor().execute(CLEARED_SQL, parameters).df()
    changed = listed[listed["change"] != "same"]
    return pd.concat([frame for frame in (changed, cleared) if len(frame)] or [changed], ignore_index=True)


def late_payers_published(con, *, as_of: date, unit: str | None = None, months: int = 1) -> pd.DataFrame:
    """The list fit for publication: only PUBLISHED (the employer's code and name, its debt in VND
    and months late), of the employers `months` or more months late, the largest debt first."""
    listed = late_payers(con, as_of=as_of, unit=unit)
    return listed.loc[listed["months_late"] >= months, PUBLISHED].reset_index(drop=True)


def late_payers_check(con, *, as_of: date, unit: str | None = None) -> pd.DataFrame:
    """A unit's late-payment debt (its figure, million VND) against the sum of its employers' debts
    on their latest lists: unit_code, unit_name, employers, employers_debt (million VND), late_debt,
    difference (late_debt - employers_debt), difference_pct (of late_debt)."""
    from .progress import late_payment

    unit = unit or "VN"
    check_filters(con, unit=unit)
    summed = con.cursor().execute(CHECK_RATE_SQL, {"unit": unit, "as_of": as_of}).df()
    rate = late_payment(con, as_of=as_of, unit=unit)
    debt = float(rate["late_debt"].iloc[0]) if len(rate) else None
    summed["late_debt"] = debt
    summed["difference"] = None if debt is None else round(debt - float(summed["employers_debt"].fillna(0).iloc[0]), 1)
    summed["difference_pct"] = (None if not debt else round(100 * summed["difference"].iloc[0] / debt, 2))
    return summed


def published_pdf(con, *, as_of: date, unit: str | None = None, months: int = 1, lang: str = "vi") -> bytes:
    """The publication list as an A4 PDF."""
    from . import i18n
    from .pdf import HEADINGS, Page

    unit = unit or "VN"
    listed = late_payers_published(con, as_of=as_of, unit=unit, months=months)
    name = con.execute("SELECT name FROM units WHERE unit_code = ?", [unit]).fetchall()[0][0]
    pdf = Page(flowing=True)
    pdf.line_of(i18n.t("late_payers_publication_title", lang, unit=name, day=i18n.day(as_of, lang)), 14, True, 7)
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 8.5)
    with pdf.table(col_widths=(30, 90, 40, 26), text_align=("LEFT", "LEFT", "RIGHT", "RIGHT"), line_height=5,
                   headings_style=HEADINGS) as table:
        table.row([i18n.t(f"late_payers_{column}", lang) for column in PUBLISHED])
        for row in listed.itertuples():
            table.row([row.employer_code, row.employer_name, i18n.number(row.amount, lang),
                       i18n.number(row.months_late, lang)])
    return bytes(pdf.output())

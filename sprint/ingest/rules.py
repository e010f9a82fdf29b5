"""The rules every kind of file shares: its header against the columns it must and may have, and
whole numbers and dates as SQL over the staged rows, each problem with its line and column."""
from __future__ import annotations

from ..errors import MAX_PROBLEMS, Problem

# the long template's reference columns (the unit's last report): read by the clerk, never taken
LONG_REFERENCE = ("last_value", "last_date")
MAX_VALUE_DIGITS = 13


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

"""Units and targets files: their own checks, and a commit that rebuilds the derived tables."""
from __future__ import annotations

from dataclasses import dataclass

from .. import audit
from ..errors import Problem, ValidationError
from ..store import transaction
from ..structure import rebuild_structure
from .history import IngestResult, _record_upload, _rejections_recorded, _sha
from .reading import _source_bytes, read_file
from .rules import _check_header, _col, _problems, date_sql, number_problem_sql, whole_number_sql

UNITS_COLUMNS = ("unit_code", "name", "parent_code")
UNITS_OPTIONAL = ("population", "labour_force")
TARGETS_COLUMNS = ("unit_code", "metric", "milestone", "target")
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


def _load_reference(con, source, *, kind, check, commit, name, uploaded_by, rebuild: bool = True) -> IngestResult:
    """Read, check and commit a units or targets file (or a file of the collection network's):
    check(cur, header, name) lists its problems; commit(cur, header, upload_id) writes it and
    returns how many rows it took. With rebuild, the derived structure is built again (units and
    targets are what it is built from)."""
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
            if rebuild:
                rebuild_structure(cur)
        return IngestResult(name, kind, committed=True, upload_id=upload_id, rows=rows)
    finally:
        cur.close()


def load_units(con, source, *, name: str | None = None, uploaded_by: str | None = None) -> IngestResult:
    """Add new units and update the names and parents of known ones; reject cycles and orphans."""
    return _load_reference(con, source, kind="units", check=_units_problems, commit=_commit_units,
                           name=name, uploaded_by=uploaded_by)


TARGETS_CHECK_SQL = """
WITH f AS (
    SELECT line, {code} AS who, lower({metric}) AS metric,
           {milestone} AS milestone_raw, {target} AS target_raw,
           {milestone_expr} AS milestone, TRY_CAST({digits} AS BIGINT) AS target
    FROM staged
), placed AS (
    SELECT f.*, c.campaign_id FROM f LEFT JOIN campaigns c
        ON f.milestone > c.baseline AND f.milestone <= c.ends
), problems AS (
    SELECT line, '{key}' AS column_name, who AS value,
        CASE WHEN who IS NULL THEN '{missing}'
             WHEN who NOT IN (SELECT {key} FROM {roster}) THEN '{unknown}' END AS message
    FROM placed
    UNION ALL
    SELECT line, 'metric', metric,
        CASE WHEN metric IS NULL THEN 'metric_missing'
             WHEN metric NOT IN (SELECT metric FROM metrics WHERE {metrics})
                 THEN 'metric_unknown' || chr(31) || (SELECT string_agg(metric, ', ' ORDER BY sort_order)
                                                      FROM metrics WHERE {metrics})
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
          WINDOW w AS (PARTITION BY who, metric, milestone ORDER BY line))
    WHERE target <> first_target
)
SELECT line, column_name, value, message FROM problems WHERE message IS NOT NULL ORDER BY line, column_name
"""


@dataclass(frozen=True)
class Targeted:
    """Who a targets file gives targets to: units (the campaign's targets), or the collectors of
    the collection network (sprint.network). The same checks and the same replacement."""

    key: str          # the file's column, and the roster's key
    roster: str       # the table of who may have a target
    table: str        # the table of their targets
    missing: str      # the problem codes of a key missing, and unknown
    unknown: str
    metrics: str      # which metrics may have a target (an SQL condition on metrics)
    kind: str         # the upload's kind


UNIT_TARGETS = Targeted("unit_code", "units", "targets", "unit_missing", "target_unit_unknown", "true", "targets")
# a collector brings in people (a reported metric or a target group), never money or a sum
COLLECTED = "kind = 'people' AND sum_of IS NULL"
COLLECTOR_TARGETS = Targeted("collector_code", "collectors", "collector_targets", "collector_missing",
                             "collector_unknown", COLLECTED, "network_targets")


def _target_columns(header: list[str], who: Targeted) -> dict[str, str]:
    return {"code": _col(header, who.key), "metric": _col(header, "metric"),
            "milestone": _col(header, "milestone"), "target": _col(header, "target")}


def _targets_problems(cur, header: list[str], name: str, who: Targeted) -> list[Problem]:
    problems = _check_header(name, header, (who.key, *TARGETS_COLUMNS[1:]), ())
    if problems:
        return problems
    columns = _target_columns(header, who)
    return _problems(cur, TARGETS_CHECK_SQL.format(
        **columns, key=who.key, roster=who.roster, missing=who.missing, unknown=who.unknown, metrics=who.metrics,
        milestone_expr=date_sql(columns["milestone"]), digits=whole_number_sql(columns["target"]),
        target_problem=number_problem_sql("target_raw", "target")), {}, name)


# The file's rows, with the campaign their milestones belong to (the checks made sure there is one).
NEW_TARGETS_SQL = """
CREATE OR REPLACE TEMP TABLE new_targets AS
SELECT DISTINCT c.campaign_id, {code} AS {key}, lower({metric}) AS metric,
       {milestone_expr} AS milestone, CAST({digits} AS BIGINT) AS target
FROM staged JOIN campaigns c ON {milestone_expr} > c.baseline AND {milestone_expr} <= c.ends
"""


# What the campaign has that the file does not: how many, and the first few.
DROPPED_TARGETS_SQL = """
SELECT count(*), string_agg({key} || ' ' || metric || ' ' || strftime(milestone, '%d/%m/%Y'), ', '
                            ORDER BY {key}, metric, milestone) FILTER (n <= 5)
FROM (SELECT t.*, row_number() OVER (ORDER BY t.{key}, t.metric, t.milestone) AS n
      FROM {table} t ANTI JOIN new_targets USING (campaign_id, {key}, metric, milestone)
      WHERE t.campaign_id IN (SELECT campaign_id FROM new_targets))
"""


def _stage_targets(cur, header: list[str], who: Targeted) -> None:
    columns = _target_columns(header, who)
    cur.execute(NEW_TARGETS_SQL.format(code=columns["code"], key=who.key, metric=columns["metric"],
                                       milestone_expr=date_sql(columns["milestone"]),
                                       digits=whole_number_sql(columns["target"])))


def _targets_committer(who: Targeted):
    def commit(cur, header: list[str], upload_id: int) -> int:
        _stage_targets(cur, header, who)
        cur.execute(f"DELETE FROM {who.table} WHERE campaign_id IN (SELECT campaign_id FROM new_targets)")
        cur.execute(f"INSERT INTO {who.table} SELECT *, ? FROM new_targets", [upload_id])
        return cur.execute("SELECT count(*) FROM new_targets").fetchall()[0][0]
    return commit


def _targets_checker(replace_all: bool, who: Targeted):
    """The checks of a targets file; unless replace_all, dropping a target the campaign has is one."""
    def check(cur, header: list[str], name: str) -> list[Problem]:
        problems = _targets_problems(cur, header, name, who)
        if problems or replace_all:
            return problems
        _stage_targets(cur, header, who)
        dropped, examples = cur.execute(DROPPED_TARGETS_SQL.format(key=who.key, table=who.table)).fetchall()[0]
        return [Problem(name, None, None, None, "targets_dropped", (str(dropped), examples))] if dropped else []
    return check


def load_targets(con, source, *, name: str | None = None, uploaded_by: str | None = None,
                 replace_all: bool = False, who: Targeted = UNIT_TARGETS) -> IngestResult:
    """Replace every target of the file's campaign with the file's rows. A file that leaves out
    targets the campaign has (the dispatch's national ones, say) is rejected, saying which,
    unless replace_all confirms that it is the whole table. `who`: the units' targets, or the
    collection network's (COLLECTOR_TARGETS: collector_code instead of unit_code)."""
    return _load_reference(con, source, kind=who.kind, check=_targets_checker(replace_all, who),
                           commit=_targets_committer(who), name=name, uploaded_by=uploaded_by,
                           rebuild=who.table == "targets")


def load_network_targets(con, source, *, name: str | None = None, uploaded_by: str | None = None,
                         replace_all: bool = False) -> IngestResult:
    """load_targets for the collection network: collector_code,metric,milestone,target (each a
    people metric or a target group the network brings people in for)."""
    return load_targets(con, source, name=name, uploaded_by=uploaded_by, replace_all=replace_all,
                        who=COLLECTOR_TARGETS)

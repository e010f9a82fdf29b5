"""The definitions of domain.md, as SQL over whole tables.

`progress` computes every figure for every unit and metric of one as-of date in one statement;
`series` gives the daily values behind the burn-up charts; `reporting` tells who has reported.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from .campaigns import campaign_for
from .errors import UnknownError

LEVELS = {"national": 0, "province": 1, "grassroots": 2}

PROGRESS_COLUMNS = [
    "unit_code", "unit_name", "metric", "as_of", "value", "baseline", "milestone", "target",
    "attainment_pct", "plan", "plan_pct", "gap", "development_pct", "days_left", "required_daily",
    "pace_7d", "projected", "status",
]

WHOLE_NUMBERS = {column: "Int64" for column in ("value", "baseline", "target", "plan", "gap", "days_left")}

# The tree as (ancestor, descendant) pairs, each unit its own descendant, with depth from the root.
TREE_CTE = """
tree(ancestor, descendant) AS (
    SELECT unit_code, unit_code FROM units
    UNION ALL
    SELECT t.ancestor, u.unit_code FROM tree t JOIN units u ON u.parent_code = t.descendant
),
depths(unit_code, depth) AS (
    SELECT unit_code, 0 FROM units WHERE parent_code IS NULL
    UNION ALL
    SELECT u.unit_code, d.depth + 1 FROM units u JOIN depths d ON u.parent_code = d.unit_code
),
leaves AS (
    SELECT unit_code FROM units u
    WHERE NOT EXISTS (SELECT 1 FROM units c WHERE c.parent_code = u.unit_code)
)
"""

# value(u, m, d) for each requested date: a leaf's latest report on or before d, carried
# forward; any other unit's is the sum over its leaves that have one.
VALUES_CTE = """
leaf_values AS (
    SELECT q.label, c.unit_code, c.metric, arg_max(c.value, c.date) AS value
    FROM counts c
    JOIN leaves USING (unit_code)
    JOIN query_dates q ON c.date <= q.day
    GROUP BY ALL
),
unit_values AS (
    SELECT t.ancestor AS unit_code, v.metric, v.label, sum(v.value) AS value
    FROM tree t JOIN leaf_values v ON v.unit_code = t.descendant
    GROUP BY ALL
)
"""

# target(u, m, t): the unit's own target, or where it has none but every child has one, the
# sum of the children's. Unrolled: the own targets nearest u on each path down sum to u's
# target exactly when every leaf below u has such a target on its path.
TARGETS_CTE = """
own AS (
    SELECT unit_code, metric, milestone, target FROM targets WHERE campaign_id = $campaign
),
leaf_count AS (
    SELECT t.ancestor AS unit_code, count(*) AS leaves
    FROM tree t JOIN leaves l ON l.unit_code = t.descendant GROUP BY 1
),
covered AS (
    SELECT above.ancestor AS unit_code, o.metric, o.milestone,
           count(DISTINCT below.descendant) AS leaves
    FROM tree above
    JOIN own o ON o.unit_code = above.descendant
    JOIN tree below ON below.ancestor = o.unit_code
    JOIN leaves l ON l.unit_code = below.descendant
    GROUP BY ALL
),
nearest_own AS (
    SELECT above.ancestor AS unit_code, o.metric, o.milestone, sum(o.target) AS target
    FROM tree above
    JOIN own o ON o.unit_code = above.descendant
    WHERE NOT EXISTS (
        SELECT 1 FROM tree mid_from_top
        JOIN tree mid_to_own ON mid_to_own.ancestor = mid_from_top.descendant
        JOIN own o2 ON o2.unit_code = mid_from_top.descendant
        WHERE mid_from_top.ancestor = above.ancestor
          AND mid_to_own.descendant = o.unit_code
          AND mid_from_top.descendant <> o.unit_code
          AND o2.metric = o.metric AND o2.milestone = o.milestone
    )
    GROUP BY ALL
),
effective_targets AS (
    SELECT n.unit_code, n.metric, n.milestone, n.target
    FROM nearest_own n
    JOIN covered c USING (unit_code, metric, milestone)
    JOIN leaf_count l USING (unit_code)
    WHERE c.leaves = l.leaves
)
"""

PROGRESS_SQL = f"""
WITH RECURSIVE
{TREE_CTE},
query_dates(label, day) AS (
    VALUES ('now', $as_of::DATE), ('week_ago', $as_of::DATE - 7), ('baseline', $baseline::DATE)
),
{VALUES_CTE},
{TARGETS_CTE},
current_milestone AS (
    SELECT unit_code, metric,
           coalesce(min(milestone) FILTER (milestone >= $as_of::DATE), max(milestone)) AS milestone,
           max(target) FILTER (milestone = $campaign_end::DATE) AS plan
    FROM effective_targets GROUP BY ALL
),
figures AS (
    SELECT cm.unit_code, u.name AS unit_name, u.parent_code, cm.metric, $as_of::DATE AS as_of,
        max(v.value) FILTER (v.label = 'now') AS value,
        max(v.value) FILTER (v.label = 'baseline') AS baseline,
        max(v.value) FILTER (v.label = 'week_ago') AS value_week_ago,
        cm.milestone, any_value(t.target) AS target, cm.plan,
        datediff('day', $as_of::DATE, cm.milestone) AS days_left
    FROM current_milestone cm
    JOIN units u USING (unit_code)
    JOIN effective_targets t USING (unit_code, metric, milestone)
    LEFT JOIN unit_values v USING (unit_code, metric)
    GROUP BY cm.unit_code, u.name, u.parent_code, cm.metric, cm.milestone, cm.plan
),
paced AS (
    SELECT *, (value - value_week_ago) / 7.0 AS pace_7d FROM figures
),
projected AS (
    SELECT *, value + pace_7d * days_left AS projected FROM paced
)
SELECT p.unit_code, p.unit_name, p.metric, p.as_of, p.value, p.baseline, p.milestone, p.target,
    round(100.0 * p.value / nullif(p.target, 0), 2) AS attainment_pct,
    p.plan,
    round(100.0 * p.value / nullif(p.plan, 0), 2) AS plan_pct,
    greatest(p.target - p.value, 0) AS gap,
    CASE WHEN p.target > p.baseline
         THEN round(100.0 * (p.value - p.baseline) / (p.target - p.baseline), 2) END AS development_pct,
    p.days_left,
    CASE WHEN p.days_left > 0 THEN greatest(p.target - p.value, 0) / p.days_left END AS required_daily,
    p.pace_7d,
    p.projected,
    CASE WHEN p.value IS NULL THEN 'no_data'
         WHEN p.value >= p.target THEN 'achieved'
         WHEN p.projected >= p.target THEN 'on_track'
         ELSE 'behind' END AS status,
    d.depth, m.sort_order
FROM projected p
JOIN depths d USING (unit_code)
JOIN metrics m USING (metric)
WHERE ($unit IS NULL OR p.unit_code = $unit)
  AND ($depth IS NULL OR d.depth = $depth)
  AND ($parent IS NULL OR p.parent_code = $parent)
  AND ($metric IS NULL OR p.metric = $metric)
ORDER BY d.depth, p.unit_code, m.sort_order
"""


def check_filters(con, *, unit: str | None = None, level: str | None = None,
                  metric: str | None = None) -> None:
    """Raise UnknownError with a helpful sentence for a unit, level or metric that does not exist."""
    if level is not None and level not in LEVELS:
        raise UnknownError(f"Unknown level '{level}'; use one of {', '.join(LEVELS)}.")
    if unit is not None and not con.execute(
            "SELECT count(*) FROM units WHERE unit_code = ?", [unit]).fetchall()[0][0]:
        raise UnknownError(f"Unknown unit '{unit}'.")
    if metric is not None and metric != "all" and not con.execute(
            "SELECT count(*) FROM metrics WHERE metric = ?", [metric]).fetchall()[0][0]:
        known = ", ".join(m for (m,) in con.execute("SELECT metric FROM metrics ORDER BY sort_order").fetchall())
        raise UnknownError(f"Unknown metric '{metric}'; use one of {known}.")


def progress(con, *, as_of: date, unit: str | None = None, level: str | None = None,
             metric: str | None = None, parent: str | None = None) -> pd.DataFrame:
    """Every figure of domain.md for each unit and metric that has at least one target.

    Columns: unit_code, unit_name, metric, as_of, value, baseline, milestone, target,
    attainment_pct, plan, plan_pct, gap, development_pct, days_left, required_daily, pace_7d,
    projected, status (achieved | on_track | behind | no_data). Rows are ordered by level,
    unit code and metric. `unit`, `level` (national | province | grassroots) and `metric` narrow it.
    """
    check_filters(con, unit=unit, level=level, metric=metric)
    campaign = campaign_for(con, as_of)
    frame = con.cursor().execute(PROGRESS_SQL, {
        "as_of": as_of, "baseline": campaign["baseline"], "campaign": campaign["campaign_id"],
        "campaign_end": campaign["ends"], "unit": unit, "metric": metric,
        "depth": LEVELS.get(level) if level else None, "parent": parent,
    }).df()
    return frame[PROGRESS_COLUMNS].astype(WHOLE_NUMBERS).reset_index(drop=True)


SERIES_SQL = f"""
WITH RECURSIVE
{TREE_CTE},
days AS (SELECT unnest(generate_series($start::DATE, $end::DATE, INTERVAL 1 DAY))::DATE AS day),
groups AS (
    SELECT unit_code AS group_code FROM units
    WHERE CASE WHEN $by_child THEN parent_code = $unit ELSE unit_code = $unit END
),
group_leaves AS (
    SELECT g.group_code, t.descendant AS unit_code
    FROM groups g JOIN tree t ON t.ancestor = g.group_code JOIN leaves l ON l.unit_code = t.descendant
),
reports AS (
    SELECT c.date, c.unit_code, c.value FROM counts c
    WHERE c.metric = $metric AND c.unit_code IN (SELECT unit_code FROM group_leaves)
),
grid AS (SELECT d.day, l.group_code, l.unit_code FROM days d CROSS JOIN group_leaves l)
SELECT g.group_code AS unit_code, u.name AS unit_name, g.day AS date, sum(r.value) AS value,
       count(r.value) AS reporting_units
FROM grid g ASOF LEFT JOIN reports r ON g.unit_code = r.unit_code AND g.day >= r.date
JOIN units u ON u.unit_code = g.group_code
GROUP BY g.group_code, u.name, g.day
HAVING count(r.value) > 0
ORDER BY g.group_code, g.day
"""


def series(con, *, unit: str, metric: str, start: date, end: date, by_child: bool = False) -> pd.DataFrame:
    """value(u, metric, d) for every day d from start to end (days before any report left out),
    for the unit itself or, with by_child, for each of its children.

    Columns: unit_code, unit_name, date, value, reporting_units (leaves whose carried-forward
    report is included).
    """
    check_filters(con, unit=unit, metric=metric)
    return con.cursor().execute(SERIES_SQL, {"unit": unit, "metric": metric, "start": start, "end": end,
                                             "by_child": by_child}).df()


TARGET_PATH_SQL = f"""
WITH RECURSIVE
{TREE_CTE},
{TARGETS_CTE}
SELECT milestone AS date, target FROM effective_targets
WHERE unit_code = $unit AND metric = $metric ORDER BY milestone
"""


def target_path(con, *, unit: str, metric: str, as_of: date) -> pd.DataFrame:
    """The path a unit must follow: its baseline value at the baseline date, then each milestone's
    target. Columns: date, target."""
    campaign = campaign_for(con, as_of)
    milestones = con.cursor().execute(
        TARGET_PATH_SQL, {"unit": unit, "metric": metric, "campaign": campaign["campaign_id"]}).df()
    start = series(con, unit=unit, metric=metric, start=campaign["baseline"], end=campaign["baseline"])
    if start.empty or milestones.empty:
        return milestones
    first = pd.DataFrame({"date": [pd.Timestamp(campaign["baseline"])], "target": [start["value"].iloc[0]]})
    return pd.concat([first, milestones], ignore_index=True)


REPORTING_SQL = f"""
WITH RECURSIVE
{TREE_CTE}
SELECT l.unit_code, u.name AS unit_name, u.parent_code, p.name AS parent_name,
       max(c.date) FILTER (c.date <= $as_of::DATE) AS last_report,
       coalesce(bool_or(c.date = $as_of::DATE), false) AS reported
FROM leaves l
JOIN units u USING (unit_code)
LEFT JOIN units p ON p.unit_code = u.parent_code
JOIN tree t ON t.descendant = l.unit_code AND t.ancestor = $unit
LEFT JOIN counts c ON c.unit_code = l.unit_code
GROUP BY ALL
ORDER BY reported, last_report NULLS FIRST, l.unit_code
"""


def reporting(con, *, as_of: date, unit: str = "VN") -> pd.DataFrame:
    """Reporting completeness below `unit`: one row per leaf unit.

    Columns: unit_code, unit_name, parent_code, parent_name, last_report (latest report date on or
    before as_of, or none), reported (True when it reported for as_of). Units not reported first.
    """
    check_filters(con, unit=unit)
    return con.cursor().execute(REPORTING_SQL, {"as_of": as_of, "unit": unit}).df()


def attainment_matrix(con, *, as_of: date, parent: str = "VN") -> pd.DataFrame:
    """Attainment (%) of each child of `parent` (rows) for each metric (columns), worst first.

    Rows are ordered by the mean attainment over the metrics, lowest first; the index is the
    unit name. Only the participant metrics (people) are shown: money metrics run against the
    annual plan and would colour every row alike.
    """
    frame = progress(con, as_of=as_of, parent=parent)
    cur = con.cursor()
    cur.register("children", frame)
    ordered = cur.execute(
        """SELECT c.unit_name, c.metric, c.attainment_pct, m.sort_order,
                  avg(c.attainment_pct) FILTER (m.kind = 'people') OVER (PARTITION BY c.unit_code) AS mean_pct
           FROM children c JOIN metrics m USING (metric)
           WHERE m.kind = 'people'
           ORDER BY mean_pct NULLS FIRST, c.unit_code, m.sort_order""").df()
    if ordered.empty:
        return pd.DataFrame()
    matrix = ordered.pivot_table(index="unit_name", columns="metric", values="attainment_pct", sort=False)
    metric_order = ordered.drop_duplicates("metric").sort_values("sort_order")["metric"]
    return matrix[[m for m in metric_order if m in matrix.columns]]


def trend(con, *, parent: str, metric: str, start: date, end: date) -> pd.DataFrame:
    """Each child of `parent`, day by day, as a share of its annual plan.

    Columns: unit_code, unit_name, date, value, plan, plan_pct.
    """
    days = series(con, unit=parent, metric=metric, start=start, end=end, by_child=True)
    plans = progress(con, as_of=end, parent=parent, metric=metric)[["unit_code", "plan"]]
    frame = days.merge(plans, on="unit_code")
    frame["plan_pct"] = (100 * frame["value"] / frame["plan"].astype("Float64")).round(2)
    return frame[["unit_code", "unit_name", "date", "value", "plan", "plan_pct"]]


def metrics(con) -> pd.DataFrame:
    """The metric reference table: metric, name_vi, name_en, kind, direction, sort_order."""
    return con.cursor().execute("SELECT * FROM metrics ORDER BY sort_order").df()


def units(con) -> pd.DataFrame:
    """The unit tree: unit_code, name, parent_code, population, labour_force, depth, is_leaf."""
    return con.cursor().execute(f"""
        WITH RECURSIVE {TREE_CTE}
        SELECT u.*, d.depth, u.unit_code IN (SELECT unit_code FROM leaves) AS is_leaf
        FROM units u JOIN depths d USING (unit_code) ORDER BY d.depth, u.unit_code""").df()


def targets(con) -> pd.DataFrame:
    """The targets as loaded (own targets, no fallback): campaign_id, unit_code, unit_name, metric,
    milestone, target."""
    return con.cursor().execute(
        """SELECT t.campaign_id, t.unit_code, u.name AS unit_name, t.metric, t.milestone, t.target
           FROM targets t LEFT JOIN units u USING (unit_code) JOIN metrics m USING (metric)
           ORDER BY t.campaign_id, t.unit_code, m.sort_order, t.milestone""").df()


def reporting_summary(frame: pd.DataFrame) -> dict:
    """How many leaves reported for the as-of date, out of how many, and the share (0 to 1)."""
    done, total = int(frame["reported"].sum()), len(frame)
    return {"done": done, "total": total, "share": done / total if total else 0.0}


def latest_date(con) -> date | None:
    """The latest date with any reported count (the default as-of date of the pages)."""
    return con.execute("SELECT max(date) FROM counts").fetchall()[0][0]


LATE_PAYMENT_SQL = f"""
WITH RECURSIVE
{TREE_CTE},
query_dates(label, day) AS (VALUES ('now', $as_of::DATE)),
{VALUES_CTE},
{TARGETS_CTE}
SELECT v.unit_code, u.name AS unit_name, v.value AS late_debt, t.target AS revenue_plan,
       round(100.0 * v.value / nullif(t.target, 0), 2) AS late_payment_pct,
       $limit::DOUBLE AS limit_pct,
       100.0 * v.value / nullif(t.target, 0) <= $limit AS within_limit
FROM unit_values v
JOIN units u USING (unit_code)
JOIN depths d USING (unit_code)
JOIN effective_targets t ON t.unit_code = v.unit_code AND t.metric = 'revenue' AND t.milestone = $campaign_end
WHERE v.metric = 'late_debt' AND ($depth IS NULL OR d.depth = $depth)
ORDER BY d.depth, v.unit_code
"""


def late_payment(con, *, as_of: date, level: str | None = None) -> pd.DataFrame:
    """Late-payment rate = late-payment debt / annual revenue plan, per unit (lower is better).

    Columns: unit_code, unit_name, late_debt, revenue_plan (million VND), late_payment_pct,
    limit_pct (the campaign's ceiling, 2.55 in 2025), within_limit.
    """
    check_filters(con, level=level)
    campaign = campaign_for(con, as_of)
    return con.cursor().execute(LATE_PAYMENT_SQL, {
        "as_of": as_of, "campaign": campaign["campaign_id"], "campaign_end": campaign["ends"],
        "limit": campaign["late_payment_max_pct"], "depth": LEVELS.get(level) if level else None,
    }).df()

"""The definitions of domain.md, as SQL over whole tables.

One set of CTEs, FIGURES_CTES, computes every figure for every unit in scope and every date of a
list; `progress` ends it for one as-of date, and the leaderboard, movers, the attainment matrix,
late payment and coverage end the same CTEs their own way (leaderboard.py, and below).
`series` gives the daily values behind the burn-up charts; `reporting` tells who has reported.
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from .campaigns import COMPLETE_SHARE, campaign_for
from .errors import UnknownError
from .store import vietnam_today

LEVELS = {"national": 0, "province": 1, "grassroots": 2}



def campaign_reports_from(con) -> date:
    """The first day of the campaigns' reports: counts dated before it are reference history
    (earlier years, for the change over a year), never a campaign's report (the latest and
    complete days, who is expected to report, a week's additions). The queries take it as the
    parameter $reports_from: a constant lets DuckDB prune the counts by date, where a subquery
    made every read scan all 2 million of them (the forecast's profile: 60 ms of a commune's
    outlook, benchmarks/busy_day.py)."""
    first = con.execute("SELECT make_date(min(year(baseline)), 1, 1) FROM campaigns").fetchall()[0][0]
    return first or date.min

PROGRESS_COLUMNS = [
    "unit_code", "unit_name", "metric", "as_of", "value", "baseline", "milestone", "target",
    "attainment_pct", "plan", "plan_pct", "gap", "development_pct", "days_left", "required_daily",
    "pace_7d", "projected", "status",
    "value_year_before", "change_year", "change_year_pct", "change_since_year_end",
]

WHOLE_NUMBERS = {column: "Int64" for column in ("value", "baseline", "target", "plan", "gap", "days_left",
                                                "value_year_before", "change_year", "change_since_year_end")}

# Every figure of domain.md, for the units in scope ($unit, with its children when $family) and
# each date of $dates. The tree, the levels and the effective targets are tables
# (sprint.structure); a leaf's value on a day is the one count whose span holds the day
# (date <= day < valid_until), so no history is aggregated; a scope of one unit reads only the
# leaves below it. Values are also kept for the $weeks weeks before each date and for $also_days
# (the forecast's history and its backtest's outcomes), and with $years for the same day a year
# earlier and the end of the year before (reference history of earlier years). A metric that sums
# metrics (metrics.sum_of) is the sum of its parts' values per unit and day, none where a part is.
METRIC_PARTS_CTE = """metric_parts AS (
    -- the parts of each metric that sums metrics (metrics.sum_of 'a+b'), and how many it has
    SELECT metric, unnest(string_split(sum_of, '+')) AS part, len(string_split(sum_of, '+')) AS parts
    FROM metrics WHERE sum_of IS NOT NULL
)"""

FIGURES_CTES = """
scope AS (
    SELECT l.unit_code, l.depth, u.name AS unit_name, u.parent_code
    FROM unit_levels l JOIN units u USING (unit_code)
    WHERE ($unit IS NULL OR l.unit_code = $unit OR ($family AND u.parent_code = $unit))
      AND ($depth IS NULL OR l.depth = $depth)
      AND ($parent IS NULL OR u.parent_code = $parent)
),
as_of_dates AS (SELECT DISTINCT unnest($dates::DATE[]) AS as_of),
last_milestones AS (
    -- each unit's last milestone that an as-of date has passed: its campaign has ended there
    SELECT DISTINCT last FROM (
        SELECT max(milestone) AS last FROM effective_targets WHERE campaign_id = $campaign GROUP BY unit_code, metric)
    WHERE last < (SELECT max(as_of) FROM as_of_dates)
),
value_days AS (
    SELECT as_of - 7 * r.week::INTEGER AS day FROM as_of_dates CROSS JOIN range($weeks + 1) r(week)
    UNION SELECT $baseline::DATE
    UNION SELECT unnest($also_days::DATE[])
    UNION SELECT last - 7 * r.week::INTEGER FROM last_milestones CROSS JOIN range(2) r(week)
    UNION SELECT unnest([(day - INTERVAL 1 YEAR)::DATE, make_date(year(day) - 1, 12, 31)])
    FROM (SELECT as_of AS day FROM as_of_dates UNION SELECT last FROM last_milestones) WHERE $years
),
""" + METRIC_PARTS_CTE + """,
wanted_metrics AS (
    -- the metrics whose counts the figures read: $metric (and a sum's parts), else every metric
    -- reported, or with $groups every target group (metrics.part_of), which no other figure counts
    SELECT metric FROM metrics
    WHERE CASE WHEN $metric IS NULL THEN (part_of IS NOT NULL) = $groups
               ELSE metric = $metric OR metric IN (SELECT part FROM metric_parts WHERE metric = $metric) END
),
scope_leaves AS (
    SELECT t.ancestor AS unit_code, t.descendant AS leaf
    FROM unit_tree t JOIN unit_levels l ON l.unit_code = t.descendant
    WHERE l.is_leaf AND t.ancestor IN (SELECT unit_code FROM scope)
),
leaf_values AS (
    SELECT d.day, c.unit_code AS leaf, c.metric, c.value, c.date AS reported_on
    FROM counts c JOIN value_days d ON c.date <= d.day AND d.day < c.valid_until
    WHERE c.unit_code IN (SELECT leaf FROM scope_leaves) AND c.metric IN (SELECT metric FROM wanted_metrics)
),
reported_values AS (
    SELECT s.unit_code, v.metric, v.day, sum(v.value)::BIGINT AS value
    FROM scope_leaves s JOIN leaf_values v USING (leaf)
    GROUP BY ALL
),
unit_values AS (
    SELECT * FROM reported_values
    UNION ALL
    SELECT v.unit_code, p.metric, v.day, sum(v.value)::BIGINT
    FROM reported_values v JOIN metric_parts p ON p.part = v.metric
    WHERE $metric IS NULL OR p.metric = $metric
    GROUP BY v.unit_code, p.metric, v.day, p.parts
    HAVING count(*) = p.parts
),
milestones AS (
    SELECT s.unit_code, s.unit_name, s.parent_code, s.depth, e.metric, a.as_of,
        coalesce(min(e.milestone) FILTER (e.milestone >= a.as_of), max(e.milestone)) AS milestone,
        max(e.milestone) AS last_milestone,
        max(e.target) FILTER (e.milestone = $campaign_end::DATE) AS plan
    FROM scope s JOIN effective_targets e USING (unit_code) CROSS JOIN as_of_dates a
    WHERE e.campaign_id = $campaign AND e.metric IN (SELECT metric FROM wanted_metrics)
      AND ($metric IS NULL OR e.metric = $metric)
    GROUP BY ALL
),
figures AS (
    -- from its last milestone on, a unit's campaign has ended: its figures are the final result,
    -- those of the milestone day (a report dated after it does not change them), with no day left
    SELECT m.*, e.target, now.value, base.value AS baseline, m.as_of >= m.last_milestone AS ended,
        greatest(datediff('day', m.as_of, m.milestone), 0) AS days_left,
        (now.value - week.value) / 7.0 AS pace_7d,
        year_before.value AS value_year_before, year_end.value AS value_year_end
    FROM milestones m
    JOIN effective_targets e ON e.campaign_id = $campaign AND e.unit_code = m.unit_code
        AND e.metric = m.metric AND e.milestone = m.milestone
    LEFT JOIN unit_values now ON now.unit_code = m.unit_code AND now.metric = m.metric
        AND now.day = least(m.as_of, m.milestone)
    LEFT JOIN unit_values week ON week.unit_code = m.unit_code AND week.metric = m.metric
        AND week.day = least(m.as_of, m.milestone) - 7
    LEFT JOIN unit_values base ON base.unit_code = m.unit_code AND base.metric = m.metric
        AND base.day = $baseline::DATE
    LEFT JOIN unit_values year_before ON $years AND year_before.unit_code = m.unit_code
        AND year_before.metric = m.metric AND year_before.day = (least(m.as_of, m.milestone) - INTERVAL 1 YEAR)::DATE
    LEFT JOIN unit_values year_end ON $years AND year_end.unit_code = m.unit_code AND year_end.metric = m.metric
        AND year_end.day = make_date(year(least(m.as_of, m.milestone)) - 1, 12, 31)
),
progress AS (
    -- no value, no figure: each figure is NULL where the value is (greatest() alone would give 0)
    SELECT f.unit_code, f.unit_name, f.parent_code, f.depth, f.metric, f.as_of, f.value, f.baseline,
        f.milestone, f.target,
        round(100.0 * f.value / nullif(f.target, 0), 2) AS attainment_pct,
        f.plan,
        round(100.0 * f.value / nullif(f.plan, 0), 2) AS plan_pct,
        CASE WHEN f.value IS NOT NULL THEN greatest(m.better * (f.target - f.value), 0) END AS gap,
        CASE WHEN m.better * (f.target - f.baseline) > 0
             THEN round(100.0 * (f.value - f.baseline) / (f.target - f.baseline), 2) END AS development_pct,
        f.days_left,
        CASE WHEN f.days_left > 0 AND f.value IS NOT NULL
             THEN greatest(m.better * (f.target - f.value), 0) / f.days_left END AS required_daily,
        f.pace_7d,
        f.value + f.pace_7d * f.days_left AS projected,
        CASE WHEN f.value IS NULL THEN 'no_data'
             WHEN m.better * (f.value - f.target) >= 0 THEN 'achieved'
             WHEN f.ended THEN 'missed'
             WHEN m.better * (f.value + f.pace_7d * f.days_left - f.target) >= 0 THEN 'on_track'
             ELSE 'behind' END AS status,
        100.0 * f.value / nullif(f.target, 0) AS exact_attainment,
        f.value_year_before,
        f.value - f.value_year_before AS change_year,
        round(100.0 * (f.value - f.value_year_before) / nullif(f.value_year_before, 0), 2) AS change_year_pct,
        f.value - f.value_year_end AS change_since_year_end,
        m.sort_order, m.kind, m.direction, m.sum_of
    FROM figures f
    -- better: 1 where more is better, -1 where less is (a ceiling, late-payment debt's): the gap is
    -- what is still over it, and a unit at or under it has achieved it
    JOIN (SELECT *, CASE WHEN direction = 'lower_is_better' THEN -1 ELSE 1 END AS better FROM metrics) m USING (metric)
)
"""

PROGRESS_SQL = f"""
WITH {FIGURES_CTES}
SELECT {", ".join(PROGRESS_COLUMNS)} FROM progress
ORDER BY depth, unit_code, sort_order
"""


def year_before(day: date) -> date:
    """The same calendar day a year earlier (29 February: the 28th), as value_year_before takes it."""
    return (pd.Timestamp(day) - pd.DateOffset(years=1)).date()


def year_end_before(day: date) -> date:
    """31 December of the year before `day`, as change_since_year_end takes it."""
    return date(day.year - 1, 12, 31)


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


def figure_parameters(con, *, as_of: date, dates: list[date] | None = None, unit: str | None = None,
                      level: str | None = None, parent: str | None = None, metric: str | None = None) -> dict:
    """The parameters of FIGURES_CTES, once the names the user gave are checked."""
    check_filters(con, unit=unit, level=level, metric=metric)
    check_filters(con, unit=parent)
    campaign = campaign_for(con, as_of)
    return {"dates": dates or [as_of], "baseline": campaign["baseline"], "campaign": campaign["campaign_id"],
            "campaign_end": campaign["ends"], "unit": unit, "parent": parent,
            "depth": LEVELS.get(level) if level else None, "metric": metric, "weeks": 1, "also_days": [],
            "family": False, "years": False, "groups": False}


def progress(con, *, as_of: date, unit: str | None = None, level: str | None = None,
             metric: str | None = None, parent: str | None = None) -> pd.DataFrame:
    """Every figure of domain.md for each unit and metric that has at least one target.

    Columns: unit_code, unit_name, metric, as_of, value, baseline, milestone, target,
    attainment_pct, plan, plan_pct, gap, development_pct, days_left, required_daily, pace_7d,
    projected, status (achieved | on_track | behind | no_data; from the unit's last milestone on,
    the campaign has ended: achieved | missed, the figures those of the milestone day, days_left 0
    and required_daily none); value_year_before (the same day a year earlier, from reference
    history), change_year, change_year_pct and change_since_year_end (against 31 December of the
    year before). Rows are ordered by level, unit code and metric. `unit`, `level`
    (national | province | grassroots), `parent` (its children) and `metric` narrow it.
    """
    parameters = figure_parameters(con, as_of=as_of, unit=unit, level=level, parent=parent, metric=metric)
    parameters["years"] = True
    frame = con.cursor().execute(PROGRESS_SQL, parameters).df()
    return frame.astype(WHOLE_NUMBERS)


# The target groups' figures: the progress of each group (a metric part of another), and its new
# participants since the baseline against those its target asks for.
GROUPS_SQL = f"""
WITH {FIGURES_CTES}
SELECT p.unit_code, p.unit_name, g.part_of AS metric, p.metric AS target_group, p.as_of, p.value, p.baseline,
       p.value - p.baseline AS new, p.milestone, p.target, p.target - p.baseline AS new_needed,
       p.development_pct, p.gap, p.status
FROM progress p JOIN metrics g USING (metric)
WHERE $of IS NULL OR g.part_of = $of OR p.metric = $of
ORDER BY p.depth, p.unit_code, p.sort_order
"""

GROUP_WHOLE_NUMBERS = {column: "Int64" for column in ("value", "baseline", "new", "target", "new_needed", "gap")}


def groups(con, *, as_of: date, unit: str | None = None, level: str | None = None, parent: str | None = None,
           metric: str | None = None) -> pd.DataFrame:
    """The campaign's target groups (dispatch 2440: new compulsory participants among business
    household owners, …), each unit's group by group: a group's count is part of its metric's and
    never adds to it. `metric` keeps the groups of one metric (compulsory_si) or one group
    (compulsory_si.militia). One row per unit and group with a target.

    Columns: unit_code, unit_name, metric (the group's metric), target_group (its code), as_of,
    value, baseline, new (value - baseline: new participants since the baseline), milestone,
    target, new_needed (target - baseline), development_pct (new / new_needed, in %), gap, status.
    """
    parameters = figure_parameters(con, as_of=as_of, unit=unit, level=level, parent=parent, metric=metric)
    parameters.update(metric=None, groups=True, of=metric)
    return con.cursor().execute(GROUPS_SQL, parameters).df().astype(GROUP_WHOLE_NUMBERS)


MATRIX_SQL = f"""
WITH {FIGURES_CTES}
SELECT unit_code, unit_name, metric, attainment_pct, status,
       avg(exact_attainment) FILTER (sum_of IS NULL) OVER (PARTITION BY unit_code) AS mean_pct
FROM progress WHERE kind = 'people'
ORDER BY mean_pct NULLS FIRST, unit_code, sort_order
"""


def attainment_matrix(con, *, as_of: date, parent: str = "VN", values: str = "attainment_pct") -> pd.DataFrame:
    """Attainment (%) of each child of `parent` (rows) for each metric (columns), worst first;
    with values="status", each cell's status instead (the heatmap's colour).

    Rows are ordered by the mean attainment over the metrics (those reported: a metric that sums
    metrics would count its parts twice), lowest first; the index is the unit name. Only the participant metrics (people) are shown: money metrics run against the
    annual plan and would colour every row alike.
    """
    if values not in ("attainment_pct", "status"):
        raise UnknownError(f"Unknown matrix values '{values}'; use attainment_pct or status.")
    ordered = con.cursor().execute(MATRIX_SQL, figure_parameters(con, as_of=as_of, parent=parent)).df()
    if ordered.empty:
        return pd.DataFrame()
    matrix = ordered.pivot_table(index="unit_name", columns="metric", values=values, sort=False,
                                 aggfunc="first", dropna=False)
    return matrix[list(dict.fromkeys(ordered["metric"]))]


LATE_PAYMENT_SQL = f"""
WITH {FIGURES_CTES}
SELECT s.unit_code, s.unit_name, v.value AS late_debt, e.target AS revenue_plan,
       round(100.0 * v.value / nullif(e.target, 0), 2) AS late_payment_pct,
       coalesce(round(100.0 * own.target / nullif(e.target, 0), 2), $limit::DOUBLE) AS limit_pct,
       $limit::DOUBLE AS national_limit_pct,
       own.target IS NOT NULL AS own_limit,
       100.0 * v.value / nullif(e.target, 0)
           <= coalesce(round(100.0 * own.target / nullif(e.target, 0), 2), $limit) AS within_limit
FROM scope s
JOIN unit_values v ON v.unit_code = s.unit_code AND v.metric = 'late_debt' AND v.day = $dates[1]
JOIN effective_targets e ON e.campaign_id = $campaign AND e.unit_code = s.unit_code
    AND e.metric = 'revenue' AND e.milestone = $campaign_end::DATE
-- a unit's own ceiling: its late-payment debt target (million VND) at the campaign's end, over its revenue plan
LEFT JOIN effective_targets own ON own.campaign_id = $campaign AND own.unit_code = s.unit_code
    AND own.metric = 'late_debt' AND own.milestone = $campaign_end::DATE
ORDER BY s.depth, late_payment_pct DESC, s.unit_code
"""


def late_payment(con, *, as_of: date, unit: str | None = None, level: str | None = None,
                 parent: str | None = None) -> pd.DataFrame:
    """Late-payment rate = late-payment debt / annual revenue plan, per unit (lower is better),
    highest rate first within a level.

    Columns: unit_code, unit_name, late_debt, revenue_plan (million VND), late_payment_pct,
    limit_pct (the unit's own ceiling where it has one: its late-payment debt target at the
    campaign's end over its revenue plan, Quảng Ninh 2.1 in 2025; else the campaign's, 2.55),
    national_limit_pct (the campaign's), own_limit (whether limit_pct is the unit's own) and
    within_limit (the rate at most limit_pct).
    """
    parameters = figure_parameters(con, as_of=as_of, unit=unit, level=level, parent=parent, metric="late_debt")
    parameters["limit"] = campaign_for(con, as_of)["late_payment_max_pct"]
    return con.cursor().execute(LATE_PAYMENT_SQL, parameters).df()


COVERAGE_SQL = f"""
WITH {FIGURES_CTES},
people AS (
    SELECT unit_code,
        max(value) FILTER (metric = 'health') AS health,
        max(value) FILTER (metric = 'social_insurance') AS social_insurance
    FROM unit_values WHERE day = $dates[1] GROUP BY unit_code
)
SELECT s.unit_code, s.unit_name, u.population, p.health,
       round(100.0 * p.health / nullif(u.population, 0), 2) AS health_coverage_pct,
       u.labour_force, p.social_insurance,
       round(100.0 * p.social_insurance / nullif(u.labour_force, 0), 2) AS labour_coverage_pct
FROM scope s JOIN units u USING (unit_code) LEFT JOIN people p USING (unit_code)
WHERE u.population IS NOT NULL OR u.labour_force IS NOT NULL
ORDER BY s.depth, s.unit_code
"""


def coverage(con, *, as_of: date, unit: str | None = None, level: str | None = None,
             parent: str | None = None) -> pd.DataFrame:
    """Coverage where a unit carries population or labour force: health insurance participants
    per population, social insurance (the metric social_insurance: compulsory + voluntary, none
    where either is) per labour force.

    Columns: unit_code, unit_name, population, health, health_coverage_pct, labour_force,
    social_insurance, labour_coverage_pct.
    """
    parameters = figure_parameters(con, as_of=as_of, unit=unit, level=level, parent=parent)
    return con.cursor().execute(COVERAGE_SQL, parameters).df()


# value(u, m, d) for every day of a range, from the spans: each count adds its value on its date
# and takes it away on valid_until, so a running sum over the days is the carried-forward total.
# A metric that sums metrics runs each part so, and is their sum on the days every part has a value.
SERIES_CTES = METRIC_PARTS_CTE + """,
groups AS (
    SELECT unit_code AS group_code FROM units
    WHERE CASE WHEN $by_child THEN parent_code = $unit ELSE unit_code = $unit END
),
group_leaves AS (
    SELECT g.group_code, t.descendant AS leaf
    FROM groups g JOIN unit_tree t ON t.ancestor = g.group_code
    JOIN unit_levels l ON l.unit_code = t.descendant AND l.is_leaf
),
spans AS (
    SELECT g.group_code, c.unit_code AS leaf, c.metric, greatest(c.date, $start::DATE) AS starts,
           c.valid_until AS ends, c.value
    FROM counts c JOIN group_leaves g ON g.leaf = c.unit_code
    WHERE (c.metric = $metric OR c.metric IN (SELECT part FROM metric_parts WHERE metric = $metric))
      AND c.date <= $end::DATE AND c.valid_until > $start::DATE
),
changes AS (
    -- a leaf's spans follow one another to 'infinity', so it reports from its first span on
    SELECT group_code, metric, day, sum(delta) AS delta, sum(joined) AS joined FROM (
        SELECT group_code, metric, starts AS day, value AS delta, 0 AS joined FROM spans
        UNION ALL SELECT group_code, metric, ends, -value, 0 FROM spans WHERE ends <= $end::DATE
        UNION ALL SELECT group_code, metric, min(starts), 0, 1 FROM spans GROUP BY group_code, metric, leaf
    ) GROUP BY ALL
),
running AS (
    SELECT group_code, metric, day, sum(delta) OVER w AS value, sum(joined) OVER w AS reporting_units
    FROM changes WINDOW w AS (PARTITION BY group_code, metric ORDER BY day)
),
days AS (
    SELECT g.group_code, m.metric, unnest(generate_series($start::DATE, $end::DATE, INTERVAL 1 DAY))::DATE AS day
    FROM groups g CROSS JOIN (SELECT DISTINCT metric FROM spans) m
),
series AS (
    SELECT d.group_code AS unit_code, d.day AS date, sum(r.value)::BIGINT AS value,
           min(r.reporting_units)::BIGINT AS reporting_units
    FROM days d ASOF JOIN running r ON r.group_code = d.group_code AND r.metric = d.metric AND d.day >= r.day
    GROUP BY d.group_code, d.day
    HAVING count(*) = (SELECT coalesce(max(parts), 1) FROM metric_parts WHERE metric = $metric)
)
"""

SERIES_SQL = f"""
WITH {SERIES_CTES}
SELECT s.unit_code, u.name AS unit_name, s.date, s.value, s.reporting_units
FROM series s JOIN units u USING (unit_code)
WHERE s.reporting_units > 0
ORDER BY s.unit_code, s.date
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


TREND_SQL = f"""
WITH {SERIES_CTES}
SELECT s.unit_code, u.name AS unit_name, s.date, s.value, e.target AS plan,
       round(100.0 * s.value / nullif(e.target, 0), 2) AS plan_pct
FROM series s JOIN units u USING (unit_code)
JOIN effective_targets e ON e.unit_code = s.unit_code AND e.metric = $metric
    AND e.campaign_id = $campaign AND e.milestone = $campaign_end::DATE
WHERE s.reporting_units > 0
ORDER BY s.unit_code, s.date
"""


def trend(con, *, parent: str, metric: str, start: date, end: date) -> pd.DataFrame:
    """Each child of `parent`, day by day, as a share of its annual plan.

    Columns: unit_code, unit_name, date, value, plan, plan_pct.
    """
    check_filters(con, unit=parent, metric=metric)
    campaign = campaign_for(con, end)
    return con.cursor().execute(TREND_SQL, {
        "unit": parent, "metric": metric, "start": start, "end": end, "by_child": True,
        "campaign": campaign["campaign_id"], "campaign_end": campaign["ends"]}).df()


TARGET_PATH_SQL = f"""
WITH {FIGURES_CTES},
path AS (
    SELECT milestone AS date, target FROM effective_targets
    WHERE campaign_id = $campaign AND unit_code = $unit AND metric = $metric
)
SELECT $baseline::DATE AS date, value AS target FROM unit_values
WHERE unit_code = $unit AND metric = $metric AND day = $baseline::DATE AND EXISTS (SELECT 1 FROM path)
UNION ALL
SELECT * FROM path
ORDER BY date
"""


def target_path(con, *, unit: str, metric: str, as_of: date) -> pd.DataFrame:
    """The path a unit must follow: its value at the baseline date, then each milestone's target.
    Columns: date, target."""
    parameters = figure_parameters(con, as_of=as_of, unit=unit, metric=metric)
    parameters["dates"] = [parameters["baseline"]]
    return con.cursor().execute(TARGET_PATH_SQL, parameters).df()


REPORTING_SQL = """
SELECT l.unit_code, u.name AS unit_name, u.parent_code, p.name AS parent_name,
       max(c.date) AS last_report,
       coalesce(bool_or(c.date = $as_of::DATE), false) AS reported
FROM unit_tree t
JOIN unit_levels l ON l.unit_code = t.descendant AND l.is_leaf
JOIN units u USING (unit_code)
LEFT JOIN units p ON p.unit_code = u.parent_code
LEFT JOIN counts c ON c.unit_code = l.unit_code AND c.date <= $as_of::DATE AND c.valid_until > $as_of::DATE
WHERE t.ancestor = $unit
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


def reporting_summary(frame: pd.DataFrame) -> dict:
    """How many leaves reported for the as-of date, out of how many, and the share (0 to 1)."""
    done, total = int(frame["reported"].sum()), len(frame)
    return {"done": done, "total": total, "share": done / total if total else 0.0}


def metrics(con) -> pd.DataFrame:
    """The metric reference table: metric, name_vi, name_en, kind, direction, sort_order."""
    return con.cursor().execute("SELECT * FROM metrics ORDER BY sort_order").df()


def units(con) -> pd.DataFrame:
    """The unit tree: unit_code, name, parent_code, population, labour_force, depth, is_leaf, and
    label ("name (code)", what a picker shows)."""
    return con.cursor().execute("""
        SELECT u.*, l.depth, l.is_leaf, u.name || ' (' || u.unit_code || ')' AS label
        FROM units u JOIN unit_levels l USING (unit_code) ORDER BY l.depth, u.unit_code""").df()


def targets(con) -> pd.DataFrame:
    """The targets as loaded (own targets, no fallback): campaign_id, unit_code, unit_name, metric,
    milestone, target."""
    return con.cursor().execute(
        """SELECT t.campaign_id, t.unit_code, u.name AS unit_name, t.metric, t.milestone, t.target
           FROM targets t LEFT JOIN units u USING (unit_code) JOIN metrics m USING (metric)
           ORDER BY t.campaign_id, t.unit_code, m.sort_order, t.milestone""").df()


# For each day of the last month with reports: how many units reported for it, out of the units
# that had reported by then (a unit that starts late is not missing before it starts), and the
# share that makes a day complete (that of the campaign the latest day leads up to, else the default).
DAYS_SQL = f"""
WITH per_day AS (
    SELECT date, count(DISTINCT unit_code) AS reported FROM counts
    WHERE date > (SELECT max(date) FROM counts) - 31 AND date >= $reports_from::DATE GROUP BY date
), firsts AS (
    SELECT min(date) AS first FROM counts WHERE date >= $reports_from::DATE GROUP BY unit_code
), expected AS (
    SELECT d.date, d.reported, count(f.first) AS expected FROM per_day d JOIN firsts f ON f.first <= d.date
    GROUP BY d.date, d.reported
)
SELECT e.date, e.reported, e.expected,
       e.reported >= coalesce((SELECT c.complete_share FROM campaigns c
                               WHERE c.ends >= (SELECT max(date) FROM per_day)
                               ORDER BY c.ends LIMIT 1), $default_share) * e.expected AS complete
FROM expected e ORDER BY e.date
"""


def reporting_days(con) -> pd.DataFrame:
    """Each day of the last 31 with reports: date, reported (units that reported for it), expected (units that
    had reported by then) and complete (reported reaches the campaign's share of expected)."""
    return con.cursor().execute(DAYS_SQL, {"default_share": COMPLETE_SHARE,
                                           "reports_from": campaign_reports_from(con)}).df()


def complete_date(con) -> date | None:
    """The latest complete day (see reporting_days): the default as-of date of the pages and the
    command line, so that one early report does not move every figure to a day most units have
    not reported yet."""
    return complete_day(reporting_days(con))


def complete_day(days: pd.DataFrame) -> date | None:
    """The latest complete day of reporting_days' table; the latest day with data when no day of
    the last month is complete; None without data."""
    if days.empty:
        return None
    complete = days.loc[days["complete"], "date"]
    return (complete if len(complete) else days["date"]).max().date()


# One row per grassroots unit under $unit and metric reported (people, the target groups, and the
# money figures in million VND the progress page judges: revenue, late-payment debt; not a sum of
# metrics), for the day to report, with the unit's last report of it (its open span) for the
# clerk's reference.
TEMPLATE_SQL = """
SELECT $day::DATE AS date, t.descendant AS unit_code, m.metric, NULL::BIGINT AS value,
       c.value AS last_value, c.date AS last_date
FROM unit_tree t
JOIN unit_levels l ON l.unit_code = t.descendant AND l.is_leaf
CROSS JOIN metrics m
LEFT JOIN counts c ON c.unit_code = t.descendant AND c.metric = m.metric AND c.valid_until = 'infinity'::DATE
WHERE t.ancestor = $unit AND m.sum_of IS NULL
ORDER BY t.descendant, m.sort_order
"""


def template_rows(con, *, unit: str = "VN") -> pd.DataFrame:
    """The counts template of a unit's grassroots units: date (the day to report: the day after
    the latest report, but not after today nor after its campaign's end), unit_code, metric, an
    empty value, and last_value and last_date (the unit's last report, for reference)."""
    check_filters(con, unit=unit)
    return con.cursor().execute(TEMPLATE_SQL, {"day": next_report_day(con), "unit": unit}).df()


def next_report_day(con) -> date:
    """The day a template is for: the day after the latest report, but not after today nor after
    its campaign's end."""
    latest, today = latest_date(con), vietnam_today()
    return today if latest is None else min(latest + timedelta(days=1), today, campaign_for(con, latest)["ends"])


def latest_date(con) -> date | None:
    """The latest date with any reported count of a campaign (the last day a reader may choose)."""
    return con.execute("SELECT max(date) FROM counts WHERE date >= ?", [campaign_reports_from(con)]).fetchall()[0][0]

"""Foresight: how likely each remaining milestone is, and how well that forecast did in the past.

The model, in the two sentences the progress page shows: a unit's value on a milestone is
today's value plus its average weekly addition of the last four weeks times the weeks left,
where the days left are weighted by how the nation's additions fall over the weekdays (few at
weekends, a catch-up on Monday). The 80 % band is that figure plus or minus 1.28 spreads, the
spread growing with how much the weekly additions varied, with the weeks left and with how few
weeks of history there are (the prediction interval of a random walk with estimated drift); the
probability is the share of that normal distribution at or above the target.

No chance is given for a unit that reported on fewer than MINIMUM_RECENT_REPORTS (5) of the last
RECENT_DAYS (14) days (a parent reports through any of its leaves): its value is stale and its
weeks of additions are mostly from before it went quiet, so a chance would rest on a pace it no
longer shows. Five is half of the ten working days in two weeks: a unit that reports on weekdays
(10 of 14) or misses a few days keeps its chance; one silent for more than a week loses it. Such
a row has probability none and no_chance 'few_reports'.

The chance of all metrics (ALL_METRICS_CTES: the leaderboard's) is the chance that every scored
metric meets its current milestone: the product of the metrics' chances, which assumes that
whether one metric makes it says nothing of whether another does (the backtest in
benchmarks/backtest.py judges that assumption). Beside it, the weakest metric and its chance: the
joint chance is never above it, and it is the one to act on. A mean of the chances would read 80 %
for a unit that is sure to miss one metric of five.

It is one statement over a list of as-of dates, on the figures statement's CTEs (progress.py),
so the backtest is the same SQL run for every past day of the history.
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from .campaigns import campaign_for
from .progress import (FIGURES_CTES, PROGRESS_COLUMNS, WHOLE_NUMBERS, campaign_reports_from, complete_date,
                       figure_parameters)

HISTORY_WEEKS = 4
MINIMUM_WEEKS = 2
BAND_Z = 1.2816  # the 10th and 90th percentiles of a normal distribution
# the 90th percentile of Student's t with 1, 2, 3 … degrees of freedom: a spread estimated from
# n weeks is widened by t(n - 1) / BAND_Z, so that few weeks give a band as wide as they should
STUDENT_T_90 = [3.078, 1.886, 1.638, 1.533, 1.476, 1.440, 1.415, 1.397]
BACKTEST_AHEAD_DAYS = 7
RECENT_DAYS = 14
MINIMUM_RECENT_REPORTS = 5

FORECAST_CTES = f"""
{FIGURES_CTES},
leaf_weeks AS (
    -- each leaf's addition in each of the last $weeks weeks in which it reported: a unit that
    -- starts reporting adds no week (its stock is not an addition, nor is it against a count of an
    -- earlier year, reference history), one that stopped adds none
    SELECT a.as_of, r.week, now.leaf, now.metric, now.value - before.value AS added
    FROM as_of_dates a CROSS JOIN range($weeks) r(week)
    JOIN leaf_values now ON now.day = a.as_of - 7 * r.week::INTEGER
    JOIN leaf_values before ON before.leaf = now.leaf AND before.metric = now.metric AND before.day = now.day - 7
    WHERE now.reported_on > before.day AND before.reported_on >= $reports_from::DATE
      -- the campaign's own weeks, once there are enough of them: a sprint does not add at the pace of before
      AND (before.day >= $baseline::DATE OR a.as_of < $baseline::DATE + 7 * $minimum_weeks::INTEGER)
),
unit_weeks AS (
    SELECT s.unit_code, w.metric, w.as_of, w.week, sum(w.added) AS added
    FROM scope_leaves s JOIN leaf_weeks w USING (leaf)
    GROUP BY ALL
),
weekly AS (
    -- a metric that sums metrics adds, each week, what its parts added (where each part has the week)
    SELECT unit_code, metric, as_of, count(*) AS weeks, avg(added) AS mean_week,
        coalesce(stddev_samp(added), 0) AS spread_week
    FROM (SELECT * FROM unit_weeks
          UNION ALL
          SELECT w.unit_code, p.metric, w.as_of, w.week, sum(w.added)
          FROM unit_weeks w JOIN metric_parts p ON p.part = w.metric
          GROUP BY w.unit_code, p.metric, w.as_of, w.week, p.parts HAVING count(*) = p.parts)
    GROUP BY ALL
    HAVING count(*) >= $minimum_weeks
),
daily_additions AS (
    -- the nation's additions on each day of the windows: each leaf's report against the one before it
    SELECT c.date AS day, c.metric, sum(c.value - p.value) AS added
    FROM counts c
    JOIN counts p ON p.unit_code = c.unit_code AND p.metric = c.metric AND p.valid_until = c.date
    JOIN unit_levels l ON l.unit_code = c.unit_code AND l.is_leaf
    WHERE c.date > (SELECT min(as_of) FROM as_of_dates) - 7 * $weeks::INTEGER AND p.date >= $reports_from::DATE
      AND c.date <= (SELECT max(as_of) FROM as_of_dates)
      AND ($metric IS NULL OR c.metric = $metric OR c.metric IN (SELECT part FROM metric_parts WHERE metric = $metric))
    GROUP BY ALL
),
weekday_additions AS (
    SELECT a.as_of, d.metric, isodow(d.day) AS weekday, greatest(sum(d.added), 0) AS added
    FROM as_of_dates a JOIN (
        SELECT * FROM daily_additions
        UNION ALL SELECT d.day, p.metric, sum(d.added) FROM daily_additions d JOIN metric_parts p ON p.part = d.metric
        GROUP BY ALL
    ) d ON d.day > a.as_of - 7 * $weeks::INTEGER AND d.day <= a.as_of
    GROUP BY ALL
),
profile AS (
    -- the share of a week's additions that falls on each weekday (none on a weekday nobody
    -- reports): even shares until a whole window of history is known
    SELECT k.as_of, k.metric, d.weekday,
        CASE WHEN k.as_of - 7 * $weeks::INTEGER >= (SELECT min(date) FROM counts WHERE date >= $reports_from::DATE)
                  AND sum(w.added) OVER k_window > 0
             THEN coalesce(w.added, 0) / sum(w.added) OVER k_window ELSE 1 / 7 END AS share
    FROM (SELECT DISTINCT as_of, metric FROM weekly) k CROSS JOIN range(1, 8) d(weekday)
    LEFT JOIN weekday_additions w USING (as_of, metric, weekday)
    WINDOW k_window AS (PARTITION BY k.as_of, k.metric)
),
report_days AS (
    -- the days each unit reported on (a parent through any of its leaves), in the windows
    SELECT DISTINCT s.unit_code, c.date AS day
    FROM counts c JOIN scope_leaves s ON s.leaf = c.unit_code
    WHERE c.date > (SELECT min(as_of) FROM as_of_dates) - $recent_days::INTEGER
      AND c.date <= (SELECT max(as_of) FROM as_of_dates)
),
recent AS (
    SELECT a.as_of, r.unit_code, count(*) AS recent_report_days
    FROM as_of_dates a JOIN report_days r ON r.day > a.as_of - $recent_days::INTEGER AND r.day <= a.as_of
    GROUP BY ALL
),
horizons AS (
    SELECT DISTINCT a.as_of, e.milestone AS horizon
    FROM as_of_dates a JOIN effective_targets e ON e.campaign_id = $campaign AND e.milestone > a.as_of
    UNION SELECT as_of, as_of + $ahead::INTEGER FROM as_of_dates WHERE $ahead IS NOT NULL
),
horizon_weeks AS (
    -- the days left, counted in weeks of additions (a Sunday counts for its share of a week)
    SELECT h.as_of, h.horizon, p.metric, sum(p.share) AS weeks_ahead
    FROM (SELECT as_of, horizon, unnest(generate_series(as_of + 1, horizon, INTERVAL 1 DAY)) AS day
          FROM horizons) h
    JOIN profile p ON p.as_of = h.as_of AND p.weekday = isodow(h.day)
    GROUP BY ALL
),
forecasts AS (
    SELECT w.unit_code, w.metric, w.as_of, h.horizon, v.value,
        coalesce(r.recent_report_days, 0) AS recent_report_days,
        v.value + w.mean_week * h.weeks_ahead AS median,
        w.spread_week * sqrt(h.weeks_ahead + h.weeks_ahead * h.weeks_ahead / w.weeks)
            * list_extract($student_t, w.weeks - 1) / {BAND_Z} AS spread
    FROM weekly w
    JOIN unit_values v ON v.unit_code = w.unit_code AND v.metric = w.metric AND v.day = w.as_of
    JOIN horizon_weeks h ON h.as_of = w.as_of AND h.metric = w.metric
    LEFT JOIN recent r ON r.as_of = w.as_of AND r.unit_code = w.unit_code
),
chances AS (
    -- P(value on the horizon >= target): the standard normal CDF of (median - target) / spread,
    -- by Abramowitz & Stegun 26.2.17 (error < 1e-7; DuckDB has no erf); certain when spread is 0.
    -- Where less is better (a ceiling), P(value <= target) instead: z's sign turned
    SELECT f.*, e.target, m.direction,
        (f.median - e.target) / nullif(f.spread, 0) * CASE WHEN m.direction = 'lower_is_better' THEN -1 ELSE 1 END AS z,
        1 / (1 + 0.2316419 * abs(z)) AS t,
        exp(-z * z / 2) / sqrt(2 * pi())
            * t * (0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))))
            AS tail
    FROM forecasts f
    JOIN metrics m USING (metric)
    LEFT JOIN effective_targets e ON e.campaign_id = $campaign AND e.unit_code = f.unit_code
        AND e.metric = f.metric AND e.milestone = f.horizon
),
likely AS (
    SELECT *, median - {BAND_Z} * spread AS low, median + {BAND_Z} * spread AS high,
        CASE WHEN target IS NULL OR recent_report_days < $minimum_reports THEN NULL
             WHEN spread = 0 THEN (CASE WHEN direction = 'lower_is_better' THEN median <= target
                                        ELSE median >= target END)::INTEGER::DOUBLE
             WHEN z >= 0 THEN 1 - tail
             ELSE tail END AS probability,
        CASE WHEN target IS NOT NULL AND recent_report_days < $minimum_reports THEN 'few_reports' END AS no_chance
    FROM chances
)
"""

# The chance of all metrics (see the module's docstring): for each unit and as-of date, over the
# metrics scored (those with a value; for all metrics, those where higher is better), each at its
# current milestone. None unless every one of them has a chance (on a milestone's own day the day
# decides: there is no chance); no_chance says why where a metric's is withheld.
ALL_METRICS_CTES = """
metric_chances AS (
    SELECT p.as_of, p.unit_code, p.metric, p.milestone, p.target, p.sort_order, l.probability, l.no_chance,
        l.recent_report_days
    FROM progress p LEFT JOIN likely l ON l.unit_code = p.unit_code AND l.metric = p.metric AND l.as_of = p.as_of
        AND l.horizon = p.milestone
    WHERE p.value IS NOT NULL AND ((p.direction = 'higher_is_better' AND p.sum_of IS NULL) OR $metric IS NOT NULL)
),
all_metrics AS (
    SELECT as_of, unit_code,
        CASE WHEN count(probability) = count(*) THEN product(probability) END AS probability,
        CASE WHEN count(probability) = count(*) THEN arg_min(metric, [probability, sort_order]) END
            AS weakest_metric,
        CASE WHEN count(probability) = count(*) THEN min(probability) END AS weakest_probability,
        max(no_chance) AS no_chance, min(recent_report_days) AS recent_report_days
    FROM metric_chances
    GROUP BY as_of, unit_code
)
"""

FORECAST_SQL = f"""
WITH {FORECAST_CTES}
SELECT l.unit_code, s.unit_name, l.metric, l.as_of, l.horizon AS milestone, l.target, l.value,
       round(l.probability, 4) AS probability, round(l.low)::BIGINT AS low, round(l.median)::BIGINT AS median,
       round(l.high)::BIGINT AS high, l.recent_report_days, l.no_chance
FROM likely l JOIN scope s USING (unit_code) JOIN metrics m USING (metric)
WHERE l.target IS NOT NULL
ORDER BY s.depth, l.unit_code, m.sort_order, l.horizon
"""


def forecast_parameters(con, parameters: dict, *, ahead: int | None = None,
                        also_days: list[date] | None = None) -> dict:
    """The parameters of FORECAST_CTES: those of the figures (figure_parameters) and the model's."""
    return {**parameters, "reports_from": campaign_reports_from(con), "weeks": HISTORY_WEEKS,
            "minimum_weeks": MINIMUM_WEEKS, "student_t": STUDENT_T_90, "ahead": ahead, "also_days": also_days or [], "recent_days": RECENT_DAYS,
            "minimum_reports": MINIMUM_RECENT_REPORTS}


def _parameters(con, *, as_of: date, dates: list[date] | None = None, also_days: list[date] | None = None,
                ahead: int | None = None, **filters) -> dict:
    return forecast_parameters(con, figure_parameters(con, as_of=as_of, dates=dates, **filters), ahead=ahead,
                               also_days=also_days)


def forecast(con, *, as_of: date, unit: str | None = None, level: str | None = None, metric: str | None = None,
             parent: str | None = None) -> pd.DataFrame:
    """How likely each unit is to reach each remaining milestone (after as_of), and the 80 %
    band of its value on that date.

    Columns: unit_code, unit_name, metric, as_of, milestone, target, value (on as_of),
    probability (0 to 1), low, median, high (the 10th, 50th and 90th percentiles of the value on
    the milestone), recent_report_days (days of the last 14 it reported on) and no_chance
    ('few_reports' where the probability is withheld for reporting on fewer than 5 of them, else
    none). A unit with fewer than two weeks of history has no row. `unit`, `level`,
    `parent` and `metric` narrow it as in progress().
    """
    parameters = _parameters(con, as_of=as_of, unit=unit, level=level, metric=metric, parent=parent)
    return con.cursor().execute(FORECAST_SQL, parameters).df()


OUTLOOK_SQL = f"""
WITH {FORECAST_CTES}
SELECT {", ".join("p." + column for column in PROGRESS_COLUMNS)},
       round(l.probability, 4) AS probability, round(l.low)::BIGINT AS low, round(l.high)::BIGINT AS high,
       l.recent_report_days, l.no_chance
FROM progress p
LEFT JOIN likely l ON l.unit_code = p.unit_code AND l.metric = p.metric AND l.as_of = p.as_of
    AND l.horizon = p.milestone
ORDER BY p.depth, p.unit_code, p.sort_order
"""


def outlook(con, *, as_of: date, unit: str | None = None, level: str | None = None, metric: str | None = None,
            parent: str | None = None) -> pd.DataFrame:
    """progress() and, for each row's milestone, the forecast: what a page's cards and tables show.

    Columns: those of progress(), then probability, low and high (of the value on the milestone;
    none when the milestone is as_of or past, or the unit has under two weeks of history),
    recent_report_days and no_chance (as in forecast()).
    """
    parameters = _parameters(con, as_of=as_of, unit=unit, level=level, metric=metric, parent=parent)
    parameters["years"] = True
    return con.cursor().execute(OUTLOOK_SQL, parameters).df().astype(WHOLE_NUMBERS)


ALL_METRICS_SQL = f"""
WITH {FORECAST_CTES}, {ALL_METRICS_CTES}
SELECT a.unit_code, s.unit_name, a.as_of, round(a.probability, 4) AS probability, a.weakest_metric,
       round(a.weakest_probability, 4) AS weakest_probability, a.no_chance
FROM all_metrics a JOIN scope s USING (unit_code)
ORDER BY s.depth, a.unit_code
"""


def chance_of_all_metrics(con, *, as_of: date, unit: str | None = None, level: str | None = None,
                          parent: str | None = None) -> pd.DataFrame:
    """The chance that every metric (where higher is better) makes its current milestone: the
    product of their chances (see the module's docstring), as the leaderboard shows it.

    Columns: unit_code, unit_name, as_of, probability (none unless every metric with a value has
    a chance), weakest_metric and weakest_probability (the metric least likely to make it, and
    its chance), no_chance ('few_reports' where a chance is withheld, else none). `unit`,
    `level` and `parent` narrow it as in progress().
    """
    parameters = _parameters(con, as_of=as_of, unit=unit, level=level, parent=parent)
    return con.cursor().execute(ALL_METRICS_SQL, parameters).df()


# Every past day of the history, forecast 7 days ahead and to the next milestone, set against
# what happened. inside: the outcome fell in the 80 % band (it should, 8 times in 10); brier:
# the mean squared error of the milestone probabilities, against that of always saying the
# share of milestones reached (base_rate_brier): lower is better, below it is skill.
BACKTEST_SQL = f"""
WITH {FORECAST_CTES},
outcomes AS (
    SELECT l.*, s.depth, actual.value AS actual,
        CASE WHEN l.horizon = l.as_of + $ahead::INTEGER THEN 'week' END AS week,
        CASE WHEN l.horizon = min(l.horizon) FILTER (l.target IS NOT NULL)
                 OVER (PARTITION BY l.as_of, l.unit_code, l.metric)
             THEN 'milestone' END AS milestone
    FROM likely l JOIN scope s USING (unit_code)
    JOIN unit_values actual ON actual.unit_code = l.unit_code AND actual.metric = l.metric AND actual.day = l.horizon
    WHERE l.horizon <= $last::DATE
),
judged AS (
    SELECT week AS horizon, depth, actual, low, high, NULL AS probability, NULL AS reached
    FROM outcomes WHERE week IS NOT NULL
    UNION ALL
    SELECT milestone, depth, actual, low, high, probability, (actual >= target)::INTEGER
    FROM outcomes WHERE milestone IS NOT NULL
)
SELECT horizon, coalesce(CASE depth WHEN 0 THEN 'national' WHEN 1 THEN 'province' WHEN 2 THEN 'grassroots'
                                    ELSE 'level ' || depth END, 'all') AS level,
       count(*) AS forecasts,
       round(100.0 * avg((actual BETWEEN low AND high)::INTEGER), 1) AS inside_pct,
       round(100.0 * avg((actual < low)::INTEGER), 1) AS below_pct,
       round(100.0 * avg((actual > high)::INTEGER), 1) AS above_pct,
       round(avg((probability - reached) ^ 2), 4) AS brier,
       round(avg(reached) * (1 - avg(reached)), 4) AS base_rate_brier
FROM judged
GROUP BY GROUPING SETS ((horizon), (horizon, depth))
ORDER BY horizon DESC, depth NULLS FIRST
"""


def _backtest_parameters(con, *, until: date | None, **filters) -> dict | None:
    """The parameters of a backtest up to `until` (default: the latest complete day; never after
    the latest report): every day from two weeks into the campaign, and each one's horizons; None
    without data."""
    first, latest = con.execute("SELECT min(date), max(date) FROM counts WHERE date >= ?",
                                [campaign_reports_from(con)]).fetchall()[0]
    if first is None:
        return None
    until = min(until or complete_date(con), latest)  # no outcome is known after the latest report
    campaign = campaign_for(con, until)
    start = max(first, campaign["baseline"]) + timedelta(days=7 * MINIMUM_WEEKS)
    dates = [start + timedelta(days=offset) for offset in range((until - start).days)]
    milestones = [day for (day,) in con.execute(
        "SELECT DISTINCT milestone FROM effective_targets WHERE campaign_id = ? AND milestone <= ?",
        [campaign["campaign_id"], until]).fetchall()]
    horizons = sorted({day + timedelta(days=BACKTEST_AHEAD_DAYS) for day in dates} | set(milestones))
    parameters = _parameters(con, as_of=until, dates=dates or [until], also_days=horizons,
                             ahead=BACKTEST_AHEAD_DAYS, **filters)
    return {**parameters, "last": until}


def backtest(con, *, until: date | None = None, metric: str | None = None, unit: str | None = None,
             level: str | None = None, parent: str | None = None) -> pd.DataFrame:
    """The forecast, judged: at every past day with two weeks of history behind it, predict each
    unit's value 7 days ahead and at the next milestone, up to `until` (default: the latest
    complete day; never after the latest report), and compare with what was reported.

    Columns: horizon (week | milestone), level (all, national, province, grassroots), forecasts,
    inside_pct (outcomes inside the 80 % band: near 80 is right), below_pct, above_pct, brier (of
    the milestone probabilities; none for the week) and base_rate_brier (the Brier score of
    always predicting the share reached: a forecast with skill scores lower). `unit`, `level`,
    `parent` and `metric` narrow the forecasts judged, as in forecast().
    """
    parameters = _backtest_parameters(con, until=until, metric=metric, unit=unit, level=level, parent=parent)
    if parameters is None:
        return pd.DataFrame(columns=["horizon", "level", "forecasts", "inside_pct", "below_pct", "above_pct",
                                     "brier", "base_rate_brier"])
    return con.cursor().execute(BACKTEST_SQL, parameters).df()


# Every past day on which a unit had a chance of all metrics (the leaderboard's), against whether
# every metric then met its milestone; the rules it could have been judged beside it: the
# weakest metric's chance (an upper bound of the joint chance) and the mean of the chances (the
# rule before 2026-12-06). Only days whose milestones have all passed by $last are judged.
ALL_METRICS_BACKTEST_SQL = f"""
WITH {FORECAST_CTES}, {ALL_METRICS_CTES},
judged AS (
    SELECT c.as_of, c.unit_code, any_value(s.depth) AS depth, avg(c.probability) AS mean_probability,
        bool_and(actual.value >= c.target)::INTEGER AS reached
    FROM metric_chances c JOIN scope s USING (unit_code)
    LEFT JOIN unit_values actual ON actual.unit_code = c.unit_code AND actual.metric = c.metric
        AND actual.day = c.milestone AND c.milestone <= $last::DATE
    GROUP BY c.as_of, c.unit_code
    HAVING count(actual.value) = count(*)
),
scored AS (
    SELECT j.*, a.probability, a.weakest_probability, least(floor(a.probability * 5), 4)::INTEGER AS band
    FROM judged j JOIN all_metrics a USING (as_of, unit_code)
    WHERE a.probability IS NOT NULL
)
SELECT coalesce(CASE depth WHEN 0 THEN 'national' WHEN 1 THEN 'province' WHEN 2 THEN 'grassroots'
                           ELSE 'level ' || depth END, 'all') AS level,
       coalesce(printf('%d-%d %%', 20 * band, 20 * band + 20), 'all') AS chance,
       count(*) AS forecasts,
       round(100.0 * avg(reached), 1) AS reached_pct,
       round(100.0 * avg(probability), 1) AS joint_pct,
       round(100.0 * avg(weakest_probability), 1) AS weakest_pct,
       round(100.0 * avg(mean_probability), 1) AS mean_pct,
       round(avg((probability - reached) ^ 2), 4) AS brier_joint,
       round(avg((weakest_probability - reached) ^ 2), 4) AS brier_weakest,
       round(avg((mean_probability - reached) ^ 2), 4) AS brier_mean,
       round(avg(reached) * (1 - avg(reached)), 4) AS base_rate_brier
FROM scored
GROUP BY GROUPING SETS ((), (depth), (band))
ORDER BY band NULLS FIRST, depth NULLS FIRST
"""


def backtest_all_metrics(con, *, until: date | None = None, unit: str | None = None, level: str | None = None,
                         parent: str | None = None) -> pd.DataFrame:
    """The chance of all metrics (the leaderboard's), judged: at every past day of backtest()'s,
    each unit's chance that every metric scored meets its current milestone, against whether they
    all did (days whose milestones are not all past by `until` are left out).

    Columns: level (all, national, province, grassroots), chance (all, or a fifth of the joint
    chance, 0-20 % to 80-100 %: the rows of each say whether a chance means what it says),
    forecasts (unit-days), reached_pct (of
    them, where every metric made it), joint_pct, weakest_pct and mean_pct (the mean chance by
    each rule: the product of the chances, the weakest metric's, their mean; the closer to
    reached_pct the better calibrated), brier_joint, brier_weakest, brier_mean (lower is better)
    and base_rate_brier (always predicting reached_pct).
    """
    parameters = _backtest_parameters(con, until=until, unit=unit, level=level, parent=parent)
    if parameters is None:
        return pd.DataFrame(columns=["level", "chance", "forecasts", "reached_pct", "joint_pct", "weakest_pct", "mean_pct",
                                     "brier_joint", "brier_weakest", "brier_mean", "base_rate_brier"])
    return con.cursor().execute(ALL_METRICS_BACKTEST_SQL, parameters).df()

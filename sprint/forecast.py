"""Foresight: how likely each remaining milestone is, and how well that forecast did in the past.

The model, in the two sentences the progress page shows: a unit's value on a milestone is
today's value plus its average weekly addition of the last four weeks times the weeks left,
where the days left are weighted by how the nation's additions fall over the weekdays (few at
weekends, a catch-up on Monday). The 80 % band is that figure plus or minus 1.28 spreads, the
spread growing with how much the weekly additions varied, with the weeks left and with how few
weeks of history there are (the prediction interval of a random walk with estimated drift); the
probability is the share of that normal distribution at or above the target.

It is one statement over a list of as-of dates, on the figures statement's CTEs (progress.py),
so the backtest is the same SQL run for every past day of the history.
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from .campaigns import campaign_for
from .progress import FIGURES_CTES, PROGRESS_COLUMNS, WHOLE_NUMBERS, complete_date, figure_parameters

HISTORY_WEEKS = 4
MINIMUM_WEEKS = 2
BAND_Z = 1.2816  # the 10th and 90th percentiles of a normal distribution
# the 90th percentile of Student's t with 1, 2, 3 … degrees of freedom: a spread estimated from
# n weeks is widened by t(n - 1) / BAND_Z, so that few weeks give a band as wide as they should
STUDENT_T_90 = [3.078, 1.886, 1.638, 1.533, 1.476, 1.440, 1.415, 1.397]
BACKTEST_AHEAD_DAYS = 7

FORECAST_CTES = f"""
{FIGURES_CTES},
leaf_weeks AS (
    -- each leaf's addition in each of the last $weeks weeks in which it reported: a unit that
    -- starts reporting adds no week (its stock is not an addition), one that stopped adds none
    SELECT a.as_of, r.week, now.leaf, now.metric, now.value - before.value AS added
    FROM as_of_dates a CROSS JOIN range($weeks) r(week)
    JOIN leaf_values now ON now.day = a.as_of - 7 * r.week::INTEGER
    JOIN leaf_values before ON before.leaf = now.leaf AND before.metric = now.metric AND before.day = now.day - 7
    WHERE now.reported_on > before.day
      -- the campaign's own weeks, once there are enough of them: a sprint does not add at the pace of before
      AND (before.day >= $baseline::DATE OR a.as_of < $baseline::DATE + 7 * $minimum_weeks::INTEGER)
),
weekly AS (
    SELECT unit_code, metric, as_of, count(*) AS weeks, avg(added) AS mean_week,
        coalesce(stddev_samp(added), 0) AS spread_week
    FROM (SELECT s.unit_code, w.metric, w.as_of, w.week, sum(w.added) AS added
          FROM scope_leaves s JOIN leaf_weeks w USING (leaf)
          GROUP BY ALL)
    GROUP BY ALL
    HAVING count(*) >= $minimum_weeks
),
daily_additions AS (
    -- the nation's additions on each day of the windows: each leaf's report against the one before it
    SELECT c.date AS day, c.metric, sum(c.value - p.value) AS added
    FROM counts c
    JOIN counts p ON p.unit_code = c.unit_code AND p.metric = c.metric AND p.valid_until = c.date
    JOIN unit_levels l ON l.unit_code = c.unit_code AND l.is_leaf
    WHERE c.date > (SELECT min(as_of) FROM as_of_dates) - 7 * $weeks::INTEGER
      AND c.date <= (SELECT max(as_of) FROM as_of_dates)
      AND ($metric IS NULL OR c.metric = $metric)
    GROUP BY ALL
),
weekday_additions AS (
    SELECT a.as_of, d.metric, isodow(d.day) AS weekday, greatest(sum(d.added), 0) AS added
    FROM as_of_dates a JOIN daily_additions d ON d.day > a.as_of - 7 * $weeks::INTEGER AND d.day <= a.as_of
    GROUP BY ALL
),
profile AS (
    -- the share of a week's additions that falls on each weekday (none on a weekday nobody
    -- reports): even shares until a whole window of history is known
    SELECT k.as_of, k.metric, d.weekday,
        CASE WHEN k.as_of - 7 * $weeks::INTEGER >= (SELECT min(date) FROM counts) AND sum(w.added) OVER k_window > 0
             THEN coalesce(w.added, 0) / sum(w.added) OVER k_window ELSE 1 / 7 END AS share
    FROM (SELECT DISTINCT as_of, metric FROM weekly) k CROSS JOIN range(1, 8) d(weekday)
    LEFT JOIN weekday_additions w USING (as_of, metric, weekday)
    WINDOW k_window AS (PARTITION BY k.as_of, k.metric)
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
        v.value + w.mean_week * h.weeks_ahead AS median,
        w.spread_week * sqrt(h.weeks_ahead + h.weeks_ahead * h.weeks_ahead / w.weeks)
            * list_extract($student_t, w.weeks - 1) / {BAND_Z} AS spread
    FROM weekly w
    JOIN unit_values v ON v.unit_code = w.unit_code AND v.metric = w.metric AND v.day = w.as_of
    JOIN horizon_weeks h ON h.as_of = w.as_of AND h.metric = w.metric
),
chances AS (
    -- P(value on the horizon >= target): the standard normal CDF of (median - target) / spread,
    -- by Abramowitz & Stegun 26.2.17 (error < 1e-7; DuckDB has no erf); certain when spread is 0
    SELECT f.*, e.target, (f.median - e.target) / nullif(f.spread, 0) AS z,
        1 / (1 + 0.2316419 * abs(z)) AS t,
        exp(-z * z / 2) / sqrt(2 * pi())
            * t * (0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))))
            AS tail
    FROM forecasts f
    LEFT JOIN effective_targets e ON e.campaign_id = $campaign AND e.unit_code = f.unit_code
        AND e.metric = f.metric AND e.milestone = f.horizon
),
likely AS (
    SELECT *, median - {BAND_Z} * spread AS low, median + {BAND_Z} * spread AS high,
        CASE WHEN target IS NULL THEN NULL
             WHEN spread = 0 THEN (median >= target)::INTEGER::DOUBLE
             WHEN z >= 0 THEN 1 - tail
             ELSE tail END AS probability
    FROM chances
)
"""

FORECAST_SQL = f"""
WITH {FORECAST_CTES}
SELECT l.unit_code, s.unit_name, l.metric, l.as_of, l.horizon AS milestone, l.target, l.value,
       round(l.probability, 4) AS probability, round(l.low)::BIGINT AS low, round(l.median)::BIGINT AS median,
       round(l.high)::BIGINT AS high
FROM likely l JOIN scope s USING (unit_code) JOIN metrics m USING (metric)
WHERE l.target IS NOT NULL
ORDER BY s.depth, l.unit_code, m.sort_order, l.horizon
"""


def forecast_parameters(parameters: dict, *, ahead: int | None = None, also_days: list[date] | None = None) -> dict:
    """The parameters of FORECAST_CTES: those of the figures (figure_parameters) and the model's."""
    return {**parameters, "weeks": HISTORY_WEEKS, "minimum_weeks": MINIMUM_WEEKS, "student_t": STUDENT_T_90,
            "ahead": ahead, "also_days": also_days or []}


def _parameters(con, *, as_of: date, dates: list[date] | None = None, also_days: list[date] | None = None,
                ahead: int | None = None, **filters) -> dict:
    return forecast_parameters(figure_parameters(con, as_of=as_of, dates=dates, **filters), ahead=ahead,
                               also_days=also_days)


def forecast(con, *, as_of: date, unit: str | None = None, level: str | None = None, metric: str | None = None,
             parent: str | None = None) -> pd.DataFrame:
    """How likely each unit is to reach each remaining milestone (after as_of), and the 80 %
    band of its value on that date.

    Columns: unit_code, unit_name, metric, as_of, milestone, target, value (on as_of),
    probability (0 to 1), low, median, high (the 10th, 50th and 90th percentiles of the value on
    the milestone). A unit with fewer than two weeks of history has no row. `unit`, `level`,
    `parent` and `metric` narrow it as in progress().
    """
    parameters = _parameters(con, as_of=as_of, unit=unit, level=level, metric=metric, parent=parent)
    return con.cursor().execute(FORECAST_SQL, parameters).df()


OUTLOOK_SQL = f"""
WITH {FORECAST_CTES}
SELECT {", ".join("p." + column for column in PROGRESS_COLUMNS)},
       round(l.probability, 4) AS probability, round(l.low)::BIGINT AS low, round(l.high)::BIGINT AS high
FROM progress p
LEFT JOIN likely l ON l.unit_code = p.unit_code AND l.metric = p.metric AND l.as_of = p.as_of
    AND l.horizon = p.milestone
ORDER BY p.depth, p.unit_code, p.sort_order
"""


def outlook(con, *, as_of: date, unit: str | None = None, level: str | None = None, metric: str | None = None,
            parent: str | None = None) -> pd.DataFrame:
    """progress() and, for each row's milestone, the forecast: what a page's cards and tables show.

    Columns: those of progress(), then probability, low and high (of the value on the milestone;
    none when the milestone is as_of or past, or the unit has under two weeks of history).
    """
    parameters = _parameters(con, as_of=as_of, unit=unit, level=level, metric=metric, parent=parent)
    return con.cursor().execute(OUTLOOK_SQL, parameters).df().astype(WHOLE_NUMBERS)


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
    first, latest = con.execute("SELECT min(date), max(date) FROM counts").fetchall()[0]
    if first is None:
        return pd.DataFrame(columns=["horizon", "level", "forecasts", "inside_pct", "below_pct", "above_pct",
                                     "brier", "base_rate_brier"])
    until = min(until or complete_date(con), latest)  # no outcome is known after the latest report
    campaign = campaign_for(con, until)
    start = max(first, campaign["baseline"]) + timedelta(days=7 * MINIMUM_WEEKS)
    dates = [start + timedelta(days=offset) for offset in range((until - start).days)]
    milestones = [day for (day,) in con.execute(
        "SELECT DISTINCT milestone FROM effective_targets WHERE campaign_id = ? AND milestone <= ?",
        [campaign["campaign_id"], until]).fetchall()]
    horizons = sorted({day + timedelta(days=BACKTEST_AHEAD_DAYS) for day in dates} | set(milestones))
    parameters = _parameters(con, as_of=until, dates=dates or [until], also_days=horizons,
                             ahead=BACKTEST_AHEAD_DAYS, metric=metric, unit=unit, level=level, parent=parent)
    parameters["last"] = until
    return con.cursor().execute(BACKTEST_SQL, parameters).df()

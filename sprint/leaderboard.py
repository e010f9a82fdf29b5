"""Scores and ranks: who leads the sprint, who moved since yesterday and over the week.

The board is the figures statement of progress.py for d, d-1 and d-7, scored and ranked with
rank() in the same statement; top movers is a filter of that board.
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from .errors import UnknownError
from .forecast import ALL_METRICS_CTES, FORECAST_CTES, forecast_parameters
from .progress import FIGURES_CTES, figure_parameters

MOVERS_DAYS = 7

# score: attainment against the current milestone for one metric; for all metrics, the mean over
# the metrics where the unit has one (late-payment debt, where lower is better, is left out of
# the mean: more debt is not a higher score; so is a metric that sums metrics: its parts would
# count twice). Equal scores (to two decimals) share the lower rank.
BOARD_CTES = """
scored AS (
    SELECT as_of, unit_code, any_value(unit_name) AS unit_name,
        round(avg(exact_attainment) FILTER (scored OR $metric IS NOT NULL), 2) AS score,
        count(exact_attainment) FILTER (scored OR $metric IS NOT NULL) AS metrics_scored,
        any_value(value) AS value, any_value(target) AS target, any_value(gap) AS gap,
        any_value(status) AS status, any_value(milestone) AS milestone, any_value(direction) AS direction
    FROM (SELECT *, direction = 'higher_is_better' AND sum_of IS NULL AS scored FROM progress) WHERE value IS NOT NULL
    GROUP BY as_of, unit_code
),
ranked AS (
    SELECT *, rank() OVER (PARTITION BY as_of ORDER BY
        CASE WHEN direction = 'lower_is_better' AND $metric IS NOT NULL THEN score ELSE -score END) AS rank
    FROM scored WHERE score IS NOT NULL
),
board AS (
    SELECT t.rank, t.unit_code, t.unit_name, t.score, y.rank - t.rank AS rank_change,
        y.rank AS previous_rank, w.rank AS rank_week_ago, w.rank - t.rank AS places_gained,
        w.score AS score_week_ago, t.metrics_scored,
        CASE WHEN $metric IS NOT NULL THEN t.value END AS value,
        CASE WHEN $metric IS NOT NULL THEN t.target END AS target,
        CASE WHEN $metric IS NOT NULL THEN t.gap END AS gap,
        CASE WHEN $metric IS NOT NULL THEN t.status END AS status,
        CASE WHEN $metric IS NOT NULL THEN t.milestone END AS milestone
    FROM ranked t
    LEFT JOIN ranked y ON y.as_of = $dates[2] AND y.unit_code = t.unit_code
    LEFT JOIN ranked w ON w.as_of = $dates[3] AND w.unit_code = t.unit_code
    WHERE t.as_of = $dates[1]
)
"""

LEADERBOARD_SQL = f"""
WITH {FIGURES_CTES}, {BOARD_CTES}
SELECT * FROM board ORDER BY rank, unit_code
"""

# the board and each unit's chance of its current milestone: for all metrics, the chance that every
# metric scored meets it, and the weakest metric (forecast.ALL_METRICS_CTES)
CHANCES_BOARD_SQL = f"""
WITH {FORECAST_CTES}, {BOARD_CTES}, {ALL_METRICS_CTES}
SELECT b.*, round(c.probability, 4) AS probability, c.weakest_metric,
    round(c.weakest_probability, 4) AS weakest_probability, c.no_chance
FROM board b LEFT JOIN all_metrics c ON c.unit_code = b.unit_code AND c.as_of = $dates[1]
ORDER BY rank, unit_code
"""

MOVERS_SQL = f"""
WITH {FIGURES_CTES}, {BOARD_CTES}
SELECT unit_code, unit_name, rank, rank_week_ago AS rank_then, places_gained, score,
       score_week_ago AS score_then
FROM board WHERE places_gained > 0
ORDER BY places_gained DESC, rank, unit_code
LIMIT $limit
"""


def _board_parameters(con, *, as_of, metric, level, parent, days) -> dict:
    if parent is None and level == "national":
        raise UnknownError("The national level has one unit; rank provinces or grassroots units.")
    metric = None if metric in (None, "all") else metric
    return figure_parameters(con, as_of=as_of, dates=[as_of, as_of - timedelta(days=1), as_of - timedelta(days=days)],
                             level=None if parent else level, parent=parent, metric=metric)


def leaderboard(con, *, as_of: date, metric: str = "all", level: str = "province",
                parent: str | None = None, chances: bool = False) -> pd.DataFrame:
    """Rank the units of one level (or the children of `parent`) by score on as_of.

    Columns: rank, unit_code, unit_name, score, rank_change (rank yesterday minus rank today;
    positive = moved up; none if not ranked yesterday), previous_rank, rank_week_ago,
    places_gained (over the week), score_week_ago, metrics_scored, and for a single metric value,
    target, gap, status, milestone. Units with no score are left out; ties are listed by code.
    With chances, also probability: the chance of the current milestone (sprint.forecast); for
    all metrics, the chance that every metric scored meets its milestone (the product of their
    chances: see sprint.forecast), weakest_metric and weakest_probability (the metric least likely
    to make it, and its chance), and no_chance ('few_reports' where a chance is withheld because
    the unit reported on too few of the last 14 days). It costs the forecast's statement on top
    of the board's.
    """
    parameters = _board_parameters(con, as_of=as_of, metric=metric, level=level, parent=parent, days=MOVERS_DAYS)
    if chances:
        return con.cursor().execute(CHANCES_BOARD_SQL, forecast_parameters(con, parameters)).df()
    return con.cursor().execute(LEADERBOARD_SQL, parameters).df()


def top_movers(con, *, as_of: date, metric: str = "all", level: str = "province",
               parent: str | None = None, days: int = MOVERS_DAYS, limit: int = 5) -> pd.DataFrame:
    """Units that climbed most over `days` days. Columns: unit_code, unit_name, rank,
    rank_then, places_gained, score, score_then."""
    parameters = _board_parameters(con, as_of=as_of, metric=metric, level=level, parent=parent, days=days)
    return con.cursor().execute(MOVERS_SQL, {**parameters, "limit": limit}).df()


def neighbours(board: pd.DataFrame, unit: str) -> pd.DataFrame:
    """The unit and the rows just above and below it on the board (ties are listed by unit code).

    Columns: those of the leaderboard, plus position (above | you | below) and score_difference
    (their score minus the unit's). Empty when the unit is not on the board.
    """
    position = board.index[board["unit_code"] == unit]
    if len(position) == 0:
        return board.iloc[0:0].assign(position=pd.Series(dtype=str), score_difference=pd.Series(dtype=float))
    at = board.index.get_loc(position[0])
    window = board.iloc[max(at - 1, 0): at + 2]
    offsets = pd.Series(range(len(window)), index=window.index) - (at - max(at - 1, 0))
    return window.assign(position=offsets.map(lambda o: "above" if o < 0 else "below" if o > 0 else "you"),
                         score_difference=(window["score"] - board.iloc[at]["score"]).round(2))

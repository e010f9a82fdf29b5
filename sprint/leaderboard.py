"""Scores and ranks: who leads the sprint, and who moved since yesterday."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from .errors import UnknownError
from .progress import check_filters, progress

LEADERBOARD_COLUMNS = ["rank", "unit_code", "unit_name", "score", "rank_change"]

# score: attainment against the current milestone for one metric; for "all", the mean over the
# metrics where the unit has one (metrics where lower is better, late-payment debt, are left
# out of the mean: more debt is not a higher score). Equal scores share the lower rank number.
LEADERBOARD_SQL = """
WITH scope AS (
    SELECT unit_code FROM units
    WHERE ($parent IS NOT NULL AND parent_code = $parent) OR $parent IS NULL
),
rows_by_day AS (
    SELECT 'today' AS day, * FROM today UNION ALL SELECT 'yesterday' AS day, * FROM yesterday
),
scored AS (
    SELECT r.day, r.unit_code, any_value(r.unit_name) AS unit_name,
        round(avg(100.0 * r.value / r.target) FILTER (
            r.target > 0 AND (m.direction = 'higher_is_better' OR $metric <> 'all')), 2) AS score,
        count(r.attainment_pct) FILTER (m.direction = 'higher_is_better' OR $metric <> 'all') AS metrics_scored,
        any_value(r.value) AS value, any_value(r.target) AS target, any_value(r.gap) AS gap,
        any_value(r.status) AS status, any_value(r.milestone) AS milestone,
        any_value(m.direction) AS direction
    FROM rows_by_day r JOIN scope USING (unit_code) JOIN metrics m USING (metric)
    WHERE ($metric = 'all' OR r.metric = $metric) AND r.value IS NOT NULL
    GROUP BY r.day, r.unit_code
),
ranked AS (
    SELECT *, rank() OVER (PARTITION BY day ORDER BY
        CASE WHEN direction = 'lower_is_better' AND $metric <> 'all' THEN score ELSE -score END) AS rank
    FROM scored WHERE score IS NOT NULL
)
SELECT t.rank, t.unit_code, t.unit_name, t.score, y.rank - t.rank AS rank_change,
       y.rank AS previous_rank, t.metrics_scored,
       CASE WHEN $metric <> 'all' THEN t.value END AS value,
       CASE WHEN $metric <> 'all' THEN t.target END AS target,
       CASE WHEN $metric <> 'all' THEN t.gap END AS gap,
       CASE WHEN $metric <> 'all' THEN t.status END AS status,
       CASE WHEN $metric <> 'all' THEN t.milestone END AS milestone
FROM ranked t LEFT JOIN ranked y ON y.day = 'yesterday' AND y.unit_code = t.unit_code
WHERE t.day = 'today'
ORDER BY t.rank, t.unit_code
"""


def leaderboard(con, *, as_of: date, metric: str = "all", level: str = "province",
                parent: str | None = None) -> pd.DataFrame:
    """Rank the units of one level (or the children of `parent`) by score on as_of.

    Columns: rank, unit_code, unit_name, score, rank_change (rank yesterday minus rank today;
    positive = moved up; none if not ranked yesterday), previous_rank, metrics_scored, and for a
    single metric value, target, gap, status, milestone. Units with no score are left out.
    """
    metric = metric or "all"
    check_filters(con, unit=parent, level=level, metric=metric)
    if parent is None and level == "national":
        raise UnknownError("The national level has one unit; rank provinces or grassroots units.")
    narrowing = {"level": None} if parent else {"level": level}
    today = progress(con, as_of=as_of, **narrowing)
    yesterday = progress(con, as_of=as_of - timedelta(days=1), **narrowing)
    cur = con.cursor()
    cur.register("today", today)
    cur.register("yesterday", yesterday)
    try:
        return cur.execute(LEADERBOARD_SQL, {"metric": metric, "parent": parent}).df()
    finally:
        cur.close()


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


def top_movers(con, *, as_of: date, metric: str = "all", level: str = "province",
               parent: str | None = None, days: int = 7, limit: int = 5) -> pd.DataFrame:
    """Units that climbed most over `days` days. Columns: unit_code, unit_name, rank,
    rank_then, places_gained, score, score_then."""
    now = leaderboard(con, as_of=as_of, metric=metric, level=level, parent=parent)
    then = leaderboard(con, as_of=as_of - timedelta(days=days), metric=metric, level=level, parent=parent)
    cur = con.cursor()
    cur.register("now_board", now)
    cur.register("then_board", then)
    try:
        return cur.execute(
            """SELECT n.unit_code, n.unit_name, n.rank, t.rank AS rank_then,
                      t.rank - n.rank AS places_gained, n.score, t.score AS score_then
               FROM now_board n JOIN then_board t USING (unit_code)
               WHERE t.rank > n.rank
               ORDER BY places_gained DESC, n.rank, n.unit_code LIMIT ?""", [limit]).df()
    finally:
        cur.close()

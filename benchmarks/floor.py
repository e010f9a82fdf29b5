"""The floor: hand-written DuckDB queries for the figures of the national store, from the base
tables (units, targets, counts' date and value) and nothing else of the project.

    python benchmarks/floor.py progress|leaderboard STORE DATE

prints the rows as CSV, from a process that imports only duckdb: what `python -m sprint progress`
and `python -m sprint leaderboard --level grassroots` are timed against. The queries use what is
known of the national store (three levels; fallback targets only at the national level), which
the engine may not assume; benchmarks/national.py checks they return the engine's rows.
"""
from __future__ import annotations

import sys
from datetime import date

import duckdb

# Every figure of progress for every unit and metric on $d, straight from the base tables, with
# the values a year earlier and at the end of the year before, and social insurance, all: the sum
# of compulsory and voluntary per unit, none where either is.
FLOOR_PROGRESS_SQL = """
WITH leaf_values AS (
    SELECT unit_code, metric,
           arg_max(value, date) FILTER (date <= $d) AS now,
           arg_max(value, date) FILTER (date <= $d - 7) AS week_ago,
           arg_max(value, date) FILTER (date <= $baseline) AS baseline,
           arg_max(value, date) FILTER (date <= ($d - INTERVAL 1 YEAR)::DATE) AS year_before,
           arg_max(value, date) FILTER (date <= make_date(year($d) - 1, 12, 31)) AS year_end
    FROM counts WHERE date <= $d GROUP BY ALL
), leaves AS (
    SELECT v.*, u.parent_code AS province FROM leaf_values v JOIN units u USING (unit_code)
), reported AS (
    SELECT unit_code, metric, now, week_ago, baseline, year_before, year_end FROM leaves
    UNION ALL
    SELECT province, metric, sum(now), sum(week_ago), sum(baseline), sum(year_before), sum(year_end)
    FROM leaves GROUP BY ALL
    UNION ALL
    SELECT 'VN', metric, sum(now), sum(week_ago), sum(baseline), sum(year_before), sum(year_end)
    FROM leaves GROUP BY ALL
), unit_values AS (
    SELECT * FROM reported
    UNION ALL
    SELECT unit_code, 'social_insurance',
           CASE WHEN count(now) = 2 THEN sum(now) END, CASE WHEN count(week_ago) = 2 THEN sum(week_ago) END,
           CASE WHEN count(baseline) = 2 THEN sum(baseline) END,
           CASE WHEN count(year_before) = 2 THEN sum(year_before) END, CASE WHEN count(year_end) = 2 THEN sum(year_end) END
    FROM reported WHERE metric IN ('compulsory_si', 'voluntary_si') GROUP BY unit_code
), own AS (
    SELECT unit_code, metric, milestone, target FROM targets WHERE campaign_id = '2025'
), all_targets AS (
    SELECT * FROM own
    UNION ALL
    SELECT 'VN', o.metric, o.milestone, sum(o.target) FROM own o JOIN units u USING (unit_code)
    WHERE u.parent_code = 'VN'
      AND NOT EXISTS (SELECT 1 FROM own n WHERE n.unit_code = 'VN' AND n.metric = o.metric AND n.milestone = o.milestone)
    GROUP BY ALL HAVING count(*) = (SELECT count(*) FROM units WHERE parent_code = 'VN')
), current AS (
    SELECT unit_code, metric, coalesce(min(milestone) FILTER (milestone >= $d), max(milestone)) AS milestone,
           max(target) FILTER (milestone = DATE '2025-12-31') AS plan
    FROM all_targets GROUP BY ALL
), f AS (
    SELECT c.unit_code, u.name AS unit_name, c.metric, $d AS as_of, v.now AS value, v.baseline, c.milestone,
           t.target, c.plan, datediff('day', $d, c.milestone) AS days_left, (v.now - v.week_ago) / 7.0 AS pace_7d,
           v.year_before, v.year_end
    FROM current c JOIN units u USING (unit_code)
    JOIN all_targets t USING (unit_code, metric, milestone)
    LEFT JOIN unit_values v USING (unit_code, metric)
)
SELECT unit_code, unit_name, metric, as_of, value, baseline, milestone, target,
    round(100.0 * value / target, 2) AS attainment_pct, plan, round(100.0 * value / plan, 2) AS plan_pct,
    CASE WHEN value IS NOT NULL THEN greatest(target - value, 0) END AS gap,
    CASE WHEN target > baseline THEN round(100.0 * (value - baseline) / (target - baseline), 2) END AS development_pct,
    days_left,
    CASE WHEN days_left > 0 AND value IS NOT NULL THEN greatest(target - value, 0) / days_left END AS required_daily,
    pace_7d, value + pace_7d * days_left AS projected,
    CASE WHEN value IS NULL THEN 'no_data' WHEN value >= target THEN 'achieved'
         WHEN value + pace_7d * days_left >= target THEN 'on_track' ELSE 'behind' END AS status,
    year_before AS value_year_before, value - year_before AS change_year,
    round(100.0 * (value - year_before) / nullif(year_before, 0), 2) AS change_year_pct,
    value - year_end AS change_since_year_end
FROM f
"""

# The communes' board (all metrics): score on d and d-1, rank and rank change, from the base tables.
FLOOR_BOARD_SQL = """
WITH leaf_values AS (
    SELECT unit_code, metric,
           arg_max(value, date) FILTER (date <= $d) AS now,
           arg_max(value, date) FILTER (date <= $d - 1) AS yesterday,
           arg_max(value, date) FILTER (date <= $d - 7) AS week_ago
    FROM counts WHERE date <= $d GROUP BY ALL
), days(day, label) AS (VALUES ($d, 'now'), ($d - 1, 'yesterday'), ($d - 7, 'week_ago')),
current AS (
    SELECT d.label, t.unit_code, t.metric,
           arg_min(t.target, t.milestone) FILTER (t.milestone >= d.day) AS next_target,
           arg_max(t.target, t.milestone) AS last_target
    FROM targets t JOIN units u USING (unit_code) CROSS JOIN days d
    WHERE t.campaign_id = '2025' AND u.unit_code LIKE '%-%' GROUP BY ALL
), scored AS (
    SELECT c.label, c.unit_code,
        round(avg(100.0 * CASE c.label WHEN 'now' THEN v.now WHEN 'yesterday' THEN v.yesterday ELSE v.week_ago END
                  / coalesce(c.next_target, c.last_target))
              FILTER (m.direction = 'higher_is_better'), 2) AS score
    FROM current c JOIN leaf_values v USING (unit_code, metric) JOIN metrics m USING (metric)
    GROUP BY ALL
), ranked AS (
    SELECT *, rank() OVER (PARTITION BY label ORDER BY score DESC) AS rank FROM scored WHERE score IS NOT NULL
)
SELECT t.rank, t.unit_code, u.name AS unit_name, t.score, y.rank - t.rank AS rank_change
FROM ranked t JOIN units u USING (unit_code)
LEFT JOIN ranked y ON y.label = 'yesterday' AND y.unit_code = t.unit_code
WHERE t.label = 'now' ORDER BY t.rank, t.unit_code
"""


def main() -> None:
    kind, store, day = sys.argv[1], sys.argv[2], date.fromisoformat(sys.argv[3])
    con = duckdb.connect(store, read_only=True)
    if kind == "progress":
        relation = con.execute(FLOOR_PROGRESS_SQL, {"d": day, "baseline": date(2025, 9, 30)})
    else:
        relation = con.execute(FLOOR_BOARD_SQL, {"d": day})
    names = [column[0] for column in relation.description]
    sys.stdout.write(",".join(names) + "\n")
    for row in relation.fetchall():
        sys.stdout.write(",".join("" if value is None else str(value) for value in row) + "\n")


if __name__ == "__main__":
    main()

"""Reports that look wrong: flags for a person to look at, never a reason to refuse a file.

- jump / drop: the change per day since the unit's previous report is far outside its own recent
  changes per day: further from their mean over the last RECENT_DAYS days than JUMP_SPREADS
  times their standard deviation or their mean itself, whichever is larger (a unit adding a
  steady 10 a day is flagged at +50 or -30, not at 0), and at least JUMP_FLOOR_PCT % of the
  previous value in all;
- copied: every participant metric of a report equals the unit's previous report while most of its peers
  (the units of the same parent reporting that day, at least MIN_PEERS) moved: a copied sheet;
- silent: a grassroots unit that missed the last SILENT_DAYS reporting days (days most units
  reported for; a weekend is not missed), or never reported;
- above_population: a count above the population of its unit, where the population is known.

The same statement judges the day's stored reports (`anomalies`) and a file before it is
committed (`file_flags`, in the upload preview): only the relation of reports differs.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from .progress import check_filters

RECENT_DAYS = 28
JUMP_SPREADS = 4
JUMP_FLOOR_PCT = 1
MIN_CHANGES = 5
MIN_PEERS = 3
SILENT_DAYS = 3

# the day's stored reports, each with the report of the same unit and metric before it
STORED_REPORTS = """
SELECT c.date, c.unit_code, c.metric, c.value, p.value AS before_value, p.date AS before_date
FROM counts c
JOIN unit_tree t ON t.descendant = c.unit_code AND t.ancestor = $unit
LEFT JOIN counts p ON p.unit_code = c.unit_code AND p.metric = c.metric AND p.valid_until = c.date
WHERE c.date = $as_of::DATE
"""

# a checked file's rows (ingest's temp table `previous`), each with the stored report before it
FILE_REPORTS = "SELECT date, unit_code, metric, value, before_value, before_date FROM previous"

FLAG_CTES = """
reports AS ({reports}),
recent AS (
    -- each key's changes per day between its reports of the last weeks (a Monday report after a
    -- weekend carries three days of additions)
    SELECT k.unit_code, k.metric, k.date, count(*) AS changes,
        avg((c.value - p.value) / (c.date - p.date)) AS mean_change,
        stddev_samp((c.value - p.value) / (c.date - p.date)) AS spread
    FROM (SELECT DISTINCT unit_code, metric, date FROM reports) k
    JOIN counts c ON c.unit_code = k.unit_code AND c.metric = k.metric
        AND c.date < k.date AND c.date >= k.date - $recent_days::INTEGER
    JOIN counts p ON p.unit_code = c.unit_code AND p.metric = c.metric AND p.valid_until = c.date
    GROUP BY ALL
),
jumps AS (
    SELECT r.date, r.unit_code, r.metric,
        CASE WHEN per_day > k.mean_change THEN 'jump' ELSE 'drop' END AS kind,
        r.value, r.before_value AS previous, round(k.mean_change)::BIGINT AS usual
    FROM reports r JOIN recent k USING (unit_code, metric, date),
    LATERAL (SELECT (r.value - r.before_value) / (r.date - r.before_date) AS per_day)
    WHERE k.changes >= $min_changes
      AND abs(per_day - k.mean_change) > $jump_spreads * greatest(k.spread, abs(k.mean_change), 1)
      AND abs(per_day - k.mean_change) * (r.date - r.before_date) >= $jump_floor_pct / 100.0 * r.before_value
),
day_reports AS (
    -- who reported that day and whether they moved: the judged reports, and the stored ones of
    -- the same days for the units they do not cover (a file is judged against its peers)
    SELECT date, unit_code, bool_and(value = before_value) AS unchanged, count(*) AS metrics
    FROM (
        SELECT date, unit_code, metric, value, before_value FROM reports
        UNION ALL
        SELECT c.date, c.unit_code, c.metric, c.value, p.value
        FROM counts c LEFT JOIN counts p ON p.unit_code = c.unit_code AND p.metric = c.metric AND p.valid_until = c.date
        WHERE c.date IN (SELECT date FROM reports)
          AND c.unit_code NOT IN (SELECT unit_code FROM reports)
    ) JOIN metrics m USING (metric)
    -- people only: money is reported monthly, and an unchanged revenue line is no copied sheet
    WHERE before_value IS NOT NULL AND m.kind = 'people'
    GROUP BY ALL
),
copied AS (
    SELECT d.date, d.unit_code, NULL AS metric, 'copied' AS kind, NULL::BIGINT AS value,
        NULL::BIGINT AS previous, NULL::BIGINT AS usual
    FROM day_reports d JOIN units u USING (unit_code)
    JOIN (SELECT DISTINCT date, unit_code FROM reports) r USING (date, unit_code),
    LATERAL (
        SELECT count(*) AS peers, count(*) FILTER (NOT o.unchanged) AS moved
        FROM day_reports o JOIN units ou USING (unit_code)
        WHERE o.date = d.date AND ou.parent_code = u.parent_code AND o.unit_code <> d.unit_code
    ) peers
    WHERE d.unchanged AND d.metrics >= 2 AND peers.peers >= $min_peers AND peers.moved > peers.peers / 2
),
above AS (
    SELECT r.date, r.unit_code, r.metric, 'above_population' AS kind, r.value, NULL::BIGINT AS previous,
        u.population AS usual
    FROM reports r JOIN units u USING (unit_code) JOIN metrics m USING (metric)
    WHERE m.kind = 'people' AND r.value > u.population
)
"""

# beyond the day's reports: units gone quiet, and totals above a known population (any level)
STORE_ONLY_CTES = """
reporting_days AS (
    -- the days most grassroots units reported for: missing one of them is missing a report
    SELECT date FROM counts WHERE date > $as_of::DATE - $recent_days::INTEGER AND date <= $as_of::DATE
    GROUP BY date
    HAVING count(DISTINCT unit_code) > 0.5 * (SELECT count(*) FROM unit_levels WHERE is_leaf)
),
silent AS (
    SELECT $as_of::DATE AS date, q.unit_code, NULL AS metric, 'silent' AS kind, NULL::BIGINT AS value,
        NULL::BIGINT AS previous, count(*) AS usual
    FROM (
        SELECT l.unit_code, max(c.date) AS last_report  -- none for a unit that never reported
        FROM unit_tree t JOIN unit_levels l ON l.unit_code = t.descendant AND l.is_leaf
        LEFT JOIN counts c ON c.unit_code = l.unit_code AND c.date <= $as_of::DATE
        WHERE t.ancestor = $unit
        GROUP BY l.unit_code
    ) q JOIN reporting_days d ON d.date > coalesce(q.last_report, '-infinity'::DATE)
    GROUP BY q.unit_code
    HAVING count(*) >= $silent_days
),
totals AS (
    SELECT $as_of::DATE AS date, u.unit_code, c.metric, 'above_population' AS kind, sum(c.value)::BIGINT AS value,
        NULL::BIGINT AS previous, any_value(u.population) AS usual
    FROM units u
    JOIN unit_tree scope ON scope.descendant = u.unit_code AND scope.ancestor = $unit
    JOIN unit_levels ul ON ul.unit_code = u.unit_code AND NOT ul.is_leaf
    JOIN unit_tree t ON t.ancestor = u.unit_code
    JOIN unit_levels l ON l.unit_code = t.descendant AND l.is_leaf
    JOIN counts c ON c.unit_code = l.unit_code AND c.date <= $as_of::DATE AND $as_of::DATE < c.valid_until
    JOIN metrics m ON m.metric = c.metric AND m.kind = 'people'
    WHERE u.population IS NOT NULL
    GROUP BY u.unit_code, c.metric
    HAVING sum(c.value) > any_value(u.population)
)
"""


def _flag_sql(reports: str, *, store: bool) -> str:
    ctes = FLAG_CTES.format(reports=reports) + (f",{STORE_ONLY_CTES}" if store else "")
    flags = " UNION ALL ".join(f"SELECT * FROM {part}"
                               for part in ("jumps", "copied", "above") + (("silent", "totals") if store else ()))
    return f"""
WITH {ctes}
SELECT f.date, f.unit_code, u.name AS unit_name, f.metric, f.kind, f.value, f.previous, f.usual
FROM ({flags}) f JOIN units u USING (unit_code) LEFT JOIN metrics m USING (metric)
ORDER BY f.date, f.unit_code, m.sort_order NULLS FIRST, f.kind
"""


PARAMETERS = {"recent_days": RECENT_DAYS, "jump_spreads": JUMP_SPREADS, "jump_floor_pct": JUMP_FLOOR_PCT,
              "min_changes": MIN_CHANGES, "min_peers": MIN_PEERS}

STORE_FLAGS_SQL = _flag_sql(STORED_REPORTS, store=True)
FILE_FLAGS_SQL = _flag_sql(FILE_REPORTS, store=False)


def anomalies(con, *, as_of: date, unit: str = "VN") -> pd.DataFrame:
    """Reports under `unit` that look wrong on as_of: jumps, drops, copied sheets, silent units
    and counts above a known population (see the module's docstring for each rule).

    Columns: date, unit_code, unit_name, metric (none for copied and silent), kind (jump | drop |
    copied | silent | above_population), value, previous (the report before), usual (the unit's
    mean change per day over the last 28 days for a jump or drop, the reporting days missed for
    silent, the population for above_population).
    """
    check_filters(con, unit=unit)
    return con.cursor().execute(STORE_FLAGS_SQL, {**PARAMETERS, "as_of": as_of, "unit": unit,
                                                  "silent_days": SILENT_DAYS}).df()


def file_flags(cur) -> pd.DataFrame:
    """The same flags (but silent) for a checked file before it is committed, on the cursor that
    checked it (its temp table `previous`). Columns as anomalies()."""
    return cur.execute(FILE_FLAGS_SQL, PARAMETERS).df()

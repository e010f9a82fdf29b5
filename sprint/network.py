"""The collection network: service organisations, collection points and collection staff, each
contracted by a unit, with targets for the participants they bring in (voluntary social
insurance, family health insurance) and reports of their own (sprint.ingest.network).

A point's or staff member's figure on a day is its latest report on or before it (of that date,
the latest upload's): the new participants it has brought in since the campaign's baseline. An
organisation reports nothing: its figure is the sum of its points' and staff's, and its target its
own, else the sum of theirs. Each person is brought in by one collector, so the network's total
in a unit is the sum over its points and staff, and its share of the unit's new participants is
that total over the unit's value minus its baseline (the administrative figures, which the
network never changes).
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from .errors import UnknownError
from .ingest.network import KINDS
from .ingest.reference import COLLECTED
from .progress import FIGURES_CTES, check_filters, figure_parameters, next_report_day

NETWORK_CTES = f"""
{FIGURES_CTES},
unit_new AS (
    -- the scope unit's new participants since the baseline (its administrative figures)
    SELECT max(value) FILTER (day = $as_of::DATE) - max(value) FILTER (day = $baseline::DATE) AS new
    FROM unit_values WHERE unit_code = $unit AND metric = $metric
),
members AS (
    -- every collector contracted by the scope unit or a unit below it
    SELECT c.*, u.name AS unit_name
    FROM collectors c JOIN unit_tree t ON t.descendant = c.unit_code AND t.ancestor = $unit
    JOIN units u ON u.unit_code = c.unit_code
),
reported AS (
    SELECT collector_code, max_by(value, (date, upload_id)) AS collected, max(date) AS reported_on
    FROM collector_reports
    WHERE metric = $metric AND date <= $as_of::DATE AND date > $baseline::DATE
      AND collector_code IN (SELECT collector_code FROM members)
    GROUP BY collector_code
),
milestone AS (
    -- the milestone the figures run to: the first on or after the day, else the campaign's last
    SELECT coalesce(min(milestone) FILTER (milestone >= $as_of::DATE), max(milestone)) AS milestone
    FROM phases WHERE campaign_id = $campaign
),
own_targets AS (
    SELECT collector_code, target FROM collector_targets
    WHERE campaign_id = $campaign AND metric = $metric AND milestone = (SELECT milestone FROM milestone)
),
collectors_figures AS (
    SELECT m.collector_code, m.name, m.kind, m.organisation, m.unit_code, m.unit_name,
           r.collected, r.reported_on, t.target
    FROM members m LEFT JOIN reported r USING (collector_code) LEFT JOIN own_targets t USING (collector_code)
    WHERE m.kind <> 'organisation'
),
organisations_figures AS (
    SELECT o.collector_code, o.name, o.kind, NULL AS organisation, o.unit_code, o.unit_name,
           sum(f.collected)::BIGINT AS collected, max(f.reported_on) AS reported_on,
           coalesce(any_value(t.target), sum(f.target)::BIGINT) AS target
    FROM members o LEFT JOIN collectors_figures f ON f.organisation = o.collector_code
    LEFT JOIN own_targets t ON t.collector_code = o.collector_code
    WHERE o.kind = 'organisation'
    GROUP BY o.collector_code, o.name, o.kind, o.unit_code, o.unit_name
),
network AS (
    SELECT f.*, $metric AS metric, $as_of::DATE AS as_of, (SELECT milestone FROM milestone) AS milestone,
        round(100.0 * f.collected / nullif(f.target, 0), 2) AS attainment_pct,
        CASE WHEN f.collected IS NOT NULL THEN greatest(f.target - f.collected, 0) END AS gap,
        round(100.0 * f.collected / nullif((SELECT new FROM unit_new), 0), 2) AS share_pct
    FROM (SELECT * FROM collectors_figures UNION ALL SELECT * FROM organisations_figures) f
)"""

NETWORK_COLUMNS = ["rank", "collector_code", "name", "kind", "organisation", "organisation_name", "unit_code",
                   "unit_name", "metric", "as_of", "collected", "reported_on", "milestone", "target",
                   "attainment_pct", "gap", "share_pct"]

# the board of one kind: by attainment of the milestone's target, then by the people brought in
# (a collector with no target ranks after those with one, one with no report last)
NETWORK_SQL = f"""
WITH {NETWORK_CTES}
SELECT rank() OVER (ORDER BY n.attainment_pct DESC NULLS LAST, n.collected DESC NULLS LAST) AS rank,
       n.collector_code, n.name, n.kind, n.organisation, o.name AS organisation_name, n.unit_code, n.unit_name,
       n.metric, n.as_of, n.collected, n.reported_on, n.milestone, n.target, n.attainment_pct, n.gap, n.share_pct
FROM network n LEFT JOIN collectors o ON o.collector_code = n.organisation
WHERE n.kind = $kind
ORDER BY rank, n.collector_code
"""

SUMMARY_SQL = f"""
WITH {NETWORK_CTES}
SELECT $unit AS unit_code, (SELECT name FROM units WHERE unit_code = $unit) AS unit_name, $metric AS metric,
       $as_of::DATE AS as_of,
       count(*) FILTER (kind = 'organisation') AS organisations,
       count(*) FILTER (kind = 'point') AS points,
       count(*) FILTER (kind = 'staff') AS staff,
       count(collected) FILTER (kind <> 'organisation') AS reporting,
       sum(collected) FILTER (kind <> 'organisation')::BIGINT AS collected,
       sum(target) FILTER (kind <> 'organisation')::BIGINT AS target,
       round(100.0 * sum(collected) FILTER (kind <> 'organisation')
             / nullif(sum(target) FILTER (kind <> 'organisation'), 0), 2) AS attainment_pct,
       (SELECT new FROM unit_new)::BIGINT AS unit_new,
       round(100.0 * sum(collected) FILTER (kind <> 'organisation') / nullif((SELECT new FROM unit_new), 0), 2)
           AS share_pct
FROM network
"""

SUMMARY_COLUMNS = ["unit_code", "unit_name", "metric", "as_of", "organisations", "points", "staff", "reporting",
                   "collected", "target", "attainment_pct", "unit_new", "share_pct"]

WHOLE_NUMBERS = ("collected", "target", "gap", "unit_new")


def _whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({column: "Int64" for column in WHOLE_NUMBERS if column in frame})


def network_metrics(con) -> list[str]:
    """The metrics the collection network brings people in for: those with a collector's target
    or report, in the metrics' order."""
    return [m for (m,) in con.execute(f"""
        SELECT metric FROM metrics
        WHERE {COLLECTED} AND metric IN (SELECT metric FROM collector_targets UNION SELECT metric FROM collector_reports)
        ORDER BY sort_order""").fetchall()]


def _parameters(con, *, as_of: date, unit: str | None, metric: str) -> dict:
    unit = unit or "VN"
    check_filters(con, unit=unit, metric=metric)
    parameters = figure_parameters(con, as_of=as_of, unit=unit, metric=metric)
    return {**parameters, "as_of": as_of}


def _each_metric(con, metric: str | None, read, columns: list[str]) -> pd.DataFrame:
    """read(metric) for `metric`, else for each metric the network collects, one after another."""
    frames = [frame for m in ([metric] if metric else network_metrics(con)) if len(frame := read(m))]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def network(con, *, as_of: date, unit: str | None = None, kind: str = "point",
            metric: str | None = None) -> pd.DataFrame:
    """The leaderboard of the collection network's points (kind=point), staff or service
    organisations contracted by `unit` (default: the nation) or a unit below it, for each metric
    the network collects (or `metric`).

    Columns: rank (by attainment, then people brought in), collector_code, name, kind,
    organisation (its code) and organisation_name, unit_code and unit_name (the unit that
    contracts it), metric, as_of, collected (new participants brought in since the baseline, as
    of as_of: its latest report), reported_on (that report's date), milestone (the first on or
    after as_of), target (at that milestone), attainment_pct, gap, share_pct (collected over the
    new participants of `unit` since the baseline).
    """
    if kind not in KINDS:
        raise UnknownError(f"Unknown kind '{kind}'; use one of {', '.join(KINDS)}.")

    def read(m: str) -> pd.DataFrame:
        parameters = {**_parameters(con, as_of=as_of, unit=unit, metric=m), "kind": kind}
        return _whole_numbers(con.cursor().execute(NETWORK_SQL, parameters).df())
    return _each_metric(con, metric, read, NETWORK_COLUMNS)


def network_summary(con, *, as_of: date, unit: str | None = None, metric: str | None = None) -> pd.DataFrame:
    """The collection network of `unit` (contracted by it or a unit below it), one row per metric
    it collects: organisations, points and staff (how many), reporting (points and staff with a
    report), collected (the people they brought in since the baseline), target and
    attainment_pct (of the points' and staff's targets at the milestone), unit_new (the unit's own
    new participants since the baseline) and share_pct (collected over unit_new)."""
    def read(m: str) -> pd.DataFrame:
        return _whole_numbers(con.cursor().execute(SUMMARY_SQL, _parameters(con, as_of=as_of, unit=unit, metric=m)).df())
    return _each_metric(con, metric, read, SUMMARY_COLUMNS)


def collectors(con, *, unit: str | None = None) -> pd.DataFrame:
    """The collection network's roster: the collectors contracted by `unit` (default: the nation)
    or a unit below it. Columns: collector_code, kind, name, unit_code, unit_name (the unit that
    contracts it), organisation, organisation_name."""
    unit = unit or "VN"
    check_filters(con, unit=unit)
    return con.cursor().execute("""
        SELECT c.collector_code, c.kind, c.name, c.unit_code, u.name AS unit_name, c.organisation,
               o.name AS organisation_name
        FROM collectors c JOIN units u USING (unit_code) LEFT JOIN collectors o ON o.collector_code = c.organisation
        WHERE c.unit_code IN (SELECT descendant FROM unit_tree WHERE ancestor = $unit)
        ORDER BY CASE c.kind WHEN 'organisation' THEN 0 WHEN 'point' THEN 1 ELSE 2 END, c.collector_code""",
        {"unit": unit}).df()


TEMPLATE_SQL = """
WITH latest AS (
    SELECT collector_code, metric, max_by(value, (date, upload_id)) AS value, max(date) AS date
    FROM collector_reports GROUP BY ALL
)
SELECT $day::DATE AS date, c.collector_code, c.name, m.metric, NULL::BIGINT AS value,
       l.value AS last_value, l.date AS last_date
FROM collectors c CROSS JOIN metrics m
LEFT JOIN latest l ON l.collector_code = c.collector_code AND l.metric = m.metric
WHERE c.kind <> 'organisation' AND c.unit_code IN (SELECT descendant FROM unit_tree WHERE ancestor = $unit)
  AND m.metric IN (SELECT unnest($metrics::VARCHAR[]))
ORDER BY c.collector_code, m.sort_order
"""


def network_template(con, *, unit: str | None = None) -> pd.DataFrame:
    """The report template of the points and staff contracted by `unit` or a unit below it:
    date (the counts template's: progress.next_report_day), collector_code, name, metric (each the
    network collects), an empty value, and last_value and last_date (their last report)."""
    unit = unit or "VN"
    check_filters(con, unit=unit)
    return con.cursor().execute(TEMPLATE_SQL, {"day": next_report_day(con), "unit": unit,
                                               "metrics": network_metrics(con)}).df()

"""Gap allocation: what each child must add so that it and its parent make the milestone.

A share is a quota: what the child must add by the parent's milestone so that the child reaches
its own target and, all shares together, the parent reaches its own. The rule:

1. each child first gets its own gap (its target at the parent's milestone minus its value): a
   share is never below it, and a child at or above its target gets 0;
2. the parent's need is its own gap, or the children's gaps where these add up to more (children
   above their targets make up for others on the parent's figure, but not on the others' quotas);
3. what the parent needs beyond its children's gaps (its target above theirs, or children that
   never reported) is split over the children still short of their targets in proportion to
   their targets: a bigger unit carries more of it. When none is short, it is split by target
   over every child with a value (the one case where a child at its target is asked for more).

The shares are whole people (largest remainder on the split part), so they add up to the need
exactly; each share divided by the parent's days left is the child's daily figure. A child
without a value has no share (none, not 0), and a parent without a value has no shares.
Before 2026-12-06 the gap was split by each child's share of the gaps and of the recent pace, which
asked Hải Phòng for 28,387 on a gap of 5,877 and Cần Thơ for 36,466 on a gap of 55,244.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from .errors import UnknownError
from .progress import FIGURES_CTES, figure_parameters

ALLOCATION_SQL = f"""
WITH {FIGURES_CTES},
parent AS (SELECT * FROM progress WHERE unit_code = $unit),
children AS (
    -- each child's gap at the parent's milestone (its own current one where it has no target then)
    SELECT c.unit_code, c.unit_name, c.metric, c.as_of, c.status, c.value, c.pace_7d,
        coalesce(e.target, c.target) AS target, gaps.gap
    FROM progress c CROSS JOIN parent p
    LEFT JOIN effective_targets e ON e.campaign_id = $campaign AND e.unit_code = c.unit_code
        AND e.metric = c.metric AND e.milestone = p.milestone,
    LATERAL (SELECT CASE WHEN c.value IS NOT NULL THEN greatest(coalesce(e.target, c.target) - c.value, 0) END
             AS gap) gaps
    WHERE c.parent_code = $unit
),
needs AS (
    SELECT c.*, p.gap AS parent_gap, p.days_left AS parent_days_left, p.milestone AS parent_milestone,
        -- the parent's need beyond its children's gaps; those still short carry it (all when none is)
        greatest(p.gap - coalesce(sum(c.gap) OVER (), 0), 0) AS beyond_gaps,
        CASE WHEN count(*) FILTER (c.gap > 0) OVER () > 0 THEN c.gap > 0 ELSE c.value IS NOT NULL END AS carries
    FROM children c CROSS JOIN parent p
),
split AS (
    SELECT *, CASE WHEN carries THEN target / nullif(sum(target) FILTER (carries) OVER (), 0) ELSE 0 END AS weight
    FROM needs
),
rounded AS (
    -- largest remainder: each carrier its whole people of the split, then one more to the largest
    -- remainders until the split adds up to what the parent needs beyond the gaps
    SELECT *, floor(beyond_gaps * weight)::BIGINT AS whole,
        row_number() OVER (ORDER BY weight > 0 DESC, beyond_gaps * weight - floor(beyond_gaps * weight) DESC,
                           unit_code) AS remainder_rank
    FROM split
),
final AS (
    SELECT *, CASE WHEN parent_gap IS NOT NULL AND value IS NOT NULL THEN
            gap + whole + (weight > 0 AND remainder_rank <= beyond_gaps - sum(whole) OVER ())::INTEGER END AS share
    FROM rounded
)
SELECT unit_code, unit_name, metric, as_of, parent_milestone AS milestone, status, value, target, gap, pace_7d,
    share - gap AS extra, share,
    CASE WHEN parent_days_left > 0 THEN share / parent_days_left END AS share_daily
FROM final
ORDER BY share DESC NULLS LAST, unit_code
"""


def allocate(con, *, unit: str, metric: str, as_of: date) -> pd.DataFrame:
    """Split `unit`'s gap on `metric` (at its current milestone) over its children.

    Columns: unit_code, unit_name, metric, as_of, milestone (the parent's), status, value,
    target, gap, pace_7d (the child's own figures), extra (people beyond its own gap: its part of
    what the parent needs beyond its children's gaps), share (gap + extra: the shares add up to
    the parent's need, the larger of its gap and the sum of the children's) and share_daily
    (share / the parent's days left; none once the milestone is reached). Largest share first.
    Empty for a unit without children or without a target on the metric. See the module's
    docstring for the rule.
    """
    if metric in (None, "all"):
        raise UnknownError("Give one metric to allocate (its code).")
    parameters = figure_parameters(con, as_of=as_of, unit=unit, metric=metric)
    parameters["family"] = True
    frame = con.cursor().execute(ALLOCATION_SQL, parameters).df()
    return frame.astype({"value": "Int64", "target": "Int64", "gap": "Int64", "extra": "Int64", "share": "Int64"})


def share_of(shares: pd.DataFrame, unit: str) -> float | None:
    """A child's figure per day in its parent's allocation (allocate's share_daily), or None when
    it has none or less than what rounds to one person a day."""
    own = shares.loc[shares["unit_code"] == unit, "share_daily"].dropna()
    return float(own.iloc[0]) if len(own) and own.iloc[0] >= 0.5 else None

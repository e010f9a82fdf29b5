"""Gap allocation: what each child must add so that its parent makes the milestone.

The parent's gap (people still missing at its current milestone) is split over its children in
proportion to a weight that is half the child's share of the children's gaps and half its share
of their recent pace (pace_7d, a falling child counting as 0): a big gap asks more, and so does
the momentum to close it. A child's gap is taken at the parent's milestone. A child at or above
its target, or without a value, gets 0 — unless every child with a value is at its target while
the parent is not (their targets add up to less than the parent's): then the gap is split by
target. The shares are whole people (largest remainder), so they add up to the parent's gap
exactly, and each share divided by the parent's days left is the child's daily figure: these add
up to the parent's required_daily. A parent without a value has no shares (none, not 0).
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
    -- each child's gap at the parent's milestone (its own current one where it has no target
    -- then), and its momentum: its 7-day pace where it misses people (a falling child counts 0)
    SELECT c.unit_code, c.unit_name, c.metric, c.as_of, c.status, c.value, c.pace_7d,
        coalesce(e.target, c.target) AS target, gaps.gap,
        CASE WHEN gaps.gap > 0 THEN greatest(coalesce(c.pace_7d, 0), 0) ELSE 0 END AS momentum
    FROM progress c CROSS JOIN parent p
    LEFT JOIN effective_targets e ON e.campaign_id = $campaign AND e.unit_code = c.unit_code
        AND e.metric = c.metric AND e.milestone = p.milestone,
    LATERAL (SELECT CASE WHEN c.value IS NOT NULL THEN greatest(coalesce(e.target, c.target) - c.value, 0) END
             AS gap) gaps
    WHERE c.parent_code = $unit
),
shares_of AS (
    SELECT *, coalesce(gap, 0) / nullif(sum(gap) OVER (), 0) AS gap_share,
        momentum / nullif(sum(momentum) OVER (), 0) AS momentum_share
    FROM children
),
weighted AS (
    SELECT s.*, CASE WHEN s.gap > 0 THEN s.gap_share + coalesce(s.momentum_share, s.gap_share) ELSE 0 END
            AS gap_weight,
        -- when every child with a value is at its target but the parent is not (the children's
        -- targets add up to less than the parent's), the gap is split by target instead
        CASE WHEN s.value IS NOT NULL THEN s.target / sum(s.target) FILTER (s.value IS NOT NULL) OVER () ELSE 0 END
            AS target_weight
    FROM shares_of s
),
exact AS (
    SELECT w.*, p.gap AS parent_gap, p.days_left AS parent_days_left, p.milestone AS parent_milestone,
        CASE WHEN sum(w.gap_weight) OVER () > 0 THEN w.gap_weight ELSE w.target_weight END AS weight
    FROM weighted w CROSS JOIN parent p
),
shared AS (SELECT *, parent_gap * weight / nullif(sum(weight) OVER (), 0) AS exact_share FROM exact),
rounded AS (
    -- largest remainder: each child its whole people, then one more to the largest remainders
    -- until the shares add up to the parent's gap (none where the parent has no value)
    SELECT *, floor(coalesce(exact_share, 0))::BIGINT AS whole,
        row_number() OVER (ORDER BY weight > 0 DESC, exact_share - floor(exact_share) DESC, unit_code)
            AS remainder_rank
    FROM shared
),
final AS (
    SELECT *, CASE WHEN parent_gap IS NOT NULL THEN
            whole + (weight > 0 AND remainder_rank <= parent_gap - sum(whole) OVER ())::INTEGER END AS share
    FROM rounded
)
SELECT unit_code, unit_name, metric, as_of, parent_milestone AS milestone, status, value, target, gap, pace_7d,
    round(100 * weight / nullif(sum(weight) OVER (), 0), 2) AS weight_pct, share,
    CASE WHEN parent_days_left > 0 THEN share / parent_days_left END AS share_daily
FROM final
ORDER BY share DESC NULLS LAST, unit_code
"""


def allocate(con, *, unit: str, metric: str, as_of: date) -> pd.DataFrame:
    """Split `unit`'s gap on `metric` (at its current milestone) over its children.

    Columns: unit_code, unit_name, metric, as_of, milestone (the parent's), status, value,
    target, gap, pace_7d (the child's own figures), weight_pct (its part of the split), share
    (people: the shares add up to the parent's gap) and share_daily (share / the parent's days
    left: these add up to the parent's required_daily; none once the milestone is reached).
    Largest share first. Empty for a unit without children or without a target on the metric.
    """
    if metric in (None, "all"):
        raise UnknownError("Give one metric to allocate (its code).")
    parameters = figure_parameters(con, as_of=as_of, unit=unit, metric=metric)
    parameters["family"] = True
    frame = con.cursor().execute(ALLOCATION_SQL, parameters).df()
    return frame.astype({"value": "Int64", "target": "Int64", "gap": "Int64", "share": "Int64"})


def share_of(shares: pd.DataFrame, unit: str) -> float | None:
    """A child's figure per day in its parent's allocation (allocate's share_daily), or None when
    it has none or less than what rounds to one person a day."""
    own = shares.loc[shares["unit_code"] == unit, "share_daily"].dropna()
    return float(own.iloc[0]) if len(own) and own.iloc[0] >= 0.5 else None

"""Structure derived once: the tree closure, each unit's level, the effective targets and the
per-unit data versions.

These change only when units, targets or a campaign load, so they are tables rebuilt inside the
transaction of that load (never recomputed by a read), the way datasette keeps derived facts
beside the data. Every figure statement joins them instead of re-deriving the tree.
"""
from __future__ import annotations

EVERY_DAY = "0001-01-01"  # the `since` of a change to every day (units, targets, a campaign)

STRUCTURE_TABLES_SQL = """
CREATE TABLE unit_tree (
    ancestor VARCHAR NOT NULL,
    descendant VARCHAR NOT NULL,
    distance INTEGER NOT NULL,          -- 0 for a unit and itself
    PRIMARY KEY (ancestor, descendant)
);
CREATE TABLE unit_levels (
    unit_code VARCHAR PRIMARY KEY,
    depth INTEGER NOT NULL,             -- 0 national, 1 province, 2 grassroots, …
    is_leaf BOOLEAN NOT NULL
);
CREATE TABLE effective_targets (
    campaign_id VARCHAR NOT NULL,
    unit_code VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    milestone DATE NOT NULL,
    target BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, unit_code, metric, milestone)
);
-- the changes to the figures of a unit's subtree (a count below it, or any units, targets or
-- campaign load), each by the earliest day it touched: a figure as of d depends only on the
-- changes since d or before. Pages key their caches on the last of those for the unit they show,
-- so a report for today changes nothing on a page that shows yesterday. A change makes every
-- earlier one from its day on redundant, so a unit keeps one row per day a later change spared.
CREATE TABLE unit_changes (
    unit_code VARCHAR NOT NULL,
    since DATE NOT NULL,
    version BIGINT NOT NULL
);
"""

# how many changes apart compact_changes runs
COMPACT_EVERY = 32

TREE_SQL = """
DELETE FROM unit_tree;
INSERT INTO unit_tree
WITH RECURSIVE tree(ancestor, descendant, distance) AS (
    SELECT unit_code, unit_code, 0 FROM units
    UNION ALL
    SELECT t.ancestor, u.unit_code, t.distance + 1 FROM tree t JOIN units u ON u.parent_code = t.descendant
)
SELECT * FROM tree;
DELETE FROM unit_levels;
INSERT INTO unit_levels
SELECT u.unit_code, max(t.distance), NOT EXISTS (SELECT 1 FROM units c WHERE c.parent_code = u.unit_code)
FROM units u JOIN unit_tree t ON t.descendant = u.unit_code
GROUP BY u.unit_code;
DELETE FROM effective_targets;
INSERT INTO effective_targets SELECT campaign_id, unit_code, metric, milestone, target FROM targets;
"""

# target(u, m, t) where u has none of its own: the sum of its children's, when every child has
# one. Run once per level, deepest parents first, so a child's fallback exists before its parent's.
FALLBACK_TARGETS_SQL = """
INSERT INTO effective_targets
WITH children AS (
    SELECT parent_code AS unit_code, count(*) AS children FROM units
    WHERE parent_code IS NOT NULL GROUP BY parent_code
), sums AS (
    SELECT e.campaign_id, u.parent_code AS unit_code, e.metric, e.milestone,
           sum(e.target) AS target, count(*) AS covered
    FROM effective_targets e
    JOIN units u USING (unit_code)
    JOIN unit_levels p ON p.unit_code = u.parent_code
    WHERE p.depth = $depth
    GROUP BY ALL
)
SELECT s.campaign_id, s.unit_code, s.metric, s.milestone, s.target
FROM sums s JOIN children c USING (unit_code)
WHERE s.covered = c.children
  AND NOT EXISTS (SELECT 1 FROM targets o WHERE o.campaign_id = s.campaign_id
                  AND o.unit_code = s.unit_code AND o.metric = s.metric AND o.milestone = s.milestone)
"""


def in_subtree(con, ancestor: str, unit: str) -> bool:
    """Whether `unit` is `ancestor` or below it (an account's scope)."""
    return bool(con.execute("SELECT count(*) FROM unit_tree WHERE ancestor = ? AND descendant = ?",
                            [ancestor, unit]).fetchall()[0][0])


def rebuild_structure(con) -> None:
    """Rebuild the closure, levels and effective targets, and mark every unit changed.

    Call it inside the transaction that changed units, targets or campaigns.
    """
    con.execute(TREE_SQL)
    deepest = con.execute("SELECT coalesce(max(depth), 0) FROM unit_levels").fetchall()[0][0]
    for depth in range(deepest - 1, -1, -1):
        con.execute(FALLBACK_TARGETS_SQL, {"depth": depth})
    from .store import next_upload_id  # store builds on this module

    version = next_upload_id(con)
    con.execute("DELETE FROM unit_changes")
    con.execute("INSERT INTO unit_changes SELECT unit_code, ?, ? FROM units", [EVERY_DAY, version])


def mark_changed(con, upload_id: int) -> None:
    """Record the change `upload_id` for every unit above a changed count (the TEMP view `changed`
    of an ingest) from the earliest day it changed there, so only the caches of the subtrees it
    touched, and of the days it touched, go stale. Every COMPACT_EVERY changes, the changes made
    redundant are dropped (compact_changes)."""
    con.execute("""
        INSERT INTO unit_changes
        SELECT t.ancestor, min(c.date), $upload_id
        FROM (SELECT unit_code, min(date) AS date FROM changed GROUP BY unit_code) c
        JOIN unit_tree t ON t.descendant = c.unit_code
        GROUP BY t.ancestor""", {"upload_id": upload_id})
    if upload_id % COMPACT_EVERY == 0:
        compact_changes(con)


def compact_changes(con) -> None:
    """Drop each change a later one from the same day or earlier makes redundant: no data version
    changes (a figure as of d takes the last change since d or before). One statement over the
    whole table (8 ms on a 93-day national store), so it is run every COMPACT_EVERY changes, not
    with each commune's file."""
    con.execute("""DELETE FROM unit_changes u WHERE EXISTS (
        SELECT 1 FROM unit_changes n
        WHERE n.unit_code = u.unit_code AND n.since <= u.since AND n.version > u.version)""")

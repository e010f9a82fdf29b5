"""The audit log: who did what, and when. Every upload (taken, rejected or already taken), each
corrected count with its old and new value, every load of units, targets or a campaign, every
account change and every sign-in, failed ones included.

`detail` holds no sentence, so the log reads in either language: a rejection's number of
problems; an account change's account (and e-mail)."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd

# the kinds of entry, in the order a filter lists them
KINDS = ("counts", "correction", "reference", "targets", "units", "campaign", "account", "sign_in", "collectors",
         "network_targets", "network", "phase", "subscription", "delivery", "late_payers")

COLUMNS = ("account", "address", "kind", "outcome", "unit_code", "upload_id", "file_name", "rows", "date",
           "metric", "old_value", "new_value", "detail")


def record(con, kind: str, *, at: datetime | None = None, **values) -> None:
    """One entry (inside the caller's transaction, where there is one). `values` are COLUMNS."""
    unknown = set(values) - set(COLUMNS)
    if unknown or kind not in KINDS:
        raise ValueError(f"not an audit entry: {kind} {sorted(unknown)}")
    names = ["kind", *values, *(["logged_at"] if at else [])]
    con.execute(f"INSERT INTO audit_log ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                [kind, *values.values(), *([at] if at else [])])


# The corrections of an ingest (the TEMP view `changed`: a stored count the file changes), one
# entry each, with the value before and after.
CORRECTIONS_SQL = """
INSERT INTO audit_log (account, kind, outcome, unit_code, upload_id, file_name, date, metric, old_value, new_value)
SELECT $account, 'correction', 'committed', unit_code, $upload_id, $file_name, date, metric, stored_value, value
FROM changed WHERE NOT is_new
"""


def record_corrections(con, *, account: str | None, upload_id: int, file_name: str) -> None:
    con.execute(CORRECTIONS_SQL, {"account": account, "upload_id": upload_id, "file_name": file_name})


def audit_log(con, *, since: date | None = None, unit: str | None = None, account: str | None = None,
              kind: str | None = None, limit: int | None = 1000) -> pd.DataFrame:
    """The audit log, newest first: entries since a date, about a unit's subtree (its own entries
    and the uploads that brought counts of it), by an account, of one kind."""
    return con.execute("""
        SELECT a.logged_at, a.account, a.kind, a.outcome, a.unit_code, u.name AS unit_name, a.file_name, a.rows,
               a.date, a.metric, a.old_value, a.new_value, a.detail, a.address, a.upload_id
        FROM audit_log a LEFT JOIN units u USING (unit_code)
        WHERE ($since IS NULL OR a.logged_at >= $since::DATE)
          AND ($account IS NULL OR a.account = $account)
          AND ($kind IS NULL OR a.kind = $kind)
          AND ($unit IS NULL
               OR a.unit_code IN (SELECT descendant FROM unit_tree WHERE ancestor = $unit)
               OR a.upload_id IN (SELECT h.upload_id FROM upload_rows h
                                  JOIN unit_tree t ON t.descendant = h.unit_code WHERE t.ancestor = $unit))
        ORDER BY a.audit_id DESC
        LIMIT coalesce($limit, 9223372036854775807)
    """, {"since": since, "unit": unit, "account": account, "kind": kind, "limit": limit}).df()

"""The upload history: what became of each file (IngestResult), each taken or rejected file
recorded once, and a file already taken recognised by its SHA-256."""
from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field

import pandas as pd

from .. import audit
from ..errors import Problem, ValidationError
from ..store import next_upload_id, transaction
from .reading import _staged_rows, _time_limited


@dataclass
class IngestResult:
    """What a file did to the store (or would do, for a check)."""

    file: str
    kind: str
    committed: bool
    already_taken: bool = False
    upload_id: int | None = None
    rows: int = 0
    new: int = 0
    corrected: int = 0
    unchanged: int = 0
    warnings: list[Problem] = field(default_factory=list)
    preview: pd.DataFrame | None = None
    # each corrected count: date, unit_code, metric, old_value, new_value (the first MAX_PROBLEMS)
    corrections: pd.DataFrame | None = None
    # for a check (commit=False): the file's reports that look wrong (sprint.anomalies.file_flags)
    flags: pd.DataFrame | None = None

    def summary(self) -> str:
        if self.already_taken:
            return f"{self.file}: already taken (upload {self.upload_id}); nothing changed."
        verb = "committed" if self.committed else "checked, not committed"
        parts = f"{self.rows} row{'' if self.rows == 1 else 's'}"
        if self.kind in ("counts", "reference", "network"):
            parts += f": {self.new} new, {self.corrected} corrected, {self.unchanged} unchanged"
        return f"{self.file}: {verb} ({parts})."


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _record_upload(cur, *, kind, name, sha, uploaded_by, rows, outcome, problems=(), received_at=None) -> int:
    """One row of the upload history (received now, unless `received_at` says when: the demo's
    files, dated as if received the morning after their last day); returns its id (the store's
    new data version)."""
    upload_id = next_upload_id(cur)
    messages = json.dumps([p.as_dict() for p in problems[:200]], ensure_ascii=False) if problems else None
    cur.execute("INSERT INTO uploads VALUES (?, ?, ?, ?, coalesce(?, now()), ?, ?, ?, ?)",
                [upload_id, kind, name, sha, received_at, uploaded_by, rows, outcome, messages])
    return upload_id


@contextmanager
def _rejections_recorded(con, cur, *, kind, name, sha, uploaded_by, record: bool = True):
    """Let a ValidationError through, after writing the rejection to the upload history; the work
    inside is stopped after MAX_SECONDS (see _time_limited)."""
    try:
        with _time_limited(cur, name):
            yield
    except ValidationError as exc:
        if record:
            rows = _staged_rows(cur)
            with transaction(con, tables=()):
                upload_id = _record_upload(con, kind=kind, name=exc.file, sha=sha, uploaded_by=uploaded_by,
                                           rows=rows, outcome="rejected", problems=exc.problems)
                audit.record(con, kind, account=uploaded_by, outcome="rejected", upload_id=upload_id,
                             file_name=exc.file, rows=rows, detail=str(len(exc.problems)))
        raise


def _taken_before(cur, name: str, kind: str, upload_id: int, uploaded_by: str | None, *,
                  record: bool = True) -> IngestResult:
    """The result for a file whose bytes were committed before (upload `upload_id`): nothing
    is taken again; the attempt goes into the audit log."""
    if record:
        with transaction(cur, tables=()):
            audit.record(cur, kind, account=uploaded_by, outcome="already_taken", upload_id=upload_id,
                         file_name=name)
    return IngestResult(name, kind, committed=False, already_taken=True, upload_id=upload_id)


def _already_taken(con, sha: str, kind: str) -> int | None:
    row = con.execute(
        "SELECT max(upload_id) FROM uploads WHERE sha256 = ? AND kind = ? AND outcome = 'committed'",
        [sha, kind],
    ).fetchall()[0]
    return row[0]


def upload_history(con, *, unit: str | None = None, kinds: tuple[str, ...] | None = None,
                   outcome: str | None = None, limit: int = 50) -> pd.DataFrame:
    """The latest uploads, newest first: upload_id, received_at, kind, file_name, uploaded_by,
    rows, outcome, units (how many units the upload reported for), first_unit, messages. `unit` keeps the
    uploads that reported for it or any unit below it (or for the collectors they contract); `kinds` keeps counts, units or targets uploads;
    `outcome` keeps the committed or the rejected ones (the first committed counts upload is
    when the figures were last updated)."""
    return con.execute(
        """
        WITH chosen AS (
            SELECT * FROM uploads u
            WHERE ($kinds IS NULL OR list_contains($kinds, u.kind)) AND ($outcome IS NULL OR u.outcome = $outcome)
              AND ($unit IS NULL OR EXISTS (
                SELECT 1 FROM upload_rows h WHERE h.upload_id = u.upload_id AND h.unit_code IN (
                    SELECT descendant FROM unit_tree WHERE ancestor = $unit))
                OR EXISTS (  -- a report of the collection network: for the units that contract its collectors
                SELECT 1 FROM collector_reports r JOIN collectors k USING (collector_code)
                WHERE r.upload_id = u.upload_id AND k.unit_code IN (
                    SELECT descendant FROM unit_tree WHERE ancestor = $unit)))
            ORDER BY u.upload_id DESC LIMIT $limit
        ), reported AS (
            SELECT upload_id, count(DISTINCT unit_code) AS units, min(unit_code) AS first_unit
            FROM upload_rows
            WHERE upload_id >= (SELECT min(upload_id) FROM chosen) AND upload_id IN (SELECT upload_id FROM chosen)
            GROUP BY upload_id
        )
        SELECT c.upload_id, c.received_at, c.kind, c.file_name, c.uploaded_by, c.rows, c.outcome,
               coalesce(r.units, 0) AS units, r.first_unit, c.messages
        FROM chosen c LEFT JOIN reported r USING (upload_id)
        ORDER BY c.upload_id DESC
        """,
        {"unit": unit, "limit": limit, "kinds": list(kinds) if kinds else None, "outcome": outcome},
    ).df()

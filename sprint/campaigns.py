"""Campaigns are data: a JSON file under data/campaigns/ per campaign, loaded without code change."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from .errors import SprintError, UnknownError
from .store import DATA_DIR, transaction, write_lock
from .structure import rebuild_structure

CAMPAIGNS_DIR = DATA_DIR / "campaigns"
METRICS_CSV = DATA_DIR / "metrics.csv"

CAMPAIGN_SQL = """
SELECT campaign_id, name, dispatch, baseline, ends, late_payment_max_pct
FROM campaigns
ORDER BY (ends < $as_of), (CASE WHEN ends >= $as_of THEN ends END), ends DESC
LIMIT 1
"""


def load_metrics(con) -> None:
    """Load the metric reference table shipped in data/metrics.csv."""
    with write_lock:
        con.execute(
            "INSERT OR REPLACE INTO metrics SELECT * FROM read_csv(?, header = true, "
            "columns = {'metric': 'VARCHAR', 'name_vi': 'VARCHAR', 'name_en': 'VARCHAR', "
            "'kind': 'VARCHAR', 'direction': 'VARCHAR', 'sort_order': 'INTEGER'})",
            [str(METRICS_CSV)],
        )


def parse_campaign(path: Path) -> dict:
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
        spec["baseline"] = date.fromisoformat(spec["baseline"])
        for phase in spec["phases"]:
            phase["starts"] = date.fromisoformat(phase["starts"])
            phase["milestone"] = date.fromisoformat(phase["milestone"])
        spec.setdefault("targets", [])
        spec["ends"] = max(p["milestone"] for p in spec["phases"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SprintError(f"{path}: not a campaign file ({exc}).") from exc
    return spec


def load_campaign(con, path: str | Path) -> str:
    """Add or update one campaign (dates, phases, its root unit).

    Its published targets are loaded with a new campaign only: once a campaign exists, its
    targets belong to the targets files (which replace them whole).
    """
    spec = parse_campaign(Path(path))
    campaign_id = spec["campaign_id"]
    root = spec.get("root", {"unit_code": "VN", "name": "Bảo hiểm xã hội Việt Nam"})
    with transaction(con):
        is_new = not con.execute(
            "SELECT count(*) FROM campaigns WHERE campaign_id = ?", [campaign_id]).fetchall()[0][0]
        con.execute(
            "INSERT OR REPLACE INTO campaigns VALUES (?, ?, ?, ?, ?, ?)",
            [campaign_id, spec["name"], spec.get("dispatch"), spec["baseline"],
             spec["ends"], spec.get("late_payment_max_pct")],
        )
        con.execute("DELETE FROM phases WHERE campaign_id = ?", [campaign_id])
        con.executemany(
            "INSERT INTO phases VALUES (?, ?, ?, ?)",
            [[campaign_id, p["phase"], p["starts"], p["milestone"]] for p in spec["phases"]],
        )
        con.execute(
            "INSERT INTO units (unit_code, name, parent_code) VALUES (?, ?, NULL) ON CONFLICT DO NOTHING",
            [root["unit_code"], root["name"]],
        )
        if is_new and spec["targets"]:
            con.executemany(
                "INSERT INTO targets VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT DO NOTHING",
                [[campaign_id, t["unit_code"], t["metric"], date.fromisoformat(t["milestone"]),
                  int(t["target"])] for t in spec["targets"]],
            )
        rebuild_structure(con)
    return campaign_id


def load_shipped_campaigns(con) -> list[str]:
    return [load_campaign(con, path) for path in sorted(CAMPAIGNS_DIR.glob("*.json"))]


def campaign_for(con, as_of: date) -> dict:
    """The campaign an as-of date belongs to: the first one not yet ended, else the last one."""
    rows = con.execute(CAMPAIGN_SQL, {"as_of": as_of}).fetchall()
    if not rows:
        raise UnknownError("The store has no campaign. Run `python -m sprint init` first.")
    keys = ("campaign_id", "name", "dispatch", "baseline", "ends", "late_payment_max_pct")
    campaign = dict(zip(keys, rows[0]))
    rows = con.execute(
        "SELECT phase, starts, milestone FROM phases WHERE campaign_id = ? ORDER BY phase",
        [campaign["campaign_id"]],
    ).fetchall()
    campaign["phases"] = [dict(zip(("phase", "starts", "milestone"), row)) for row in rows]
    return campaign


def current_phase(campaign: dict, as_of: date) -> dict | None:
    """The phase whose milestone is next on or after as_of (the last one once all have passed)."""
    phases = campaign["phases"]
    if not phases:
        return None
    phase = next((p for p in phases if p["milestone"] >= as_of), phases[-1])
    return {**phase, "days_left": (phase["milestone"] - as_of).days}

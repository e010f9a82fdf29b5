"""Campaigns are data: a JSON file under data/campaigns/ per campaign, loaded without code change."""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from . import audit
from .errors import SprintError, UnknownError
from .store import DATA_DIR, transaction
from .structure import rebuild_structure

CAMPAIGNS_DIR = DATA_DIR / "campaigns"
METRICS_CSV = DATA_DIR / "metrics.csv"

CAMPAIGN_SQL = """
SELECT campaign_id, name, dispatch, baseline, ends, late_payment_max_pct, coalesce(name_en, name)
FROM campaigns
ORDER BY (ends < $as_of), (CASE WHEN ends >= $as_of THEN ends END), ends DESC
LIMIT 1
"""


METRIC_PARTS_SQL = """
SELECT s.metric, p.part, m.metric IS NULL AS unknown, m.sum_of IS NOT NULL AS summed, m.kind <> s.kind AS other_kind
FROM (SELECT *, unnest(string_split(sum_of, '+')) AS part FROM metrics WHERE sum_of IS NOT NULL) p
JOIN metrics s USING (metric) LEFT JOIN metrics m ON m.metric = p.part
WHERE m.metric IS NULL OR m.sum_of IS NOT NULL OR m.kind <> s.kind OR p.part = p.metric
"""


def load_metrics(con) -> None:
    """Load the metric reference table shipped in data/metrics.csv. A metric may sum others
    (sum_of 'a+b': social insurance, all = compulsory + voluntary): its parts must be metrics of
    its kind that are reported, not sums themselves."""
    with transaction(con, tables=("metrics",)):
        con.execute(
            "INSERT OR REPLACE INTO metrics BY NAME SELECT * FROM read_csv(?, header = true, "
            "columns = {'metric': 'VARCHAR', 'name_vi': 'VARCHAR', 'name_en': 'VARCHAR', "
            "'kind': 'VARCHAR', 'direction': 'VARCHAR', 'sort_order': 'INTEGER', 'sum_of': 'VARCHAR'})",
            [str(METRICS_CSV)],
        )
        wrong = con.execute(METRIC_PARTS_SQL).fetchall()
        if wrong:
            metric, part = wrong[0][:2]
            raise SprintError(f"{METRICS_CSV.name}: metric '{metric}' sums '{part}', which is not a reported "
                              f"metric of its kind; a metric sums metrics of its own kind that units report.")


def _date(value, where: str, problems: list[str]):
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        problems.append(f"{where}: {value!r} is not a date written 2025-12-31")
        return None


# a day is complete once this share of the units that report has reported for it (a campaign's
# file may set its own, complete_share)
COMPLETE_SHARE = 0.9
# a target group's code; the group is the metric METRIC.GROUP (compulsory_si.militia)
GROUP_CODE = re.compile(r"[a-z0-9_]{1,40}")


# how many days after a phase's milestone its reports are taken for its results (sprint.results)
CUTOFF_DAYS = 3
# what an honour of a phase's results may require of a unit (sprint.results)
HONOUR_CONDITIONS = ("every_target_met", "within_late_payment_ceiling")


def _results_problems(results) -> list[str]:
    """Every way a campaign's `results` (cutoff_days, honours) is wrong."""
    problems = []
    days = results.get("cutoff_days")
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 31:
        problems.append(f"results.cutoff_days: {days!r} is not a number of days from 0 to 31")
    honours = results.get("honours")
    if not isinstance(honours, list):
        return [*problems, "results.honours: a list of honours is needed"]
    for index, honour in enumerate(honours):
        where = f"results.honours[{index}]"
        if not isinstance(honour, dict) or {"honour", "name_vi", "name_en", "requires"} - set(honour):
            problems.append(f"{where}: needs honour, name_vi, name_en and requires")
            continue
        unknown = [c for c in honour["requires"] if c not in HONOUR_CONDITIONS] if isinstance(
            honour["requires"], list) else [honour["requires"]]
        if unknown:
            problems.append(f"{where}.requires: {unknown[0]!r} is not one of {', '.join(HONOUR_CONDITIONS)}")
        top = honour.get("top")
        if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
            problems.append(f"{where}.top: {top!r} is not a number of units, 1 or more")
    return problems


# the rules an alert may follow (sprint.alerts), and what each needs
ALERT_RULES = {"not_reported": "by", "behind": None, "low_chance": "below", "over_ceiling": None, "flagged": None}


def _alerts_problems(alerts) -> list[str]:
    """Every way a campaign's `alerts` (its rules) is wrong."""
    if not isinstance(alerts, list):
        return ["alerts: a list of rules is needed"]
    problems = []
    for index, rule in enumerate(alerts):
        where = f"alerts[{index}]"
        if not isinstance(rule, dict) or rule.get("rule") not in ALERT_RULES:
            problems.append(f"{where}.rule: one of {', '.join(ALERT_RULES)} is needed")
            continue
        needed = ALERT_RULES[rule["rule"]]
        if needed == "by" and not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", str(rule.get("by", ""))):
            problems.append(f"{where}.by: the time of day the reports are due, as 10:00")
        if needed == "below" and not (isinstance(rule.get("below"), (int, float)) and 0 < rule["below"] < 1):
            problems.append(f"{where}.below: a chance between 0 and 1, as 0.3")
    return problems


def _campaign_problems(spec) -> list[str]:
    """Every way a campaign file is wrong, each naming where (its JSON path); converts the dates."""
    if not isinstance(spec, dict):
        return ["the file holds no campaign object"]
    problems = [f"{key}: missing" for key in ("campaign_id", "name", "baseline", "phases") if key not in spec]
    if problems:
        return problems
    spec["baseline"] = _date(spec["baseline"], "baseline", problems)
    if not isinstance(spec["phases"], list) or not spec["phases"]:
        return [*problems, "phases: a list of at least one phase is needed"]
    for index, phase in enumerate(spec["phases"]):
        where = f"phases[{index}]"
        if not isinstance(phase, dict) or {"phase", "starts", "milestone"} - set(phase):
            problems.append(f"{where}: needs phase, starts and milestone")
            continue
        phase["starts"] = _date(phase["starts"], f"{where}.starts", problems)
        phase["milestone"] = _date(phase["milestone"], f"{where}.milestone", problems)
        if phase["starts"] and phase["milestone"] and phase["starts"] > phase["milestone"]:
            problems.append(f"{where}: starts after its milestone")
        if spec["baseline"] and phase["milestone"] and phase["milestone"] <= spec["baseline"]:
            problems.append(f"{where}.milestone: on or before the baseline {spec['baseline']}")
    share = spec.get("complete_share", COMPLETE_SHARE)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        problems.append(f"complete_share: {share!r} is not a share of units between 0 (excluded) and 1")
    milestones = {p.get("milestone") for p in spec["phases"] if isinstance(p, dict)}
    spec.setdefault("targets", [])
    for index, target in enumerate(spec["targets"] if isinstance(spec["targets"], list) else [None]):
        where = f"targets[{index}]"
        if not isinstance(target, dict) or {"unit_code", "metric", "milestone", "target"} - set(target):
            problems.append(f"{where}: needs unit_code, metric, milestone and target")
            continue
        for key in ("unit_code", "metric"):
            if not isinstance(target[key], str):
                problems.append(f"{where}.{key}: {target[key]!r} is not a code written as text")
        milestone = _date(target["milestone"], f"{where}.milestone", problems)
        if milestone and milestone not in milestones:
            problems.append(f"{where}.milestone: {target['milestone']} is not one of the phases' milestones")
        if isinstance(target["target"], bool) or not isinstance(target["target"], int) or target["target"] < 0:
            problems.append(f"{where}.target: {target['target']!r} is not a whole number of people, 0 or more")
    spec["results"] = {"cutoff_days": CUTOFF_DAYS, "honours": [], **spec.get("results", {})}
    problems += _results_problems(spec["results"])
    spec.setdefault("alerts", [])
    problems += _alerts_problems(spec["alerts"])
    spec.setdefault("groups", [])
    seen = set()
    for index, group in enumerate(spec["groups"] if isinstance(spec["groups"], list) else [None]):
        where = f"groups[{index}]"
        if not isinstance(group, dict) or {"metric", "group", "name_vi", "name_en"} - set(group) \
                or not all(isinstance(group[key], str) for key in ("metric", "group", "name_vi", "name_en")):
            problems.append(f"{where}: needs metric, group, name_vi and name_en, each as text")
        elif not GROUP_CODE.fullmatch(group["group"]):
            problems.append(f"{where}.group: {group['group']!r} is not a code of small letters, digits and _")
        elif (group["metric"], group["group"]) in seen:
            problems.append(f"{where}: {group['metric']}.{group['group']} is listed twice")
        else:
            seen.add((group["metric"], group["group"]))
    return problems


def _reject_campaign(path, problems: list[str]) -> None:
    if problems:
        raise SprintError(f"{path} is not a valid campaign file; nothing was loaded:\n- " + "\n- ".join(problems))


def parse_campaign(path: Path) -> dict:
    """A campaign file, checked: every problem is named (where in the file, what is wrong)."""
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SprintError(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    except ValueError as exc:
        raise SprintError(f"{path}: not a campaign file: it is not JSON ({exc}).") from exc
    _reject_campaign(path, _campaign_problems(spec))
    spec["ends"] = max(p["milestone"] for p in spec["phases"])
    return spec


def load_campaign(con, path: str | Path, *, by: str | None = None) -> str:
    """Add or update one campaign (dates, phases, its root unit, its target groups); loaded `by`
    someone (the command line), it goes into the audit log (the shipped campaigns, reloaded at every
    start, do not). Each target group is a metric METRIC.GROUP, part of its metric (metrics.part_of):
    units report its count beside the metric's, and it never adds to it.

    Its published targets are loaded with a new campaign only: once a campaign exists, its
    targets belong to the targets files (which replace them whole).
    """
    spec = parse_campaign(Path(path))
    campaign_id = spec["campaign_id"]
    root = spec.get("root", {"unit_code": "VN", "name": "Bảo hiểm xã hội Việt Nam"})
    reported = {m for (m,) in con.execute(
        "SELECT metric FROM metrics WHERE sum_of IS NULL AND part_of IS NULL").fetchall()}
    groups = [(f"{g['metric']}.{g['group']}", g) for g in spec["groups"]]
    metrics = {m for (m,) in con.execute("SELECT metric FROM metrics").fetchall()} | {code for code, _ in groups}
    units = {u for (u,) in con.execute("SELECT unit_code FROM units").fetchall()} | {root["unit_code"]}
    unknown = [f"targets[{i}].{key}: unknown {key.split('_')[0]} {t[key]!r}"
               for i, t in enumerate(spec["targets"])
               for key, known in (("unit_code", units), ("metric", metrics)) if t[key] not in known]
    unknown += [f"groups[{i}].metric: {g['metric']!r} is not a metric units report"
                for i, (_, g) in enumerate(groups) if g["metric"] not in reported]
    _reject_campaign(path, unknown)
    with transaction(con):
        is_new = not con.execute(
            "SELECT count(*) FROM campaigns WHERE campaign_id = ?", [campaign_id]).fetchall()[0][0]
        con.execute(
            """INSERT OR REPLACE INTO campaigns (campaign_id, name, dispatch, baseline, ends, late_payment_max_pct,
                                                complete_share, name_en, results)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [campaign_id, spec["name"], spec.get("dispatch"), spec["baseline"],
             spec["ends"], spec.get("late_payment_max_pct"), spec.get("complete_share", COMPLETE_SHARE),
             spec.get("name_en"), json.dumps({**spec["results"], "alerts": spec["alerts"]}, ensure_ascii=False)],
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
        for index, (code, group) in enumerate(groups, start=1):  # each group a metric, part of its own
            con.execute(
                """INSERT OR REPLACE INTO metrics BY NAME
                   SELECT ? AS metric, ? AS name_vi, ? AS name_en, kind, 'higher_is_better' AS direction,
                          sort_order * 100 + ? AS sort_order, NULL AS sum_of, metric AS part_of
                   FROM metrics WHERE metric = ?""",
                [code, group["name_vi"], group["name_en"], index, group["metric"]])
        if by is not None:
            audit.record(con, "campaign", account=by, outcome="added" if is_new else "committed",
                         file_name=Path(path).name, detail=campaign_id)
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
    keys = ("campaign_id", "name", "dispatch", "baseline", "ends", "late_payment_max_pct", "name_en")
    campaign = dict(zip(keys, rows[0]))
    rows = con.execute(
        "SELECT phase, starts, milestone FROM phases WHERE campaign_id = ? ORDER BY phase",
        [campaign["campaign_id"]],
    ).fetchall()
    campaign["phases"] = [dict(zip(("phase", "starts", "milestone"), row)) for row in rows]
    return campaign


def current_phase(campaign: dict, as_of: date) -> dict | None:
    """The phase whose milestone is next on or after as_of, with its days_left (0 once all have
    passed: then the last one) and ended: True from the campaign's last milestone on, when the
    figures are its final result."""
    phases = campaign["phases"]
    if not phases:
        return None
    phase = next((p for p in phases if p["milestone"] >= as_of), phases[-1])
    return {**phase, "days_left": max((phase["milestone"] - as_of).days, 0),
            "ended": as_of >= max(p["milestone"] for p in phases)}

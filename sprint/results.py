"""The results of each monthly phase: its standings as of the milestone, from the reports received
by the phase's cut-off (the campaign's `results.cutoff_days` after the milestone, the end of that
day in Vietnam), frozen when an administrator closes the phase.

The figures are the product's own (progress, leaderboard, late_payment), computed on a copy of the
store as it was known at the cut-off: each count of a day up to the milestone as the last upload
received by then had it. Later corrections change the live figures, never a closed phase's; a
closed phase lists them (late_corrections).

Per level (provinces, grassroots units): each unit's rank by score (the leaderboard's: the mean
attainment of the participant metrics), each metric's value, target at the milestone, attainment,
margin (value - target, people or million VND) and whether it was met, ranked per metric; whether
every target was met (each metric where more is better with a target at the milestone); the
late-payment rate against the unit's ceiling; and the honour it earns. Honours follow the
campaign's rules in order (data/campaigns/*.json `results.honours`): a unit earns the first whose
`requires` it meets (every_target_met; within_late_payment_ceiling: not over its ceiling, a unit
without late-payment figures is not over it), within the best `top` of its level if the honour has
a `top`.
"""
from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pandas as pd

from . import audit, store
from .campaigns import campaign_for
from .errors import SprintError, UnknownError
from .leaderboard import leaderboard
from .progress import late_payment, progress
from .structure import rebuild_structure

LEVELS = ("province", "grassroots")
COPIED = ("metrics", "units", "campaigns", "phases", "targets")
STANDING_COLUMNS = ["campaign_id", "phase", "unit_code", "unit_name", "level", "rank", "score", "metrics_met",
                    "metrics_targeted", "every_target_met", "late_payment_pct", "limit_pct", "within_ceiling", "honour"]
RESULT_COLUMNS = ["campaign_id", "phase", "unit_code", "unit_name", "level", "metric", "value", "target",
                  "attainment_pct", "margin", "met", "rank"]

# each count of a day up to the milestone as the last upload received by the cut-off had it
KNOWN_SQL = """
SELECT r.date, r.unit_code, r.metric, arg_max(r.value, r.upload_id) AS value, max(r.upload_id) AS upload_id
FROM upload_rows r JOIN uploads u USING (upload_id)
WHERE u.outcome = 'committed' AND u.received_at <= $cutoff AND r.date <= $milestone
GROUP BY r.date, r.unit_code, r.metric
"""

# the rows of uploads received after the cut-off that change a day up to the milestone
LATE_SQL = """
WITH later AS (
    SELECT r.date, r.unit_code, r.metric, r.value, r.upload_id, u.received_at, u.uploaded_by
    FROM upload_rows r JOIN uploads u USING (upload_id)
    WHERE u.outcome = 'committed' AND u.kind = 'counts' AND u.received_at > $cutoff AND r.date <= $milestone
), known AS (
    SELECT r.date, r.unit_code, r.metric, arg_max(r.value, r.upload_id) AS value
    FROM upload_rows r JOIN uploads u USING (upload_id)
    WHERE u.outcome = 'committed' AND u.received_at <= $cutoff
      AND (r.date, r.unit_code, r.metric) IN (SELECT (date, unit_code, metric) FROM later)
    GROUP BY ALL
)
SELECT l.date, l.unit_code, n.name AS unit_name, l.metric, k.value AS value_at_cutoff, l.value,
       l.upload_id, l.received_at, l.uploaded_by
FROM later l LEFT JOIN known k USING (date, unit_code, metric) JOIN units n USING (unit_code)
WHERE k.value IS DISTINCT FROM l.value
ORDER BY l.upload_id, l.date, l.unit_code, l.metric
"""


def phase_of(con, *, phase: int, campaign: str | None = None) -> dict:
    """The phase (campaign_id, phase, starts, milestone), its cut-off (a moment in Vietnam's time),
    its honours (the campaign's rules) and, once closed, when and by whom."""
    campaign = campaign or campaign_for(con, store.vietnam_today())["campaign_id"]
    rows = con.execute("""SELECT p.campaign_id, p.phase, p.starts, p.milestone, c.results FROM phases p
                          JOIN campaigns c USING (campaign_id) WHERE p.campaign_id = ? AND p.phase = ?""",
                       [campaign, phase]).fetchall()
    if not rows:
        phases = [p for (p,) in con.execute("SELECT phase FROM phases WHERE campaign_id = ? ORDER BY phase",
                                            [campaign]).fetchall()]
        raise UnknownError(f"The campaign {campaign} has no phase {phase}; its phases are "
                           f"{', '.join(map(str, phases)) or 'none'}.")
    campaign_id, number, starts, milestone, rules = rows[0]
    rules = json.loads(rules) if rules else {"cutoff_days": 3, "honours": []}
    cutoff = datetime.combine(milestone + timedelta(days=rules["cutoff_days"]), time.max, tzinfo=store.VIETNAM)
    # a moment as microseconds: Python's datetime of a TIMESTAMPTZ would need pytz
    closed = con.execute("SELECT epoch_us(closed_at), closed_by FROM phase_closings WHERE campaign_id = ? AND phase = ?",
                         [campaign_id, number]).fetchall()
    closed_at = datetime.fromtimestamp(closed[0][0] / 1e6, store.VIETNAM) if closed else None
    return {"campaign_id": campaign_id, "phase": number, "starts": starts, "milestone": milestone, "cutoff": cutoff,
            "honours": rules["honours"], "closed_at": closed_at, "closed_by": closed[0][1] if closed else None}


def _known_at(con, phase: dict):
    """An in-memory store holding the units, metrics, campaigns and targets, and the counts of each
    day up to the milestone as known at the cut-off: the figures' own functions read it."""
    copy = store.connect(":memory:")
    for table in COPIED:
        copy.register("incoming", con.sql(f"SELECT * FROM {table}").to_arrow_table())
        copy.execute(f"INSERT INTO {table} SELECT * FROM incoming")
        copy.unregister("incoming")
    copy.register("incoming", con.sql(KNOWN_SQL, params={"cutoff": phase["cutoff"],
                                                         "milestone": phase["milestone"]}).to_arrow_table())
    copy.execute("""INSERT INTO counts
        SELECT date, unit_code, metric, value, upload_id,
               coalesce(lead(date) OVER (PARTITION BY unit_code, metric ORDER BY date), 'infinity'::DATE)
        FROM incoming ORDER BY date, unit_code, metric""")
    copy.unregister("incoming")
    rebuild_structure(copy)
    return copy


def compute(con, *, phase: int, campaign: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(standings, results per metric) of the phase, from the reports received by its cut-off."""
    about = phase_of(con, phase=phase, campaign=campaign)
    copy = _known_at(con, about)
    try:
        standings, results = [], []
        for level in LEVELS:
            standing, result = _level(copy, about, level)
            standings.append(standing)
            results.append(result)
    finally:
        copy.close()
    return (pd.concat(standings, ignore_index=True)[STANDING_COLUMNS],
            pd.concat(results, ignore_index=True)[RESULT_COLUMNS])


def _level(copy, about: dict, level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    milestone = about["milestone"]
    figures = progress(copy, as_of=milestone, level=level)
    kinds = copy.execute("SELECT metric, direction, part_of FROM metrics").df().set_index("metric")
    judged = figures[(figures["milestone"] == pd.Timestamp(milestone))
                     & (figures["metric"].map(kinds["direction"]) == "higher_is_better")
                     & figures["metric"].map(kinds["part_of"]).isna() & figures["target"].notna()].copy()
    judged["met"] = judged["status"] == "achieved"
    judged["margin"] = judged["value"] - judged["target"]
    judged["rank"] = judged.groupby("metric")["attainment_pct"].rank(method="min", ascending=False).astype("Int64")
    judged = judged.assign(campaign_id=about["campaign_id"], phase=about["phase"], level=level)

    board = leaderboard(copy, as_of=milestone, metric="all", level=level)[["unit_code", "rank", "score"]]
    late = late_payment(copy, as_of=milestone, level=level)[["unit_code", "late_payment_pct", "limit_pct",
                                                             "within_limit"]]
    met = judged.groupby("unit_code").agg(metrics_met=("met", "sum"), metrics_targeted=("met", "size"),
                                          unit_name=("unit_name", "first"))
    standing = (met.reset_index().merge(board, on="unit_code", how="left").merge(late, on="unit_code", how="left")
                .rename(columns={"within_limit": "within_ceiling"}))
    standing["every_target_met"] = standing["metrics_met"] == standing["metrics_targeted"]
    standing = standing.assign(campaign_id=about["campaign_id"], phase=about["phase"], level=level, honour=None)
    standing = standing.sort_values(["rank", "unit_code"], na_position="last").reset_index(drop=True)
    _award(standing, about["honours"])
    return standing, judged


def _award(standing: pd.DataFrame, honours: list[dict]) -> None:
    """Each unit's honour: the first of the campaign's whose requirements it meets, within the best
    `top` of its level where the honour has one (standing is in rank order)."""
    meets = {"every_target_met": standing["every_target_met"],
             "within_late_payment_ceiling": standing["within_ceiling"].fillna(True).astype(bool)}
    for honour in honours:
        eligible = standing["honour"].isna() & standing["rank"].notna()
        for condition in honour["requires"]:
            eligible &= meets[condition]
        chosen = standing.index[eligible]
        if honour.get("top"):
            chosen = chosen[:honour["top"]]
        standing.loc[chosen, "honour"] = honour["honour"]


def close_phase(con, *, phase: int, campaign: str | None = None, by: str | None = None,
                now: datetime | None = None) -> dict:
    """Freeze the phase's results (an administrator's act, audited): refused before its cut-off
    has passed, and for a phase closed already. Returns phase_of() of the closed phase."""
    about = phase_of(con, phase=phase, campaign=campaign)
    now = now or datetime.now(store.VIETNAM)
    if about["closed_at"] is not None:
        raise SprintError(f"Phase {phase} of {about['campaign_id']} was closed on "
                          f"{about['closed_at']:%d/%m/%Y %H:%M} by {about['closed_by'] or 'the command line'}; "
                          "its results stay as they were.")
    if now <= about["cutoff"]:
        raise SprintError(f"Phase {phase} takes reports until {about['cutoff']:%d/%m/%Y} (its cut-off, "
                          f"{about['milestone']:%d/%m/%Y} + the campaign's days); close it after that.")
    standings, results = compute(con, phase=phase, campaign=about["campaign_id"])
    with store.transaction(con):
        con.execute("INSERT INTO phase_closings VALUES (?, ?, ?, ?, ?, ?)",
                    [about["campaign_id"], phase, about["milestone"], about["cutoff"], now, by])
        for table, frame in (("phase_standings", standings), ("phase_results", results)):
            con.register("incoming", frame)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
            con.unregister("incoming")
        audit.record(con, "phase", account=by, outcome="closed", rows=len(standings),
                     date=about["milestone"], detail=f"{about['campaign_id']}/{phase}")
    return phase_of(con, phase=phase, campaign=about["campaign_id"])


def results(con, *, phase: int, campaign: str | None = None, level: str | None = None,
            metric: str | None = None) -> pd.DataFrame:
    """The phase's standings (or with `metric`, each unit's figures of that metric): frozen once
    the phase is closed, else computed now from the reports received by its cut-off (provisional).

    Standings: campaign_id, phase, unit_code, unit_name, level, rank (by score within the level),
    score, metrics_met, metrics_targeted, every_target_met, late_payment_pct, limit_pct,
    within_ceiling, honour (its code; none: no honour), closed. Per metric: campaign_id, phase,
    unit_code, unit_name, level, metric, value, target (at the milestone), attainment_pct, margin
    (value - target), met, rank (within the level, by attainment), closed. `level` keeps one level.
    """
    if level is not None and level not in LEVELS:
        raise UnknownError(f"Unknown level '{level}'; use one of {', '.join(LEVELS)}.")
    about = phase_of(con, phase=phase, campaign=campaign)
    closed = about["closed_at"] is not None
    if closed:
        key = [about["campaign_id"], phase]
        standings = con.execute("SELECT * FROM phase_standings WHERE campaign_id = ? AND phase = ?", key).df()
        per_metric = con.execute("SELECT * FROM phase_results WHERE campaign_id = ? AND phase = ?", key).df()
    else:
        standings, per_metric = compute(con, phase=phase, campaign=about["campaign_id"])
    frame, order = ((per_metric[per_metric["metric"] == metric], ["level", "rank", "unit_code"]) if metric
                    else (standings, ["level", "rank", "unit_code"]))
    if level:
        frame = frame[frame["level"] == level]
    frame = frame.assign(level_order=frame["level"].map(LEVELS.index)).sort_values(
        ["level_order", *order[1:]], na_position="last").drop(columns="level_order")
    columns = RESULT_COLUMNS if metric else STANDING_COLUMNS
    # the same types whether frozen or computed (the store's INTEGER reads as int32)
    whole = {c: "Int64" for c in ("phase", "rank", "metrics_met", "metrics_targeted", "value", "target", "margin")
             if c in columns}
    return frame[columns].astype(whole).assign(closed=closed).reset_index(drop=True)


def late_corrections(con, *, phase: int, campaign: str | None = None) -> pd.DataFrame:
    """The reports received after the phase's cut-off that change a day up to its milestone: date,
    unit_code, unit_name, metric, value_at_cutoff (none: not reported by then), value, upload_id,
    received_at, uploaded_by. A closed phase's results do not take them."""
    about = phase_of(con, phase=phase, campaign=campaign)
    return con.execute(LATE_SQL, {"cutoff": about["cutoff"], "milestone": about["milestone"]}).df()


def closings_version(con) -> int:
    """How many phases are closed: with the upload history's version, what a page's cached results depend on."""
    return con.execute("SELECT count(*) FROM phase_closings").fetchall()[0][0]


def phases(con, *, campaign: str | None = None) -> pd.DataFrame:
    """The campaign's phases: phase, starts, milestone, cutoff, closed (whether), closed_at, closed_by,
    honours (the campaign's rules, a list per phase)."""
    campaign = campaign or campaign_for(con, store.vietnam_today())["campaign_id"]
    numbers = [p for (p,) in con.execute("SELECT phase FROM phases WHERE campaign_id = ? ORDER BY phase",
                                         [campaign]).fetchall()]
    rows = [phase_of(con, phase=n, campaign=campaign) for n in numbers]
    return pd.DataFrame([{**{k: r[k] for k in ("phase", "starts", "milestone", "cutoff", "closed_at", "closed_by",
                                                "honours")}, "closed": r["closed_at"] is not None} for r in rows])


def results_pdf(con, *, phase: int, campaign: str | None = None, lang: str = "vi",
                now: datetime | None = None) -> bytes:
    """The phase's results as an A4 PDF, in Vietnamese or English: the provinces' standings, then
    the grassroots units', each with its rank, score, targets met, late-payment rate against its
    ceiling and honour; closed or provisional, with the corrections received after the cut-off."""
    from fpdf.enums import XPos, YPos

    from . import i18n
    from .pdf import HEADINGS, Page

    if lang not in i18n.LANGUAGES:
        raise UnknownError(f"Unknown language '{lang}'; use one of {', '.join(i18n.LANGUAGES)}.")
    about = phase_of(con, phase=phase, campaign=campaign)
    standings = results(con, phase=phase, campaign=about["campaign_id"])
    honours = {h["honour"]: h["name_en" if lang == "en" else "name_vi"] for h in about["honours"]}
    name = con.execute("SELECT CASE WHEN ? = 'en' THEN coalesce(name_en, name) ELSE name END FROM campaigns "
                       "WHERE campaign_id = ?", [lang, about["campaign_id"]]).fetchall()[0][0]

    def say(key: str, **values) -> str:
        return i18n.t(f"results_{key}", lang, **values)
    pdf = Page(flowing=True)
    pdf.line_of(say("title", phase=phase, milestone=i18n.day(about["milestone"], lang)), 16, bold=True, height=8)
    pdf.line_of(name, 10, height=5.5)
    status = (say("closed", moment=i18n.moment(about["closed_at"], lang), by=about["closed_by"] or "–")
              if about["closed_at"] is not None else say("provisional"))
    pdf.line_of(f"{say('cutoff', day=i18n.day(about['cutoff'].date(), lang))} · {status}", 9.5, height=5.5)
    for level in LEVELS:
        shown = standings[standings["level"] == level]
        if shown.empty:
            continue
        pdf.ln(2)
        pdf.line_of(say(f"level_{level}"), 12, bold=True, height=7)
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=(12, 60, 22, 24, 36, 32), text_align=("RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT",
                                                                        "LEFT"),
                       line_height=5, headings_style=HEADINGS) as table:
            table.row([i18n.t("rank", lang), i18n.t("name", lang), i18n.t("score", lang), say("met"),
                       say("late"), say("honour")])
            for row in shown.itertuples():
                late = "–" if pd.isna(row.late_payment_pct) else (
                    f"{i18n.percent(row.late_payment_pct, lang)} / {i18n.percent(row.limit_pct, lang)}")
                table.row(["–" if pd.isna(row.rank) else str(int(row.rank)), row.unit_name,
                           i18n.percent(row.score, lang), f"{row.metrics_met}/{row.metrics_targeted}", late,
                           honours.get(row.honour, "") if isinstance(row.honour, str) else ""])
    late = late_corrections(con, phase=phase, campaign=about["campaign_id"])
    pdf.ln(2)
    pdf.line_of(say("corrections", count=i18n.number(len(late), lang)), 9.5, height=5.5)
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(0, 4, say("made", moment=i18n.moment(now or datetime.now().astimezone(), lang)),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())

"""Alerts: the campaign's rules (data/campaigns/*.json `alerts`) checked against the store, each
raised at most once per day, rule, unit and metric, shown in the dashboard's bell to the heads it
concerns and e-mailed to them.

The rules:
- not_reported (`by`: a time of day): a leaf unit has not reported for the day before by then (a
  day of a campaign);
- behind: a unit's metric is behind its milestone on the latest complete day, and was not the day
  before;
- low_chance (`below`: a chance): a unit's chance of its milestone falls under it (it was not the
  day before);
- over_ceiling: a unit's late-payment rate crosses its ceiling (it was within it the day before);
- flagged: a report looks wrong (sprint.anomalies: a jump, a drop, a copied sheet, a silent unit).

An alert concerns the unit's head and the heads above it (accounts of role unit whose unit is the
alert's or one above it); leaders and administrators see the nation's and the provinces'. Each
head is e-mailed a digest of the alerts new to them, each alert at most once (claimed before it is
sent; a refused send is given back and tried again at the next run), with a link to the view that
shows it (SPRINT_PUBLIC_URL, default http://localhost:8501).
"""
from __future__ import annotations

import json
import os
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage

import pandas as pd

from . import i18n, store
from .anomalies import anomalies
from .campaigns import campaign_for
from .forecast import outlook
from .progress import complete_date, late_payment, progress, reporting

LISTED = 40
# the page that shows each rule's alert (its address, pages/address.py)
VIEWS = {"not_reported": "", "behind": "", "low_chance": "", "over_ceiling": "late_payers", "flagged": ""}


def rules(con, day: date) -> list[dict]:
    """The alert rules of the campaign of `day`."""
    campaign = campaign_for(con, day)["campaign_id"]
    stored = con.execute("SELECT results FROM campaigns WHERE campaign_id = ?", [campaign]).fetchall()[0][0]
    return json.loads(stored).get("alerts", []) if stored else []


def _found(con, rule: dict, *, now: datetime, as_of: date) -> pd.DataFrame:
    """The alerts one rule finds: unit_code, metric ('' for none), detail."""
    kind = rule["rule"]
    if kind == "not_reported":
        hour, minute = map(int, rule["by"].split(":"))
        if now.time() < time(hour, minute):
            return pd.DataFrame(columns=["unit_code", "metric", "detail"])
        due = now.date() - timedelta(days=1)
        campaign = campaign_for(con, due)
        if not campaign["baseline"] < due <= campaign["ends"]:  # reports are due during a campaign only
            return pd.DataFrame(columns=["unit_code", "metric", "detail"])
        missing = reporting(con, as_of=due, unit="VN")
        missing = missing[~missing["reported"]]
        return pd.DataFrame({"unit_code": missing["unit_code"], "metric": "", "detail": due.isoformat()})
    if kind == "behind":
        today = progress(con, as_of=as_of)
        before = progress(con, as_of=as_of - timedelta(days=1))[["unit_code", "metric", "status"]]
        joined = today.merge(before, on=["unit_code", "metric"], how="left", suffixes=("", "_before"))
        turned = joined[(joined["status"] == "behind") & (joined["status_before"] != "behind")]
        return pd.DataFrame({"unit_code": turned["unit_code"], "metric": turned["metric"],
                             "detail": turned["attainment_pct"].astype(str)})
    if kind == "low_chance":
        chances = outlook(con, as_of=as_of)
        before = outlook(con, as_of=as_of - timedelta(days=1))[["unit_code", "metric", "probability"]]
        joined = chances.merge(before, on=["unit_code", "metric"], how="left", suffixes=("", "_before"))
        fell = joined[(joined["probability"] < rule["below"]) & (joined["probability_before"] >= rule["below"])]
        return pd.DataFrame({"unit_code": fell["unit_code"], "metric": fell["metric"],
                             "detail": fell["probability"].astype(str)})
    if kind == "over_ceiling":
        rates = late_payment(con, as_of=as_of)
        before = late_payment(con, as_of=as_of - timedelta(days=1))[["unit_code", "within_limit"]]
        joined = rates.merge(before, on="unit_code", how="left", suffixes=("", "_before"))
        over = joined[~joined["within_limit"].astype(bool) & joined["within_limit_before"].fillna(True).astype(bool)]
        return pd.DataFrame({"unit_code": over["unit_code"], "metric": "late_debt",
                             "detail": over["late_payment_pct"].astype(str) + "/" + over["limit_pct"].astype(str)})
    flags = anomalies(con, as_of=as_of)
    return pd.DataFrame({"unit_code": flags["unit_code"], "metric": flags["metric"].fillna(""),
                         "detail": flags["kind"]})


def raise_alerts(con, *, now: datetime | None = None) -> int:
    """Check every rule at `now` and record the alerts not raised yet today; how many are new.
    Skipped while neither the store's figures nor the day have changed since the last check."""
    now = (now or datetime.now(store.VIETNAM)).astimezone(store.VIETNAM)
    as_of = complete_date(con)
    if as_of is None:
        return 0
    checking = rules(con, now.date())
    # what the rules' outcome depends on: the day, the figures, and which report deadlines have passed
    due = sum(1 for rule in checking if rule["rule"] == "not_reported" and f"{now:%H:%M}" >= rule["by"])
    checked = f"{now.date().isoformat()} {store.data_version(con)} {due}"
    last = con.execute("SELECT value FROM meta WHERE key = 'alerts_checked'").fetchall()
    if last and last[0][0] == checked:
        return 0
    found = [_found(con, rule, now=now, as_of=as_of).assign(rule=rule["rule"]) for rule in checking]
    found = pd.concat([f for f in found if len(f)], ignore_index=True) if any(len(f) for f in found) else None
    with store.transaction(con, tables=("alerts",)):  # the check's mark (meta) is each copy's own
        new = 0
        if found is not None:
            con.register("found", found.drop_duplicates(["rule", "unit_code", "metric"]))
            new = con.execute("""
                INSERT INTO alerts
                SELECT (SELECT coalesce(max(alert_id), 0) FROM alerts) + row_number() OVER (ORDER BY f.rule, f.unit_code,
                                                                                            f.metric),
                       $day, f.rule, f.unit_code, f.metric, f.detail, $now
                FROM found f ANTI JOIN alerts a ON a.day = $day AND a.rule = f.rule AND a.unit_code = f.unit_code
                    AND a.metric = f.metric
                RETURNING alert_id""", {"day": now.date(), "now": now}).fetchall()
            new = len(new)
            con.unregister("found")
        con.execute("INSERT OR REPLACE INTO meta VALUES ('alerts_checked', ?)", [checked])
    return new


# the alerts a head is concerned with: those of their unit and the units under it; a leader or an
# administrator, the nation's and the provinces'
ALERTS_FOR_SQL = """
SELECT a.alert_id, a.day, a.rule, a.unit_code, u.name AS unit_name, a.metric, a.detail,
       a.alert_id > coalesce((SELECT seen_until FROM alert_seen WHERE account = $account), 0) AS new
FROM alerts a JOIN units u USING (unit_code) JOIN unit_levels l USING (unit_code)
WHERE CASE WHEN $scope IS NULL THEN l.depth <= 1
           ELSE a.unit_code IN (SELECT descendant FROM unit_tree WHERE ancestor = $scope) END
ORDER BY a.alert_id DESC
LIMIT $limit
"""


def alerts_for(con, *, account: str, scope: str | None, limit: int = 50) -> pd.DataFrame:
    """The latest alerts an account is concerned with (see ALERTS_FOR_SQL), newest first: alert_id,
    day, rule, unit_code, unit_name, metric, detail, new (not seen in its bell yet)."""
    return con.execute(ALERTS_FOR_SQL, {"account": account, "scope": scope, "limit": limit}).df()


def alerts(con, *, account: str | None = None, limit: int = 50) -> pd.DataFrame:
    """The alerts raised, newest first: alert_id, day, rule, unit_code, unit_name, metric, detail;
    with `account`, those it is concerned with, and new (not seen in its bell yet)."""
    from .accounts import account as find_account
    from .errors import UnknownError

    if account is None:
        return con.execute("""SELECT a.alert_id, a.day, a.rule, a.unit_code, u.name AS unit_name, a.metric, a.detail
                              FROM alerts a JOIN units u USING (unit_code) ORDER BY a.alert_id DESC LIMIT ?""",
                           [limit]).df()
    found = find_account(con, account)
    if found is None:
        raise UnknownError(f"There is no account {account} (or it is disabled).")
    return alerts_for(con, account=account, scope=found.scope, limit=limit)


def mark_seen(con, *, account: str, until: int) -> None:
    """The account has seen its alerts up to `until` (an alert id)."""
    with store.transaction(con, tables=("alert_seen",)):
        con.execute("INSERT OR REPLACE INTO alert_seen VALUES (?, greatest(?, coalesce((SELECT seen_until FROM "
                    "alert_seen WHERE account = ?), 0)))", [account, until, account])


def link(rule: str, unit: str, lang: str = "vi") -> str:
    """The address of the view that shows an alert."""
    base = os.environ.get("SPRINT_PUBLIC_URL", "http://localhost:8501").rstrip("/")
    page = VIEWS.get(rule, "")
    return f"{base}/{page}?scope={unit}&lang={lang}"


# how each rule's detail reads (a day, a percentage, a chance, a rate against its ceiling, a flag's kind)
DETAILS = {
    "not_reported": lambda detail, lang: i18n.day(date.fromisoformat(detail), lang),
    "behind": lambda detail, lang: i18n.percent(float(detail), lang),
    "low_chance": lambda detail, lang: i18n.chance(float(detail), lang),
    "over_ceiling": lambda detail, lang: " / ".join(i18n.percent(float(p), lang) for p in detail.split("/")),
    "flagged": lambda detail, lang: i18n.t(f"alert_flag_{detail}", lang),
}


def describe(row, lang: str, names: dict[str, str]) -> str:
    """One alert in a sentence; `names`: each metric's name in the language."""
    return i18n.t(f"alert_{row['rule']}", lang, unit=row["unit_name"], metric=names.get(row["metric"], ""),
                  detail=DETAILS[row["rule"]](row["detail"], lang))


def metric_names(con, lang: str) -> dict[str, str]:
    return dict(con.execute(f"SELECT metric, name_{'en' if lang == 'en' else 'vi'} FROM metrics").fetchall())


def _recipients(con) -> pd.DataFrame:
    """Heads with an e-mail address, and the alerts of their subtree they have not been sent."""
    return con.execute("""
        SELECT h.name AS account, h.email, a.alert_id, a.day, a.rule, a.unit_code, u.name AS unit_name, a.metric, a.detail
        FROM accounts h JOIN unit_tree t ON t.ancestor = h.unit_code JOIN alerts a ON a.unit_code = t.descendant
        JOIN units u ON u.unit_code = a.unit_code
        ANTI JOIN alert_mail m ON m.account = h.name AND m.alert_id = a.alert_id
        WHERE h.role = 'unit' AND NOT h.disabled AND h.email IS NOT NULL
        ORDER BY h.name, a.alert_id""").df()


def mail_alerts(con, smtp, *, now: datetime, lang: str = "vi") -> list[tuple[str, int]]:
    """E-mail each head one digest of the alerts new to them; (account, how many) sent."""
    pending, sent = _recipients(con), []
    for account, alerts in pending.groupby("account", sort=True):
        ids = alerts["alert_id"].tolist()
        with store.transaction(con, tables=("alert_mail",)):  # claimed: another replica does not send them
            con.executemany("INSERT INTO alert_mail VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                            [[account, alert_id, now] for alert_id in ids])
        message = EmailMessage()
        message["Subject"] = i18n.t("alert_subject", lang, count=i18n.number(len(ids), lang))
        message["From"], message["To"] = smtp.sender, alerts["email"].iloc[0]
        names = metric_names(con, lang)
        lines = [f"- {describe(row, lang, names)} {link(row['rule'], row['unit_code'], lang)}"
                 for row in alerts.head(LISTED).to_dict("records")]
        if len(alerts) > LISTED:
            lines.append(i18n.t("alert_more", lang, count=i18n.number(len(alerts) - LISTED, lang)))
        message.set_content("\n".join([i18n.t("alert_greeting", lang), "", *lines]))
        try:
            smtp.send(message)
        except Exception:
            with store.transaction(con, tables=("alert_mail",)):  # given back: tried again at the next run
                con.execute("DELETE FROM alert_mail WHERE account = ? AND list_contains(?, alert_id)", [account, ids])
            raise
        sent.append((account, len(ids)))
    return sent

"""The morning briefing by e-mail: subscriptions, and their delivery over SMTP.

A subscription sends an account the briefing of its unit (the account's own: a unit head's, the
nation for a leader or an administrator; or one the subscriber chose within what they may read),
daily or weekly (on a weekday) at a time of day in Vietnam: the PDF attached, its figures in the
message's body, as of the latest complete day when it is sent.

Each (subscription, period) is sent at most once: the period is the day (2025-11-20) or the ISO
week (2025-W47). A send is claimed in the store first (a row of `deliveries`, in one transaction
under the store's write lock: the system of record's, with PostgreSQL), then sent, then marked
sent. So with several replicas exactly one sends, and a restart never sends twice: a send
interrupted after its claim (the process stopped mid-send) is marked `interrupted` and reported,
not sent again, since it cannot be known whether the server took it. A send the server refused or
could not be reached for is `failed`, audited, and tried again at the next delivery run, up to
MAX_ATTEMPTS times.

SMTP settings come from the environment: SPRINT_SMTP_HOST (none: nothing is sent),
SPRINT_SMTP_PORT (25), SPRINT_SMTP_STARTTLS (1: upgrade the connection), SPRINT_SMTP_USER and
SPRINT_SMTP_PASSWORD (authentication), SPRINT_SMTP_FROM, SPRINT_SMTP_TIMEOUT (seconds),
SPRINT_SMTP_CAFILE (a private certificate authority to trust for STARTTLS).
"""
from __future__ import annotations

import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pandas as pd

from . import audit, i18n, store
from .accounts import account as find_account
from .accounts import email_of
from .alerts import mail_alerts, raise_alerts
from .errors import SprintError, UnknownError
from .progress import check_filters, complete_date
from .structure import in_subtree

FREQUENCIES = ("daily", "weekly")
MAX_ATTEMPTS = 5
# a claim older than this with no outcome: its process stopped mid-send
STALE_CLAIM = timedelta(minutes=15)
TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 25
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    sender: str = "sprint@localhost"
    timeout: float = 30.0
    cafile: str | None = None  # a private certificate authority the server's certificate is signed by

    @classmethod
    def from_environment(cls) -> "Smtp | None":
        host = os.environ.get("SPRINT_SMTP_HOST")
        if not host:
            return None
        return cls(host, int(os.environ.get("SPRINT_SMTP_PORT", "25")),
                   os.environ.get("SPRINT_SMTP_STARTTLS", "0").lower() in ("1", "true", "yes"),
                   os.environ.get("SPRINT_SMTP_USER") or None, os.environ.get("SPRINT_SMTP_PASSWORD") or None,
                   os.environ.get("SPRINT_SMTP_FROM", "sprint@localhost"),
                   float(os.environ.get("SPRINT_SMTP_TIMEOUT", "30")), os.environ.get("SPRINT_SMTP_CAFILE") or None)

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as server:
            if self.starttls:
                server.starttls(context=ssl.create_default_context(cafile=self.cafile))
            if self.user:
                server.login(self.user, self.password or "")
            server.send_message(message)


def subscribe(con, *, account: str, frequency: str, send_at: str, weekday: int | None = None,
              unit: str | None = None, lang: str = "vi", by: str | None = None) -> int:
    """Subscribe an account (one that has an e-mail address) to the briefing; its id. A unit
    head may subscribe to their own subtree only."""
    found = find_account(con, account)
    if found is None:
        raise UnknownError(f"There is no account {account} (or it is disabled).")
    email = email_of(con, account)
    if not email:
        raise SprintError(f"The account {account} has no e-mail address: give it one first.")
    if frequency not in FREQUENCIES:
        raise UnknownError(f"Unknown frequency '{frequency}'; use daily or weekly.")
    if not TIME.fullmatch(send_at or ""):
        raise SprintError(f"'{send_at}' is not a time of day; write it 06:30.")
    if frequency == "weekly" and weekday not in range(1, 8):
        raise SprintError("A weekly subscription needs its weekday, 1 (Monday) to 7 (Sunday).")
    if lang not in i18n.LANGUAGES:
        raise UnknownError(f"Unknown language '{lang}'; use one of {', '.join(i18n.LANGUAGES)}.")
    if unit is not None:
        check_filters(con, unit=unit)
        if found.scope and not in_subtree(con, found.scope, unit):
            raise SprintError(f"{account} reads {found.scope} and the units under it, not {unit}.")
    with store.transaction(con):
        subscription_id = store.next_upload_id(con)
        con.execute("""INSERT INTO subscriptions VALUES (?, ?, ?, ?, ?, ?, ?, now(), ?, true)""",
                    [subscription_id, account, unit, frequency, weekday if frequency == "weekly" else None,
                     send_at, lang, by])
        audit.record(con, "subscription", account=by, outcome="added", unit_code=unit,
                     detail=f"{subscription_id} {account} {frequency} {send_at}")
    return subscription_id


def unsubscribe(con, *, subscription_id: int, by: str | None = None) -> None:
    with store.transaction(con):
        changed = con.execute("UPDATE subscriptions SET active = false WHERE subscription_id = ? AND active "
                              "RETURNING account", [subscription_id]).fetchall()
        if not changed:
            raise UnknownError(f"There is no active subscription {subscription_id}.")
        audit.record(con, "subscription", account=by, outcome="removed", detail=f"{subscription_id} {changed[0][0]}")


def subscriptions(con, *, account: str | None = None) -> pd.DataFrame:
    """The active subscriptions (of one account): subscription_id, account, email, unit_code (the
    briefing's unit), frequency, weekday, send_at, lang, last_period, last_status."""
    return con.execute("""
        SELECT s.subscription_id, s.account, a.email,
               coalesce(s.unit_code, CASE WHEN a.role = 'unit' THEN a.unit_code ELSE 'VN' END) AS unit_code,
               s.frequency, s.weekday, s.send_at, s.lang,
               max_by(d.period, d.claimed_at) AS last_period, max_by(d.status, d.claimed_at) AS last_status
        FROM subscriptions s JOIN accounts a ON a.name = s.account
        LEFT JOIN deliveries d USING (subscription_id)
        WHERE s.active AND ($account IS NULL OR s.account = $account)
        GROUP BY ALL ORDER BY s.account, s.subscription_id""", {"account": account}).df()


def period_due(frequency: str, weekday: int | None, send_at: str, now: datetime) -> str | None:
    """The period a subscription is due for at `now` (Vietnam's time), or None before its time:
    daily, the day once its time has come; weekly, the ISO week once its weekday and time have."""
    local = now.astimezone(store.VIETNAM)
    hour, minute = map(int, send_at.split(":"))
    at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if frequency == "daily":
        return local.date().isoformat() if local >= at else None
    year, week, today = local.isocalendar()
    if today < weekday or (today == weekday and local < at):
        return None
    return f"{year}-W{week:02d}"


def compose(con, subscription: pd.Series, *, as_of: date, smtp: Smtp) -> EmailMessage:
    """The message: the briefing's figures in the body, its PDF attached."""
    from .briefing import briefing, briefing_pdf

    lang, unit = subscription["lang"], subscription["unit_code"]
    content = briefing(con, as_of=as_of, unit=unit)
    names = con.execute(f"SELECT metric, name_{'en' if lang == 'en' else 'vi'} FROM metrics").fetchall()
    names = dict(names)
    lines = [i18n.t("mail_greeting", lang, unit=content["unit_name"], day=i18n.day(as_of, lang)), ""]
    for row in content["figures"].itertuples():
        if row.metric not in names or pd.isna(row.value):
            continue
        lines.append(i18n.t("mail_figure", lang, metric=names[row.metric], value=i18n.number(row.value, lang),
                            attainment=i18n.percent(row.attainment_pct, lang), gap=i18n.number(row.gap, lang),
                            status=i18n.status_label(row.status, lang)))
    done = content["reporting"]
    lines += ["", i18n.t("mail_reported", lang, done=i18n.number(done["done"], lang),
                         total=i18n.number(done["total"], lang)), "", i18n.t("mail_footer", lang)]
    message = EmailMessage()
    message["Subject"] = i18n.t("mail_subject", lang, unit=content["unit_name"], day=i18n.day(as_of, lang))
    message["From"] = smtp.sender
    message["To"] = subscription["email"]
    message["Message-ID"] = make_msgid(f"{subscription['subscription_id']}.{subscription['period']}", "sprint")
    message.set_content("\n".join(lines))
    message.add_attachment(briefing_pdf(con, as_of=as_of, unit=unit, lang=lang), maintype="application",
                           subtype="pdf", filename=f"ban-tin-{unit}-{as_of.isoformat()}.pdf")
    return message


def _claim(con, subscription_id: int, period: str, now: datetime) -> int | None:
    """Claim a send in the store (its attempt number), or None: sent, interrupted, given up, or
    being sent by another process."""
    with store.transaction(con, tables=("deliveries",)):
        rows = con.execute("SELECT status, attempts FROM deliveries WHERE subscription_id = ? AND period = ?",
                           [subscription_id, period]).fetchall()
        if not rows:
            con.execute("INSERT INTO deliveries VALUES (?, ?, 'sending', 1, ?, NULL, NULL)",
                        [subscription_id, period, now])
            return 1
        status, attempts = rows[0]
        if status != "failed" or attempts >= MAX_ATTEMPTS:
            return None
        con.execute("UPDATE deliveries SET status = 'sending', attempts = attempts + 1, claimed_at = ?, error = NULL "
                    "WHERE subscription_id = ? AND period = ?", [now, subscription_id, period])
        return attempts + 1


def _settle(con, subscription_id: int, period: str, *, status: str, error: str | None, now: datetime,
            account: str, unit: str | None) -> None:
    with store.transaction(con, tables=("deliveries",)):
        con.execute("UPDATE deliveries SET status = ?, error = ?, sent_at = CASE WHEN ? = 'sent' THEN ?::TIMESTAMPTZ END "
                    "WHERE subscription_id = ? AND period = ?", [status, error, status, now, subscription_id, period])
        audit.record(con, "delivery", account=account, outcome=status, unit_code=unit,
                     detail=f"{subscription_id} {period}" + (f": {error}" if error else ""))


def _interrupted(con, now: datetime) -> None:
    """Claims left by a process that stopped mid-send: reported, never sent again."""
    with store.transaction(con, tables=("deliveries",)):
        stale = con.execute("""UPDATE deliveries SET status = 'interrupted',
                                   error = 'the sending process stopped; it is not known whether the message left'
                               WHERE status = 'sending' AND claimed_at < ? RETURNING subscription_id, period""",
                            [now - STALE_CLAIM]).fetchall()
        for subscription_id, period in stale:
            audit.record(con, "delivery", outcome="interrupted", detail=f"{subscription_id} {period}")


@dataclass
class Delivered:
    sent: list[tuple[int, str]]
    failed: list[tuple[int, str, str]]
    alerts: list[tuple[str, int]] = field(default_factory=list)  # (account, alerts e-mailed)


def deliver(con, *, now: datetime | None = None, smtp: Smtp | None = None) -> Delivered:
    """Raise the alerts due at `now` (sprint.alerts), e-mail them to the heads they concern, and
    send every subscription due that has not been sent for its period (see the module). Without
    SMTP settings the alerts are raised (the bell shows them) and nothing is sent."""
    now = now or datetime.now(store.VIETNAM)
    smtp = smtp or Smtp.from_environment()
    result = Delivered([], [])
    raise_alerts(con, now=now)
    if smtp is None:
        return result
    try:
        result.alerts = mail_alerts(con, smtp, now=now)
    except (OSError, smtplib.SMTPException) as failure:
        result.failed.append((0, "alerts", f"{type(failure).__name__}: {failure}"[:300]))
    _interrupted(con, now)
    as_of = complete_date(con)
    if as_of is None:
        return result
    for subscription in subscriptions(con).to_dict("records"):
        period = period_due(subscription["frequency"], subscription["weekday"], subscription["send_at"], now)
        if period is None or not subscription["email"]:
            continue
        attempt = _claim(con, subscription["subscription_id"], period, now)
        if attempt is None:
            continue
        key = (subscription["subscription_id"], period)
        try:
            smtp.send(compose(con, pd.Series({**subscription, "period": period}), as_of=as_of, smtp=smtp))
        except (OSError, smtplib.SMTPException, SprintError) as failure:
            error = f"{type(failure).__name__}: {failure}"[:300]
            _settle(con, *key, status="failed", error=error, now=now, account=subscription["account"],
                    unit=subscription["unit_code"])
            result.failed.append((*key, error))
            continue
        _settle(con, *key, status="sent", error=None, now=now, account=subscription["account"],
                unit=subscription["unit_code"])
        result.sent.append(key)
    return result

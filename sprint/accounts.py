"""Accounts: who may sign in, and what each may do.

Three roles. Leaders see every figure. A unit head sees every figure too, and reports for their
own unit and the units under it. Administrators report for any unit and manage targets, units
and accounts. Passwords are kept only as Argon2 hashes (argon2-cffi). A deployment that signs
in through an OpenID Connect provider maps the identity's e-mail to an account instead.

Repeated failed sign-ins slow down: after FREE_FAILURES failures in FAILURE_WINDOW, for the same
account or from the same address, the next attempt must wait, twice as long after each further
failure, up to MAX_WAIT. A successful sign-in starts the count again. The address is the
connection's own peer unless that peer is a proxy the deployment trusts (client_address).
"""
from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from . import audit
from .errors import SprintError
from .store import VIETNAM, replica_of, transaction

ROLES = ("leader", "unit", "admin")
# What each role may open and do, one rule for the dashboard, the command line and the inbox: the
# dashboard's pages it may open (every other page says it is not for them: deny by default);
# "upload" is also sending files (CLI, inbox), "admin" also managing targets, units and accounts.
PAGES = {
    "leader": ("progress", "provinces", "leaderboard", "results", "network", "late_payers"),
    "unit": ("progress", "provinces", "leaderboard", "results", "network", "late_payers", "upload"),
    "admin": ("progress", "provinces", "leaderboard", "results", "network", "late_payers", "upload", "admin", "audit"),
}
NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
MIN_PASSWORD = 8
FREE_FAILURES = 3
FAILURE_WINDOW = timedelta(minutes=15)
MAX_WAIT = timedelta(minutes=5)

_hasher = PasswordHasher()


class AccountError(SprintError):
    """An account cannot be added, changed or used as asked; the message says why."""


class SignInError(SprintError):
    """A sign-in was refused. `wait` is set when it was refused for too many failures."""

    def __init__(self, message: str, wait: timedelta | None = None):
        super().__init__(message)
        self.wait = wait


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    unit_code: str | None

    @property
    def scope(self) -> str | None:
        """The unit whose subtree this account reports for; None for every unit (administrators)."""
        return self.unit_code if self.role == "unit" else None

    @property
    def pages(self) -> tuple[str, ...]:
        """The dashboard's pages this account may open (PAGES)."""
        return PAGES[self.role]

    @property
    def may_upload(self) -> bool:
        return "upload" in self.pages

    @property
    def is_admin(self) -> bool:
        return "admin" in self.pages


def _now() -> datetime:
    return datetime.now(VIETNAM)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"A password needs at least {MIN_PASSWORD} characters.")


def add_account(con, name: str, *, role: str, unit: str | None = None, password: str | None = None,
                email: str | None = None, by: str | None = None) -> Account:
    """Add an account. A unit head needs a unit; every account needs a password or an e-mail
    (the identity a configured sign-in provider vouches for)."""
    if not NAME_PATTERN.fullmatch(name or ""):
        raise AccountError(f"'{name}' cannot be an account name: use 2 to 40 lower-case letters, digits, "
                           "dots, dashes or underscores, starting with a letter or digit.")
    if role not in ROLES:
        raise AccountError(f"'{role}' is not a role; use one of {', '.join(ROLES)}.")
    if (role == "unit") != (unit is not None):
        raise AccountError("A unit head's account needs --unit (the unit they report for); "
                           "leaders and administrators have none.")
    if password is None and not email:
        raise AccountError("An account needs a password (or an e-mail, where sign-in goes through a provider).")
    if password is not None:
        _check_password(password)
    with transaction(con, tables=("accounts",)):
        if unit is not None and not con.execute("SELECT count(*) FROM units WHERE unit_code = ?",
                                                [unit]).fetchall()[0][0]:
            raise AccountError(f"There is no unit {unit}; load the units first.")
        if con.execute("SELECT count(*) FROM accounts WHERE name = ? OR (email IS NOT NULL AND email = ?)",
                       [name, email]).fetchall()[0][0]:
            raise AccountError(f"There is already an account {name}" + (f" or one for {email}." if email else "."))
        con.execute("INSERT INTO accounts (name, role, unit_code, email, password_hash) VALUES (?, ?, ?, ?, ?)",
                    [name, role, unit, email or None, _hasher.hash(password) if password is not None else None])
        audit.record(con, "account", account=by, outcome="added", unit_code=unit,
                     detail=name + (f", {email}" if email else ""))
    return Account(name, role, unit)


def list_accounts(con) -> pd.DataFrame:
    """Every account with its role, unit, e-mail, whether it is disabled and its last sign-in."""
    return con.execute("""
        SELECT a.name, a.role, a.unit_code, u.name AS unit_name, a.email, a.disabled, a.created_at,
               (SELECT max(l.logged_at) FROM audit_log l
                WHERE l.kind = 'sign_in' AND l.outcome = 'ok' AND l.account = a.name) AS last_sign_in
        FROM accounts a LEFT JOIN units u USING (unit_code)
        ORDER BY a.role, a.name
    """).df()


def _existing(con, name: str) -> None:
    if not con.execute("SELECT count(*) FROM accounts WHERE name = ?", [name]).fetchall()[0][0]:
        raise AccountError(f"There is no account {name}.")


def set_disabled(con, name: str, disabled: bool = True, *, by: str | None = None) -> None:
    """Disable an account (it is signed out at its next page load and cannot sign in), or enable it."""
    with transaction(con, tables=("accounts", "sessions")):
        _existing(con, name)
        con.execute("UPDATE accounts SET disabled = ? WHERE name = ?", [disabled, name])
        con.execute("DELETE FROM sessions WHERE account = ?", [name])
        audit.record(con, "account", account=by, outcome="disabled" if disabled else "enabled", detail=name)


def set_password(con, name: str, password: str, *, by: str | None = None) -> None:
    _check_password(password)
    with transaction(con, tables=("accounts", "sessions")):
        _existing(con, name)
        con.execute("UPDATE accounts SET password_hash = ? WHERE name = ?", [_hasher.hash(password), name])
        con.execute("DELETE FROM sessions WHERE account = ?", [name])  # signed out everywhere
        audit.record(con, "account", account=by, outcome="password_changed", detail=name)


def account(con, name: str | None) -> Account | None:
    """The account of that name, if it exists and is not disabled."""
    rows = con.execute("SELECT name, role, unit_code FROM accounts WHERE name = ? AND NOT disabled",
                       [name]).fetchall()
    return Account(*rows[0]) if rows else None


def email_of(con, name: str) -> str | None:
    """The e-mail address of an account (none if it has none): one row, not list_accounts' scan
    of the audit log, for a page that runs at every report."""
    rows = con.execute("SELECT email FROM accounts WHERE name = ?", [name]).fetchall()
    return rows[0][0] if rows else None


def account_for_email(con, email: str | None, *, address: str | None = None) -> Account | None:
    """The account a provider's identity maps to (by e-mail), recording the sign-in; None if there
    is none (or it is disabled), which is recorded as a failed sign-in."""
    rows = con.execute("SELECT name, role, unit_code FROM accounts WHERE email = ? AND NOT disabled",
                       [email]).fetchall()
    found = Account(*rows[0]) if rows else None
    with transaction(con, tables=()):
        audit.record(con, "sign_in", account=found.name if found else email, address=address,
                     outcome="ok" if found else "failed", detail="provider")
    return found


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_proxies(setting: str | None) -> tuple[Network, ...]:
    """The proxies whose X-Forwarded-For is believed, from a setting such as
    "127.0.0.1, 10.0.0.0/8, ::1" (SPRINT_TRUSTED_PROXIES); none when it is empty or unset."""
    networks = []
    for item in (setting or "").split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise AccountError(f"SPRINT_TRUSTED_PROXIES: '{item.strip()}' is not an address or a network; "
                                   "write addresses or networks separated by commas, e.g. 127.0.0.1, 10.0.0.0/8.") from None
    return tuple(networks)


def _ip(text: str):
    """An address as X-Forwarded-For or a socket writes it ("1.2.3.4", "1.2.3.4:80", "[::1]:80",
    "::ffff:1.2.3.4"); None if it is not one."""
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        ip = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return None
    return getattr(ip, "ipv4_mapped", None) or ip  # ::ffff:1.2.3.4 is 1.2.3.4


def client_address(peer: str | None, forwarded_for: str | Sequence[str] | None,
                   trusted: Iterable[Network] = ()) -> str | None:
    """The address a sign-in is recorded and slowed down under. It is the connection's peer (a
    local one too: 127.0.0.1 or ::1), unless the peer is a trusted proxy: then it is the right-most
    X-Forwarded-For entry that is not itself a trusted proxy, because each proxy appends the
    address it saw and everything to the left of that is whatever the browser claimed. An entry
    there that is no address attributes the sign-in to the proxy that passed it on. None only
    without a peer (no connection, as under AppTest)."""
    if not peer:
        return None
    trusted = tuple(trusted)
    nearest = _ip(peer)
    if nearest is None:
        return peer.strip()
    if isinstance(forwarded_for, str):
        forwarded_for = [forwarded_for]
    hops = [hop for value in forwarded_for or () for hop in value.split(",") if hop.strip()]
    while any(nearest in network for network in trusted) and hops:
        hop = _ip(hops.pop())
        if hop is None:
            break
        nearest = hop
    return str(nearest)


# Failed sign-ins counted since the later of the window's start and the last success, for the
# account and for the address; the later of the two waits applies.
FAILURES_SQL = """
WITH attempts AS (
    SELECT account, address, outcome, logged_at AS tried FROM audit_log
    WHERE kind = 'sign_in' AND logged_at > $since AND (account = $name OR address = $address)
), keyed AS (
    SELECT 'account' AS per, * FROM attempts WHERE account = $name
    UNION ALL
    SELECT 'address', * FROM attempts WHERE address = $address
), since_success AS (
    SELECT per, tried, outcome FROM keyed k
    WHERE tried > coalesce((SELECT max(tried) FROM keyed s WHERE s.per = k.per AND s.outcome = 'ok'), $since)
)
SELECT per, count(*), epoch($now) - epoch(max(tried)) FROM since_success WHERE outcome = 'failed' GROUP BY per
"""


def _wait(failures: int) -> timedelta:
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** (failures - FREE_FAILURES + 1)), MAX_WAIT)


def wait_before_sign_in(con, name: str, address: str | None, *, now: datetime | None = None) -> timedelta:
    """How long the next sign-in attempt for `name` (or from `address`) must wait (0 if none)."""
    now = now or _now()
    waits = [_wait(failures) - timedelta(seconds=elapsed) for _per, failures, elapsed in con.execute(
        FAILURES_SQL, {"now": now, "since": now - FAILURE_WINDOW, "name": name, "address": address}).fetchall()]
    return max([timedelta(0), *waits])


def sign_in(con, name: str, password: str, *, address: str | None = None, now: datetime | None = None) -> Account:
    """The account, if the password is its own. Every attempt goes into the audit log; one that
    comes too soon after repeated failures is refused without looking at the password."""
    now = now or _now()
    name = (name or "").strip().lower()
    wait = wait_before_sign_in(con, name, address, now=now)
    if wait > timedelta(0):
        with transaction(con, tables=()):
            audit.record(con, "sign_in", at=now, account=name, address=address, outcome="throttled")
        raise SignInError(f"Too many failed sign-ins: wait {int(wait.total_seconds()) + 1} s and try again.", wait)
    row = con.execute("SELECT name, role, unit_code, password_hash FROM accounts WHERE name = ? AND NOT disabled",
                      [name]).fetchall()
    try:
        ok = bool(row) and row[0][3] is not None and _hasher.verify(row[0][3], password)
    except (VerificationError, InvalidHashError):
        ok = False
    with transaction(con, tables=("accounts",)):
        audit.record(con, "sign_in", at=now, account=name, address=address, outcome="ok" if ok else "failed")
        if ok and _hasher.check_needs_rehash(row[0][3]):
            con.execute("UPDATE accounts SET password_hash = ? WHERE name = ?", [_hasher.hash(password), name])
    if not ok:
        raise SignInError("The name or the password is wrong.")
    return Account(*row[0][:3])


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(con, name: str, *, hours: float, now: datetime | None = None) -> str:
    """A new browser session for a signed-in account: a random token for the browser's cookie
    (the store keeps only its SHA-256), valid for `hours`."""
    token = secrets.token_urlsafe(32)
    now = now or _now()
    with transaction(con, tables=("sessions",)):
        con.execute("DELETE FROM sessions WHERE expires_at < ?", [now])
        con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                    [_token_hash(token), name, now, now + timedelta(hours=hours)])
    return token


def session_account(con, token: str | None, *, now: datetime | None = None) -> Account | None:
    """The account of a browser session's token, while the session has not expired and the
    account is not disabled. A replica that does not know the token first applies what other
    replicas wrote: the sign-in may have happened there a moment ago."""
    if not token:
        return None
    query = """
        SELECT a.name, a.role, a.unit_code FROM sessions s JOIN accounts a ON a.name = s.account
        WHERE s.token_sha256 = ? AND s.expires_at > ? AND NOT a.disabled"""
    arguments = [_token_hash(token), now or _now()]
    rows = con.execute(query, arguments).fetchall()
    replica = replica_of(con)
    if not rows and replica is not None and replica.catch_up():
        rows = con.execute(query, arguments).fetchall()
    return Account(*rows[0]) if rows else None


def close_session(con, token: str | None) -> None:
    """Sign a browser session out: its token no longer signs anyone in."""
    if token:
        with transaction(con, tables=("sessions",)):
            con.execute("DELETE FROM sessions WHERE token_sha256 = ?", [_token_hash(token)])


# The demo store's accounts (README): one per role; the unit head is Ea Kar's.
DEMO_ACCOUNTS = (("lanhdao", "leader", None, "lanhdao-demo"),
                 ("eakar", "unit", "66-EAKAR", "eakar-demo"),
                 ("quantri", "admin", None, "quantri-demo"))


def add_demo_accounts(con, unit_head_unit: str = "66-EAKAR") -> None:
    for name, role, unit, password in DEMO_ACCOUNTS:
        add_account(con, name, role=role, unit=unit and unit_head_unit, password=password, by="demo")


def demo_accounts(con) -> list[tuple[str, str, str]]:
    """The demo accounts this store still has as the demo made them (name, role, password), for
    the sign-in screen of a demo store; none on any other store."""
    rows = con.execute("""
        SELECT a.name FROM accounts a
        WHERE NOT a.disabled AND a.name IN (SELECT detail FROM audit_log
                                            WHERE kind = 'account' AND outcome = 'added' AND account = 'demo')
          AND a.name NOT IN (SELECT detail FROM audit_log WHERE kind = 'account' AND outcome = 'password_changed')
    """).fetchall()
    present = {name for (name,) in rows}
    return [(name, role, password) for name, role, _unit, password in DEMO_ACCOUNTS if name in present]

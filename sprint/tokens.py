"""API tokens: an account's keys for the read API (issue 21).

A token is shown once, when it is made, and kept only as its SHA-256; it carries the account's
own scope (a unit head's token reads their subtree only), expires, can be revoked, and counts its
uses. Making and revoking one go into the audit log. Each token is limited to RATE requests a
minute per server process (`RateLimit`).
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from datetime import datetime, timedelta

import pandas as pd

from . import audit
from .accounts import Account, AccountError, _now, account
from .store import transaction

PREFIX = "sprint_"  # a token reads as what it is in a log or a leaked file
MAX_DAYS = 365
RATE = 120  # requests a minute per token


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(con, owner: str, name: str, *, days: int = 90, by: str | None = None,
                 now: datetime | None = None) -> tuple[str, str]:
    """A new token for the account `owner`: (its id, the token itself, shown this once)."""
    if account(con, owner) is None:
        raise AccountError(f"There is no account {owner} (or it is disabled).")
    if not 1 <= days <= MAX_DAYS:
        raise AccountError(f"A token lasts 1 to {MAX_DAYS} days, not {days}.")
    name = (name or "").strip()
    if not 1 <= len(name) <= 60:
        raise AccountError("Give the token a name of 1 to 60 characters (what it is for).")
    now = now or _now()
    token_id, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    token = f"{PREFIX}{token_id}_{secret}"
    with transaction(con, tables=("api_tokens",)):
        con.execute("INSERT INTO api_tokens (token_id, token_sha256, account, name, created_at, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [token_id, _hash(token), owner, name, now, now + timedelta(days=days)])
        audit.record(con, "account", account=by or owner, outcome="token_created", detail=f"{owner}, {token_id}")
    return token_id, token


def list_tokens(con, owner: str | None = None) -> pd.DataFrame:
    """Tokens (of one account, or every one): never the token itself."""
    return con.execute("""SELECT token_id, account, name, created_at, expires_at, revoked_at, uses, last_used_at
                          FROM api_tokens WHERE $owner IS NULL OR account = $owner
                          ORDER BY created_at DESC""", {"owner": owner}).df()


def revoke_token(con, token_id: str, *, by: str, owner: str | None = None, now: datetime | None = None) -> None:
    """Revoke a token (of `owner` only, when given: an account revokes its own)."""
    with transaction(con, tables=("api_tokens",)):
        found = con.execute("""SELECT account FROM api_tokens
                               WHERE token_id = $id AND ($owner IS NULL OR account = $owner) AND revoked_at IS NULL""",
                            {"id": token_id, "owner": owner}).fetchall()
        if not found:
            raise AccountError(f"There is no token {token_id} to revoke.")
        con.execute("UPDATE api_tokens SET revoked_at = ? WHERE token_id = ?", [now or _now(), token_id])
        audit.record(con, "account", account=by, outcome="token_revoked", detail=f"{found[0][0]}, {token_id}")


def token_account(con, token: str | None, *, now: datetime | None = None) -> Account | None:
    """The account a request's token speaks for (and a use counted), or None: no token, an
    unknown, revoked or expired one, or an account disabled since."""
    if not token or not token.startswith(PREFIX):
        return None
    now = now or _now()
    rows = con.execute("""SELECT t.token_id, a.name FROM api_tokens t JOIN accounts a ON a.name = t.account
                          WHERE t.token_sha256 = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND NOT a.disabled""",
                       [_hash(token), now]).fetchall()
    if not rows:
        return None
    with transaction(con, tables=("api_tokens",)):
        con.execute("UPDATE api_tokens SET uses = uses + 1, last_used_at = ? WHERE token_id = ?", [now, rows[0][0]])
    return account(con, rows[0][1])


class RateLimit:
    """At most `rate` requests a minute per token, in this process (a sliding window)."""

    def __init__(self, rate: int = RATE, clock=time.monotonic):
        self.rate, self.clock = rate, clock
        self.seen: dict[str, list[float]] = {}
        self.lock = threading.Lock()

    def wait(self, key: str) -> float:
        """0 when a request may go ahead (and it is counted), else the seconds to wait."""
        with self.lock:
            now = self.clock()
            recent = [t for t in self.seen.get(key, []) if t > now - 60]
            if len(recent) >= self.rate:
                self.seen[key] = recent
                return recent[0] + 60 - now
            recent.append(now)
            self.seen[key] = recent
            return 0.0

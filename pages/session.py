"""Who is signed in: local accounts and their sessions (a browser cookie names a live one), or an
OpenID Connect provider's identity mapped to an account."""
from __future__ import annotations

import os
import time

import streamlit as st

import sprint
from pages.reads import cursor
from pages.ui import plain

# a sign-in lasts a working day; then the session asks for the password again
SESSION_SECONDS = float(os.environ.get("SPRINT_SESSION_HOURS", "12")) * 3600


def provider_configured() -> bool:
    """Whether sign-in goes through an OpenID Connect provider ([auth] in .streamlit/secrets.toml)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


PEER_HEADER = "x-sprint-peer"


TRUSTED_PROXIES = sprint.trusted_proxies(os.environ.get("SPRINT_TRUSTED_PROXIES"))


def _address() -> str | None:
    """The browser's address, for the audit log and slowing down failed sign-ins: the rule is
    sprint.client_address; this only gathers its inputs (none under AppTest)."""
    headers = st.context.headers
    return sprint.client_address(headers.get(PEER_HEADER), headers.get_all("X-Forwarded-For"), TRUSTED_PROXIES)


COOKIE = "sprint_session"


def _cookie() -> str | None:
    """The browser's session cookie (none under AppTest)."""
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) else None


def _signed_in(account: sprint.Account) -> None:
    st.session_state["account_name"] = account.name
    st.session_state["signed_in_at"] = time.time()
    if account.unit_code:
        st.session_state["my_unit"] = account.unit_code  # a head's pages open on their own unit


def _set_cookie(value: str, seconds: int) -> None:
    """Set (or, with 0 seconds, clear) the session cookie in the browser. Set from script, so it
    cannot be HttpOnly; SameSite=Strict keeps it off other sites' requests, Secure over HTTPS."""
    st.html(f"""<script>document.cookie = "{COOKIE}={value}; Path=/; Max-Age={seconds}; SameSite=Strict"
            + (location.protocol === "https:" ? "; Secure" : "");</script>""", unsafe_allow_javascript=True)


def sign_in(name: str, password: str) -> None:
    """Check a local account's password; on success this session, and the browser's later ones
    (a reload, a new tab) until SESSION_SECONDS have passed, are signed in."""
    account = sprint.sign_in(cursor(), name, password, address=_address())
    _signed_in(account)
    st.session_state["session_token"] = sprint.open_session(cursor(), account.name, hours=SESSION_SECONDS / 3600)
    st.session_state["cookie_pending"] = True


def keep_failure(failure: sprint.SprintError) -> None:
    """Keep what a write in a button's callback could not do, to say it at the top of the run."""
    st.session_state["failure"] = str(failure)


def say_failure() -> None:
    """Say, once, what a callback's write could not do (the store full, or held by another program)."""
    message = st.session_state.pop("failure", None)
    if message:
        st.error(plain(message))


def sign_out() -> None:
    """End this browser's session; if the store cannot record that, say so and stay signed in
    (a session the store still holds would sign the browser in again at the next load)."""
    try:
        sprint.close_session(cursor(), st.session_state.get("session_token") or _cookie())
    except sprint.SprintError as failure:
        keep_failure(failure)
        return
    for key in ("account_name", "signed_in_at", "provider_email", "my_unit", "session_token"):
        st.session_state.pop(key, None)
    st.session_state["cookie_cleared"] = True
    if provider_configured() and st.user.get("is_logged_in"):
        st.logout()


def _provider_account() -> None:
    """Map the provider's identity to an account, once per session (it is recorded as a sign-in)."""
    email = st.user.get("email")
    if st.session_state.get("provider_email") == email:
        return
    st.session_state["provider_email"] = email
    account = sprint.account_for_email(cursor(), email, address=_address())
    if account is None:
        st.session_state["unknown_identity"] = email
        return
    _signed_in(account)


def viewer() -> sprint.Account | None:
    """The signed-in account of this session; None when no one is (or the account was disabled,
    or the sign-in is older than SESSION_SECONDS: then the session is signed out). A browser
    that signed in before (its cookie names a live session) is signed in again."""
    if st.session_state.pop("cookie_pending", False):
        _set_cookie(st.session_state["session_token"], int(SESSION_SECONDS))
    if st.session_state.pop("cookie_cleared", False):
        _set_cookie("", 0)
    if provider_configured() and st.user.get("is_logged_in"):
        _provider_account()
    elif "account_name" not in st.session_state:
        resumed = sprint.session_account(cursor(), _cookie())
        if resumed is not None:
            _signed_in(resumed)
            st.session_state["session_token"] = _cookie()
    name, token = st.session_state.get("account_name"), st.session_state.get("session_token")
    if name is None:
        return None
    if token:  # a local sign-in: its session must still be live (not expired, signed out or disabled)
        account = sprint.session_account(cursor(), token)
    else:
        account = sprint.account(cursor(), name)
        if time.time() - st.session_state.get("signed_in_at", 0) > SESSION_SECONDS:
            account = None
    if account is None:
        sign_out()
        st.session_state["session_expired"] = True
        return None
    return account


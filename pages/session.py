"""Who is signed in: local accounts and their sessions (a browser cookie names a live one), or an
OpenID Connect provider's identity mapped to an account."""
from __future__ import annotations

import json
import os
import time

import pandas as pd
import streamlit as st

import sprint
from pages.reads import cursor
from pages.ui import lang, plain, t
from sprint import i18n, tokens

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
SESSION_ROUTE = "/auth/session"  # the server's route that sets and clears COOKIE


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
    """Have the server's route (app.py, SESSION_ROUTE) set the session cookie in the browser (or,
    with 0 seconds, clear it): HttpOnly, SameSite=Strict, Secure over HTTPS. The page only asks."""
    method, body = ("POST", json.dumps(value)) if seconds else ("DELETE", "null")
    st.html(f"""<script>fetch("{SESSION_ROUTE}", {{method: "{method}", credentials: "same-origin",
            headers: {{"Content-Type": "application/json", "X-Sprint-Session": "1"}}, body: {json.dumps(body)}}});
            </script>""", unsafe_allow_javascript=True)


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



def _new_token() -> None:
    """The button's callback: make the token and keep it for this run alone (it is shown once)."""
    try:
        _, token = tokens.create_token(cursor(), viewer().name, st.session_state.get("token_name", ""),
                                              days=st.session_state.get("token_days", 90))
    except sprint.SprintError as failure:
        st.session_state["_token_failure"] = str(failure)
        return
    st.session_state["_new_token"] = token


def _revoke_token(token_id: str) -> None:
    tokens.revoke_token(cursor(), token_id, by=viewer().name, owner=viewer().name)


def api_tokens(account) -> None:
    """The reader's own API tokens: make one (shown this once), see them, revoke one."""
    st.caption(t("api_tokens_help"))
    st.text_input(t("token_name"), key="token_name", max_chars=60)
    st.number_input(t("token_days"), min_value=1, max_value=tokens.MAX_DAYS, value=90, key="token_days")
    st.button(t("token_create"), on_click=_new_token, key="token_create")
    if "_token_failure" in st.session_state:
        st.error(plain(st.session_state.pop("_token_failure")))
    if "_new_token" in st.session_state:
        st.success(t("token_shown_once"))
        st.code(st.session_state.pop("_new_token"), language=None, wrap_lines=True)
    mine = tokens.list_tokens(cursor(), account.name)
    for row in mine.itertuples():
        revoked = not pd.isna(row.revoked_at)
        state = (t("token_revoked") if revoked else
                 t("token_until", day=i18n.day(row.expires_at.date(), lang())))
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.caption(f"**{plain(row.name)}** ({row.token_id}) · {state} · "
                     f"{i18n.how_many(row.uses, 'use', 'uses', lang())}")
        if not revoked:
            right.button(t("token_revoke"), key=f"revoke_{row.token_id}", on_click=_revoke_token,
                         args=(row.token_id,))

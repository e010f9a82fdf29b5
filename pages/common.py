"""What every page shares: the store, cached reads keyed by the data version, the sidebar's choices."""
from __future__ import annotations

import functools
import os
import re
import time
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

import sprint
from sprint import demo, i18n
from sprint.inbox import start_watcher

REFRESH_SECONDS = float(os.environ.get("SPRINT_REFRESH_SECONDS", "3"))
# a sign-in lasts a working day; then the session asks for the password again
SESSION_SECONDS = float(os.environ.get("SPRINT_SESSION_HOURS", "12")) * 3600


def route_through_app() -> None:
    """Make sure this run went through dashboard.py.

    A `pages/` folder beside dashboard.py makes Streamlit route a process's first request (and
    every AppTest run) the old v1 way, straight to the page script and past dashboard.py, until
    its st.navigation has run. The pages are listed explicitly there: turn v1 off and run again.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def store_path() -> str:
    return str(sprint.default_db_path())


@st.cache_resource(show_spinner="Đang mở kho số liệu… / Opening the store…")
def get_store(path: str):
    """The one read-write connection of this process (DuckDB allows one writer per file).

    A new store is created with the demo data; the inbox beside it is watched from a thread,
    unless SPRINT_INBOX=off.
    """
    is_new = not Path(path).exists()
    con = sprint.connect(path)
    # the dashboard shares the machine: DuckDB spills to disk beyond this rather than grow the process
    # (ten province heads opening their pages at once on a fresh server, national store: peak RSS
    # 1,098-1,139 MB with 1GB here, 789 MB with 512MB, their slowest first figure 2.4-2.9 s either way)
    con.execute("SET memory_limit = ?", [os.environ.get("SPRINT_MEMORY_LIMIT", "512MB")])
    sprint.init_store(con)
    if is_new:
        demo.build_demo(con)
    inbox = os.environ.get("SPRINT_INBOX", str(Path(path).parent / "inbox"))
    if inbox != "off":
        start_watcher(con, inbox, interval=1.0, settle=float(os.environ.get("SPRINT_INBOX_SETTLE", "1")))
    return con


def cursor():
    """A cursor of the store for this rerun (each thread reads through its own)."""
    return get_store(store_path()).cursor()


def begin_rerun() -> None:
    """Read the store's data versions afresh for this rerun (dashboard.py calls it before the
    page, the live status before it looks): those of every day now, those of a day when a read
    of it first asks (see _version_for)."""
    cur = cursor()
    st.session_state["_versions"] = {None: sprint.data_versions(cur)}
    st.session_state["_upload_version"] = sprint.upload_version(cur)


def _versions_as_of(day) -> dict[str, int]:
    versions = st.session_state["_versions"]
    if day not in versions:
        versions[day] = sprint.data_versions(cursor(), as_of=day)
    return versions[day]


def _version_for(function, arguments: dict) -> int:
    """The data version a read depends on: the upload history's for the history, else that of
    the unit the read is about (its subtree), the whole store's when it is about no one unit; of
    the day its figures run to (as_of, or a series' end), when it names one: a report dated
    after that day changes none of them, so a page on yesterday's complete day keeps its caches
    while today's reports come in."""
    if "_versions" not in st.session_state:  # a call outside a rerun (AppTest formatting a widget)
        begin_rerun()
    if function is sprint.upload_history:
        return st.session_state["_upload_version"]
    versions = _versions_as_of(arguments.get("as_of") or arguments.get("end"))
    scope = arguments.get("unit") or arguments.get("parent")
    return versions[scope] if scope in versions else max(versions.values(), default=0)


def shown_version() -> tuple:
    """What the page shows depends on: the nation's data version as of the page's day, and which
    days are the latest and the latest complete one. The live status reruns the page when it
    changes, and only then."""
    begin_rerun()
    day = st.session_state.get("as_of")
    return (max(_versions_as_of(day).values(), default=0), read(sprint.latest_date), read(sprint.complete_date))


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(_function, name: str, data_version: int, path: str, arguments: tuple):
    """A sprint read, computed once per data version and arguments (`name` keys the function)."""
    return _function(get_store(path).cursor(), **dict(arguments))


def read(function, **arguments):
    """function(cursor, **arguments) for a public read of `sprint`, cached until a figure it
    depends on changes."""
    return read_later(function, **arguments)()


def read_later(function, **arguments):
    """read() as a callable, its cache key fixed now, in this rerun: for a download made on the
    click, which Streamlit runs outside the session (where the data versions are not this
    reader's)."""
    return functools.partial(_cached, function, f"{function.__module__}.{function.__name__}",
                             _version_for(function, arguments), store_path(), tuple(sorted(arguments.items())))


def lang() -> str:
    return st.session_state.get("lang", "vi")


# what makes Markdown of text: links and images, HTML, emphasis, code, maths, tables and
# Streamlit's :colour[…] and :material/…: directives
MARKDOWN = re.compile(r"([\\`*_\[\]()<>!|~:$#&])")
# what makes a list item of the text's start ("- x", "+ x", "1. x", but not "12.345"); a quote's >
# is escaped above
LEADING_ITEM = re.compile(r"^(\s*)(?:([-+])|(\d+)\.)(?=\s|$)")


def plain(text) -> str:
    """User-provided text (a file name, a unit name) for Markdown: shown as written, never as a
    link, an image, a colour or a directive."""
    escaped = MARKDOWN.sub(r"\\\1", str(text))
    return LEADING_ITEM.sub(lambda m: f"{m[1]}\\{m[2]}" if m[2] else f"{m[1]}{m[3]}\\.", escaped)


def t(key: str, **values) -> str:
    """The label in the chosen language; the values filled in are shown as text (see plain)."""
    return i18n.t(key, lang(), **{name: plain(value) for name, value in values.items()})


def as_of():
    return st.session_state.get("as_of") or read(sprint.complete_date)


def my_unit() -> str | None:
    return st.session_state.get("my_unit")


def metric_label(metric: str) -> str:
    return metric_labels().get(metric, metric)


def metric_labels() -> dict[str, str]:
    """Every metric's name in the chosen language, for mapping whole columns."""
    metrics = read(sprint.metrics)
    return dict(zip(metrics["metric"], metrics["name_vi" if lang() == "vi" else "name_en"]))


@st.cache_data(max_entries=4, show_spinner=False)
def _unit_labels(data_version: int, path: str) -> dict[str, str]:
    units = sprint.units(get_store(path).cursor())
    return dict(zip(units["unit_code"], units["label"]))


def unit_labels() -> dict[str, str]:
    """Every unit's label, "name (code)", for pickers (a dictionary: 3,356 options format fast)."""
    return _unit_labels(_version_for(sprint.units, {}), store_path())


def unit_label(code: str | None) -> str:
    return unit_formatter()(code)


def unit_formatter(none_label: str | None = None):
    """format_func for a unit picker: the labels are looked up once, not once per option."""
    labels, none = unit_labels(), none_label or t("none")
    return lambda code: none if code is None else labels.get(code, code)


def show_rejection(rejection: sprint.ValidationError) -> None:
    """A rejected file, by the name its problems give it (a name refused for its length is cut):
    how many problems in all, then each (the first 200) as a table."""
    st.error(t("rejected", file=plain(rejection.file),
               problems=i18n.how_many(rejection.count, "problem_one", "problem_many", lang())))
    show_problems(rejection.problems)


def card_title(metric: str, status: str) -> str:
    """A figure card's first lines: the metric's name and its status badge (markdown)."""
    return f"**{plain(metric_label(metric))}**  \n{status_badge(status)}"


def status_badge(status: str) -> str:
    """The status as a coloured badge (markdown)."""
    return f":{i18n.STATUS_BADGES.get(status, 'gray')}-badge[{i18n.status_label(status, lang())}]"


def status_legend() -> str:
    """Every status as its badge: the legend of the colours used on every page."""
    return " ".join(status_badge(status) for status in i18n.STATUS)


def ceiling_badge(within: bool) -> str:
    """Lower is better: within the ceiling reads as achieved, over it as behind (the same colours)."""
    status = "achieved" if within else "behind"
    return f":{i18n.STATUS_BADGES[status]}-badge[{t('within_limit' if within else 'over_limit')}]"


def plotly_separators() -> str:
    """Plotly's decimal and thousands characters for the language (1.234.567,5 in Vietnamese)."""
    return i18n.plotly_separators(lang())


def require_data() -> bool:
    """Say so and stop drawing when the store has no counts yet."""
    if read(sprint.latest_date) is None:
        st.info(t("empty_store"))
        return False
    return True


def download_buttons(frame: pd.DataFrame, stem: str, key: str) -> None:
    from sprint.export import csv_bytes, excel_bytes

    left, right = st.columns(2)
    left.download_button(t("download_csv"), csv_bytes(frame), f"{stem}.csv", "text/csv",
                         key=f"{key}-csv", width="stretch")
    right.download_button(t("download_xlsx"), excel_bytes(frame, stem), f"{stem}.xlsx",
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}-xlsx", width="stretch")


def flags_table(flags: pd.DataFrame) -> None:
    """Reports that look wrong (sprint.anomalies or a file's flags), each in a sentence."""
    shown = flags.assign(metric=flags["metric"].map(metric_labels()).fillna(""), flag=i18n.flag_texts(flags, lang()))
    # the unit's name and what looks wrong first: on a phone they are what fits
    st.dataframe(shown[["unit_name", "flag", "metric", "date", "unit_code"]], hide_index=True, column_config={
        "date": date_column("count_date"), "unit_code": t("unit"), "unit_name": t("name"), "metric": t("metric"),
        "flag": t("flag")})


def table(frame: pd.DataFrame, columns: dict, kinds: dict[str, str] | None = None, **options) -> None:
    """The columns of frame as a table, in that order, each named by a label key or given its
    config. Numbers stay numbers, so a column sorts by value, and read as the page's language
    writes their kind (i18n.styled: a count unless kinds says percent, chance or status), never
    in the browser's locale as Streamlit's own number formats would."""
    config = {column: t(spec) if isinstance(spec, str) else spec for column, spec in columns.items()}
    st.dataframe(i18n.styled(frame[list(columns)], lang(), kinds), hide_index=True, column_config=config, **options)


def column(key: str, width: str | int):
    """A table's column named by a label key, at a width ("small", "medium", "large" or pixels)."""
    return st.column_config.Column(t(key), width=width)


def date_column(key: str):
    """A column of dates that sort as dates, written as the chosen language writes them."""
    return st.column_config.DateColumn(t(key), format="DD/MM/YYYY" if lang() == "vi" else "MMM D, YYYY")


def history_table(history: pd.DataFrame) -> None:
    """The upload history (sprint.upload_history) as a table in the reader's language."""
    if history.empty:
        st.caption(t("no_entries"))
        return
    language = lang()
    shown = history.assign(
        received_at=history["received_at"].map(lambda v: i18n.moment(v, language)),
        outcome=history["outcome"].map(lambda o: t(f"outcome_{o}")),
        kind=history["kind"].map(lambda k: t(f"kind_{k}")),
        uploaded_by=history["uploaded_by"].fillna(""),
    )
    table(shown, {"received_at": "received_at", "file_name": "file", "kind": "kind", "uploaded_by": "uploaded_by",
                  "rows": "row_count", "outcome": "outcome"})


def show_problems(problems) -> None:
    """Errors or warnings as the table a unit head reads: line, column, value, what is wrong. A
    static table: a long sentence wraps in its cell (a data grid cuts it off), and a problem of
    the whole file or line leaves its cells empty. st.table reads its cells as Markdown, and the
    column, the value and the sentence carry the file's own text: each is shown as written."""
    st.table(pd.DataFrame(
        [("" if p.line is None else str(p.line), plain(p.column or ""), plain(p.value or ""), plain(p.text(lang())))
         for p in problems],
        columns=[t("line"), t("column"), t("cell"), t("problem")],
    ), hide_index=True)


# ---------------------------------------------------------------- who is signed in

def provider_configured() -> bool:
    """Whether sign-in goes through an OpenID Connect provider ([auth] in .streamlit/secrets.toml)."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


PEER_HEADER = "x-sprint-peer"
TRUSTED_PROXIES = sprint.trusted_proxies(os.environ.get("SPRINT_TRUSTED_PROXIES"))


class PeerHeader:
    """ASGI middleware (app.py): writes the peer of each WebSocket connection into its handshake's
    headers as PEER_HEADER, dropping any header of that name the browser sent.

    Streamlit's st.context.ip_address cannot be used: it reports a local peer as None, and it is
    scope["client"], which uvicorn's proxy-headers middleware has already replaced with an
    X-Forwarded-For entry whenever the peer is in FORWARDED_ALLOW_IPS (by default 127.0.0.1 and
    ::1), so any local process, or a proxy that passes the browser's header on, could name any
    address. uvicorn's connection keeps the peer it accepted as the `client` of the protocol
    whose bound method `send` is (all three of its WebSocket implementations); under another
    server, scope["client"] is the best there is."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            peer = getattr(getattr(send, "__self__", None), "client", None) or scope.get("client")
            headers = [(name, value) for name, value in scope["headers"] if name.lower() != PEER_HEADER.encode()]
            if peer:
                headers.append((PEER_HEADER.encode(), str(peer[0]).encode("latin-1")))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


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


def role_label(role: str) -> str:
    return t(f"role_{role}")

"""A view's address: every choice a page offers lives in the URL's query string and is restored
from it, so a link to a view opens that view in another browser (issue 21). The page is the URL's
path (the navigation's); the language, the as-of day and the reader's unit are in every page's
address, each page's own choices in its own. Bookmarks of `?unit=` and `?lang=` keep working.

An as-of day the reader did not pick is left out: such a link follows the latest complete day.
A value the store does not know (a unit, a day past the latest) is dropped, and the page says so.
"""
from __future__ import annotations

from datetime import date
from urllib.parse import urlencode, urlsplit

import streamlit as st

# a choice's key in the session state -> its name in the address: on every page
SHARED = {"lang": "lang", "as_of": "as_of", "my_unit": "unit"}
# and on each page (by its url_path; "home" is the default page at "/")
ON_PAGE = {
    "home": {"progress_scope": "scope"},
    "progress": {"progress_scope": "scope"},
    "provinces": {"provinces_parent": "parent", "provinces_metric": "metric"},
    "leaderboard": {"board_metric": "metric", "board_level": "level", "board_parent": "parent"},
    "late_payers": {"late_payers_scope": "scope", "late_payers_months": "months"},
    "results": {"results_phase": "phase", "results_level": "level", "results_metric": "metric"},
    "network": {"network_scope": "scope", "network_grassroots": "in", "network_metric": "metric",
                "network_kind": "kind"},
    "audit": {"audit_unit": "about", "audit_account": "account", "audit_kind": "kind", "audit_since": "since"},
}
DATES = {"as_of", "audit_since"}
NUMBERS = {"results_phase", "late_payers_months"}
UNITS = {"my_unit", "progress_scope", "provinces_parent", "board_parent", "audit_unit", "network_scope",
         "network_grassroots", "late_payers_scope"}


def choices(page: str) -> dict[str, str]:
    return {**SHARED, **ON_PAGE.get(page, {})}


def restore(page: str, *, units: set[str], latest: date | None) -> list[str]:
    """Put the address's choices for `page` into the session state where the reader has not
    chosen yet (a new session, a link just opened). The names of the values dropped."""
    dropped = []
    for key, name in choices(page).items():
        text = st.query_params.get(name)
        if text is None or key in st.session_state:
            continue
        value = _read(key, text, units=units, latest=latest)
        if value is None:
            dropped.append(name)
            continue
        st.session_state[key] = value
        if key == "as_of":
            st.session_state["as_of_follows_default"] = False
    return dropped


def _read(key: str, text: str, *, units: set[str], latest: date | None):
    if key == "lang":
        return text if text in ("vi", "en") else None
    if key in DATES:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        return day if key != "as_of" or latest is None or day <= latest else None
    if key in UNITS:
        return text if text in units else None
    if key in NUMBERS:
        return int(text) if text.isdigit() else None
    return text


def write(page: str) -> None:
    """The address of the view now shown: its choices as they are after this run (a parameter
    of a widget Streamlit binds itself, a page's open tab, is kept as it is)."""
    managed = {name for names in (SHARED, *ON_PAGE.values()) for name in names.values()}
    values = {name: value for name, value in st.query_params.to_dict().items() if name not in managed}
    for key, name in choices(page).items():
        value = st.session_state.get(key)
        if value is None or (key == "as_of" and st.session_state.get("as_of_follows_default", True)):
            continue
        values[name] = value.isoformat() if isinstance(value, date) else str(value)
    if st.query_params.to_dict() != values:
        st.query_params.from_dict(values)


def link(page: str) -> str:
    """The whole link to the view now shown (the server's address as the browser reached it)."""
    where = urlsplit(st.context.url or "http://localhost:8501/")
    path = "" if page == "home" else page
    query = urlencode(dict(st.query_params))
    return f"{where.scheme}://{where.netloc}/{path}" + (f"?{query}" if query else "")

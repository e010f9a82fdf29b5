"""The dashboard of every browser session (app.py serves it: `streamlit run app.py`).

The entry point draws the shared sidebar (language, as-of date, my unit, live status) and runs
the page chosen in the navigation. Pages only render what `sprint` computes.
"""
from __future__ import annotations

import streamlit as st

import sprint
from pages import address, bell, reads, session, sign_in, ui
from sprint import i18n

ui.route_through_app()
st.set_page_config(page_title="Sprint BHXH", page_icon=":material/trending_up:", layout="wide")
st.session_state.setdefault("lang", "en" if st.query_params.get("lang") == "en" else "vi")
st.session_state.setdefault("as_of_follows_default", True)

PAGES = {
    # the default page lives at "/"; "/progress" (a bookmark) is the same page under its own name
    "progress": st.Page("pages/progress.py", title=ui.t("page_progress"), icon=":material/trending_up:",
                        url_path="home", default=True),
    "progress_named": st.Page("pages/progress.py", title=ui.t("page_progress"), url_path="progress"),
    "provinces": st.Page("pages/provinces.py", title=ui.t("page_provinces"), icon=":material/map:",
                         url_path="provinces"),
    "leaderboard": st.Page("pages/leaderboard.py", title=ui.t("page_leaderboard"),
                           icon=":material/leaderboard:", url_path="leaderboard"),
    "results": st.Page("pages/results.py", title=ui.t("page_results"), icon=":material/emoji_events:",
                       url_path="results"),
    "late_payers": st.Page("pages/late_payers.py", title=ui.t("page_late_payers"), icon=":material/money_off:",
                           url_path="late_payers"),
    "network": st.Page("pages/network.py", title=ui.t("page_network"), icon=":material/hub:",
                       url_path="network"),
    "upload": st.Page("pages/upload.py", title=ui.t("page_upload"), icon=":material/upload_file:",
                      url_path="upload"),
    "admin": st.Page("pages/admin.py", title=ui.t("page_admin"), icon=":material/settings:", url_path="admin"),
    "audit": st.Page("pages/audit.py", title=ui.t("page_audit"), icon=":material/manage_accounts:",
                     url_path="audit"),
}
# every page's URL is known to the navigation (no "page not found" for a page a role may not open); the menu in
# the sidebar lists only the pages the signed-in role may open
page = st.navigation(list(PAGES.values()), position="hidden")

try:
    reads.begin_page()
    viewer = session.viewer()
except sprint.SprintError as failure:  # e.g. another program holds the store
    st.error(ui.plain(failure))
    st.stop()

if viewer is None:
    with st.sidebar:
        st.segmented_control(ui.t("language"), list(i18n.LANGUAGES), format_func=i18n.LANGUAGES.get,
                             key="lang", required=True)
    session.say_failure()
    sign_in.render()  # the sign-in screen is all a visitor sees, whatever the URL
    st.stop()
allowed = [PAGES[name] for name in viewer.pages]  # sprint.accounts.PAGES
opens = {link.url_path for link in allowed} | {PAGES["progress_named"].url_path}
# a link's choices (pages/address.py), where this session has not chosen yet
unknown_in_link = address.restore(page.url_path, units=set(reads.read(sprint.units)["unit_code"]),
                                  latest=reads.latest_date())


def _as_of_changed() -> None:
    st.session_state["as_of_follows_default"] = st.session_state.get("as_of") == reads.complete_date()


def _show_day(day) -> None:
    st.session_state["as_of"] = day
    st.session_state["_day_switched"] = True  # a button of a fragment: the whole page must follow
    _as_of_changed()


@st.fragment(run_every=reads.REFRESH_SECONDS)
def partial_day_banner(latest, complete) -> None:
    """Later days than the complete one are offered, never shown by default: one early report
    would otherwise move every figure to a day most units have not reported yet. How many have
    reported moves with each report, in this fragment alone (the page's figures do not change)."""
    if st.session_state.pop("_day_switched", False):
        st.rerun()
    if reads.fragment_run():
        reads.begin_rerun()
    days = reads.reporting_days()
    day = days.loc[days["date"].dt.date == latest].iloc[0]
    done, expected = (i18n.number(day[column], ui.lang()) for column in ("reported", "expected"))
    words = {"day": i18n.day(latest, ui.lang()), "done": done, "total": expected,
             "complete": i18n.day(complete, ui.lang())}
    if st.session_state.get("as_of") == latest:
        st.warning(ui.t("partial_day_shown", **words), icon=":material/warning:")
        st.button(ui.t("back_to_complete_day", **words), on_click=_show_day, args=(complete,),
                  key="show_complete_day")
    else:
        with st.container(horizontal=True, vertical_alignment="center"):
            st.info(ui.t("partial_day_offered", **words), icon=":material/schedule:")
            st.button(ui.t("see_partial_day", **words), on_click=_show_day, args=(latest,),
                      key="show_partial_day")


with st.sidebar:
    for link in allowed:
        st.page_link(link)
    st.segmented_control(ui.t("language"), list(i18n.LANGUAGES), format_func=i18n.LANGUAGES.get,
                         key="lang", required=True)
    latest, complete = reads.latest_date(), reads.complete_date()
    if latest is not None:
        if st.session_state["as_of_follows_default"] or "as_of" not in st.session_state:
            st.session_state["as_of"] = complete  # the latest complete day, unless the reader picked another
        st.date_input(ui.t("as_of"), key="as_of", max_value=latest, format="DD/MM/YYYY",
                      on_change=_as_of_changed)
    units = reads.read(sprint.units)
    choices = [None, *units.loc[units["depth"] > 0, "unit_code"]]  # searchable: type a name or a code
    st.selectbox(ui.t("my_unit"), choices, key="my_unit",
                 format_func=ui.unit_formatter())


@st.fragment(run_every=reads.REFRESH_SECONDS)
def live_status() -> None:
    """Look at the store's publication; when something the page shows changed in it (a report
    for the page's day or before, of a unit it shows, or a new latest or complete day), rerun the
    whole page with the new figures. Any other report reruns only this and the reporting line
    (partial_day_banner)."""
    if reads.fragment_run():
        reads.begin_rerun()
        if reads.page_outdated():
            st.rerun()
    latest = reads.read(sprint.upload_history, kinds=("counts",), outcome="committed", limit=3)
    # live, or (a replica cut off from PostgreSQL) showing what it has
    status = f":green[●] {ui.t('live')}" if reads.store_reachable() else f":orange[●] {ui.t('record_unreachable')}"
    # the time a report last came in, said as such: it is not the day the figures run to (the as-of date)
    st.caption(f"{status} · " + ui.t(
        "last_report_received", moment=i18n.moment(latest["received_at"].iloc[0] if len(latest) else None,
                                                   ui.lang())))
    if len(latest):
        st.caption(ui.t("latest_uploads"))
        for upload in latest.itertuples():
            who = (ui.plain(upload.first_unit) if upload.units == 1
                   else f"{i18n.number(upload.units, ui.lang())} {ui.t('units')}")
            st.caption(f"• {who} — {i18n.moment(upload.received_at, ui.lang())} · "
                       f"{i18n.how_many(upload.rows, 'row', 'rows', ui.lang())} ({ui.plain(upload.file_name)})")


with st.sidebar:
    live_status()
    bell.bell(viewer)
    link_slot = st.empty()  # filled once the page has run: the link carries the choices it made
    with st.popover(ui.t("api_tokens"), icon=":material/key:", width="stretch"):
        session.api_tokens(viewer)
    st.caption(ui.t("signed_in_as", name=viewer.name, role=ui.role_label(viewer.role)))
    st.button(ui.t("sign_out"), on_click=session.sign_out, key="sign_out", icon=":material/logout:")

session.say_failure()
if unknown_in_link:
    st.info(ui.t("link_values_dropped", names=", ".join(unknown_in_link)), icon=":material/link_off:")
if page.url_path in opens:
    if latest is not None and latest > complete and page.url_path not in ("upload", "admin", "audit"):
        partial_day_banner(latest, complete)
    page.run()
else:
    st.warning(ui.t("page_not_allowed", role=ui.role_label(viewer.role)))
address.write(page.url_path)
with link_slot.container(), st.popover(ui.t("link_to_view"), icon=":material/link:", width="stretch"):
    st.caption(ui.t("link_to_view_help"))
    st.code(address.link(page.url_path), language=None, wrap_lines=True)
reads.end_page()

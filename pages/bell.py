"""The bell in the sidebar: the alerts a reader is concerned with (sprint.alerts), the new ones
counted, each with a link to the view that shows it."""
from __future__ import annotations

import streamlit as st

from pages import reads, ui
from sprint import i18n
from sprint import alerts as alerting

SHOWN = 20


def _seen(account: str, until: int) -> None:
    alerting.mark_seen(reads.cursor(), account=account, until=until)


def bell(viewer) -> None:
    lang = ui.lang()
    listed = alerting.alerts_for(reads.cursor(), account=viewer.name, scope=viewer.scope, limit=SHOWN)
    new = int(listed["new"].sum()) if len(listed) else 0
    label = f"{ui.t('alerts_bell')} ({new})" if new else ui.t("alerts_bell")
    with st.popover(label, icon=":material/notifications_active:" if new else ":material/notifications:",
                    width="stretch"):
        if listed.empty:
            st.caption(ui.t("alerts_none"))
            return
        names = alerting.metric_names(reads.cursor(), lang)
        for row in listed.to_dict("records"):
            page = alerting.VIEWS.get(row["rule"], "")
            mark = "**" if row["new"] else ""
            st.markdown(f"{i18n.day_month(row['day'], lang)} · {mark}{ui.plain(alerting.describe(row, lang, names))}{mark} "
                        f"[{ui.t('alerts_open')}](/{page}?scope={row['unit_code']}&lang={lang})")
        if new:
            st.button(ui.t("alerts_seen"), key="alerts_seen", on_click=_seen,
                      args=(viewer.name, int(listed["alert_id"].max())))

"""The subscription form of the briefing by e-mail: a reader's own (the progress page) and an
administrator's for a list of accounts (the accounts page). sprint.delivery sends them."""
from __future__ import annotations

import streamlit as st

import sprint
from sprint.delivery import FREQUENCIES
from pages import reads, ui


def _choices(key: str) -> tuple[str, str, int | None]:
    """How often, at what time, on which weekday: the form's fields."""
    left, middle, right = st.columns(3)
    frequency = left.selectbox(ui.t("subscribe_frequency"), list(FREQUENCIES), key=f"{key}_frequency",
                               format_func=lambda f: ui.t(f"frequency_{f}"))
    at = middle.time_input(ui.t("subscribe_at"), value="06:30", key=f"{key}_at", step=900)
    weekday = right.selectbox(ui.t("subscribe_weekday"), range(1, 8), key=f"{key}_weekday",
                              format_func=lambda d: ui.t(f"weekday_{d}"), disabled=frequency != "weekly")
    return frequency, at.strftime("%H:%M"), weekday if frequency == "weekly" else None


def _act(action, **arguments) -> None:
    """A button's act (its callback, so it runs once per click): a refusal is said on the next run."""
    try:
        action(reads.cursor(), **arguments)
    except sprint.SprintError as refused:
        st.session_state["subscribe_refused"] = str(refused)


def _say_refusal() -> None:
    refused = st.session_state.pop("subscribe_refused", None)
    if refused:
        st.error(ui.plain(refused))


def own_subscription(viewer, unit: str) -> None:
    """The reader's own subscriptions, each with its unsubscribe button, and the form to add one."""
    mine = sprint.subscriptions(reads.cursor(), account=viewer.name)
    email = sprint.email_of(reads.cursor(), viewer.name)
    with st.expander(ui.t("subscribe_title"), icon=":material/mail:"):
        for row in mine.itertuples():
            frequency = ui.t(f"frequency_{row.frequency}").lower()
            if row.frequency == "weekly":
                frequency += f" ({ui.t(f'weekday_{int(row.weekday)}')})"
            st.caption(ui.t("subscribed", unit=ui.unit_label(row.unit_code), frequency=frequency, at=row.send_at,
                            email=row.email))
            st.button(ui.t("unsubscribe_button"), key=f"unsubscribe_{row.subscription_id}", on_click=_act,
                      args=(sprint.unsubscribe,), kwargs={"subscription_id": int(row.subscription_id), "by": viewer.name})
        _say_refusal()
        if not isinstance(email, str) or not email:
            st.caption(ui.t("subscribe_no_email"))
            return
        frequency, at, weekday = _choices("subscribe")
        st.button(ui.t("subscribe_button"), key="subscribe", type="primary", on_click=_act, args=(sprint.subscribe,),
                  kwargs={"account": viewer.name, "frequency": frequency, "send_at": at, "weekday": weekday,
                          "unit": unit if viewer.scope else None, "lang": ui.lang(), "by": viewer.name})


def _subscribe_many(names: list[str], frequency: str, at: str, weekday: int | None, by: str) -> None:
    for name in names:
        _act(sprint.subscribe, account=name, frequency=frequency, send_at=at, weekday=weekday, lang=ui.lang(), by=by)


def accounts_subscription(viewer, accounts) -> None:
    """An administrator subscribes a list of accounts: each receives their own unit's briefing."""
    st.subheader(ui.t("subscribe_accounts"))
    with_email = accounts.loc[accounts["email"].notna() & ~accounts["disabled"], "name"].tolist()
    chosen = st.multiselect(ui.t("account_name"), with_email, key="subscribe_accounts")
    frequency, at, weekday = _choices("subscribe_many")
    st.button(ui.t("subscribe_button"), key="subscribe_many", disabled=not chosen, on_click=_subscribe_many,
              args=(chosen, frequency, at, weekday, viewer.name))
    _say_refusal()
    listed = sprint.subscriptions(reads.cursor())
    if len(listed):
        st.caption(ui.t("subscriptions_table"))
        ui.table(listed.assign(frequency=listed["frequency"].map(lambda f: ui.t(f"frequency_{f}")),
                               last_status=listed["last_status"].map(lambda s: ui.t(f"outcome_{s}")
                                                                     if isinstance(s, str) else "")),
                 {"account": "account_name", "email": "email", "unit_code": "unit", "frequency": "subscribe_frequency",
                  "send_at": "subscribe_at", "last_period": "delivery_period", "last_status": "outcome"})

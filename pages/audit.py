"""Accounts and audit, for administrators: who did what and when; who may sign in."""
import streamlit as st

import sprint
from pages import reads, session, subscribe, ui
from sprint import i18n
from sprint.audit import KINDS

ui.route_through_app()

lang = ui.lang()
st.title(ui.t("page_audit"))
# the open tab is in the address too (Streamlit's own binding: ?audit_tab=<label>)
log_tab, accounts_tab, quality_tab = st.tabs([ui.t("audit_log"), ui.t("accounts"), ui.t("data_quality")],
                                             key="audit_tab", bind="query-params")

with log_tab:
    st.caption(ui.t("audit_help"))
    units, accounts = reads.read(sprint.units), sprint.list_accounts(reads.cursor())
    unit_col, account_col, kind_col, since_col = st.columns(4)
    unit = unit_col.selectbox(ui.t("unit"), [None, *units["unit_code"]], key="audit_unit",
                              format_func=ui.unit_formatter(ui.t("all")))
    account = account_col.selectbox(ui.t("account_name"), [None, *accounts["name"]], key="audit_account",
                                    format_func=lambda name: ui.t("all") if name is None else name)
    kind = kind_col.selectbox(ui.t("audit_kind"), [None, *KINDS], key="audit_kind",
                              format_func=lambda k: ui.t("all") if k is None else ui.t(f"kind_{k}"))
    since = since_col.date_input(ui.t("since"), value=None, format="DD/MM/YYYY", key="audit_since")
    # the log changes with every action, not only with the counts: read it fresh, never cached
    log = sprint.audit_log(reads.cursor(), since=since, unit=unit, account=account, kind=kind, limit=None)
    if log.empty:
        st.info(ui.t("no_entries"))
    else:
        shown = log.head(1000).assign(
            detail=lambda f: f["detail"].where(f["outcome"] != "rejected", f.loc[f["outcome"] == "rejected", "detail"].map(
                lambda n: i18n.how_many(int(n), "problem_one", "problem_many", lang))),
            logged_at=lambda f: f["logged_at"].map(lambda v: i18n.moment(v, lang)),
            kind=lambda f: f["kind"].map(lambda k: ui.t(f"kind_{k}")),
            outcome=lambda f: f["outcome"].map(lambda o: ui.t(f"outcome_{o}") if o else ""),
            unit_name=lambda f: f["unit_name"].fillna(f["unit_code"]).fillna(""),
            metric=lambda f: f["metric"].map(ui.metric_labels()).fillna(""),
            # most entries have no count, date or value: text with "–" (a missing number of a number
            # column would read "None"); the log is read in time order, not sorted by these
            rows=lambda f: i18n.numbers(f["rows"], lang), date=lambda f: i18n.days(f["date"], lang),
            old_value=lambda f: i18n.numbers(f["old_value"], lang),
            new_value=lambda f: i18n.numbers(f["new_value"], lang),
            file_name=lambda f: f["file_name"].fillna(""),
            address=lambda f: f["address"].fillna(""),
        )
        shown["detail"] = shown["detail"].fillna("")
        shown = shown[["logged_at", "account", "kind", "outcome", "unit_name", "file_name", "rows", "date",
                       "metric", "old_value", "new_value", "detail", "address"]]
        st.dataframe(shown, hide_index=True, column_config={
            "logged_at": ui.t("logged_at"), "account": ui.t("account_name"),
            "kind": ui.t("audit_kind"), "outcome": ui.t("outcome"), "unit_name": ui.t("unit"),
            "file_name": ui.t("file"), "rows": ui.t("row_count"), "date": ui.t("count_date"),
            "metric": ui.t("metric"), "old_value": ui.t("old_value"), "new_value": ui.t("new_value"),
            "detail": ui.t("detail"), "address": ui.t("address")})
        ui.download_buttons(log, "nhat-ky", "audit")

with accounts_tab:
    viewer = session.viewer()
    if "account_flash" in st.session_state:
        st.success(st.session_state.pop("account_flash"))
    shown = accounts.assign(role=accounts["role"].map(ui.role_label), email=accounts["email"].fillna(""),
                            unit_name=accounts["unit_name"].fillna(""),
                            created_at=accounts["created_at"].map(lambda v: i18n.moment(v, lang)),
                            last_sign_in=accounts["last_sign_in"].map(lambda v: i18n.moment(v, lang)))
    st.dataframe(shown[["name", "role", "unit_name", "email", "disabled", "created_at", "last_sign_in"]],
                 hide_index=True, column_config={
                     "name": ui.t("account_name"), "role": ui.t("role"), "unit_name": ui.t("unit"),
                     "email": ui.t("email"), "disabled": ui.t("disabled"),
                     "created_at": ui.t("created_at"), "last_sign_in": ui.t("last_sign_in")})
    with st.form("add_account", clear_on_submit=True):
        st.subheader(ui.t("add_account"))
        name_col, role_col, unit_col = st.columns(3)
        name = name_col.text_input(ui.t("account_name"), key="new_account_name")
        role = role_col.selectbox(ui.t("role"), sprint.accounts.ROLES, format_func=ui.role_label,
                                  key="new_account_role")
        unit = unit_col.selectbox(ui.t("unit"), [None, *units["unit_code"]], key="new_account_unit",
                                  format_func=ui.unit_formatter())
        email_col, password_col = st.columns(2)
        email = email_col.text_input(ui.t("email"), key="new_account_email")
        password = password_col.text_input(ui.t("password"), type="password", key="new_account_password",
                                           autocomplete="new-password")
        if st.form_submit_button(ui.t("add_account"), type="primary"):
            try:
                sprint.add_account(reads.cursor(), name.strip().lower(), role=role,
                                   unit=unit if role == "unit" else None, email=email.strip() or None,
                                   password=password or None, by=viewer.name)
            except sprint.SprintError as refused:  # a name taken, a password too short, the store full
                st.error(ui.plain(refused))
            else:
                st.session_state["account_flash"] = ui.t("account_added", name=name)
                st.rerun()
    chosen = st.selectbox(ui.t("account_name"), accounts["name"], key="change_account", index=None,
                          placeholder=ui.t("choose_account"))
    if chosen:
        disabled = bool(accounts.loc[accounts["name"] == chosen, "disabled"].iloc[0])
        label = ui.t("enable_account") if disabled else ui.t("disable_account")
        if st.button(label, key="toggle_account", disabled=chosen == viewer.name):
            try:
                sprint.set_disabled(reads.cursor(), chosen, not disabled, by=viewer.name)
            except sprint.SprintError as failure:
                st.error(ui.plain(failure))
            else:
                st.session_state["account_flash"] = ui.t("account_changed", name=chosen)
                st.rerun()
    subscribe.accounts_subscription(viewer, accounts)


with quality_tab:
    as_of = reads.as_of()
    st.caption(ui.t("data_quality_help", day=i18n.day(as_of, lang)))
    flags = reads.read(sprint.anomalies, as_of=as_of, unit="VN") if as_of else None
    if flags is None or flags.empty:
        st.success(ui.t("no_flags", day=i18n.day(as_of, lang)))
    else:
        ui.flags_table(flags)

"""The sign-in screen: all a visitor who is not signed in sees, whatever the URL."""
import streamlit as st

import sprint
from pages import reads, session, ui


def _submit() -> None:
    """The form's callback (it runs once per click, before the script): sign in, or keep why not."""
    try:
        session.sign_in(st.session_state["sign_in_name"], st.session_state["sign_in_password"])
    except sprint.SignInError as refused:
        st.session_state["sign_in_refused"] = refused
    except sprint.SprintError as failure:  # the store could not record the sign-in
        session.keep_failure(failure)
    st.session_state["sign_in_password"] = ""


def render() -> None:
    st.title(ui.t("sign_in_title"))
    st.write(ui.t("sign_in_help"))
    if st.session_state.pop("session_expired", False):
        st.info(ui.t("session_expired"))
    if session.provider_configured():
        unknown = st.session_state.get("unknown_identity")
        if unknown:
            st.error(ui.t("sign_in_unknown_identity", email=unknown))
            st.button(ui.t("sign_out"), on_click=session.sign_out)
        else:
            st.button(ui.t("sign_in_provider"), type="primary", on_click=st.login)
        return
    with st.form("sign_in", enter_to_submit=True, width=420):
        st.text_input(ui.t("account_name"), key="sign_in_name", autocomplete="username")
        st.text_input(ui.t("password"), type="password", key="sign_in_password", autocomplete="current-password")
        st.form_submit_button(ui.t("sign_in"), type="primary", on_click=_submit)
    refused = st.session_state.pop("sign_in_refused", None)
    if refused is not None:
        st.error(ui.t("sign_in_wrong") if refused.wait is None
                 else ui.t("sign_in_wait", seconds=int(refused.wait.total_seconds()) + 1))
    demo = sprint.demo_accounts(reads.cursor())  # changes with the accounts, not with the counts
    if demo:
        st.caption(ui.t("demo_accounts", accounts="; ".join(
            f"{name} / {password} ({ui.role_label(role)})" for name, role, password in demo)))

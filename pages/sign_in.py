"""The sign-in screen: all a visitor who is not signed in sees, whatever the URL."""
import streamlit as st

import sprint
from pages import common


def _submit() -> None:
    """The form's callback (it runs once per click, before the script): sign in, or keep why not."""
    try:
        common.sign_in(st.session_state["sign_in_name"], st.session_state["sign_in_password"])
    except sprint.SignInError as refused:
        st.session_state["sign_in_refused"] = refused
    except sprint.SprintError as failure:  # the store could not record the sign-in
        common.keep_failure(failure)
    st.session_state["sign_in_password"] = ""


def render() -> None:
    st.title(common.t("sign_in_title"))
    st.write(common.t("sign_in_help"))
    if st.session_state.pop("session_expired", False):
        st.info(common.t("session_expired"))
    if common.provider_configured():
        unknown = st.session_state.get("unknown_identity")
        if unknown:
            st.error(common.t("sign_in_unknown_identity", email=unknown))
            st.button(common.t("sign_out"), on_click=common.sign_out)
        else:
            st.button(common.t("sign_in_provider"), type="primary", on_click=st.login)
        return
    with st.form("sign_in", enter_to_submit=True, width=420):
        st.text_input(common.t("account_name"), key="sign_in_name", autocomplete="username")
        st.text_input(common.t("password"), type="password", key="sign_in_password", autocomplete="current-password")
        st.form_submit_button(common.t("sign_in"), type="primary", on_click=_submit)
    refused = st.session_state.pop("sign_in_refused", None)
    if refused is not None:
        st.error(common.t("sign_in_wrong") if refused.wait is None
                 else common.t("sign_in_wait", seconds=int(refused.wait.total_seconds()) + 1))
    demo = sprint.demo_accounts(common.cursor())  # changes with the accounts, not with the counts
    if demo:
        st.caption(common.t("demo_accounts", accounts="; ".join(
            f"{name} / {password} ({common.role_label(role)})" for name, role, password in demo)))

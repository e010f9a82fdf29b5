"""Targets and units, for administrators: view them, and replace them from files with the same checks."""
import streamlit as st

import sprint
from pages import common
from sprint import i18n

common.route_through_app()

lang = common.lang()
st.title(common.t("page_admin"))


def load(loader, upload, key: str, options: dict, by: str) -> None:
    """Load the file (a button callback, so it runs once per click) and keep the verdict."""
    try:
        result = loader(common.cursor(), upload.getvalue(), name=upload.name, uploaded_by=by, **options)
    except sprint.SprintError as failure:
        st.session_state[f"{key}_outcome"] = (upload.name, failure)
    else:
        st.session_state[f"{key}_outcome"] = (upload.name, result)


def load_section(label: str, loader, key: str, confirm: str | None = None) -> None:
    """A file picker and its Load button; `confirm` names a loader option the user must tick."""
    upload = st.file_uploader(label, type=["csv", "xlsx"], key=f"{key}_file")
    if upload is None:
        st.session_state.pop(f"{key}_outcome", None)
        return
    options = {confirm: st.checkbox(common.t(confirm), key=f"{key}_{confirm}")} if confirm else {}
    st.button(common.t("load"), key=f"{key}_load", on_click=load,
              args=(loader, upload, key, options, common.viewer().name))
    name, outcome = st.session_state.get(f"{key}_outcome", (None, None))
    if name != upload.name:
        return
    if isinstance(outcome, sprint.ValidationError):
        common.show_rejection(outcome)
    elif isinstance(outcome, sprint.SprintError):
        st.error(common.plain(outcome))
    else:
        st.success(common.t("loaded", file=name, rows=i18n.number(outcome.rows, lang)))


units_tab, targets_tab = st.tabs([common.t("unit_tree"), common.t("targets_table")])
with units_tab:
    load_section(common.t("units_file"), sprint.load_units, "units")
    units = common.read(sprint.units)
    # a unit without population or labour force is written "–" (a missing number would read "None")
    shown = units.assign(parent_code=units["parent_code"].fillna(""),
                         population=i18n.numbers(units["population"], lang),
                         labour_force=i18n.numbers(units["labour_force"], lang))
    st.dataframe(shown[["unit_code", "name", "parent_code", "depth", "population", "labour_force"]],
                 hide_index=True, column_config={
                     "unit_code": common.t("unit"), "name": common.t("name"), "parent_code": common.t("parent"),
                     "depth": common.t("level"), "population": common.t("population"),
                     "labour_force": common.t("labour_force")})
with targets_tab:
    load_section(common.t("targets_file"), sprint.load_targets, "targets", confirm="replace_all")
    targets = common.read(sprint.targets)
    # the targets as text in the page's language: styling a national store's 43,000 rows (i18n.styled) takes seconds
    shown = targets.assign(metric=targets["metric"].map(common.metric_labels()), target=i18n.numbers(targets["target"], lang))
    st.dataframe(shown, hide_index=True, column_config={
        "campaign_id": common.t("campaign"), "unit_code": common.t("unit"), "unit_name": common.t("name"),
        "metric": common.t("metric"), "milestone": common.date_column("milestone"), "target": common.t("target")})

st.subheader(common.t("history"))
common.history_table(common.read(sprint.upload_history, limit=30, kinds=("units", "targets")))

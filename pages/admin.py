"""Targets and units, for administrators: view them, and replace them from files with the same
checks; and the counts of earlier years (reference history)."""
import functools

import streamlit as st

import sprint
from pages import reads, session, ui
from sprint import i18n

ui.route_through_app()

lang = ui.lang()
st.title(ui.t("page_admin"))


def load(loader, upload, key: str, options: dict, by: str) -> None:
    """Load the file (a button callback, so it runs once per click) and keep the verdict."""
    try:
        result = loader(reads.cursor(), upload.getvalue(), name=upload.name, uploaded_by=by, **options)
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
    options = {confirm: st.checkbox(ui.t(confirm), key=f"{key}_{confirm}")} if confirm else {}
    st.button(ui.t("load"), key=f"{key}_load", on_click=load,
              args=(loader, upload, key, options, session.viewer().name))
    name, outcome = st.session_state.get(f"{key}_outcome", (None, None))
    if name != upload.name:
        return
    if isinstance(outcome, sprint.ValidationError):
        ui.show_rejection(outcome)
    elif isinstance(outcome, sprint.SprintError):
        st.error(ui.plain(outcome))
    else:
        st.success(ui.t("loaded", file=name, rows=i18n.number(outcome.rows, lang)))


# the open tab is in the address too (Streamlit's own binding: ?admin_tab=<label>)
units_tab, targets_tab, reference_tab, network_tab = st.tabs(
    [ui.t("unit_tree"), ui.t("targets_table"), ui.t("reference_history"), ui.t("page_network")],
    key="admin_tab", bind="query-params")
with units_tab:
    load_section(ui.t("units_file"), sprint.load_units, "units")
    units = reads.read(sprint.units)
    # a unit without population or labour force is written "–" (a missing number would read "None")
    shown = units.assign(parent_code=units["parent_code"].fillna(""),
                         population=i18n.numbers(units["population"], lang),
                         labour_force=i18n.numbers(units["labour_force"], lang))
    st.dataframe(shown[["unit_code", "name", "parent_code", "depth", "population", "labour_force"]],
                 hide_index=True, column_config={
                     "unit_code": ui.t("unit"), "name": ui.t("name"), "parent_code": ui.t("parent"),
                     "depth": ui.t("level"), "population": ui.t("population"),
                     "labour_force": ui.t("labour_force")})
with targets_tab:
    load_section(ui.t("targets_file"), sprint.load_targets, "targets", confirm="replace_all")
    targets = reads.read(sprint.targets)
    # the targets as text in the page's language: styling a national store's 43,000 rows (i18n.styled) takes seconds
    shown = targets.assign(metric=targets["metric"].map(ui.metric_labels()), target=i18n.numbers(targets["target"], lang))
    st.dataframe(shown, hide_index=True, column_config={
        "campaign_id": ui.t("campaign"), "unit_code": ui.t("unit"), "unit_name": ui.t("name"),
        "metric": ui.t("metric"), "milestone": ui.date_column("milestone"), "target": ui.t("target")})

with reference_tab:
    st.caption(ui.t("reference_help"))
    load_section(ui.t("reference_file"), functools.partial(sprint.ingest, reference=True), "reference")

with network_tab:
    st.caption(ui.t("network_admin_help"))
    load_section(ui.t("network_file"), sprint.load_collectors, "network")
    load_section(ui.t("network_targets_file"), sprint.load_network_targets, "network_targets", confirm="replace_all")
    roster = reads.read(sprint.collectors)
    shown = roster.assign(kind=roster["kind"].map(lambda k: ui.t(f"collector_{k}")),
                          organisation_name=roster["organisation_name"].fillna(""))
    ui.table(shown, {"collector_code": "collector_code", "name": "name", "kind": "kind",
                     "unit_name": "contracted_by", "organisation_name": "organisation"})

st.subheader(ui.t("history"))
ui.history_table(reads.read(sprint.upload_history, limit=30,
                            kinds=("units", "targets", "reference", "collectors", "network_targets")))

"""Upload: the day's report, checked in full before anything is saved."""
import streamlit as st

import sprint
from pages import reads, session, ui
from sprint import i18n
from sprint.export import counts_template

ui.route_through_app()

lang = ui.lang()
st.title(ui.t("page_upload"))
st.write(ui.t("upload_help"))
viewer = session.viewer()
mine = viewer.scope or reads.my_unit()  # a unit head sends for their own subtree; an administrator for any
if viewer.scope:
    st.caption(ui.t("upload_scope", unit=ui.unit_label(viewer.scope)))
# what is sent: a unit's counts, or the reports of the collection network's points and staff
SENDERS = {"counts": sprint.ingest, "network": sprint.ingest_collections, "late_payers": sprint.ingest_late_payers}
kind = st.segmented_control(ui.t("upload_kind"), list(SENDERS), default="counts", required=True,
                            format_func=lambda k: ui.t(f"upload_kind_{k}"), key="upload_kind")
if kind == "network":
    st.caption(ui.t("upload_network_help"))
ingest = SENDERS[kind]
who = {"network": "collector_code", "late_payers": "employer_code"}.get(kind, "unit_code")
# the template of what is sent: the grassroots units', or the points' and staff's, each with its last report
TEMPLATES = {"counts": sprint.template_rows, "network": sprint.network_template}
try:
    template = reads.read(TEMPLATES[kind], unit=mine or "VN") if kind in TEMPLATES else None
except sprint.SprintError:  # no unit tree yet, or "my unit" was taken out of it by a units load
    template = None
if template is not None and len(template):
    left, right = st.columns(2)
    stem = "mau-mang-luoi-thu" if kind == "network" else "mau-bao-cao"
    left.download_button(ui.t("template_long"), counts_template(template, wide=False),
                         f"{stem}-doc.csv", "text/csv", width="stretch")
    right.download_button(ui.t("template_wide"), counts_template(template, wide=True),
                          f"{stem}-ngang.csv", "text/csv", width="stretch")
    st.caption(ui.t("template_help", day=i18n.day(template["date"].iloc[0], lang)))


def commit(data: bytes, name: str) -> None:
    """Commit the checked file (a button callback, so it runs once per click)."""
    try:
        result = ingest(reads.cursor(), data, name=name, uploaded_by=viewer.name, scope=viewer.scope)
    except sprint.ValidationError as rejection:
        st.session_state["upload_outcome"] = (name, "rejected", rejection)
    except sprint.SprintError as failure:
        st.session_state["upload_outcome"] = (name, "failed", str(failure))
    else:
        st.session_state["upload_outcome"] = (name, "taken" if result.already_taken else "committed", result)


def checked(upload, data: bytes):
    """The file's check (ingest without commit), done once per file and store version: a rerun of
    the page (the warnings' checkbox) shows the same preview without reading the file again (a
    workbook is parsed in the worker). A rejected file is in the upload history and the audit log
    once, not at every rerun of its preview."""
    key = (upload.file_id, kind, reads.store_version())
    kept = st.session_state.get("upload_check")
    if kept is None or kept[0] != key:
        first_look = kept is None or kept[0][0] != upload.file_id
        try:
            kept = (key, ingest(reads.cursor(), data, name=upload.name, uploaded_by=viewer.name,
                                scope=viewer.scope, commit=False, record_rejection=first_look))
        except sprint.ValidationError as rejection:
            kept = (key, rejection)
        st.session_state["upload_check"] = kept
    if isinstance(kept[1], sprint.ValidationError):
        raise kept[1]
    return kept[1]


def show_corrections(result) -> None:
    """Each count the file corrects, its old and its new value."""
    if result.corrections is None:
        return
    fixes = result.corrections
    st.caption(ui.t("corrections", count=i18n.number(result.corrected, lang)))
    ui.table(fixes.assign(metric=fixes["metric"].map(ui.metric_labels())), {
        "date": ui.date_column("count_date"), "unit_code": "unit", "metric": "metric", "old_value": "old_value",
        "new_value": "new_value"})


upload = st.file_uploader(ui.t("file"), type=["csv", "xlsx"], key="upload_file")
outcome = st.session_state.get("upload_outcome")
if upload is not None and outcome is not None and outcome[0] == upload.name:
    name, verdict, detail = outcome
    if verdict == "committed":
        st.success(ui.t("committed", file=name, new=i18n.number(detail.new, lang),
                            corrected=i18n.number(detail.corrected, lang),
                            unchanged=i18n.number(detail.unchanged, lang)))
        show_corrections(detail)
    elif verdict == "taken":
        st.info(ui.t("already_taken", file=name))
    elif verdict == "failed":
        st.error(ui.plain(detail))
    else:
        ui.show_rejection(detail)
elif upload is not None:
    st.session_state.pop("upload_outcome", None)
    data = upload.getvalue()
    try:
        check = checked(upload, data)
    except sprint.ValidationError as rejection:
        ui.show_rejection(rejection)
    except sprint.SprintError as failure:
        st.error(ui.plain(failure))
    else:
        if check.already_taken:
            st.info(ui.t("already_taken", file=upload.name))
        else:
            st.subheader(ui.t("preview", rows=i18n.how_many(check.rows, "row", "rows", lang),
                                  new=i18n.number(check.new, lang),
                                  corrected=i18n.number(check.corrected, lang),
                                  unchanged=i18n.number(check.unchanged, lang)))
            preview = check.preview
            if "metric" in preview:
                preview = preview.assign(metric=preview["metric"].map(ui.metric_labels()))
            labels = {"unit_code": "unit", "collector_code": "collector_code", "employer_code": "late_payers_employer_code"}
            ui.table(preview, {"date": ui.date_column("count_date"), who: labels[who],
                               **({"unit_code": "unit"} if kind == "late_payers" else {"metric": "metric"}),
                               "value": "value"}, height=min(35 * len(preview) + 40, 400))
            show_corrections(check)
            confirmed = True
            if check.warnings:
                st.warning(ui.t("warnings", count=i18n.number(len(check.warnings), lang)))
                ui.show_problems(check.warnings)
                confirmed = st.checkbox(ui.t("confirm_warnings"), key="upload_confirm")
            if check.flags is not None and len(check.flags):
                st.warning(ui.t("flags_found", count=i18n.number(len(check.flags), lang)))
                ui.flags_table(check.flags)
            st.button(ui.t("commit"), type="primary", disabled=not confirmed, key="upload_commit",
                      on_click=commit, args=(data, upload.name))

st.subheader(ui.t("history"))
ui.history_table(reads.read(sprint.upload_history, unit=mine, limit=30))

"""The phases' results, for leadership and every head: who met the phase's targets, ranked, with
the margin and the honours the campaign's rules give; frozen once an administrator closes the
phase, and the corrections that came after."""
from datetime import datetime

import streamlit as st

import sprint
from pages import reads, session, ui
from sprint import i18n
from sprint.store import VIETNAM

ui.route_through_app()


def close(phase: int, campaign: str, by: str) -> None:
    """Close the phase (a button callback, so it runs once per click)."""
    try:
        sprint.close_phase(reads.cursor(), phase=phase, campaign=campaign, by=by)
    except sprint.SprintError as failure:
        st.session_state["results_close_failure"] = str(failure)


lang = ui.lang()
st.title(ui.t("page_results"))
if ui.require_data():
    viewer = session.viewer()
    mine = reads.my_unit()
    as_of = reads.as_of()
    phases = reads.read(sprint.phases)
    campaign = reads.read(sprint.campaign_for, as_of=as_of)
    now = datetime.now(VIETNAM)
    # the latest phase whose milestone the figures have reached, else the first
    reached = phases.loc[phases["milestone"] <= as_of, "phase"]
    numbers = phases["phase"].tolist()
    default = int(reached.iloc[-1]) if len(reached) else numbers[0]
    left, right = st.columns(2)
    by_phase = phases.set_index("phase")
    phase = left.selectbox(ui.t("results_phase"), numbers, index=numbers.index(default), key="results_phase",
                           format_func=lambda p: i18n.t(
                               "results_phase_option", lang, phase=p, milestone=i18n.day(by_phase.loc[p, "milestone"], lang),
                               state=i18n.t("results_state_closed" if by_phase.loc[p, "closed"] else "results_state_open",
                                            lang)))
    about = by_phase.loc[phase]
    levels = ["province", "grassroots"]
    level = right.segmented_control(ui.t("level"), levels, default="province", required=True, key="results_level",
                                    format_func=lambda lv: ui.t(f"results_level_{lv}"))
    closed, cutoff = bool(about["closed"]), about["cutoff"]
    if closed:
        st.success(ui.t("results_closed_note", moment=i18n.moment(about["closed_at"], lang),
                        by=about["closed_by"] or "–"))
    elif now <= cutoff:
        st.info(ui.t("results_not_yet", phase=phase, day=i18n.day(cutoff.date(), lang)))
    else:
        st.info(ui.t("results_provisional_note", day=i18n.day(cutoff.date(), lang)))
        if viewer.is_admin:
            st.button(ui.t("results_close", phase=phase), type="primary", key="results_close", on_click=close,
                      args=(phase, campaign["campaign_id"], viewer.name))
    failure = st.session_state.pop("results_close_failure", None)
    if failure:
        st.error(ui.plain(failure))

    standings = reads.read(sprint.results, phase=phase, campaign=campaign["campaign_id"], level=level)
    honours = {h["honour"]: h["name_en" if lang == "en" else "name_vi"] for h in about["honours"]}
    st.subheader(ui.t("results_honours"))
    honoured = standings[standings["honour"].notna()]
    if honoured.empty:
        st.caption(ui.t("results_no_honour"))
    for code, name in honours.items():
        units = honoured.loc[honoured["honour"] == code, "unit_name"].tolist()
        if units:
            st.markdown(f"**{ui.plain(name)}** ({i18n.number(len(units), lang)}): "
                        + ", ".join(ui.plain(u) for u in units))

    shown = standings.assign(
        unit_name=standings["unit_name"].where(standings["unit_code"] != mine, "★ " + standings["unit_name"]),
        met=standings["metrics_met"].astype(str) + "/" + standings["metrics_targeted"].astype(str),
        every=standings["every_target_met"].map({True: "✓", False: "–"}),
        within=standings["within_ceiling"].map({True: "✓", False: "✗"}).fillna(""),
        honour=standings["honour"].map(honours).fillna(""))
    ui.table(shown, {"rank": ui.column("rank", 44), "unit_name": ui.column("name", 160),
                     "score": ui.column("score", 84), "met": ui.column("results_met", 70),
                     "honour": ui.column("results_honour", 120), "every": ui.column("results_every_met", 80),
                     "late_payment_pct": ui.column("late_payment_title", 90), "limit_pct": "limit_pct",
                     "within": ui.column("results_within", 80), "unit_code": "unit"},
             kinds={"score": "percent", "late_payment_pct": "percent", "limit_pct": "percent"})
    stem = f"ket-qua-giai-doan-{phase}-{level}"
    ui.download_buttons(standings, stem, "results")
    st.download_button(ui.t("results_pdf"),
                       data=reads.read_later(sprint.results_pdf, phase=phase, campaign=campaign["campaign_id"],
                                             lang=lang),
                       file_name=f"ket-qua-giai-doan-{phase}.pdf", mime="application/pdf", on_click="ignore",
                       icon=":material/picture_as_pdf:", key="results_pdf")

    with st.expander(ui.t("results_by_metric")):
        metrics = reads.read(sprint.metrics)
        judged = metrics.loc[(metrics["direction"] == "higher_is_better") & metrics["part_of"].isna(), "metric"].tolist()
        metric = st.selectbox(ui.t("metric"), judged, format_func=ui.metric_label, key="results_metric")
        rows = reads.read(sprint.results, phase=phase, campaign=campaign["campaign_id"], level=level, metric=metric)
        ui.table(rows.assign(met=rows["met"].map({True: "✓", False: "–"})),
                 {"rank": ui.column("rank", 44), "unit_name": ui.column("name", 160), "value": "value",
                  "target": "target", "attainment_pct": "attainment", "margin": ui.column("results_margin", 90),
                  "met": ui.column("results_met", 70)},
                 kinds={"attainment_pct": "percent"})

    late = reads.read(sprint.late_corrections, phase=phase, campaign=campaign["campaign_id"])
    if len(late):
        with st.expander(ui.t("results_late_corrections", count=i18n.number(len(late), lang))):
            ui.table(late.assign(metric=late["metric"].map(ui.metric_labels()),
                                 received_at=late["received_at"].map(lambda v: i18n.moment(v, lang))),
                     {"date": ui.date_column("count_date"), "unit_name": "name", "metric": "metric",
                      "value_at_cutoff": ui.column("results_value_at_cutoff", 100), "value": "new_value",
                      "received_at": "received_at", "uploaded_by": "uploaded_by"})

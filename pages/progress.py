"""Sprint progress, for leadership: where each metric stands against its milestone, and who has reported."""
import pandas as pd
import streamlit as st

import sprint
from pages import reads, session, subscribe, ui
from sprint import charts
from sprint import i18n
from sprint.forecast import RECENT_DAYS

ui.route_through_app()

lang = ui.lang()
title = st.empty()
title.title(ui.t("page_progress"))
if ui.require_data():
    as_of = reads.as_of()
    units = reads.read(sprint.units)
    mine = reads.my_unit()
    # the nation and the provinces, and the reader's own unit at any level (a head opens on it)
    scopes = units.loc[(units["depth"] <= 1) | (units["unit_code"] == mine), "unit_code"].tolist()
    scope = st.selectbox(ui.t("scope"), scopes, index=scopes.index(mine) if mine in scopes else 0,
                         format_func=ui.unit_formatter(), key="progress_scope")
    if scope != "VN":
        title.title(ui.t("progress_of", unit=ui.unit_label(scope)))
    campaign = reads.read(sprint.campaign_for, as_of=as_of)
    phase = sprint.current_phase(campaign, as_of)
    name = campaign["name_en"] if lang == "en" else campaign["name"]
    st.caption(f"**{ui.plain(name)}** ({ui.plain(campaign['dispatch'])}) · "
               f"{ui.t('as_of')} {i18n.day(as_of, lang)}")
    ended = bool(phase and phase["ended"])
    if ended:
        st.subheader(ui.t("campaign_ended", day=i18n.day(phase["milestone"], lang)))
    elif phase:
        st.subheader(ui.t("phase_caption", phase=phase["phase"], starts=i18n.day(phase["starts"], lang),
                              milestone=i18n.day(phase["milestone"], lang), days=phase["days_left"]))
    # a unit head's briefing is of their own unit, whichever unit the page shows
    briefed = session.viewer().scope or scope
    st.download_button(ui.t("briefing_download", unit=ui.unit_label(briefed)),
                       data=reads.read_later(sprint.briefing_pdf, as_of=as_of, unit=briefed, lang=lang),
                       file_name=f"ban-tin-{briefed}-{as_of.isoformat()}.pdf", mime="application/pdf",
                       on_click="ignore", icon=":material/picture_as_pdf:", key="briefing")
    subscribe.own_subscription(session.viewer(), briefed)

    figures = reads.read(sprint.outlook, as_of=as_of, unit=scope)
    parent = units.set_index("unit_code")["parent_code"].get(scope)
    if figures.empty:
        st.info(ui.t("no_target", unit=ui.unit_label(scope)))
    metrics = reads.read(sprint.metrics).set_index("metric")
    people = figures[figures["metric"].map(metrics["kind"]) == "people"]
    # what a director acts on, big: attainment of the milestone target and the people still missing
    for card, row in zip(st.columns(max(len(people), 1)), people.itertuples()):
        with card.container(border=True):
            st.markdown(ui.card_title(row.metric, row.status))
            st.markdown(f"## {i18n.percent(row.attainment_pct, lang)}")
            st.caption(ui.t("of_target_at", target=i18n.number(row.target, lang),
                                milestone=i18n.day(row.milestone, lang)))
            st.markdown(f"### {i18n.number(row.gap, lang)}")
            if ended:  # the final result: nothing is needed or projected any more
                st.caption(f"{ui.t('people_missing')} · {ui.t('value')}: {i18n.number(row.value, lang)}")
                for line in ui.year_lines(row, as_of):
                    st.caption(line)
                continue
            st.caption(f"{ui.t('people_missing')} · {ui.t('required_daily')}: "
                       f"**{i18n.per_day(row.required_daily, lang)}**"
                       f" · {ui.t('pace_7d')}: **{i18n.per_day(row.pace_7d, lang)}**")
            st.caption(f"{ui.t('value')}: {i18n.number(row.value, lang)} · "
                       f"{ui.t('projected')}: {i18n.number(row.projected, lang)}")
            for line in ui.year_lines(row, as_of):
                st.caption(line)
            withheld = i18n.no_chance_why(row.no_chance, row.recent_report_days, RECENT_DAYS, lang)
            if pd.notna(row.probability):
                st.markdown(ui.t("chance_by", chance=i18n.chance(row.probability, lang),
                                     milestone=i18n.day_month(row.milestone, lang)))
            elif withheld:  # too few recent reports to trust a pace
                st.caption(withheld)
            if isinstance(parent, str):  # what this unit must add for its parent to make the milestone
                daily = sprint.share_of(reads.read(sprint.allocate, unit=parent, metric=row.metric, as_of=as_of),
                                        scope)
                if daily is not None:
                    st.caption(ui.t("your_share", share=i18n.number(daily, lang),
                                        parent=ui.unit_label(parent)))
    st.caption(ui.status_legend())
    if not ended:
        st.caption(ui.t("forecast_model"))

    # the dispatch's target groups: new participants since the baseline, against what each group's target asks
    groups = reads.read(sprint.groups, as_of=as_of, unit=scope)
    if len(groups):
        st.subheader(ui.t("target_groups"))
        st.caption(ui.t("target_groups_help", baseline=i18n.day(campaign["baseline"], lang)))
        for metric, of_metric in groups.groupby("metric", sort=False):
            st.markdown(f"**{ui.plain(ui.metric_label(metric))}**")
            shown = of_metric.assign(target_group=of_metric["target_group"].map(ui.metric_label))
            ui.table(shown, {"target_group": ui.column("target_group", 260), "new": ui.column("new_since_baseline", 85),
                             "new_needed": ui.column("new_needed", 85), "development_pct": ui.column("of_needed", 70),
                             "status": ui.column("status", 105), "value": "value", "target": "target"},
                     kinds={"development_pct": "percent", "status": "status"})

    # money where more is better (revenue): late-payment debt is judged as a rate, in its own card
    money = figures[(figures["metric"].map(metrics["kind"]) == "million_vnd")
                    & (figures["metric"].map(metrics["direction"]) == "higher_is_better")]
    late = reads.read(sprint.late_payment, as_of=as_of, unit=scope)
    covered = reads.read(sprint.coverage, as_of=as_of, unit=scope)
    if len(money) or len(late) or len(covered):
        st.subheader(ui.t("finance_and_coverage"))
        cells = iter(st.columns(3))
        for row in money.itertuples():
            with next(cells).container(border=True):
                st.markdown(ui.card_title(row.metric, row.status))
                st.markdown(f"## {i18n.percent(row.attainment_pct, lang)}")
                st.caption(ui.t("of_plan_money", target=i18n.number(row.target, lang),
                                    milestone=i18n.day(row.milestone, lang)))
                st.caption(f"{ui.t('gap')}: **{i18n.number(row.gap, lang)}** {ui.t('million_vnd')}")
                for line in ui.year_lines(row, as_of, since_year_end=False):  # revenue runs from 1 January
                    st.caption(line)
        if len(late):
            rate = late.iloc[0]
            with next(cells).container(border=True):
                st.markdown(f"**{ui.t('late_payment_title')}**  \n"
                            + ui.ceiling_badge(bool(rate["within_limit"])))
                st.markdown(f"## {i18n.percent(rate['late_payment_pct'], lang)}")
                if rate["own_limit"]:  # judged against its own, the nation's beside it
                    st.caption(ui.t("late_payment_own_ceiling", limit=i18n.percent(rate["limit_pct"], lang),
                                    national=i18n.percent(rate["national_limit_pct"], lang),
                                    debt=i18n.number(rate["late_debt"], lang)))
                else:
                    st.caption(ui.t("late_payment_ceiling", limit=i18n.percent(rate["limit_pct"], lang),
                                    debt=i18n.number(rate["late_debt"], lang)))
        if len(covered):
            unit_coverage = covered.iloc[0]
            with next(cells).container(border=True):
                st.markdown(f"**{ui.t('coverage')}**")
                st.markdown(f"## {i18n.percent(unit_coverage['health_coverage_pct'], lang)}")
                st.caption(ui.t("health_coverage_of", population=i18n.number(unit_coverage["population"], lang)))
                st.markdown(f"### {i18n.percent(unit_coverage['labour_coverage_pct'], lang)}")
                st.caption(ui.t("labour_coverage_of", labour=i18n.number(unit_coverage["labour_force"], lang)))

    st.subheader(ui.t("burnup"))
    labels = {key: ui.t(key) for key in ("actual", "target_path", "projection", "band")}
    chart_columns = st.columns(2)
    start = charts.chart_start(campaign)
    chances = reads.read(sprint.forecast, as_of=as_of, unit=scope)
    for index, row in enumerate(figures.itertuples()):
        actual = reads.read(sprint.series, unit=scope, metric=row.metric, start=start, end=as_of)
        # the path runs from the baseline: read as of it, it stays cached through the campaign's days
        path = reads.read(sprint.target_path, unit=scope, metric=row.metric, as_of=campaign["baseline"])
        if actual.empty:
            chart_columns[index % 2].info(ui.t("no_data_unit", unit=ui.unit_label(scope),
                                                   as_of=i18n.day(as_of, lang)))
            continue
        figure = charts.burnup(ui.metric_label(row.metric), actual, path, figures.iloc[index], labels,
                               lang, band=chances[chances["metric"] == row.metric])
        chart_columns[index % 2].plotly_chart(figure, key=f"burnup-{row.metric}", config=charts.CONFIG)

    st.subheader(ui.t("reporting"))
    reporting = reads.read(sprint.reporting, as_of=as_of, unit=scope)
    summary = sprint.reporting_summary(reporting)
    st.markdown("**" + ui.t("reported_count", done=i18n.number(summary["done"], lang),
                                total=i18n.number(summary["total"], lang), as_of=i18n.day(as_of, lang)) + "**")
    st.progress(summary["share"])
    missing = reporting[~reporting["reported"]]
    if missing.empty:
        st.success(ui.t("all_reported"))
    else:
        shown = missing[["unit_code", "unit_name", "parent_name", "last_report"]]
        with st.expander(f"{ui.t('not_reported')} ({i18n.number(len(missing), lang)})"):
            st.dataframe(shown, hide_index=True, column_config={
                "unit_code": ui.t("unit"), "unit_name": ui.t("name"), "parent_name": ui.t("parent"),
                "last_report": ui.date_column("last_report")})
            ui.download_buttons(shown, f"chua-bao-cao-{as_of.isoformat()}", "missing")

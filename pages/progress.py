"""Sprint progress, for leadership: where each metric stands against its milestone, and who has reported."""
from datetime import timedelta

import streamlit as st

import sprint
from pages import charts, common
from sprint import i18n

common.route_through_app()

lang = common.lang()
title = st.empty()
title.title(common.t("page_progress"))
if common.require_data():
    as_of = common.as_of()
    units = common.read(sprint.units)
    mine = common.my_unit()
    # the nation and the provinces, and the reader's own unit at any level (a head opens on it)
    scopes = units.loc[(units["depth"] <= 1) | (units["unit_code"] == mine), "unit_code"].tolist()
    scope = st.selectbox(common.t("scope"), scopes, index=scopes.index(mine) if mine in scopes else 0,
                         format_func=common.unit_formatter(), key="progress_scope")
    if scope != "VN":
        title.title(common.t("progress_of", unit=common.unit_label(scope)))
    campaign = common.read(sprint.campaign_for, as_of=as_of)
    phase = sprint.current_phase(campaign, as_of)
    st.caption(f"**{campaign['name']}** ({campaign['dispatch']}) · {common.t('as_of')} {i18n.day(as_of, lang)}")
    if phase:
        st.subheader(common.t("phase_caption", phase=phase["phase"], starts=i18n.day(phase["starts"], lang),
                              milestone=i18n.day(phase["milestone"], lang), days=phase["days_left"]))

    figures = common.read(sprint.progress, as_of=as_of, unit=scope)
    if figures.empty:
        st.info(common.t("no_target", unit=common.unit_label(scope)))
    metrics = common.read(sprint.metrics).set_index("metric")
    cards = st.columns(max(len(figures), 1))
    for card, row in zip(cards, figures.itertuples()):
        money = metrics.loc[row.metric, "kind"] == "million_vnd"
        with card.container(border=True):
            st.markdown(f"**{common.metric_label(row.metric)}**")
            st.markdown(f"#### {common.status_badge(row.status)}")
            st.caption(common.t("value_money" if money else "value"))
            st.markdown(f"### {i18n.number(row.value, lang)}")
            st.markdown(f"**{i18n.percent(row.attainment_pct, lang)}** {common.t('target').lower()}")
            st.markdown(
                f"{common.t('target_at', milestone=i18n.day(row.milestone, lang))}: **{i18n.number(row.target, lang)}**  \n"
                f"{common.t('gap')}: **{i18n.number(row.gap, lang)}**  \n"
                f"{common.t('required_daily')}: **{i18n.number(row.required_daily, lang)}**{common.t('per_day')}  \n"
                f"{common.t('pace_7d')}: **{i18n.number(row.pace_7d, lang)}**{common.t('per_day')}  \n"
                f"{common.t('projected')}: **{i18n.number(row.projected, lang)}**")

    st.subheader(common.t("burnup"))
    labels = {key: common.t(key) for key in ("actual", "target_path", "projection")}
    chart_columns = st.columns(2)
    start = campaign["baseline"] - timedelta(days=30)
    for index, row in enumerate(figures.itertuples()):
        actual = common.read(sprint.series, unit=scope, metric=row.metric, start=start, end=as_of)
        path = common.read(sprint.target_path, unit=scope, metric=row.metric, as_of=as_of)
        if actual.empty:
            chart_columns[index % 2].info(common.t("no_data_unit", unit=common.unit_label(scope),
                                                   as_of=i18n.day(as_of, lang)))
            continue
        figure = charts.burnup(common.metric_label(row.metric), actual, path, figures.iloc[index], labels,
                               common.plotly_separators())
        chart_columns[index % 2].plotly_chart(figure, key=f"burnup-{row.metric}")

    st.subheader(common.t("reporting"))
    reporting = common.read(sprint.reporting, as_of=as_of, unit=scope)
    summary = sprint.reporting_summary(reporting)
    st.markdown("**" + common.t("reported_count", done=i18n.number(summary["done"], lang),
                                total=i18n.number(summary["total"], lang), as_of=i18n.day(as_of, lang)) + "**")
    st.progress(summary["share"])
    missing = reporting[~reporting["reported"]]
    if missing.empty:
        st.success(common.t("all_reported"))
    else:
        shown = missing.assign(last_report=i18n.days(missing["last_report"], lang))[
            ["unit_code", "unit_name", "parent_name", "last_report"]]
        shown.columns = [common.t("unit"), common.t("name"), common.t("parent"), common.t("last_report")]
        with st.expander(f"{common.t('not_reported')} ({i18n.number(len(missing), lang)})"):
            st.dataframe(shown, hide_index=True)
            common.download_buttons(shown, f"chua-bao-cao-{as_of.isoformat()}", "missing")

"""Provinces: the gap to goal for each province and metric, with a drill-down to grassroots units."""

import streamlit as st

import sprint
from pages import reads, ui
from sprint import charts
from sprint import i18n

ui.route_through_app()



def drill_down() -> None:
    """A click on a province's bar opens that province (a callback: it runs before the widgets)."""
    points = st.session_state["gaps"]["selection"]["points"]
    if points:
        st.session_state["provinces_parent"] = points[0]["customdata"][0]


lang = ui.lang()
st.title(ui.t("page_provinces"))
if ui.require_data():
    as_of = reads.as_of()
    units = reads.read(sprint.units)
    provinces = units.loc[units["depth"] == 1, "unit_code"].tolist()
    parents = units.set_index("unit_code")["parent_code"]
    mine = reads.my_unit()
    default = mine if mine in provinces else parents.get(mine)
    choices = [None, *provinces]
    all_label = ui.t("all_provinces")
    left, right = st.columns(2)
    parent = left.selectbox(ui.t("drill"), choices, index=choices.index(default) if default in choices else 0,
                            format_func=ui.unit_formatter(all_label),
                            key="provinces_parent")
    metrics = reads.read(sprint.metrics)
    people = ui.ranked_metrics(metrics)
    metric = right.selectbox(ui.t("metric"), people, format_func=ui.metric_label, key="provinces_metric")
    kind = metrics.set_index("metric")["kind"][metric]
    scope = parent or "VN"

    matrix = reads.read(sprint.attainment_matrix, as_of=as_of, parent=scope)
    if matrix.empty:
        st.info(ui.t("no_children", unit=ui.unit_label(scope)))
    else:
        st.subheader(ui.t("heatmap"))
        statuses = reads.read(sprint.attainment_matrix, as_of=as_of, parent=scope, values="status")
        st.plotly_chart(charts.heatmap(matrix.rename(columns=ui.metric_labels()),
                                       statuses.rename(columns=ui.metric_labels()), lang,
                                       ui.plotly_separators()), key="heatmap", config=charts.CONFIG)

        figures = reads.read(sprint.outlook, as_of=as_of, parent=scope, metric=metric)
        own = reads.read(sprint.progress, as_of=as_of, unit=scope, metric=metric)
        if not figures.empty and not own.empty:
            st.subheader(ui.t("gap_chart", milestone=i18n.day(own["milestone"].iloc[0], lang))
                         + f" — {ui.plain(ui.metric_label(metric))}")
            bars = figures.assign(status_label=figures["status"].map(lambda s: i18n.status_label(s, lang)))
            labels = {"gap": ui.t("gap"), "status": ui.t("status"), "lang": lang}
            if parent is None:
                st.caption(ui.t("click_to_drill"))
            st.plotly_chart(charts.gap_bars(bars, labels, ui.plotly_separators()), key="gaps", config=charts.CONFIG,
                            on_select=drill_down if parent is None else "ignore", selection_mode="points")

            # the name, its status and how far along it is first: what a 390 px phone shows without scrolling
            figures = figures.assign(no_chance=figures["no_chance"].map(lambda reason: i18n.no_chance(reason, lang)))
            # widths that add up to a phone's 360 px: a wider chance column ran off-screen, showing "2" of "24 %"
            ui.table(figures, {
                "unit_name": ui.column("name", 120), "status": ui.column("status", 105),
                "attainment_pct": ui.column("attainment", 72), "probability": ui.column("chance", 62),
                **({"no_chance": "no_chance"} if figures["no_chance"].ne("").any() else {}),
                "gap": "gap", "required_daily": "required_daily", "pace_7d": "pace_7d", "value": "value",
                "target": "target", "value_year_before": "value_year_before", "change_year": "change_year",
                "change_year_pct": "change_year_pct",
                # money (revenue) is a running total of the year: against 31 December it says nothing
                **({"change_since_year_end": "change_since_year_end"} if kind == "people" else {}),
                "unit_code": "unit"},
                kinds={"status": "status", "attainment_pct": "percent", "probability": "chance",
                       "required_daily": "per_day", "pace_7d": "per_day", "change_year": "signed",
                       "change_year_pct": "signed_percent", "change_since_year_end": "signed"})

            # the unit still misses people, and the campaign is not over: who must add what
            if own["gap"].fillna(0).iloc[0] > 0 and own["status"].iloc[0] != "missed":
                shares = reads.read(sprint.allocate, unit=scope, metric=metric, as_of=as_of)
                st.subheader(ui.t("allocation", unit=ui.unit_label(scope),
                                      milestone=i18n.day(own["milestone"].iloc[0], lang)))
                st.caption(ui.t("allocation_help"))
                # the name and what it must add first, within a phone's width; the code last
                ui.table(shares, {"unit_name": ui.column("name", 120), "share": ui.column("share", 80),
                                      "share_daily": ui.column("share_daily", 80), "gap": "gap",
                                      "pace_7d": "pace_7d", "unit_code": "unit"},
                             kinds={"pace_7d": "per_day", "share_daily": "per_day"})

        # the children compared on one of the metric's target groups: new participants since the baseline
        of_metric = metrics.loc[metrics["part_of"] == metric, "metric"].tolist()
        if of_metric:
            st.subheader(ui.t("compare_group"))
            group = st.selectbox(ui.t("target_group"), of_metric, format_func=ui.metric_label, key="provinces_group")
            compared = reads.read(sprint.groups, as_of=as_of, parent=scope, metric=group)
            if len(compared):
                ui.table(compared.sort_values(["development_pct", "unit_code"], na_position="first"), {
                    "unit_name": ui.column("name", 120), "new": ui.column("new_since_baseline", 85),
                    "new_needed": ui.column("new_needed", 85), "development_pct": ui.column("of_needed", 70),
                    "status": ui.column("status", 105), "value": "value", "target": "target", "unit_code": "unit"},
                    kinds={"development_pct": "percent", "status": "status"})

        st.subheader(ui.t("trends") + f" — {ui.plain(ui.metric_label(metric))}")
        campaign = reads.read(sprint.campaign_for, as_of=as_of)
        trend = reads.read(sprint.trend, parent=scope, metric=metric,
                            start=charts.chart_start(campaign), end=as_of)
        if trend.empty:
            st.info(ui.t("no_children", unit=ui.unit_label(scope)))
        else:
            st.caption(ui.t("trends_help"))
            st.plotly_chart(charts.trend_lines(trend, mine, lang), key="trends", config=charts.CONFIG)

        rates = reads.read(sprint.late_payment, as_of=as_of, parent=scope)
        if not rates.empty:
            st.subheader(ui.t("late_payment", limit=i18n.percent(rates["national_limit_pct"].iloc[0], lang)))
            shown = rates.assign(
                within_limit=rates["within_limit"].map(lambda ok: ui.t("within_limit" if ok else "over_limit")))
            ui.table(shown, {"unit_name": ui.column("name", 120),
                                 "late_payment_pct": ui.column("late_payment_rate", 80),
                                 "within_limit": ui.column("status", 110), "limit_pct": ui.column("limit_pct", 70),
                                 "late_debt": "late_debt", "revenue_plan": "revenue_plan", "unit_code": "unit"},
                     kinds={"late_payment_pct": "percent", "limit_pct": "percent"})

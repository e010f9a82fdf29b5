"""The collection network, for a province's or a grassroots unit's head: how many new participants
its service organisations, collection points and collection staff brought in, against their
targets and as a share of the unit's own; and who leads among the points and the staff."""
import streamlit as st

import sprint
from pages import reads, ui
from sprint import i18n

ui.route_through_app()

lang = ui.lang()
title = st.empty()
title.title(ui.t("page_network"))
if ui.require_data():
    as_of = reads.as_of()
    units = reads.read(sprint.units)
    parents = units.set_index("unit_code")["parent_code"]
    provinces = units.loc[units["depth"] == 1, "unit_code"].tolist()
    mine = reads.my_unit()
    # a head opens on their own province (and their own grassroots unit within it)
    own_province = mine if mine in provinces else parents.get(mine) if parents.get(mine) in provinces else None
    scopes = ["VN", *provinces]
    left, middle, right = st.columns(3)
    province = left.selectbox(ui.t("scope"), scopes, index=scopes.index(own_province) if own_province else 0,
                              format_func=ui.unit_formatter(), key="network_scope")
    unit = province
    if province != "VN":
        children = [None, *units.loc[units["parent_code"] == province, "unit_code"]]
        grassroots = middle.selectbox(ui.t("grassroots_unit"), children,
                                      index=children.index(mine) if mine in children else 0,
                                      format_func=ui.unit_formatter(i18n.t("whole_unit", lang, unit=ui.unit_label(province))),
                                      key="network_grassroots")
        unit = grassroots or province
    collected_metrics = reads.read(sprint.network_metrics)
    if not collected_metrics:
        st.info(ui.t("no_network", unit=ui.unit_label(unit)))
        st.stop()
    metric = right.selectbox(ui.t("metric"), collected_metrics, format_func=ui.metric_label, key="network_metric")
    title.title(ui.t("network_of", unit=ui.unit_label(unit)))
    campaign = reads.read(sprint.campaign_for, as_of=as_of)
    st.caption(ui.t("network_help", unit=ui.unit_label(unit), baseline=i18n.day(campaign["baseline"], lang),
                    as_of=i18n.day(as_of, lang)))

    summary = reads.read(sprint.network_summary, as_of=as_of, unit=unit, metric=metric).iloc[0]
    if summary["organisations"] + summary["points"] + summary["staff"] == 0:
        st.info(ui.t("no_network", unit=ui.unit_label(unit)))
        st.stop()
    # what a head acts on, big: the people the network brought in, its share of the unit's, its targets
    share_cell, target_cell, size_cell = st.columns(3)
    with share_cell.container(border=True):
        st.markdown(f"**{ui.t('network_collected')}**")
        st.markdown(f"## {i18n.number(summary['collected'], lang)}")
        st.caption(ui.t("network_share", share=i18n.percent(summary["share_pct"], lang), unit=ui.unit_label(unit),
                        baseline=i18n.day(campaign["baseline"], lang), unit_new=i18n.number(summary["unit_new"], lang)))
    board = reads.read(sprint.network, as_of=as_of, unit=unit, kind="point", metric=metric)
    with target_cell.container(border=True):
        st.markdown(f"**{ui.t('network_attainment')}**")
        st.markdown(f"## {i18n.percent(summary['attainment_pct'], lang)}")
        milestone = board["milestone"].iloc[0] if len(board) else campaign["ends"]
        st.caption(ui.t("network_target_at", milestone=i18n.day(milestone, lang),
                        target=i18n.number(summary["target"], lang)))
    with size_cell.container(border=True):
        st.markdown(f"**{ui.t('network_size')}**")
        st.caption(ui.t("network_counts", **{key: i18n.number(summary[key], lang)
                                             for key in ("organisations", "points", "staff")}))
        st.caption(ui.t("network_reporting", reporting=i18n.number(summary["reporting"], lang)))

    kinds = ["point", "staff", "organisation"]
    kind = st.segmented_control(ui.t("rank_among"), kinds, default="point", required=True,
                                format_func=lambda k: ui.t(f"collector_{k}"), key="network_kind")
    if kind != "point":
        board = reads.read(sprint.network, as_of=as_of, unit=unit, kind=kind, metric=metric)
    if board.empty:
        st.info(ui.t("no_network", unit=ui.unit_label(unit)))
    else:
        # rank, name, what they brought in and of their target first: what a 390 px phone shows
        columns = {"rank": ui.column("rank", 44), "name": ui.column("name", 160),
                   "collected": ui.column("collected", 90), "attainment_pct": ui.column("attainment", 80),
                   "target": "target", "gap": "gap", "share_pct": ui.column("share_of_unit", 70),
                   "collector_code": "collector_code"}
        if kind != "organisation":
            columns |= {"organisation_name": "organisation", "unit_name": "contracted_by",
                        "reported_on": ui.date_column("last_reported")}
        ui.table(board, columns, kinds={"attainment_pct": "percent", "share_pct": "percent"})
        ui.download_buttons(board, f"mang-luoi-thu-{unit}-{kind}-{metric}-{as_of.isoformat()}", f"network-{kind}")

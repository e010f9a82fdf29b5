"""Leaderboard, for unit heads: where my unit stands, who is just ahead, who is moving."""
import streamlit as st

import sprint
from pages import reads, ui
from sprint import i18n

ui.route_through_app()

lang = ui.lang()
st.title(ui.t("page_leaderboard"))
if ui.require_data():
    as_of = reads.as_of()
    units = reads.read(sprint.units)
    metrics = reads.read(sprint.metrics)
    provinces = units.loc[units["depth"] == 1, "unit_code"].tolist()
    parents = units.set_index("unit_code")["parent_code"]
    mine = reads.my_unit()

    levels = ["province", "grassroots", "grassroots_in"]
    level_names = {"province": ui.t("level_province"), "grassroots": ui.t("level_grassroots"),
                   "grassroots_in": ui.t("level_grassroots_in")}
    left, middle, right = st.columns(3)
    metric_choices = ["all", *ui.ranked_metrics(metrics)]
    metric = left.selectbox(ui.t("metric"), metric_choices, key="board_metric",
                            format_func=lambda m: ui.t("all_metrics") if m == "all" else ui.metric_label(m))
    default_level = "grassroots_in" if mine in parents.index and parents.get(mine) in provinces else "province"
    level = middle.selectbox(ui.t("level"), levels, index=levels.index(default_level),
                             format_func=level_names.get, key="board_level")
    parent = None
    if level == "grassroots_in":
        default_province = parents.get(mine) if parents.get(mine) in provinces else provinces[0]
        parent = right.selectbox(ui.t("province"), provinces, index=provinces.index(default_province),
                                 format_func=ui.unit_formatter(), key="board_parent")
    board = reads.read(sprint.leaderboard, as_of=as_of, metric=metric,
                        level="province" if level == "province" else "grassroots", parent=parent, chances=True)

    if board.empty:
        st.info(ui.t("no_ranking"))
    else:
        if mine is not None:  # the reader's own rank first, then who is just above and below
            around = sprint.neighbours(board, mine)
            if around.empty:
                st.info(ui.t("not_ranked", unit=ui.unit_label(mine)))
            else:
                rows = {row["position"]: row for _, row in around.iterrows()}
                with st.container(border=True, key="my-rank"):
                    you = rows["you"]
                    st.caption(ui.t("you"))
                    st.markdown(f"### #{you['rank']} {ui.plain(you['unit_name'])} · {i18n.percent(you['score'], lang)}")
                others = [key for key in ("above", "below") if key in rows]
                for cell, key in zip(st.columns(max(len(others), 1)), others):
                    row = rows[key]
                    with cell.container(border=True):
                        st.caption(ui.t(key))
                        st.markdown(f"**#{row['rank']} {ui.plain(row['unit_name'])}**  \n"
                                    f"{i18n.percent(row['score'], lang)} "
                                    f"({i18n.signed(row['score_difference'], lang, 2)} {ui.t('points')})")
        podium = st.columns(3)
        for cell, row in zip(podium, board.head(3).itertuples()):
            with cell.container(border=True, key=f"podium-{row.Index + 1}"):
                st.caption(f"{ui.t('rank')} {row.rank}")
                st.markdown(f"**{ui.plain(row.unit_name)}**  \n{i18n.percent(row.score, lang)}")

        shown = board.assign(
            change=board["rank_change"].map(lambda c: i18n.rank_change(c, lang)),
            unit_name=board["unit_name"].where(board["unit_code"] != mine, "★ " + board["unit_name"]),
            weakest=i18n.weakest_metrics(board["weakest_metric"].map(ui.metric_labels()),
                                         board["weakest_probability"], lang),
            no_chance=board["no_chance"].map(lambda reason: i18n.no_chance(reason, lang)),
        )
        # rank, name, score and chance first, narrow: what a 390 px phone shows without scrolling
        columns = {"rank": ui.column("rank", 44), "unit_name": ui.column("name", 150),
                   "score": ui.column("score", 84), "probability": ui.column("chance", 82),
                   "change": ui.column("change", "small")}
        if metric != "all":
            columns |= {"status": "status", "value": "value", "target": "target", "gap": "gap"}
        else:  # the chance that every metric makes it, and the one least likely to
            columns |= {"probability": ui.column("chance_all", 82), "weakest": "weakest_metric"}
        if board["no_chance"].notna().any():
            columns |= {"no_chance": "no_chance"}
        ui.table(shown, columns | {"unit_code": "unit"},
                     kinds={"score": "percent", "probability": "chance", "status": "status"},
                     height=min(35 * len(shown) + 40, 1300))
        if metric == "all":
            st.caption(ui.t("chance_all_help"))
        export = board[["rank", "unit_code", "unit_name", "score", "rank_change", "probability", "weakest_metric",
                        "weakest_probability", "no_chance", "value", "target", "gap", "status"]]
        ui.download_buttons(export, f"bang-xep-hang-{metric}-{as_of.isoformat()}", "board")

        st.subheader(ui.t("top_movers"))
        movers = reads.read(sprint.top_movers, as_of=as_of, metric=metric,
                             level="province" if level == "province" else "grassroots", parent=parent)
        if movers.empty:
            st.caption(ui.t("no_movers"))
        else:
            cells = st.columns(len(movers))
            for cell, row in zip(cells, movers.itertuples()):
                cell.metric(ui.plain(row.unit_name), f"#{row.rank}", i18n.places_gained(row.places_gained, lang),
                            delta_color="normal", delta_arrow="off")

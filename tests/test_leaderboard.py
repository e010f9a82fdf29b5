"""Scores, shared ranks and rank change, computed by hand."""
from datetime import date

import pandas as pd
import pytest

import sprint

TIES_UNITS = b"""unit_code,name,parent_code
P,Province,VN
W,Unit W,P
X,Unit X,P
Y,Unit Y,P
Z,Unit Z,P
"""
TIES_TARGETS = b"""unit_code,metric,milestone,target
W,health,2025-10-31,100
X,health,2025-10-31,100
Y,health,2025-10-31,100
Z,health,2025-10-31,100
W,compulsory_si,2025-10-31,200
X,compulsory_si,2025-10-31,200
"""
TIES_COUNTS = b"""date,unit_code,metric,value
2025-10-09,W,health,95
2025-10-09,X,health,60
2025-10-09,Y,health,70
2025-10-09,Z,health,80
2025-10-10,W,health,80
2025-10-10,X,health,90
2025-10-10,Y,health,90
2025-10-10,Z,health,70
2025-10-10,W,compulsory_si,100
2025-10-10,X,compulsory_si,200
"""


@pytest.fixture
def ties(con):
    sprint.load_units(con, TIES_UNITS, name="u.csv")
    sprint.load_targets(con, TIES_TARGETS, name="t.csv", replace_all=True)
    sprint.ingest(con, TIES_COUNTS, name="c.csv")
    return con


def test_equal_scores_share_the_lower_rank_and_list_by_code(ties):
    board = sprint.leaderboard(ties, as_of=date(2025, 10, 10), metric="health", level="grassroots")
    assert board[["rank", "unit_code", "score"]].values.tolist() == [
        [1, "X", 90.0], [1, "Y", 90.0], [3, "W", 80.0], [4, "Z", 70.0]]


def test_rank_change_is_yesterday_minus_today(ties):
    board = sprint.leaderboard(ties, as_of=date(2025, 10, 10), metric="health", level="grassroots")
    # 2025-10-09: W 95 (1), Z 80 (2), Y 70 (3), X 60 (4)
    assert dict(zip(board["unit_code"], board["rank_change"])) == {"X": 3, "Y": 2, "W": -2, "Z": -2}


def test_a_unit_not_ranked_yesterday_has_no_rank_change(ties):
    sprint.load_units(ties, b"unit_code,name,parent_code\nN,New,P\n", name="n.csv")
    sprint.load_targets(ties, TIES_TARGETS + b"N,health,2025-10-31,100\n", name="t2.csv", replace_all=True)
    sprint.ingest(ties, b"date,unit_code,metric,value\n2025-10-10,N,health,99\n", name="n.csv")
    board = sprint.leaderboard(ties, as_of=date(2025, 10, 10), metric="health", parent="P")
    new = board[board["unit_code"] == "N"].iloc[0]
    assert new["rank"] == 1 and pd.isna(new["rank_change"])


def test_all_metrics_score_is_the_mean_over_metrics_with_a_score(ties):
    board = sprint.leaderboard(ties, as_of=date(2025, 10, 10), metric="all", level="grassroots")
    scores = dict(zip(board["unit_code"], board["score"]))
    assert scores == {"X": 95.0, "Y": 90.0, "W": 65.0, "Z": 70.0}  # X: (90+100)/2, W: (80+50)/2
    assert board["rank"].tolist() == [1, 2, 3, 4]
    assert board["unit_code"].tolist() == ["X", "Y", "Z", "W"]


def test_units_without_a_score_are_not_ranked(ties):
    sprint.load_units(ties, b"unit_code,name,parent_code\nQ,Silent,P\n", name="q.csv")
    board = sprint.leaderboard(ties, as_of=date(2025, 10, 10), metric="health", parent="P")
    assert "Q" not in set(board["unit_code"])


def test_scenario_rank_change(scenario_con):
    board = sprint.leaderboard(scenario_con, as_of=date(2025, 10, 17), metric="voluntary_si", level="grassroots")
    assert board[["unit_code", "rank", "rank_change"]].values.tolist() == [
        ["A", 1, 1], ["B", 2, -1], ["F", 3, 0], ["L", 4, 0]]


def test_neighbours_show_who_is_just_above_and_below(ties):
    board = sprint.leaderboard(ties, as_of=date(2025, 10, 10), metric="health", level="grassroots")
    around = sprint.neighbours(board, "W")
    assert around["unit_code"].tolist() == ["Y", "W", "Z"]
    assert around["score_difference"].tolist() == [10.0, 0.0, -10.0]
    assert around["position"].tolist() == ["above", "you", "below"]
    tied = sprint.neighbours(board, "Y")  # X and Y share rank 1: X, listed first, is above Y
    assert tied[["unit_code", "position"]].values.tolist() == [["X", "above"], ["Y", "you"], ["W", "below"]]
    assert sprint.neighbours(board, "X")["position"].tolist() == ["you", "below"]
    assert sprint.neighbours(board, "NOPE").empty


def test_top_movers_of_the_week(ties):
    movers = sprint.top_movers(ties, as_of=date(2025, 10, 10), metric="health", level="grassroots", days=1)
    assert movers[["unit_code", "places_gained"]].values.tolist() == [["X", 3], ["Y", 2]]


def test_unknown_metric_is_a_clear_error(ties):
    with pytest.raises(sprint.UnknownError, match="Unknown metric 'pension'"):
        sprint.leaderboard(ties, as_of=date(2025, 10, 10), metric="pension")


def test_all_metrics_score_uses_exact_attainments(con):
    sprint.load_units(con, b"unit_code,name,parent_code\nP,P,VN\nU,U,P\n", name="u.csv")
    sprint.load_targets(con, b"unit_code,metric,milestone,target\nU,health,2025-10-31,3\n"
                        b"U,compulsory_si,2025-10-31,4\n", name="t.csv", replace_all=True)
    sprint.ingest(con, b"date,unit_code,metric,value\n2025-10-10,U,health,1\n2025-10-10,U,compulsory_si,1\n",
                  name="c.csv")
    board = sprint.leaderboard(con, as_of=date(2025, 10, 10), level="grassroots")
    assert board["score"].tolist() == [29.17]  # (33.333... + 25) / 2 = 29.1666..., not (33.33 + 25) / 2

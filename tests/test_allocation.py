"""Gap allocation: the parent's gap split over its children, by hand and as a property."""
import io
from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sprint
from conftest import fresh_store

AS_OF = date(2025, 11, 20)  # ten days before the 30/11 milestone
UNITS = b"unit_code,name,parent_code\nP,Province,VN\nA,Unit A,P\nB,Unit B,P\nC,Unit C,P\n"


def load(con, children: dict[str, tuple[int, int, int]]):
    """children: code -> (target on 30/11, value a week before AS_OF, value on AS_OF)."""
    units = "unit_code,name,parent_code\nP,Province,VN\n" + "".join(f"{c},Unit {c},P\n" for c in children)
    targets = "unit_code,metric,milestone,target\n" + "".join(
        f"{c},health,2025-11-30,{target}\n" for c, (target, _, _) in children.items())
    counts = "date,unit_code,metric,value\n" + "".join(
        f"2025-11-13,{c},health,{before}\n2025-11-20,{c},health,{now}\n" for c, (_, before, now) in children.items())
    sprint.load_units(con, units.encode(), name="u.csv")
    sprint.load_targets(con, targets.encode(), name="t.csv", replace_all=True)
    sprint.ingest(con, counts.encode(), name="c.csv")


def test_split_by_hand(con):
    """P: target 300, value 260, gap 40. A: gap 40, pace 2; B: gap 20, pace 6; C: achieved.
    Weights: A = 40/60 + 2/8 = 0.9167, B = 20/60 + 6/8 = 1.0833 (of 2). Exact shares 18.33 and
    21.67: 18 and 21, and the one person left goes to the largest remainder, B."""
    load(con, {"A": (100, 46, 60), "B": (100, 38, 80), "C": (100, 110, 120)})
    frame = sprint.allocate(con, unit="P", metric="health", as_of=AS_OF).set_index("unit_code")
    assert frame.loc["A", "share"] == 18
    assert frame.loc["B", "share"] == 22
    assert frame.loc["C", "share"] == 0
    assert frame.loc["A", "weight_pct"] == pytest.approx(45.83)
    assert frame.loc["B", "share_daily"] == pytest.approx(2.2)
    parent = sprint.progress(con, as_of=AS_OF, unit="P", metric="health").iloc[0]
    assert frame["share"].sum() == parent["gap"] == 40
    assert frame["share_daily"].sum() == pytest.approx(parent["required_daily"])
    assert list(frame.index) == ["B", "A", "C"]  # the largest share first


def test_no_pace_splits_by_gap_alone(con):
    load(con, {"A": (100, 70, 70), "B": (100, 90, 90)})  # gaps 30 and 10, no one moved
    frame = sprint.allocate(con, unit="P", metric="health", as_of=AS_OF).set_index("unit_code")
    assert frame["share"].to_dict() == {"A": 30, "B": 10}


def test_a_parent_at_target_asks_nothing(con):
    load(con, {"A": (100, 90, 95), "B": (100, 110, 120)})  # P: 215 of 200
    frame = sprint.allocate(con, unit="P", metric="health", as_of=AS_OF)
    assert (frame["share"] == 0).all()


def test_allocate_needs_one_metric(con):
    load(con, {"A": (100, 90, 95)})
    with pytest.raises(sprint.UnknownError):
        sprint.allocate(con, unit="P", metric="all", as_of=AS_OF)


child = st.tuples(st.integers(1, 5_000), st.integers(0, 5_000), st.integers(0, 5_000))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(child, min_size=1, max_size=6))
def test_shares_add_up_to_the_parents_gap_and_achieved_children_get_nothing(children):
    con = fresh_store()
    try:
        load(con, {f"C{index}": figures for index, figures in enumerate(children)})
        frame = sprint.allocate(con, unit="P", metric="health", as_of=AS_OF)
        parent = sprint.progress(con, as_of=AS_OF, unit="P", metric="health").iloc[0]
        achieved = frame["value"] >= frame["target"]
        assert (frame.loc[achieved, "share"] == 0).all()
        assert (frame["share"] >= 0).all()
        if achieved.all():
            assert frame["share"].sum() == 0
        else:
            assert frame["share"].sum() == parent["gap"]
            assert frame["share_daily"].sum() == pytest.approx(parent["required_daily"])
    finally:
        con.close()


def test_allocate_cli(demo_store_file, demo_con):
    from click.testing import CliRunner

    from sprint.cli import cli

    result = CliRunner().invoke(cli, ["--db", str(demo_store_file), "allocate", "--unit", "66", "--metric",
                                      "voluntary_si", "--as-of", "2025-11-20", "--format", "json"])
    assert result.exit_code == 0, result.output
    printed = pd.read_json(io.StringIO(result.output))
    expected = sprint.allocate(demo_con, unit="66", metric="voluntary_si", as_of=date(2025, 11, 20))
    assert printed["share"].tolist() == expected["share"].tolist()
    assert printed["share"].sum() == sprint.progress(demo_con, as_of=date(2025, 11, 20), unit="66",
                                                     metric="voluntary_si").iloc[0]["gap"]


def test_children_at_their_targets_under_a_parent_that_is_not_split_by_target(con):
    """P's own target (300) is above its children's (100 + 100): both children are at theirs, P
    misses 90; the gap is split by target, 45 and 45, rather than asked of no one."""
    load(con, {"A": (100, 100, 105), "B": (100, 100, 105)})
    sprint.load_targets(con, b"unit_code,metric,milestone,target\nP,health,2025-11-30,300\n"
                        b"A,health,2025-11-30,100\nB,health,2025-11-30,100\n", name="t2.csv", replace_all=True)
    frame = sprint.allocate(con, unit="P", metric="health", as_of=AS_OF).set_index("unit_code")
    assert frame["share"].to_dict() == {"A": 45, "B": 45}


def test_a_parent_without_a_value_has_no_shares(con):
    sprint.load_units(con, UNITS, name="u.csv")
    sprint.load_targets(con, b"unit_code,metric,milestone,target\nA,health,2025-11-30,100\nB,health,2025-11-30,100\n"
                        b"C,health,2025-11-30,100\n", name="t.csv", replace_all=True)
    frame = sprint.allocate(con, unit="P", metric="health", as_of=AS_OF)
    assert len(frame) == 3 and frame["share"].isna().all()


def test_a_units_share_is_its_daily_figure_from_what_rounds_to_one_person():
    shares = pd.DataFrame({"unit_code": ["A", "B", "C", "D"], "share_daily": [3.2, 0.49, 0.5, None]})
    assert [sprint.share_of(shares, u) for u in ("A", "B", "C", "D", "E")] == [3.2, None, 0.5, None, None]

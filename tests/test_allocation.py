"""Gap allocation: each child's quota for itself and its parent, by hand and as a property."""
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


def load(con, children: dict[str, tuple[int, int, int]], parent_target: int | None = None):
    """children: code -> (target on 30/11, value a week before AS_OF, value on AS_OF); P's own
    target on 30/11 where given (else the sum of its children's)."""
    units = "unit_code,name,parent_code\nP,Province,VN\n" + "".join(f"{c},Unit {c},P\n" for c in children)
    targets = "unit_code,metric,milestone,target\n" + "".join(
        f"{c},health,2025-11-30,{target}\n" for c, (target, _, _) in children.items())
    if parent_target is not None:
        targets += f"P,health,2025-11-30,{parent_target}\n"
    counts = "date,unit_code,metric,value\n" + "".join(
        f"2025-11-13,{c},health,{before}\n2025-11-20,{c},health,{now}\n" for c, (_, before, now) in children.items())
    sprint.load_units(con, units.encode(), name="u.csv")
    sprint.load_targets(con, targets.encode(), name="t.csv", replace_all=True)
    sprint.ingest(con, counts.encode(), name="c.csv")


def shares(con) -> pd.DataFrame:
    return sprint.allocate(con, unit="P", metric="health", as_of=AS_OF).set_index("unit_code")


def test_each_child_is_asked_its_own_gap_even_when_others_make_up_for_it(con):
    """P: target 300, value 260, gap 40. A: gap 40, pace 2; B: gap 20, pace 6; C: 20 above its
    target. C's surplus closes part of P's gap, but not A's or B's: A is asked 40 and B 20 (the
    pace no longer moves a quota: the old split asked A for 18, under its own gap), C nothing.
    The shares add up to P's need, 60: more than its gap."""
    load(con, {"A": (100, 46, 60), "B": (100, 38, 80), "C": (100, 110, 120)})
    frame = shares(con)
    assert frame["share"].to_dict() == {"A": 40, "B": 20, "C": 0}
    assert frame["extra"].to_dict() == {"A": 0, "B": 0, "C": 0}
    assert frame.loc["B", "share_daily"] == pytest.approx(2.0)  # 20 people over the 10 days left
    assert sprint.progress(con, as_of=AS_OF, unit="P", metric="health").iloc[0]["gap"] == 40
    assert list(frame.index) == ["A", "B", "C"]  # the largest share first


def test_what_the_parent_needs_beyond_the_gaps_is_split_by_target_over_those_short(con):
    """P's own target is 500, its children's add up to 400: P has 330, gap 170. A (target 100)
    misses 40, B (target 200) misses 50, C is 20 above: 90 of gaps, 80 beyond them. A and B carry
    the 80 by target, 80/3 = 26.67 and 160/3 = 53.33: 26 and 53, and the one person left goes to
    the larger remainder, A's. A: 40 + 27 = 67, B: 50 + 53 = 103, C: 0; together 170."""
    load(con, {"A": (100, 50, 60), "B": (200, 140, 150), "C": (100, 115, 120)}, parent_target=500)
    frame = shares(con)
    assert frame["extra"].to_dict() == {"B": 53, "A": 27, "C": 0}
    assert frame["share"].to_dict() == {"B": 103, "A": 67, "C": 0}
    assert frame.loc["A", "share_daily"] == pytest.approx(6.7)


def test_no_pace_splits_by_gap_alone(con):
    load(con, {"A": (100, 70, 70), "B": (100, 90, 90)})  # gaps 30 and 10, no one moved
    assert shares(con)["share"].to_dict() == {"A": 30, "B": 10}


def test_a_parent_at_target_still_asks_each_child_its_own_gap(con):
    """P has 215 of 200, but A misses 5 of its own 100: A's quota is 5, B's (above its target) 0."""
    load(con, {"A": (100, 90, 95), "B": (100, 110, 120)})
    assert shares(con)["share"].to_dict() == {"A": 5, "B": 0}


def test_allocate_needs_one_metric(con):
    load(con, {"A": (100, 90, 95)})
    with pytest.raises(sprint.UnknownError):
        sprint.allocate(con, unit="P", metric="all", as_of=AS_OF)


child = st.tuples(st.integers(1, 5_000), st.integers(0, 5_000), st.integers(0, 5_000))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(child, min_size=1, max_size=6), st.one_of(st.none(), st.integers(1, 30_000)))
def test_shares_add_up_to_the_parents_need_and_none_is_under_its_own_gap(children, parent_target):
    """The need is the larger of P's gap and its children's gaps; each share is at least the
    child's gap; a child at its target gets 0 unless no child is short while P is."""
    con = fresh_store()
    try:
        load(con, {f"C{index}": figures for index, figures in enumerate(children)}, parent_target)
        frame = sprint.allocate(con, unit="P", metric="health", as_of=AS_OF)
        parent = sprint.progress(con, as_of=AS_OF, unit="P", metric="health").iloc[0]
        gaps = [max(target - now, 0) for target, _, now in children]
        need = max(parent["gap"], sum(gaps))
        assert sorted(frame["gap"]) == sorted(gaps)
        assert frame["share"].sum() == need
        assert (frame["share"] >= frame["gap"]).all()
        assert (frame["share"] == frame["gap"] + frame["extra"]).all()
        achieved = frame["value"] >= frame["target"]
        if sum(gaps) > 0 or parent["gap"] == 0:
            assert (frame.loc[achieved, "share"] == 0).all()
        assert frame["share_daily"].sum() == pytest.approx(need / 10)
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
    assert (printed["share"] >= printed["gap"]).all()


def test_children_at_their_targets_under_a_parent_that_is_not_split_by_target(con):
    """P's own target (300) is above its children's (100 + 100): both children are at theirs, P
    misses 90; the gap is split by target, 45 and 45, rather than asked of no one."""
    load(con, {"A": (100, 100, 105), "B": (100, 100, 105)})
    sprint.load_targets(con, b"unit_code,metric,milestone,target\nP,health,2025-11-30,300\n"
                        b"A,health,2025-11-30,100\nB,health,2025-11-30,100\n", name="t2.csv", replace_all=True)
    assert shares(con)["share"].to_dict() == {"A": 45, "B": 45}


def test_a_parent_without_a_value_has_no_shares(con):
    sprint.load_units(con, UNITS, name="u.csv")
    sprint.load_targets(con, b"unit_code,metric,milestone,target\nA,health,2025-11-30,100\nB,health,2025-11-30,100\n"
                        b"C,health,2025-11-30,100\n", name="t.csv", replace_all=True)
    frame = sprint.allocate(con, unit="P", metric="health", as_of=AS_OF)
    assert len(frame) == 3 and frame["share"].isna().all()


def test_a_units_share_is_its_daily_figure_from_what_rounds_to_one_person():
    shares = pd.DataFrame({"unit_code": ["A", "B", "C", "D"], "share_daily": [3.2, 0.49, 0.5, None]})
    assert [sprint.share_of(shares, u) for u in ("A", "B", "C", "D", "E")] == [3.2, None, 0.5, None, None]
